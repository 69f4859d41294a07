package testenv

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FreePort returns a TCP port free on loopback right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ZooKeeper34Jar is EL7's ZooKeeper, where test/zookeeper34.sh installs it (.ci/run does):
// MidoNet 5.2's misc repository ships 3.4, the NSDB our users run.
const ZooKeeper34Jar = "/usr/local/share/midobake-test/zookeeper-3.4.13.jar"

// zookeeper34Libs are what 3.4's server needs beside its jar: bookworm's log4j 1.2 and slf4j
// (liblog4j1.2-java, libslf4j-java).
var zookeeper34Libs = []string{"/usr/share/java/log4j-1.2.jar", "/usr/share/java/slf4j-api.jar", "/usr/share/java/slf4j-log4j12.jar"}

// ZooKeeperRelease is the release the tests' ZooKeeper servers run: "3.4" (EL7's), or "3.8"
// (Debian 12's package) when MIDOBAKE_TEST_ZOOKEEPER=3.8 asks for a second run on it.
func ZooKeeperRelease() string {
	if os.Getenv("MIDOBAKE_TEST_ZOOKEEPER") == "3.8" {
		return "3.8"
	}
	return "3.4"
}

// ZooKeeperClasspath is the Java classpath of a ZooKeeper server of ZooKeeperRelease, or
// skips the test (fails it in CI) when that release is not installed.
func ZooKeeperClasspath(t testing.TB) string {
	t.Helper()
	cp, err := zooKeeperClasspath()
	if err != nil {
		Missing(t, err.Error())
	}
	Need(t, "java", "apt-get install default-jre-headless")
	return cp
}

func zooKeeperClasspath() (string, error) {
	if ZooKeeperRelease() == "3.8" {
		if _, err := os.Stat("/usr/share/java/zookeeper.jar"); err != nil {
			return "", fmt.Errorf("ZooKeeper 3.8 is not installed (apt-get install zookeeper)")
		}
		return "/usr/share/java/zookeeper.jar:/usr/share/java/*", nil
	}
	for _, f := range append([]string{ZooKeeper34Jar}, zookeeper34Libs...) {
		if _, err := os.Stat(f); err != nil {
			return "", fmt.Errorf("ZooKeeper 3.4 needs %s (bash test/zookeeper34.sh %s; apt-get install liblog4j1.2-java libslf4j-java)", f, filepath.Dir(ZooKeeper34Jar))
		}
	}
	return strings.Join(append([]string{ZooKeeper34Jar}, zookeeper34Libs...), ":"), nil
}

// ZooKeeperServerConfig is what a test's zoo.cfg adds for the release: 3.8 answers only the
// four-letter words it is told to and runs an admin server unless told not to; 3.4 has
// neither setting (it would take them as system properties), and answers every word.
func ZooKeeperServerConfig() string {
	if ZooKeeperRelease() == "3.8" {
		return "admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr,stat\n"
	}
	return ""
}

// ZooKeeper is a real ZooKeeper server started by a test on loopback: EL7's 3.4 (see
// ZooKeeperRelease).
type ZooKeeper struct {
	Port int
	cmd  *exec.Cmd
	cfg  string
	cp   string
}

// NewZooKeeper prepares a private server on a free port; Start runs it. It listens on every
// address, so hosts of a test cloud on 127.0.0.x reach it.
func NewZooKeeper(t testing.TB) *ZooKeeper {
	t.Helper()
	cp := ZooKeeperClasspath(t)
	dir := t.TempDir()
	z := &ZooKeeper{Port: FreePort(t), cfg: filepath.Join(dir, "zoo.cfg"), cp: cp}
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	cfg := fmt.Sprintf("tickTime=500\ndataDir=%s/data\nclientPort=%d\n", dir, z.Port) + ZooKeeperServerConfig()
	if err := os.WriteFile(z.cfg, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Stop)
	return z
}

// Start runs the server and waits until it answers "ruok".
func (z *ZooKeeper) Start(t testing.TB) {
	t.Helper()
	if err := z.StartErr(); err != nil {
		t.Fatal(err)
	}
}

// StartErr is Start for a goroutine other than the test's, where t.Fatal is not allowed. It
// also checks that the server is of the release the tests mean to run, so that no test of
// EL7's ZooKeeper passes on another.
func (z *ZooKeeper) StartErr() error {
	z.cmd = exec.Command("java", "-Xmx128m", "-cp", z.cp, "org.apache.zookeeper.server.quorum.QuorumPeerMain", z.cfg)
	z.cmd.Stdout, z.cmd.Stderr = nil, nil
	if err := z.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if answer := fourLetter(fmt.Sprintf("127.0.0.1:%d", z.Port), "srvr"); strings.Contains(answer, "Mode:") {
			return CheckZooKeeperRelease(answer)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("ZooKeeper did not answer srvr within 30s")
}

// CheckZooKeeperRelease says whether a server's srvr answer is of ZooKeeperRelease.
func CheckZooKeeperRelease(srvr string) error {
	if want := "Zookeeper version: " + ZooKeeperRelease() + "."; !strings.Contains(srvr, want) {
		return fmt.Errorf("the tests' ZooKeeper answers %q, want %s", strings.SplitN(srvr, "\n", 2)[0], want)
	}
	return nil
}

// ZooKeeperSrvr is a server's answer to "srvr", or "" when it gives none within a second.
func ZooKeeperSrvr(addr string) string { return fourLetter(addr, "srvr") }

// fourLetter asks a server one of ZooKeeper's four-letter words.
func fourLetter(addr, word string) string {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	conn.Write([]byte(word))
	b, _ := io.ReadAll(io.LimitReader(conn, 4096))
	return string(b)
}

// Stop kills the server.
func (z *ZooKeeper) Stop() {
	if z.cmd != nil && z.cmd.Process != nil {
		z.cmd.Process.Kill()
		z.cmd.Wait()
		z.cmd = nil
	}
}
