package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/internal/testenv"
)

// bin is the midobake binary built once for the tests: they drive the real CLI.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "midobake-cli-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "midobake")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func midobake(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	return runCmd(t, cmd)
}

// runCmd runs a command to its end and returns what it printed and its exit status.
func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// snapshot reads every file under dir, for "nothing changed" checks.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			if link, err := os.Readlink(p); err == nil {
				files[rel] = "symlink to " + link + "\n" // as the golden files record links
				return nil
			}
			b, _ := os.ReadFile(p)
			files[rel] = string(b)
		}
		return nil
	})
	return files
}

func TestRenderEmbeddedExample(t *testing.T) {
	dir := t.TempDir()
	r := midobake(t, dir, "render")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "rendered euca-lab (4 hosts) into out") {
		t.Errorf("stdout: %q", r.stdout)
	}
	for _, p := range []string{
		"profiles/clc+cassandra+zookeeper/user-data.full.yaml", "profiles/clc+cassandra+zookeeper/user-data.baked.yaml",
		"profiles/nc/user-data.full.yaml", "profiles/ufs/user-data.baked.yaml",
		"hosts/node2/meta-data", "hosts/ufs1/user-data", "eucalyptus/network.json", "manifest.json",
	} {
		if _, err := os.Stat(filepath.Join(dir, "out", p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
	// The embedded example is the committed fixture, so its golden files pin this output,
	// which render marks as its own.
	golden := snapshot(t, filepath.Join("..", "..", "fixtures", "golden", "example"))
	got := snapshot(t, filepath.Join(dir, "out"))
	if !strings.HasPrefix(got[emit.MarkerFile], "midobake output directory") {
		t.Errorf("no %s in the output", emit.MarkerFile)
	}
	delete(got, emit.MarkerFile)
	if diff := cmp.Diff(golden, got); diff != "" {
		t.Errorf("render of the embedded example differs from fixtures/golden/example:\n%s", diff)
	}
}

func TestExampleIsTheFixture(t *testing.T) {
	r := midobake(t, t.TempDir(), "example")
	want, _ := os.ReadFile("../../fixtures/valid/example.yaml")
	if r.code != 0 || r.stdout != string(want) {
		t.Errorf("midobake example differs from fixtures/valid/example.yaml (exit %d)", r.code)
	}
}

// TestInvalidInputLeavesOutputUntouched: a broken description fails with a positioned error,
// exit 1, and an earlier output stays byte for byte.
func TestInvalidInputLeavesOutputUntouched(t *testing.T) {
	dir := t.TempDir()
	if r := midobake(t, dir, "render", "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	before := snapshot(t, filepath.Join(dir, "out"))
	bad := filepath.Join(dir, "cloud.yaml")
	os.WriteFile(bad, []byte("version: 1\nname: x\nos: el7\nmidonet: {}\nhosts:\n  - {name: a, adress: 10.0.0.1, roles: [clc, nsdb]}\nnetwork: {Mode: VPCMIDO}\n"), 0o644)
	r := midobake(t, dir, "render", "-f", "cloud.yaml", "--out-dir", "out")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	want := `cloud.yaml:6:15: error: hosts[0].adress: unknown key "adress" (did you mean "address"?)`
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "out is unchanged") {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if diff := cmp.Diff(before, snapshot(t, filepath.Join(dir, "out"))); diff != "" {
		t.Errorf("out changed:\n%s", diff)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("left files behind: %v", entries)
	}
}

// TestRenderReplacesOnlyItsOwnOutput: render never replaces a directory it did not write,
// and re-rendering replaces its own output completely (no stale files).
func TestRenderReplacesOnlyItsOwnOutput(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "docs"), 0o755)
	os.WriteFile(filepath.Join(dir, "docs", "notes.txt"), []byte("mine"), 0o644)
	r := midobake(t, dir, "render", "--out-dir", "docs")
	if r.code != 1 || !strings.Contains(r.stderr, "not a midobake output") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "docs", "notes.txt")); string(b) != "mine" {
		t.Error("a foreign directory was replaced")
	}
	// A host taken out of the description: its files, which the earlier render wrote, go.
	withGone := strings.Replace(string(cloud.Example()), "  - name: ufs1", "  - name: gone\n    address: 10.111.5.99\n    roles: [nc]\n  - name: ufs1", 1)
	os.WriteFile(filepath.Join(dir, "with-gone.yaml"), []byte(withGone), 0o644)
	if r := midobake(t, dir, "render", "-f", "with-gone.yaml", "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	stale := filepath.Join(dir, "out", "hosts", "gone", "user-data")
	if _, err := os.Lstat(stale); err != nil {
		t.Fatalf("the first render did not write %s", stale)
	}
	if r := midobake(t, dir, "render", "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if _, err := os.Lstat(stale); err == nil {
		t.Error("a stale file survived a re-render")
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	if r := midobake(t, dir, "validate"); r.code != 0 || !strings.Contains(r.stdout, "is valid") {
		t.Errorf("example: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	even, _ := exec.Command(bin, "example").Output()
	evenCloud := strings.Replace(string(even), "roles: [nc]", "roles: [nc, zookeeper]", 1)
	os.WriteFile(filepath.Join(dir, "even.yaml"), []byte(evenCloud), 0o644)
	r := midobake(t, dir, "validate", "-f", "even.yaml")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: hosts: 2 ZooKeeper hosts") {
		t.Errorf("even ensemble without --strict: exit %d\n%s", r.code, r.stderr)
	}
	if r := midobake(t, dir, "validate", "--strict", "-f", "even.yaml"); r.code != 1 {
		t.Errorf("--strict with a warning: exit %d, want 1", r.code)
	}
	if r := midobake(t, dir, "validate", "-f", "missing.yaml"); r.code != 1 || !strings.Contains(r.stderr, "missing.yaml") {
		t.Errorf("missing file: exit %d %s", r.code, r.stderr)
	}
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{}, {"bogus"}, {"render", "--bogus"}, {"render", "extra"}} {
		if r := midobake(t, dir, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2", args, r.code)
		}
	}
	for _, args := range [][]string{{"--help"}, {"render", "--help"}, {"validate", "-h"}} {
		if r := midobake(t, dir, args...); r.code != 0 || !strings.Contains(r.stdout+r.stderr, "Usage") {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
	if r := midobake(t, dir, "--version"); r.code != 0 || !strings.HasPrefix(r.stdout, "midobake ") {
		t.Errorf("--version: %q", r.stdout)
	}
}

// TestFirstbootDryRunGolden pins what --dry-run shows reviewers for each example host, and
// checks it touches nothing (it runs as any user, against any cloud file).
func TestFirstbootDryRunGolden(t *testing.T) {
	dir := t.TempDir()
	example, _ := filepath.Abs("../../fixtures/valid/example.yaml")
	for _, host := range []string{"clc1", "node1", "node2", "ufs1"} {
		r := midobake(t, dir, "firstboot", "--dry-run", "--host", host, "--site", example, "--root", filepath.Join(dir, "root"))
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", host, r.code, r.stderr)
		}
		testenv.Golden(t, filepath.Join("..", "..", "fixtures", "golden", "firstboot-dry-run", host+".txt"), []byte(r.stdout))
	}
	if _, err := os.Stat(filepath.Join(dir, "root")); err == nil {
		t.Error("--dry-run wrote into the root")
	}
	r := midobake(t, dir, "firstboot", "--dry-run", "--host", "nope", "--site", example)
	if r.code != 1 || !strings.Contains(r.stderr, "--host nope: no host of that name") {
		t.Errorf("unknown host: exit %d %s", r.code, r.stderr)
	}
}

// TestRenderForACloudBuilder: --packer-source points every build at the user's own source
// and leaves out the null/SSH one; a malformed reference is a usage error.
func TestRenderForACloudBuilder(t *testing.T) {
	dir := t.TempDir()
	if r := midobake(t, dir, "render", "--packer-source", "amazon-ebs.midobake", "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out/packer/source.pkr.hcl")); err == nil {
		t.Error("the null source was written for a cloud builder")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "out/packer/nc.pkr.hcl"))
	if !strings.Contains(string(b), `sources = ["source.amazon-ebs.midobake"]`) {
		t.Errorf("nc.pkr.hcl:\n%s", b)
	}
	if r := midobake(t, dir, "render", "--packer-source", "amazon-ebs", "--out-dir", "out2"); r.code != 2 || !strings.Contains(r.stderr, "write TYPE.NAME") {
		t.Errorf("bad source: exit %d %s", r.code, r.stderr)
	}
}

// TestValidateFromStdin: "-f -" reads the description from standard input.
func TestValidateFromStdin(t *testing.T) {
	cmd := exec.Command(bin, "validate", "-f", "-")
	cmd.Stdin = strings.NewReader("version: 1\nname: x\n")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "<stdin>:1:1: error: midonet: required field") {
		t.Errorf("%v\n%s", err, out)
	}
}
