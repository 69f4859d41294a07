package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/internal/testenv"
)

// Output safety: render replaces a directory only when it can prove it wrote it, and never
// loses the new output or the user's files on the way.

// TestRenderRefusesAForeignManifest: a project directory with a manifest.json of its own (or
// a midobake output whose manifest was edited) is not replaced.
func TestRenderRefusesAForeignManifest(t *testing.T) {
	dir := t.TempDir()
	project := filepath.Join(dir, "project")
	os.MkdirAll(project, 0o755)
	os.WriteFile(filepath.Join(project, "manifest.json"), []byte(`{"name": "my-app", "version": "1.0"}`), 0o644)
	os.WriteFile(filepath.Join(project, "main.c"), []byte("int main() {}"), 0o644)
	r := midobake(t, dir, "render", "--out-dir", "project")
	if r.code != 1 || !strings.Contains(r.stderr, "its manifest.json is not one midobake wrote") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(project, "main.c")); string(b) != "int main() {}" {
		t.Error("the project was replaced")
	}

	if r := midobake(t, dir, "render", "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	os.WriteFile(filepath.Join(dir, "out", "manifest.json"), []byte(`{"tool": "midobake", "files": []}`), 0o644)
	if r := midobake(t, dir, "render", "--out-dir", "out"); r.code != 1 || !strings.Contains(r.stderr, "does not match its manifest.json") {
		t.Errorf("an edited manifest: exit %d: %s", r.code, r.stderr)
	}
}

// TestRenderThroughASymlink: -o naming a symbolic link replaces what it points to, and the
// link stays a link.
func TestRenderThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	if r := midobake(t, dir, "render", "--out-dir", "real"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	os.Symlink("real", filepath.Join(dir, "current"))
	if r := midobake(t, dir, "render", "-f", haLarge(t), "--out-dir", filepath.Join(dir, "current")); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if st, err := os.Lstat(filepath.Join(dir, "current")); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("current is no longer a symbolic link: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "real", "hosts", "nsdb1", "meta-data")); err != nil {
		t.Errorf("the link's target was not replaced: %v", err)
	}
}

// TestRenderCleansUpAfterAKill: what a render killed mid-way left beside the output goes at
// the next render.
func TestRenderCleansUpAfterAKill(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".out.new-1234")
	os.MkdirAll(filepath.Join(stale, "profiles"), 0o755)
	if r := midobake(t, dir, "render", "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("%s survived the next render", stale)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("render left more than out/ behind: %v", entries)
	}
}

// TestRenderKeepsTheNewOutputWhenTheOldOneStays: a previous output that cannot be removed
// after the swap (a file in it is immutable) is a warning: the new output is in place and
// the exit status is 0; the next render removes the leftover.
func TestRenderKeepsTheNewOutputWhenTheOldOneStays(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "chattr +i needs root")
	}
	testenv.Need(t, "chattr", "apt-get install e2fsprogs")
	dir := t.TempDir()
	if r := midobake(t, dir, "render", "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	stuck := filepath.Join(dir, "out", "hosts", "clc1", "meta-data")
	if out, err := exec.Command("chattr", "+i", stuck).CombinedOutput(); err != nil {
		t.Fatalf("chattr: %v %s", err, out)
	}
	defer func() { // whatever happens, the temporary directory must be removable

		matches, _ := filepath.Glob(filepath.Join(dir, ".out.new-*", "hosts", "clc1", "meta-data"))
		for _, m := range append(matches, stuck) {
			exec.Command("chattr", "-i", m).Run()
		}
	}()
	r := midobake(t, dir, "render", "-f", haLarge(t), "--out-dir", filepath.Join(dir, "out"))
	if r.code != 0 || !strings.Contains(r.stderr, "warning: the new output is in place, but the previous one could not be removed") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "hosts", "nsdb1", "meta-data")); err != nil {
		t.Errorf("the new output is not in place: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".out.new-*"))
	if len(left) != 1 {
		t.Fatalf("leftovers: %v", left)
	}
	exec.Command("chattr", "-i", filepath.Join(left[0], "hosts", "clc1", "meta-data")).Run()
	if r := midobake(t, dir, "render", "--out-dir", filepath.Join(dir, "out")); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".out.new-*")); len(left) != 0 {
		t.Errorf("the next render left %v", left)
	}
}

func haLarge(t *testing.T) string {
	p, err := filepath.Abs("../../fixtures/valid/ha-large.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
