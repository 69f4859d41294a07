package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/midobake/midobake/internal/testenv"
)

// A stand-in package: the real package's name and the files, units and scripts of it that
// matter to midobake. Programs are the standin binary under the real program's name.
type standinPackage struct {
	name     string
	files    map[string]string // path -> content
	configs  map[string]string // path -> content, %config(noreplace) as in the real package
	links    map[string]string // path -> target
	provides []string
	post     string // %post, as the real package does it (enable its service, create identity)
}

const standinBin = "/usr/lib/midobake-lab/standin"

func unit(desc, exec, user string) string {
	u := "[Unit]\nDescription=" + desc + " (midobake lab stand-in)\nAfter=network-online.target\nWants=network-online.target\n\n[Service]\nExecStart=" + exec + "\nRestart=on-failure\nRestartSec=2\n"
	if user != "" {
		u += "User=" + user + "\n"
	}
	return u + "\n[Install]\nWantedBy=multi-user.target\n"
}

// standinPackages are MidoNet 5.2's, ZooKeeper's and DataStax's packages as the lab plays
// them. ZooKeeper is the real one, of the release EL7's clouds run: the 3.4 jar the base
// image holds, run as the MidoNet misc repository's package runs it (its own user, its
// configuration in /etc/zookeeper/zoo.cfg, log4j's in /etc/zookeeper/conf; its JVM compiles
// with C1 only and a serial collector, which starts it sooner under TCG).
func standinPackages() []standinPackage {
	hostID := `[ -s /etc/midonet_host_id.properties ] || echo "host_uuid=$(cat /proc/sys/kernel/random/uuid)" > /etc/midonet_host_id.properties`
	return []standinPackage{
		// Makes a Debian root look like EL7 to rpm: the shell, and the release dnf reads.
		{name: "lab-base", provides: []string{"/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash", "bash", "system-release(releasever) = 7"}},
		{name: "java-1.8.0-openjdk-headless"},
		{name: "nmap-ncat"},
		// The base image has Debian's chrony (chrony.service, alias chronyd.service), as EL7
		// has its own: the package only satisfies the plan's transaction.
		{name: "chrony"},
		{name: "python-midonetclient"},
		{name: "midobake-lab-standin", files: map[string]string{standinBin: "@standin"}},
		{name: "midonet-tools", links: map[string]string{"/usr/bin/mn-conf": standinBin}},
		{name: "midolman",
			files: map[string]string{
				"/usr/lib/systemd/system/midolman.service":     unit("Midolman", standinBin+" midolman", ""),
				"/etc/midolman/midolman-env.sh.compute.medium": "MAX_HEAP_SIZE=2048M\n",
				"/etc/midolman/midolman-env.sh.compute.large":  "MAX_HEAP_SIZE=4096M\n",
				"/etc/midolman/midolman-env.sh.gateway.medium": "MAX_HEAP_SIZE=3072M\n",
				"/etc/midolman/midolman-env.sh.gateway.large":  "MAX_HEAP_SIZE=6144M\n",
			},
			configs: map[string]string{"/etc/midolman/midolman.conf": "[zookeeper]\nzookeeper_hosts = 127.0.0.1:2181\nroot_key = /midonet\n"},
			post:    "systemctl enable midolman.service\n" + hostID},
		{name: "midonet-cluster",
			files: map[string]string{"/usr/lib/systemd/system/midonet-cluster.service": unit("MidoNet Cluster", standinBin+" midonet-cluster", "")},
			configs: map[string]string{"/etc/midonet/midonet.conf": "[zookeeper]\nzookeeper_hosts = 127.0.0.1:2181\nroot_key = /midonet\n",
				"/etc/midonet-cluster/midonet-cluster-env.sh": "MAX_HEAP_SIZE=2048M\nHEAP_NEWSIZE=1024M\n"},
			post: "systemctl enable midonet-cluster.service\n" + hostID},
		{name: "zookeeper",
			files: map[string]string{"/usr/lib/systemd/system/zookeeper.service": unit("ZooKeeper",
				`/usr/bin/java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/log4j-1.2.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-log4j12.jar org.apache.zookeeper.server.quorum.QuorumPeerMain /etc/zookeeper/zoo.cfg`, "zookeeper"),
				"/etc/zookeeper/conf/log4j.properties": "log4j.rootLogger=INFO, CONSOLE\nlog4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender\nlog4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout\nlog4j.appender.CONSOLE.layout.ConversionPattern=%-5p [%t:%C{1}@%L] - %m%n\n"},
			configs: map[string]string{"/etc/zookeeper/zoo.cfg": "tickTime=2000\ndataDir=/var/lib/zookeeper/data\nclientPort=2181\n"},
			post: "getent group zookeeper >/dev/null || groupadd -r zookeeper\n" +
				"getent passwd zookeeper >/dev/null || useradd -r -M -d /var/lib/zookeeper -g zookeeper -s /sbin/nologin zookeeper\n" +
				"systemctl enable zookeeper.service\nmkdir -p /var/lib/zookeeper/data && chown -R zookeeper:zookeeper /var/lib/zookeeper"},
		// As DataStax's RPM: its scriptlets create the cassandra user, which owns its data
		// (and, through the hook, /var/run/cassandra) and runs the service.
		{name: "dsc22",
			files: map[string]string{"/usr/lib/systemd/system/cassandra.service": unit("Cassandra", standinBin+" cassandra", "cassandra")},
			configs: map[string]string{"/etc/cassandra/conf/cassandra.yaml": "cluster_name: 'Test Cluster'\nlisten_address: localhost\nrpc_address: localhost\n" +
				"seed_provider:\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n    parameters:\n      - seeds: \"127.0.0.1\"\n"},
			post: "getent group cassandra >/dev/null || groupadd -r cassandra\n" +
				"getent passwd cassandra >/dev/null || useradd -r -M -d /var/lib/cassandra -g cassandra -s /sbin/nologin cassandra\n" +
				"systemctl enable cassandra.service\nmkdir -p /var/lib/cassandra/data/system && chown -R cassandra:cassandra /var/lib/cassandra"},
	}
}

