package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/site"
)

// Inputs as a careless or hostile user gives them: each must end in a clear error, never in
// memory exhaustion, a hang, raw escape sequences on the terminal or a file git wrote.

// TestInputsAreBounded: /dev/zero as a cloud file, a side of a diff or the site data is
// refused at the size limit.
func TestInputsAreBounded(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"validate", "-f", "/dev/zero"},
		{"render", "-f", "/dev/zero", "--out-dir", filepath.Join(dir, "out")},
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
			{"render", "-f", good, "--out-dir", filepath.Join(dir, "out")},
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
			// So are the files' sizes (which ls -l shows as well): render lists them.
			out = regexp.MustCompile(`\d+\.\d KiB\n`).ReplaceAllString(out, "SIZE\n")
			// And the builds name the input file's sha256 (as the manifest does).
			out = regexp.MustCompile(`[0-9a-f]{64}`).ReplaceAllString(out, "SHA256")
			fmt.Fprintf(&all, "$ %s (exit %d)\n%s", strings.Join(args[:1], " "), r.code, out)
		}
		return all.String()
	}
	// Within each group the description is equally valid (a / or @ in a password makes the
	// URL unusable, an error of its own), so the outputs must be the same.
	for _, group := range [][]string{
		{"zq8Xk2Lm", "midonet", "el7", "x", "s3cr3t%2Fenc", "mirror", "/"},
		{"pa/ss", "a/b:c@d", "p@ss:w/rd"},
		// Spaces, quotes and backquotes make the URL unusable too: the report that says so
		// quotes the line, and must not show them.
		{"pa ss wd", "pa`ssw`d", "pa'sswor'd", "a b`c'd e"},
	} {
		reference := outputs(group[0])
		for _, password := range group[1:] {
			if diff := cmp.Diff(reference, outputs(password)); diff != "" {
				t.Errorf("with password %q the outputs differ from those with %q beyond the password (-first +this):\n%s", password, group[0], diff)
			}
		}
	}
}

// TestYAMLReadsBackWithPyYAML: host names that YAML 1.1 reads as something else (no, on, y,
// 123, 0777, 0x1f, 1e3) validate, and every YAML midobake writes for cloud-init (meta-data,
// user-data and the site data inside it) reads back with PyYAML, as cloud-init reads it, as
// exactly those names.
func TestYAMLReadsBackWithPyYAML(t *testing.T) {
	testenv.Need(t, "python3", "apt-get install python3")
	if out, err := exec.Command("python3", "-c", "import yaml").CombinedOutput(); err != nil {
		testenv.Missing(t, "PyYAML: apt-get install python3-yaml ("+string(out)+")")
	}
	names := []string{"no", "on", "y", "123", "0777", "0x1f", "1e3", "null"}
	src := string(cloud.Example())
	var extra strings.Builder
	for i, n := range names {
		fmt.Fprintf(&extra, "  - {name: %q, address: 10.111.5.%d, roles: [nc]}\n", n, 100+i)
	}
	src = strings.Replace(src, "network:\n", extra.String()+"network:\n", 1)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cloud.yaml"), []byte(src), 0o644)
	if r := midobake(t, dir, "render", "-f", "cloud.yaml", "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	script := `
import json, os, sys, yaml
out, found = sys.argv[1], {}
for root, _, files in os.walk(out):
    for f in files:
        p = os.path.join(root, f)
        rel = os.path.relpath(p, out)
        if f == "meta-data":
            found[rel] = yaml.safe_load(open(p))["local-hostname"]
        elif f.startswith("user-data"):
            doc = yaml.safe_load(open(p))
            for wf in doc.get("write_files", []):
                if wf["path"] == sys.argv[2]:
                    found[rel] = [h["name"] for h in yaml.safe_load(wf["content"])["hosts"]]
print(json.dumps(found))
`
	out, err := exec.Command("python3", "-c", script, filepath.Join(dir, "out"), site.Path).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var found map[string]any
	if err := json.Unmarshal(out, &found); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for rel, v := range found {
		switch v := v.(type) {
		case string:
			if want := strings.Split(rel, "/")[1]; v != want {
				t.Errorf("%s: PyYAML reads local-hostname %q, want %q", rel, v, want)
			}
			checked++
		case []any:
			for _, n := range names {
				if !slices.Contains(v, any(n)) {
					t.Errorf("%s: PyYAML reads the site data's hosts as %v: no %q", rel, v, n)
				}
			}
			checked++
		default:
			t.Errorf("%s: PyYAML reads %v (%T)", rel, v, v)
		}
	}
	if checked < len(names)+2 {
		t.Errorf("checked %d documents: %v", checked, found)
	}
}

// TestExampleHostsIsBounded: a negative, too small or huge --hosts is a usage error.
func TestExampleHostsIsBounded(t *testing.T) {
	for _, n := range []string{"-5", "3", "1000001"} {
		if r := midobake(t, ".", "example", "--hosts", n); r.code != 2 || !strings.Contains(r.stderr, "use 8 to 1000000 hosts") {
			t.Errorf("--hosts %s: exit %d: %s", n, r.code, r.stderr)
		}
	}
}
