package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"
)

// Inputs as a careless or hostile user gives them: each must end in a clear error, never in
// memory exhaustion, a hang, raw escape sequences on the terminal or a file git wrote.

// TestInputsAreBounded: /dev/zero as a cloud file, a side of a diff or the site data is
// refused at the size limit.
func TestInputsAreBounded(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"validate", "-f", "/dev/zero"},
		{"render", "-f", "/dev/zero", "-o", filepath.Join(dir, "out")},
		{"diff", "/dev/zero", "../../fixtures/valid/example.yaml"},
		{"firstboot", "--site", "/dev/zero", "--host", "clc1", "--dry-run"},
	} {
		r := midobake(t, ".", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "/dev/zero: larger than 16 MiB, the most midobake reads") {
			t.Errorf("midobake %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("render of /dev/zero left an output: %v", err)
	}
}

// TestDiffRevisionIsNeverAGitOption: a REV:PATH that starts with "-" reaches git as a
// revision, so "--output=FILE" cannot make git write a file.
func TestDiffRevisionIsNeverAGitOption(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "written-by-git")
	r := midobake(t, ".", "diff", "--", "--output="+victim+":x", "../../fixtures/valid/example.yaml")
	if r.code != 1 {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(victim); !os.IsNotExist(err) {
		t.Errorf("git wrote %s", victim)
	}
}

// TestEchoedInputIsPrintable: escape sequences and other control characters in the input
// reach the terminal as visible escapes, in messages and in quoted source lines.
func TestEchoedInputIsPrintable(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(string(cloud.Example()), "name: euca-lab", "name: \"euca\\e[2J\\e]0;owned\\a-lab\"", 1)
	os.WriteFile(filepath.Join(dir, "cloud.yaml"), []byte(src), 0o644)
	r := midobake(t, dir, "validate", "-f", "cloud.yaml")
	if r.code != 1 || strings.ContainsAny(r.stderr, "\x1b\a") || !strings.Contains(r.stderr, `\x1b`) {
		t.Errorf("exit %d, output %q", r.code, r.stderr)
	}
}

// TestManyProblemsAreCapped: a file with a thousand problems gets a report of the first
// cloud.MaxShown and a count of the rest.
func TestManyProblemsAreCapped(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(strings.Replace(string(cloud.Example()), "version: 1\n", "version: 1\n", 1))
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "unknown%d: %s\n", i, strings.Repeat("x", 5000))
	}
	os.WriteFile(filepath.Join(dir, "cloud.yaml"), []byte(b.String()), 0o644)
	r := midobake(t, dir, "validate", "-f", "cloud.yaml")
	if r.code != 1 || !strings.Contains(r.stderr, "... and 950 more problem(s) not shown") {
		t.Errorf("exit %d, last lines:\n%s", r.code, r.stderr[max(0, len(r.stderr)-500):])
	}
	if len(r.stderr) > 100_000 {
		t.Errorf("the report is %d bytes long", len(r.stderr))
	}
}
