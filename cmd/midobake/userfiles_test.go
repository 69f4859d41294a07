package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderKeepsTheUsersFiles: files a user adds inside an output (their own Packer source
// beside the generated builds, as the README says, or notes) are kept by the next render,
// the same files; one whose name the new output also has is an error naming it, and the
// output is left as it was.
func TestRenderKeepsTheUsersFiles(t *testing.T) {
	dir := t.TempDir()
	if r := midobake(t, dir, "render", "--out-dir", "out", "--packer-source", "amazon-ebs.midobake"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	mine := filepath.Join(dir, "out", "packer", "amazon.pkr.hcl")
	os.WriteFile(mine, []byte("source \"amazon-ebs\" \"midobake\" {}\n"), 0o640)
	os.MkdirAll(filepath.Join(dir, "out", "notes"), 0o755)
	os.WriteFile(filepath.Join(dir, "out", "notes", "todo.txt"), []byte("ask ops\n"), 0o644)
	before, _ := os.Stat(mine)
	r := midobake(t, dir, "render", "--out-dir", "out", "--packer-source", "amazon-ebs.midobake")
	if r.code != 0 || !strings.Contains(r.stdout, "kept 2 files of yours in out (not midobake's): notes/todo.txt, packer/amazon.pkr.hcl") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	after, err := os.Stat(mine)
	if err != nil || !os.SameFile(before, after) || after.Mode().Perm() != 0o640 {
		t.Errorf("the user's file is not the same file: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out", "notes", "todo.txt")); string(b) != "ask ops\n" {
		t.Errorf("notes: %q", b)
	}
	// A file of the user's where the new output has one of its own: refused, named.
	os.Remove(filepath.Join(dir, "out", "packer", "source.pkr.hcl")) // not generated with amazon-ebs
	theirs := filepath.Join(dir, "out", "packer", "source.pkr.hcl")
	os.WriteFile(theirs, []byte("# mine\n"), 0o644)
	snap := snapshot(t, filepath.Join(dir, "out"))
	r = midobake(t, dir, "render", "--out-dir", "out")
	if r.code != 1 || !strings.Contains(r.stderr, "packer/source.pkr.hcl in out is not midobake's") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after := snapshot(t, filepath.Join(dir, "out")); len(after) != len(snap) || after["packer/source.pkr.hcl"] != "# mine\n" {
		t.Errorf("the output changed on a refused render")
	}
}
