package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/internal/version"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
)

var (
	packerOnce sync.Once
	packerPath string
	pluginDir  string
	packerErr  error
)

// packerEnv builds Packer 1.9.4 from tools/packer (cached in build/_cache) and installs the
// midobake plugin where Packer looks for it, as required_plugins names it.
func packerEnv(t *testing.T) (packer, pluginPath string) {
	t.Helper()
	rootfs(t) // the same requirements: root, debootstrap
	testenv.Need(t, "sshd", "apt-get install openssh-server")
	testenv.Need(t, "ssh-keygen", "apt-get install openssh-client")
	packerOnce.Do(func() {
		repo := testenv.RepoRoot(t)
		packerPath = filepath.Join(repo, "build", "_cache", "packer-v1.9.4")
		if _, err := os.Stat(packerPath); err != nil {
			cmd := exec.Command("go", "build", "-o", packerPath+".tmp", "github.com/hashicorp/packer")
			cmd.Dir = filepath.Join(repo, "tools", "packer")
			if out, err := cmd.CombinedOutput(); err != nil {
				packerErr = fmt.Errorf("building packer: %v\n%s", err, out)
				return
			}
			os.Rename(packerPath+".tmp", packerPath)
		}
		// The plugin a user gets: "make plugin", into a plugin directory of the tests' own.
		pluginDir = filepath.Join(binDir, "plugins")
		if out, err := exec.Command("make", "-C", repo, "--no-print-directory", "plugin", "PACKER_PLUGIN_PATH="+pluginDir).CombinedOutput(); err != nil {
			packerErr = fmt.Errorf("make plugin: %v\n%s", err, out)
			return
		}
	})
	if packerErr != nil {
		t.Fatal(packerErr)
	}
	return packerPath, pluginDir
}

// bakeCloud is the example cloud with every repository on the stand-in repository that the
// bake roots serve at /srv/repo.
var (
	bakeCloudOnce sync.Once
	bakeCloudPath string
)

func bakeCloud(t *testing.T) (string, *cloud.Cloud) {
	t.Helper()
	// The stand-ins are unsigned here (the lab, test/lab, proves signed repositories), so
	// checks are off, as the description must say explicitly.
	example := string(cloud.Example())
	i := strings.Index(example, "  repos:")
	j := strings.Index(example, "hosts:")
	if i < 0 || j < i {
		t.Fatal("the example has no repos section before hosts")
	}
	src := example[:i] + `  repos:
    midonet: {baseurl: "file:///srv/repo/", gpgcheck: false}
    midonet-misc: {baseurl: "file:///srv/repo/", gpgcheck: false}
    datastax: {baseurl: "file:///srv/repo/", gpgcheck: false}
    midobake: {baseurl: "file:///srv/repo/", gpgcheck: false}
` + example[j:]
	bakeCloudOnce.Do(func() {
		bakeCloudPath = filepath.Join(binDir, "bake-cloud.yaml")
		os.WriteFile(bakeCloudPath, []byte(src), 0o644)
	})
	path := bakeCloudPath
	c, rep := cloud.Load(path, []byte(src))
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	return path, c
}

