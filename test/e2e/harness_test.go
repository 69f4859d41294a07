// Package e2e holds the end-to-end tests: generated output through the real cloud-init, the
// real packer and the real midobake binary, in a Debian root file system built by rootfs.sh.
// They need root (namespaces, overlay mounts, chroot); .ci/run installs their tools.
package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/midobake/midobake/internal/testenv"
)

var binDir string // the midobake binary built for these tests

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "midobake-e2e-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	// The binary a user gets: "make build", as the README says (static, for EL7).
	if out, err := exec.Command("make", "-C", "../..", "--no-print-directory", "build", "BIN="+dir).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	for _, r := range bakeRoots {
		os.RemoveAll(r)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func midobakeBin() string { return filepath.Join(binDir, "midobake") }

// rootfs returns the unpacked test root file system (Debian 12's, with cloud-init 22.4 and
// dnf/rpm), building and caching its tarball under build/_cache on first use.
func rootfs(t *testing.T) string { return unpackedRoot(t, "bookworm") }

// rootfsWithoutDefer is Debian 11's root with its cloud-init 20.4.1, which, as EL7's 19.4,
// writes every write_files entry at init and knows no defer.
func rootfsWithoutDefer(t *testing.T) string { return unpackedRoot(t, "bullseye") }

// roots are the unpacked roots by suite: each built (rootfs.sh) and unpacked once per run.
var roots = struct {
	sync.Mutex
	m map[string]*root
}{m: map[string]*root{}}

type root struct {
	once sync.Once
	dir  string
	err  error
}

func unpackedRoot(t *testing.T, suite string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "end-to-end tests need root (namespaces, overlay mounts, chroot)")
	}
	for _, tool := range []string{"debootstrap", "zstd", "unshare", "ip"} {
		testenv.Need(t, tool, "apt-get install debootstrap zstd util-linux iproute2")
	}
	roots.Lock()
	r := roots.m[suite]
	if r == nil {
		r = &root{}
		roots.m[suite] = r
	}
	roots.Unlock()
	r.once.Do(func() {
		cache := filepath.Join(testenv.RepoRoot(t), "build", "_cache") // "_": invisible to go ./...
		out, err := exec.Command("bash", "rootfs.sh", cache, suite).Output()
		if err != nil {
			r.err = fmt.Errorf("rootfs.sh %s: %v", suite, err)
			if ee, ok := err.(*exec.ExitError); ok {
				r.err = fmt.Errorf("rootfs.sh %s: %v\n%s", suite, err, ee.Stderr)
			}
			return
		}
		r.dir = filepath.Join(binDir, "rootfs-"+suite)
		os.MkdirAll(r.dir, 0o755)
		if out, err := exec.Command("tar", "--zstd", "-C", r.dir, "-xf", strings.TrimSpace(string(out))).CombinedOutput(); err != nil {
			r.err = fmt.Errorf("unpack: %v\n%s", err, out)
		}
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.dir
}

// stubScript stands in for systemctl, mn-conf, the hook and the like: it logs its name and
// arguments to /var/log/midobake-stubs.log in the root it runs in.
const stubScript = `#!/bin/sh
echo "$(basename "$0") $*" >> /var/log/midobake-stubs.log
exit 0
`

// stubs makes a directory of stand-in commands.
func stubs(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(stubScript), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// ciResult is what one cloud-init run left behind.
type ciResult struct {
	upper  string              // what cloud-init changed, as an overlay upper directory
	lower  string              // the root file system it ran on
	errors map[string][]string // stage -> errors, from status.json
	output string
	stubs  []string // commands run, in order
	err    error
}

// ok reports whether every stage finished without errors.
func (r ciResult) ok() bool {
	for _, e := range r.errors {
		if len(e) > 0 {
			return false
		}
	}
	return r.err == nil && len(r.errors) >= 4
}

// view returns a file as the booted host sees it (changed by cloud-init, else from the image)
// and its mode.
func (r ciResult) view(path string) (string, os.FileMode, bool) {
	for _, dir := range []string{r.upper, r.lower} {
		p := filepath.Join(dir, path)
		if st, err := os.Stat(p); err == nil {
			b, _ := os.ReadFile(p)
			return string(b), st.Mode().Perm(), true
		}
	}
	return "", 0, false
}

func (r ciResult) file(path string) string {
	b, _ := os.ReadFile(filepath.Join(r.upper, path))
	return string(b)
}

// runCloudInit runs cloud-init's four stages on a seed (user-data, meta-data) or, with
// cmdline, on what the NoCloud-net datasource fetches.
func runCloudInit(t *testing.T, seed map[string][]byte, env ...string) ciResult {
	t.Helper()
	return runCloudInitOn(t, rootfs(t), seed, env...)
}

// runCloudInitOn is runCloudInit over another root file system (a baked image).
func runCloudInitOn(t *testing.T, root string, seed map[string][]byte, env ...string) ciResult {
	t.Helper()
	work := t.TempDir()
	cmd := exec.Command("bash", "cloudinit.sh")
	cmd.Env = append(os.Environ(), "ROOTFS="+root, "WORK="+work,
		"STUBS="+stubs(t, "systemctl", "mn-conf", "midobake", "yum", "dnf"))
	if seed != nil {
		sd := filepath.Join(work, "seed")
		os.MkdirAll(sd, 0o755)
		for name, data := range seed {
			os.WriteFile(filepath.Join(sd, name), data, 0o644)
		}
		cmd.Env = append(cmd.Env, "SEED="+sd)
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	r := ciResult{upper: filepath.Join(work, "upper"), lower: root, err: err}
	log, _ := os.ReadFile(filepath.Join(work, "output.log"))
	r.output = string(out) + string(log)
	var status struct {
		V1 map[string]json.RawMessage `json:"v1"`
	}
	data, _ := os.ReadFile(filepath.Join(work, "status.json"))
	json.Unmarshal(data, &status)
	r.errors = map[string][]string{}
	for stage, raw := range status.V1 {
		var s struct {
			Errors []string `json:"errors"`
		}
		if json.Unmarshal(raw, &s) == nil && strings.HasPrefix(stage, "init") || strings.HasPrefix(stage, "modules-") {
			r.errors[stage] = s.Errors
		}
	}
	if s := strings.TrimSpace(r.file("var/log/midobake-stubs.log")); s != "" {
		r.stubs = strings.Split(s, "\n")
	}
	return r
}
