// Package testenv is shared by the tests: finding the real tools they drive, and the golden
// file helper. A missing tool skips a test on a developer's machine but fails it in CI
// (CI=true), where a skipped test would be a test that did not run.
package testenv

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Update regenerates golden files instead of comparing: go test ./... -update.
var Update = flag.Bool("update", false, "rewrite golden files with the current output")

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// Need returns the path of a command the test drives, or skips (fails in CI) when absent.
func Need(t testing.TB, cmd, installHint string) string {
	t.Helper()
	p, err := exec.LookPath(cmd)
	if err != nil {
		Missing(t, cmd+" is not installed ("+installHint+")")
	}
	return p
}

// Missing skips a test for an unmet dependency, or fails it in CI.
func Missing(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true and a test dependency is missing: %s", why)
	}
	t.Skipf("skipped: %s", why)
}

// Golden compares got with the golden file at path (rewriting it with -update), showing a
// go-cmp diff on mismatch.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if InCI() {
			t.Fatal("-update rewrites golden files; CI compares them (run it on a checkout, review the diff, commit)")
		}
		if old, err := os.ReadFile(path); err != nil || string(old) != string(got) {
			t.Logf("updated %s: review it before committing", path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		// Compare what was written, as without -update: a golden file that does not read
		// back fails the run too.
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test ./... -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; go test ./... -update rewrites it):\n%s", path, diff)
	}
}

// RepoRoot returns the module root, for tests that read fixtures.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}