var (
	repoOnce sync.Once
	repoDir  string
	repoErr  error
)

// repoKeyName is the public key of the lab's repository, served beside its packages: every
// package is signed, and the cloud's repositories check signatures as the real ones do.
const repoKeyName = "RPM-GPG-KEY-lab"

// standinRepo builds the stand-in RPMs, the midobake RPM (make rpm), all signed with a key of
// the lab's own, and a yum repository of them, once per test binary.
func standinRepo(t *testing.T) string {
	t.Helper()
	testenv.Need(t, "createrepo_c", "apt-get install createrepo-c")
	testenv.Need(t, "gpg", "apt-get install gnupg")
	// Built under the test binary's own directory: a test's TempDir goes with that test,
	// and the repository serves every test of the run.
	repoOnce.Do(func() {
		dir := filepath.Join(binDir, "standin-repo")
		if repoErr = os.MkdirAll(dir, 0o755); repoErr == nil {
			repoDir, repoErr = buildRepo(dir)
		}
	})
	if repoErr != nil {
		t.Fatalf("stand-in repository: %v", repoErr)
	}
	return repoDir
}

func buildRepo(work string) (string, error) {
	root := repoRoot
	sh := func(dir string, env []string, name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return nil
	}
	repo := filepath.Join(work, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return "", err
	}
	// The signing key: RSA, which every rpm verifies; no passphrase (a test key).
	gnupg, key := filepath.Join(work, "gnupg"), filepath.Join(work, "signing-key.asc")
	if err := os.MkdirAll(gnupg, 0o700); err != nil {
		return "", err
	}
	gpg := func(out string, args ...string) error {
		cmd := exec.Command("gpg", append([]string{"--batch", "--homedir", gnupg}, args...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		if out == "" {
			return nil
		}
		return os.WriteFile(out, b, 0o600)
	}
	if err := gpg("", "--passphrase", "", "--quick-gen-key", "midobake lab <lab@midobake.invalid>", "rsa2048", "sign", "never"); err != nil {
		return "", err
	}
	if err := gpg(key, "--armor", "--export-secret-keys"); err != nil {
		return "", err
	}
	if err := gpg(filepath.Join(repo, repoKeyName), "--armor", "--export"); err != nil {
		return "", err
	}
	if err := sh(root, nil, "make", "rpm", "MIDOBAKE_RPM_KEY="+key); err != nil { // bin/midobake-*.rpm and bin/nfpm
		return "", err
	}
	rpms, _ := filepath.Glob(filepath.Join(root, "bin", "midobake-*.rpm"))
	for _, r := range rpms {
		if err := sh(root, nil, "cp", r, repo); err != nil {
			return "", err
		}
	}
	bin := filepath.Join(work, "standin")
	if err := sh(root, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-o", bin, "./test/lab/standin"); err != nil {
		return "", err
	}
	for _, p := range standinPackages() {
		dir := filepath.Join(work, p.name)
		var y strings.Builder
		fmt.Fprintf(&y, "name: %s\narch: noarch\nplatform: linux\nversion: 5.2.0\nrelease: 1\nmaintainer: midobake lab\ndescription: stand-in for %s (midobake lab)\nlicense: MPL-2.0\n", p.name, p.name)
		fmt.Fprintf(&y, "rpm:\n  signature:\n    key_file: %s\n", key)
		if len(p.provides) > 0 {
			y.WriteString("provides:\n")
			for _, pr := range p.provides {
				fmt.Fprintf(&y, "  - %q\n", pr)
			}
		}
		if p.name != "lab-base" {
			y.WriteString("depends:\n  - lab-base\n")
			if p.name == "midolman" || p.name == "midonet-cluster" || p.name == "midonet-tools" || p.name == "dsc22" {
				y.WriteString("  - midobake-lab-standin\n")
			}
		}
		y.WriteString("contents:\n")
		n := 0
		add := func(path, content, typ string, mode string) error {
			src := filepath.Join(dir, fmt.Sprintf("f%d", n))
			n++
			if content == "@standin" {
				src = bin
			} else if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			} else if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(&y, "  - src: %s\n    dst: %s\n    file_info: {mode: %s}\n", src, path, mode)
			if typ != "" {
				fmt.Fprintf(&y, "    type: %s\n", typ)
			}
			return nil
		}
		for _, path := range sortedKeys(p.files) {
			mode := "0644"
			if p.files[path] == "@standin" {
				mode = "0755"
			}
			if err := add(path, p.files[path], "", mode); err != nil {
				return "", err
			}
		}
		for _, path := range sortedKeys(p.configs) {
			if err := add(path, p.configs[path], "config|noreplace", "0644"); err != nil {
				return "", err
			}
		}
		for _, path := range sortedKeys(p.links) {
			fmt.Fprintf(&y, "  - src: %s\n    dst: %s\n    type: symlink\n", p.links[path], path)
		}
		if n == 0 && len(p.links) == 0 {
			y.WriteString("  []\n")
		}
		if p.post != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", err
			}
			post := filepath.Join(dir, "post.sh")
			if err := os.WriteFile(post, []byte("#!/bin/sh\n"+p.post+"\n"), 0o755); err != nil {
				return "", err
			}
			fmt.Fprintf(&y, "scripts:\n  postinstall: %s\n", post)
		}
		cfg := filepath.Join(work, p.name+".yaml")
		if err := os.WriteFile(cfg, []byte(strings.Replace(y.String(), "contents:\n  []\n", "contents: []\n", 1)), 0o644); err != nil {
			return "", err
		}
		if err := sh(root, nil, filepath.Join(root, "bin", "nfpm"), "package", "-f", cfg, "-p", "rpm", "-t", repo+"/"); err != nil {
			return "", err
		}
	}
	if err := sh(repo, nil, "createrepo_c", "--quiet", "."); err != nil {
		return "", err
	}
	return repo, nil
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