func packerCmd(t *testing.T, packer, plugins string, args ...string) (string, error) {
	cmd := exec.Command(packer, args...)
	cmd.Env = append(os.Environ(), "PACKER_PLUGIN_PATH="+plugins, "CHECKPOINT_DISABLE=1", "PACKER_NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// renderTo runs the real "midobake render" and returns the output directory.
func renderTo(t *testing.T, cloudFile string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if b, err := exec.Command(midobakeBin(), "render", "-f", cloudFile, "--out-dir", out).CombinedOutput(); err != nil {
		t.Fatalf("render: %v\n%s", err, b)
	}
	return out
}

// TestPackerValidate: every generated template passes packer validate and packer fmt -check
// with the plugin installed; a wrong profile or a missing cloud file fails validate clearly.
func TestPackerValidate(t *testing.T) {
	packer, plugins := packerEnv(t)
	cloudFile, _ := bakeCloud(t)
	out := renderTo(t, cloudFile)
	dir := filepath.Join(out, "packer")
	key := filepath.Join(t.TempDir(), "id")
	if o, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, o)
	}
	vars := []string{"-var", "cloud_file=" + cloudFile, "-var", "hook_binary=" + midobakeBin(), "-var", "ssh_host=127.0.0.1", "-var", "ssh_private_key_file=" + key}
	if o, err := packerCmd(t, packer, plugins, append(append([]string{"validate"}, vars...), dir)...); err != nil {
		t.Fatalf("packer validate: %v\n%s", err, o)
	}
	if o, err := packerCmd(t, packer, plugins, "fmt", "-check", dir); err != nil {
		t.Errorf("packer fmt -check: %v\n%s", err, o)
	}
	nc := filepath.Join(dir, "nc.pkr.hcl")
	good, _ := os.ReadFile(nc)
	os.WriteFile(nc, []byte(strings.Replace(string(good), `profile       = "nc"`, `profile       = "gateway"`, 1)), 0o644)
	o, err := packerCmd(t, packer, plugins, append(append([]string{"validate"}, vars...), dir)...)
	o = strings.Join(strings.Fields(o), " ") // packer wraps long messages
	if err == nil || !strings.Contains(o, `profile "gateway" is not a profile of`) || !strings.Contains(o, "its profiles are: clc+cassandra+zookeeper, nc, ufs") {
		t.Errorf("wrong profile: %v\n%s", err, o)
	}
	os.WriteFile(nc, good, 0o644)
	// No default for the machine to bake: a forgotten ssh_host must not bake this machine.
	o, err = packerCmd(t, packer, plugins, "validate", "-var", "cloud_file="+cloudFile, "-var", "hook_binary="+midobakeBin(), "-var", "ssh_private_key_file="+key, dir)
	if o = strings.Join(strings.Fields(o), " "); err == nil || !strings.Contains(o, `"ssh_host"`) {
		t.Errorf("no ssh_host: %v\n%s", err, o)
	}
	// Another cloud file than the render's: the builds refuse it, naming both hashes.
	other := filepath.Join(t.TempDir(), "other.yaml")
	src, _ := os.ReadFile(cloudFile)
	os.WriteFile(other, append(src, []byte("# edited after the render\n")...), 0o644)
	o, err = packerCmd(t, packer, plugins, append(append([]string{"validate"}, vars...), "-var", "cloud_file="+other, dir)...)
	if o = strings.Join(strings.Fields(o), " "); err == nil || !strings.Contains(o, "but these builds were rendered from a cloud file with sha256") {
		t.Errorf("another cloud file: %v\n%s", err, o)
	}
	o, err = packerCmd(t, packer, plugins, "validate", "-var", "cloud_file=/nonexistent/cloud.yaml", "-var", "hook_binary="+midobakeBin(), "-var", "ssh_host=127.0.0.1", "-var", "ssh_private_key_file="+key, dir)
	o = strings.Join(strings.Fields(o), " ")
	if err == nil || !strings.Contains(o, "/nonexistent/cloud.yaml: no such file or directory") {
		t.Errorf("missing cloud file: %v\n%s", err, o)
	}
}

// bakeRoots are the roots baked so far, removed when the tests end.
var (
	bakeMu    sync.Mutex
	bakeRoots []string
)

// bakeBase holds the roots baked into. sshd's ChrootDirectory wants every component of its
// path root-owned and writable by no one else, which the checkout's path (under /tmp, say)
// need not be: a fixed directory under /var/lib is.
const bakeBase = "/var/lib/midobake-e2e"

