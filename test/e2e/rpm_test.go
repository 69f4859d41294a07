package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/internal/version"
	"github.com/midobake/midobake/site"
)

// installYum34 makes a root's yum EL7's yum 3.4 (test/yum34.sh, over the root's dnf).
func installYum34(t *testing.T, root string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "test", "yum34.sh"))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, "usr/bin/yum")) // a link to dnf: writing through it would replace dnf
	if err := os.WriteFile(filepath.Join(root, "usr/bin/yum"), b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestPlainImageInstallsFromFullUserData is the plain-image path's package transaction: the
// repositories and packages of an NC's full user-data, with the midobake RPM that "make rpm"
// builds published beside the stand-in MidoNet packages, install in one dnf transaction, and
// the hook they install runs.
func TestPlainImageInstallsFromFullUserData(t *testing.T) {
	rootfs(t)
	repoRoot := testenv.RepoRoot(t)
	// Without a key make rpm refuses: yum would refuse the package from a repository that
	// checks signatures. This test's repository does not (the lab proves signed packages).
	if out, err := exec.Command("make", "-C", repoRoot, "rpm").CombinedOutput(); err == nil || !strings.Contains(string(out), "make rpm: no MIDOBAKE_RPM_KEY") {
		t.Errorf("make rpm without a key: %v\n%s", err, out)
	}
	if out, err := exec.Command("make", "-C", repoRoot, "rpm", "MIDOBAKE_RPM_UNSIGNED=1").CombinedOutput(); err != nil {
		t.Fatalf("make rpm: %v\n%s", err, out)
	}
	rpms, _ := filepath.Glob(filepath.Join(repoRoot, "bin", "midobake-"+version.Version+"-1.*.rpm"))
	if len(rpms) != 1 {
		t.Fatalf("make rpm made %v", rpms)
	}
	cloudFile, _ := bakeCloud(t)
	out := renderTo(t, cloudFile)
	ud, _ := os.ReadFile(filepath.Join(out, "profiles", "nc", "user-data.full.yaml"))
	var doc struct {
		WriteFiles []struct{ Path, Content string } `yaml:"write_files"`
		Packages   []string
	}
	if err := yaml.Unmarshal(ud, &doc); err != nil {
		t.Fatal(err)
	}

	root := bakeRoot(t, "plain")
	repo := filepath.Join(root, "srv", "repo")
	os.MkdirAll(repo, 0o755)
	standin := standinRepo(t)
	cp := exec.Command("sh", "-c", `cp "$1"/*.rpm "$2" && rm -f "$2/base.rpm" && cp "$1/base.rpm" "$3/tmp/" && cp "$4" "$2"`, "sh", standin, repo, root, rpms[0])
	if o, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, o)
	}
	for _, f := range doc.WriteFiles {
		if strings.HasPrefix(f.Path, "/etc/yum.repos.d/") {
			os.MkdirAll(filepath.Join(root, "etc/yum.repos.d"), 0o755)
			os.WriteFile(filepath.Join(root, f.Path), []byte(f.Content), 0o644)
		}
	}
	for _, f := range doc.WriteFiles {
		if f.Path == site.Path {
			os.MkdirAll(filepath.Join(root, "etc/midobake"), 0o755)
			os.WriteFile(filepath.Join(root, f.Path), []byte(f.Content), 0o600)
		}
	}
	installYum34(t, root)
	// cloud-init's package module runs "yum -t -y install" (19.4's rhel distro); the repository
	// lacks midonet-tools at first: EL7's yum installs the rest and exits 0, and the hook's
	// preflight stops the host, naming it. Published, the packages install and preflight passes.
	script := `set -e
mount -t proc proc "$ROOT/proc"
trap 'umount "$ROOT/proc"' EXIT
held=$(mktemp -d) && mv "$ROOT"/srv/repo/midonet-tools-[0-9]*.rpm "$held/"
chroot "$ROOT" createrepo_c --quiet /srv/repo
chroot "$ROOT" rpm -i --quiet /tmp/base.rpm
chroot "$ROOT" yum -t -y install "$@"
echo "yum exit $?"
chroot "$ROOT" /usr/bin/midobake preflight --site ` + site.Path + ` --host node1 && exit 1
mv "$held"/*.rpm "$ROOT/srv/repo/" && chroot "$ROOT" createrepo_c --quiet /srv/repo && chroot "$ROOT" yum -q clean metadata
chroot "$ROOT" yum -t -y install "$@"
chroot "$ROOT" rpm -q "$@"
chroot "$ROOT" /usr/bin/midobake preflight --site ` + site.Path + ` --host node1 | grep -E '^ +ok +packages '
chroot "$ROOT" /usr/bin/midobake version`
	cmd := exec.Command("unshare", append([]string{"--mount", "--fork", "bash", "-c", script, "install"}, doc.Packages...)...)
	cmd.Env = append(os.Environ(), "ROOT="+root)
	o, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the full user-data's packages do not install: %v\n%s", err, o)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/share/licenses/midobake/LICENSE")); err != nil {
		t.Errorf("the RPM declares MPL-2.0 but carries no license text: %v", err)
	}
	if !strings.Contains(string(o), "No package midonet-tools available.") || !strings.Contains(string(o), "yum exit 0") ||
		!regexp.MustCompile(`ERROR +packages +not installed: midonet-tools`).Match(o) {
		t.Errorf("EL7's yum without midonet-tools, then the hook's preflight:\n%s", o)
	}
	if !strings.Contains(string(o), "midobake "+version.Version+"\n") || !strings.Contains(string(o), "midobake-"+version.Version+"-1") {
		t.Errorf("the hook from the RPM did not run:\n%s", o)
	}
	// The RPM's payload, as installed: it must start on EL7 too.
	assertRunsOnEL7(t, filepath.Join(root, "usr", "bin", "midobake"))
	if !strings.Contains(strings.Join(doc.Packages, " "), "midobake") {
		t.Errorf("the full user-data does not install the hook: %v", doc.Packages)
	}
}
