package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStandinPackagesInstall: the stand-in repository installs, in one dnf transaction in the
// base image's root with signature checks on, every package a plan names, under the real
// names, and their %post does what the real packages do (enable their services, create the
// MidoNet host id).
func TestStandinPackagesInstall(t *testing.T) {
	baseDir := base(t)
	repo := standinRepo(t)
	root := filepath.Join(t.TempDir(), "root")
	os.MkdirAll(root, 0o755)
	run(t, "tar", "--zstd", "-C", root, "-xf", filepath.Join(baseDir, "root.tar.zst"))
	run(t, "cp", "-r", repo, filepath.Join(root, "srv-repo"))
	writeFile(t, filepath.Join(root, "etc/yum.repos.d/lab.repo"), "[lab]\nname=lab\nbaseurl=file:///srv-repo/\ngpgcheck=1\ngpgkey=file:///srv-repo/"+repoKeyName+"\n", 0o644)
	run(t, "mount", "-t", "proc", "proc", filepath.Join(root, "proc"))
	defer run(t, "umount", filepath.Join(root, "proc"))
	out := run(t, "chroot", root, "sh", "-c", "rpm -i --nodeps /srv-repo/lab-base-*.rpm && yum -y install dsc22 java-1.8.0-openjdk-headless midolman midonet-cluster midonet-tools nmap-ncat python-midonetclient zookeeper midobake 2>&1")
	t.Log(out)
	for _, p := range []string{"/usr/bin/mn-conf", "/usr/bin/midobake", "/etc/midonet_host_id.properties", "/etc/zookeeper/zoo.cfg",
		"/etc/systemd/system/multi-user.target.wants/midolman.service", "/etc/systemd/system/multi-user.target.wants/zookeeper.service",
		"/etc/systemd/system/multi-user.target.wants/cassandra.service", "/etc/midolman/midolman-env.sh.gateway.large"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if !strings.Contains(out, "Complete!") {
		t.Errorf("dnf did not complete")
	}
	if id := run(t, "chroot", root, "id", "-un", "cassandra"); strings.TrimSpace(id) != "cassandra" {
		t.Errorf("dsc22 made no cassandra user: %q", id)
	}
	if id := run(t, "chroot", root, "id", "-un", "zookeeper"); strings.TrimSpace(id) != "zookeeper" {
		t.Errorf("zookeeper made no zookeeper user: %q", id)
	}
	// The NSDB is EL7's: the image's ZooKeeper is 3.4, and the image's yum is yum 3.4's.
	if jar, err := filepath.EvalSymlinks(filepath.Join(root, "usr/share/java/zookeeper.jar")); err != nil || !strings.HasSuffix(jar, "/zookeeper-3.4.13.jar") {
		t.Errorf("the image's ZooKeeper is %s (%v), want 3.4.13", jar, err)
	}
	if out := run(t, "chroot", root, "sh", "-c", "yum -t -y install midolman no-such-package 2>&1; echo exit $?"); !strings.Contains(out, "No package no-such-package available.") || !strings.Contains(out, "exit 0") {
		t.Errorf("the image's yum is not yum 3.4's (a missing name skipped, exit 0):\n%s", out)
	}
	// rpm checked every package against the lab's key: it was imported, and a package with
	// a signature rpm cannot verify is refused.
	if keys := run(t, "chroot", root, "rpm", "-q", "gpg-pubkey"); !strings.Contains(keys, "gpg-pubkey-") {
		t.Errorf("the repository's key was not imported: %s", keys)
	}
	sig := run(t, "chroot", root, "sh", "-c", "rpm -K /srv-repo/*.rpm")
	if lines := strings.Split(strings.TrimSpace(sig), "\n"); len(lines) < 10 || strings.Count(sig, ": digests signatures OK\n") != len(lines) {
		t.Errorf("the packages are not signed with the lab's key:\n%s", sig)
	}
}