// bakeRoot unpacks a fresh root to bake into.
func bakeRoot(t *testing.T, name string) string {
	t.Helper()
	base := bakeBase
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	dir, err := os.MkdirTemp(base, name+"-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	bakeMu.Lock()
	bakeRoots = append(bakeRoots, dir)
	bakeMu.Unlock()
	tarball := filepath.Join(testenv.RepoRoot(t), "build", "_cache", "rootfs.tar.zst")
	if out, err := exec.Command("tar", "--zstd", "-C", dir, "-xf", tarball).CombinedOutput(); err != nil {
		t.Fatalf("unpack: %v\n%s", err, out)
	}
	return dir
}

func standinRepo(t *testing.T) string {
	t.Helper()
	cache := filepath.Join(testenv.RepoRoot(t), "build", "_cache")
	repo := filepath.Join(cache, "standin-repo")
	if out, err := exec.Command("bash", "standin-repo.sh", filepath.Join(cache, "rootfs.tar.zst"), repo).CombinedOutput(); err != nil {
		t.Fatalf("standin-repo.sh: %v\n%s", err, out)
	}
	return repo
}

type baked struct{ root, manifests string }

// bakes caches one bake per cloud file and profile: the build test and the parity test
// share them.
var bakes = map[string]baked{}

// bake runs a real packer build of one profile into a fresh root and returns the root.
func bake(t *testing.T, cloudFile, packerDir, profile string) (root, manifests string) {
	t.Helper()
	key := cloudFile + "|" + profile
	bakeMu.Lock()
	b, ok := bakes[key]
	bakeMu.Unlock()
	if ok {
		return b.root, b.manifests
	}

	root, manifests, out, err := packerBuild(t, cloudFile, packerDir, profile)
	if err != nil {
		t.Fatalf("packer build of %s: %v\n%s", profile, err, out)
	}
	if !strings.Contains(string(out), "midobake: profile "+profile+" baked") {
		t.Fatalf("the build did not run the provisioner:\n%s", out)
	}
	bakeMu.Lock()
	bakes[key] = baked{root, manifests} // only a good bake is shared
	bakeMu.Unlock()
	return root, manifests
}

// packerBuild runs bake.sh (a real packer build of one profile into a fresh root) with the
// extra environment given, and returns the root, the manifests' directory and the output.
func packerBuild(t *testing.T, cloudFile, packerDir, profile string, env ...string) (root, manifests, out string, err error) {
	t.Helper()
	packer, plugins := packerEnv(t)
	root = bakeRoot(t, emit.BuildName(profile))
	work := t.TempDir()
	manifests = filepath.Join(work, "manifests")
	os.MkdirAll(manifests, 0o755)
	cmd := exec.Command("bash", "bake.sh", "-var", "cloud_file="+cloudFile, "-var", "hook_binary="+midobakeBin(), "-var", "manifest_dir="+manifests)
	cmd.Env = append(append(os.Environ(), "ROOT="+root, "REPO="+standinRepo(t), "PACKER="+packer, "PACKER_DIR="+packerDir,
		"PACKER_PLUGIN_PATH="+plugins, "WORK="+work, "ONLY="+emit.BuildName(profile)), env...)
	b, err := cmd.CombinedOutput()
	if err != nil {
		sshd, _ := os.ReadFile(filepath.Join(work, "sshd.log"))
		b = append(b, "\nsshd:\n"+string(sshd)...)
	}
	return root, manifests, string(b), err
}

// TestBakeFailsOnAMissingPackage: the tests' yum is EL7's yum 3.4, which skips a package its
// repositories lack and exits 0; a bake with one of MidoNet's packages missing from the
// repository must fail all the same, naming it, instead of baking an image without it.
func TestBakeFailsOnAMissingPackage(t *testing.T) {
	cloudFile, _ := bakeCloud(t)
	out := renderTo(t, cloudFile)
	root, _, o, err := packerBuild(t, cloudFile, filepath.Join(out, "packer"), "nc", "DROP=midonet-tools")
	if err == nil || strings.Contains(o, "midobake: profile nc baked") {
		t.Fatalf("the bake without midonet-tools succeeded:\n%s", o)
	}
	if !strings.Contains(o, "No package midonet-tools available.") || !strings.Contains(o, "Not tolerating missing names on install") {
		t.Errorf("the bake's failure does not name the missing package:\n%s", o)
	}
	// The harness's yum is yum 3.4's: without the setting it installs what it has and exits 0.
	yum := func(args ...string) (string, error) {
		script := `mount -t proc proc "$ROOT/proc" && trap 'umount "$ROOT/proc"' EXIT && chroot "$ROOT" yum "$@"`
		cmd := exec.Command("unshare", append([]string{"--mount", "--fork", "bash", "-c", script, "yum"}, args...)...)
		cmd.Env = append(os.Environ(), "ROOT="+root)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	if o, err := yum("-y", "install", "midolman", "midonet-tools"); err != nil || !strings.Contains(o, "No package midonet-tools available.") {
		t.Errorf("yum 3.4 installs what it has and exits 0: %v\n%s", err, o)
	}
	if o, err := exec.Command("chroot", root, "rpm", "-q", "midolman").CombinedOutput(); err != nil {
		t.Errorf("yum 3.4 did not install the package it had: %v %s", err, o)
	}
	if o, err := yum("-y", "install", "midonet-tools"); err == nil || !strings.Contains(o, "Error: Nothing to do") {
		t.Errorf("yum 3.4 with nothing it has to install: %v\n%s", err, o)
	}
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

// TestPackerBuild bakes every profile of the example cloud with the real packer, the plugin
// and a real dnf/rpm transaction, then checks the image: repositories, packages, role files,
// the hook and its unit, the services disabled, and no host identity left.
func TestPackerBuild(t *testing.T) {
	cloudFile, c := bakeCloud(t)
	out := renderTo(t, cloudFile)
	tpl, _ := roles.NewTemplates("")
	plans, _ := roles.Plans(roles.Resolve(c), tpl)
	input, _ := os.ReadFile(cloudFile)
	inputSum := sha256.Sum256(input)
	hook, _ := os.ReadFile(midobakeBin())
	for _, plan := range plans {
		t.Run(plan.Profile, func(t *testing.T) {
			root, manifests := bake(t, cloudFile, filepath.Join(out, "packer"), plan.Profile)
			for _, f := range plan.Files {
				b, err := os.ReadFile(filepath.Join(root, f.Path))
				st, _ := os.Stat(filepath.Join(root, f.Path))
				if err != nil || string(b) != string(f.Content) || st.Mode().Perm() != f.Mode {
					t.Errorf("%s: not as planned (%v)", f.Path, err)
				}
			}
			rpmq := exec.Command("chroot", append([]string{root, "rpm", "-q"}, plan.Packages...)...)
			if o, err := rpmq.CombinedOutput(); err != nil {
				t.Errorf("packages not installed: %v\n%s", err, o)
			}
			if b, _ := os.ReadFile(filepath.Join(root, roles.HookPath)); string(b) != string(hook) {
				t.Error("the hook binary is not installed")
			}
			if st, err := os.Stat(filepath.Join(root, roles.HookPath)); err != nil || st.Mode().Perm() != 0o755 {
				t.Errorf("hook mode: %v", err)
			}
			wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
			if !exists(filepath.Join(wants, "midobake-firstboot.service")) {
				t.Error("midobake-firstboot.service is not enabled")
			}
			log, _ := os.ReadFile(filepath.Join(root, "var/log/systemctl.log"))
			for _, u := range plan.Units {
				if exists(filepath.Join(wants, u+".service")) {
					t.Errorf("%s is still enabled", u)
				}
				// midobake's own enrolment unit comes with no package to enable it.
				if u != roles.UnitEnrol && !strings.Contains(string(log), "systemctl enable "+u) {
					t.Errorf("the stand-in package did not enable %s (the test would prove nothing):\n%s", u, log)
				}
			}
			for _, p := range []string{roles.HostIDPath, "var/lib/zookeeper/data/myid", "var/lib/zookeeper/data/version-2",
				"var/lib/cassandra/data", "var/lib/cloud/instance", "var/lib/cloud/instances", "var/lib/midobake/state.json"} {
				if exists(filepath.Join(root, p)) {
					t.Errorf("host identity left in the image: %s", p)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(root, "etc/machine-id")); len(b) != 0 {
				t.Errorf("machine-id not emptied: %q", b)
			}
			if b, err := os.ReadFile(filepath.Join(root, roles.DBusMachineIDPath)); err != nil || len(b) != 0 {
				t.Errorf("D-Bus's machine-id not emptied (systemd 219 would copy it into every clone's /etc/machine-id): %q, %v", b, err)
			}
			var m struct {
				Builds []struct {
					CustomData map[string]string `json:"custom_data"`
				} `json:"builds"`
			}
			b, err := os.ReadFile(filepath.Join(manifests, emit.BuildName(plan.Profile)+".json"))
			if err != nil || json.Unmarshal(b, &m) != nil || len(m.Builds) != 1 {
				t.Fatalf("manifest: %v %s", err, b)
			}
			cd := m.Builds[0].CustomData
			if cd["cloud_sha256"] != hex.EncodeToString(inputSum[:]) || cd["midobake_version"] != version.Version || cd["profile"] != plan.Profile {
				t.Errorf("manifest custom_data: %v", cd)
			}
		})
	}
}

// TestBakedAndPlainImagesAgree: a baked image given the baked user-data ends with the same
// MidoNet configuration as a plain image given the full user-data, through real cloud-init.
func TestBakedAndPlainImagesAgree(t *testing.T) {
	cloudFile, c := bakeCloud(t)
	out := renderTo(t, cloudFile)
	tpl, _ := roles.NewTemplates("")
	plans, _ := roles.Plans(roles.Resolve(c), tpl)
	for _, plan := range plans {
		t.Run(plan.Profile, func(t *testing.T) {
			root, _ := bake(t, cloudFile, filepath.Join(out, "packer"), plan.Profile)
			seed := func(mode string) map[string][]byte {
				ud, _ := os.ReadFile(filepath.Join(out, "profiles", plan.Profile, "user-data."+mode+".yaml"))
				md, _ := os.ReadFile(filepath.Join(out, "hosts", plan.Hosts[0], "meta-data"))
				return map[string][]byte{"user-data": ud, "meta-data": md}
			}
			baked := runCloudInitOn(t, root, seed("baked"))
			plain := runCloudInit(t, seed("full"))
			if !baked.ok() || !plain.ok() {
				t.Fatalf("cloud-init errors: baked %v, plain %v\n%s\n%s", baked.errors, plain.errors, baked.output, plain.output)
			}
			for _, f := range append(plan.Files, roles.File{Path: site.Path}) {
				bc, bm, bok := baked.view(f.Path)
				pc, pm, pok := plain.view(f.Path)
				if !bok || !pok || bc != pc || bm != pm {
					t.Errorf("%s differs: baked (%v, %o) plain (%v, %o)", f.Path, bok, bm, pok, pm)
				}
			}
		})
	}
}
