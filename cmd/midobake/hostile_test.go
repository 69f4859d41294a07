package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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

// TestPasswordsNeverShow is a property over many credentials, among them passwords with /, @
// and :, and short common words that also appear elsewhere in the output ("midonet", "el7",
// "mirror"): no output of
// validate, render or diff and no error contains the password, and everything else is the
// same whatever the password is (it is hidden where it stands, nothing else is touched).
func TestPasswordsNeverShow(t *testing.T) {
	dir := t.TempDir()
	write := func(name, password, extra string) string {
		src := strings.Replace(string(cloud.Example()), "  repos:                # where plain images get the hook: make rpm, signed and published by you\n",
			"  repos:\n    midonet: {baseurl: \"http://ops:"+password+"@mirror.example/mem-5.2/el7/\""+extra+"}\n", 1)
		if !strings.Contains(src, password) {
			t.Fatal("could not put the password into the example")
		}
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(src), 0o644)
		return path
	}
	outputs := func(password string) string {
		good := write("good.yaml", password, "")
		bad := write("bad.yaml", password, ", gpgkey: 7") // an error on the URL's line
		var all strings.Builder
		for _, args := range [][]string{
			{"validate", "-f", good},
			{"validate", "-f", bad},
			{"render", "-f", good, "-o", filepath.Join(dir, "out")},
			{"diff", "../../fixtures/valid/example.yaml", good},
			{"diff", "-o", "json", good, "../../fixtures/valid/example.yaml"},
			{"diff", good, bad},
		} {
			r := midobake(t, ".", args...)
			out := strings.ReplaceAll(r.stdout+r.stderr, dir, "DIR")
			// A short password may be a word the output has anyway ("el7"): it must not
			// stand where the password stood; a long one must not stand anywhere.
			if strings.Contains(out, "ops:"+password+"@") || len(password) >= 8 && strings.Contains(out, password) {
				t.Errorf("password %q shows in the output of midobake %s:\n%s", password, strings.Join(args, " "), out)
			}
			// Columns are positions in the user's file, which the password's length moves.
			out = regexp.MustCompile(`(\.yaml:\d+):\d+:`).ReplaceAllString(out, "$1:COL:")
			fmt.Fprintf(&all, "$ %s (exit %d)\n%s", strings.Join(args[:1], " "), r.code, out)
		}
		return all.String()
	}
	// Within each group the description is equally valid (a / or @ in a password makes the
	// URL unusable, an error of its own), so the outputs must be the same.
	for _, group := range [][]string{
		{"zq8Xk2Lm", "midonet", "el7", "x", "s3cr3t%2Fenc", "mirror", "/"},
		{"pa/ss", "a/b:c@d", "p@ss:w/rd"},
	} {
		reference := outputs(group[0])
		for _, password := range group[1:] {
			if diff := cmp.Diff(reference, outputs(password)); diff != "" {
				t.Errorf("with password %q the outputs differ from those with %q beyond the password (-first +this):\n%s", password, group[0], diff)
			}
		}
	}
}
