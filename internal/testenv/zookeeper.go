package testenv

import (
	"fmt"
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

// ZooKeeper is a real ZooKeeper server (Debian's package) started by a test on loopback.
type ZooKeeper struct {
	Port int
	cmd  *exec.Cmd
	cfg  string
}

// NewZooKeeper prepares a private server on a free port; Start runs it. It listens on every
// address, so hosts of a test cloud on 127.0.0.x reach it.
func NewZooKeeper(t testing.TB) *ZooKeeper {
	t.Helper()
	if _, err := os.Stat("/usr/share/java/zookeeper.jar"); err != nil {
		Missing(t, "ZooKeeper is not installed (apt-get install zookeeper)")
	}
	Need(t, "java", "apt-get install default-jre-headless")
	dir := t.TempDir()
	z := &ZooKeeper{Port: FreePort(t), cfg: filepath.Join(dir, "zoo.cfg")}
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	cfg := fmt.Sprintf("tickTime=500\ndataDir=%s/data\nclientPort=%d\nadmin.enableServer=false\n4lw.commands.whitelist=ruok,srvr,stat\n", dir, z.Port)
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

// StartErr is Start for a goroutine other than the test's, where t.Fatal is not allowed.
func (z *ZooKeeper) StartErr() error {
	z.cmd = exec.Command("java", "-Xmx128m", "-cp", "/usr/share/java/zookeeper.jar:/usr/share/java/*",
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", z.cfg)
	z.cmd.Stdout, z.cmd.Stderr = nil, nil
	if err := z.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", z.Port), time.Second); err == nil {
			conn.Write([]byte("ruok"))
			conn.SetReadDeadline(time.Now().Add(time.Second))
			b := make([]byte, 4)
			n, _ := conn.Read(b)
			conn.Close()
			if strings.HasPrefix(string(b[:n]), "imok") {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("ZooKeeper did not answer ruok within 30s")
}

// Stop kills the server.
func (z *ZooKeeper) Stop() {
	if z.cmd != nil && z.cmd.Process != nil {
		z.cmd.Process.Kill()
		z.cmd.Wait()
		z.cmd = nil
	}
}
