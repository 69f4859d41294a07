package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestUsageComesFromTheFlags: every flag a command's --help lists is in its line of
// "midobake help", and nothing else is: both are read from the one declaration.
func TestUsageComesFromTheFlags(t *testing.T) {
	dir := t.TempDir()
	list := midobake(t, dir, "help").stdout
	flagRE := regexp.MustCompile(`(?m)^  (--?[a-z][a-z-]*)`)
	for _, c := range commands() {
		help := midobake(t, dir, c.name, "--help").stdout
		var line string
		for _, l := range strings.Split(list, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "midobake "+c.name+" ") || strings.TrimSpace(l) == "midobake "+c.name {
				line = l
			}
		}
		if line == "" {
			t.Fatalf("midobake help has no line for %s:\n%s", c.name, list)
		}
		inHelp := flagRE.FindAllStringSubmatch(help, -1)
		inLine := regexp.MustCompile(`\[(--?[a-z][a-z-]*)`).FindAllStringSubmatch(line, -1)
		if len(inHelp) != len(inLine) {
			t.Errorf("%s: --help lists %d flags, the usage line %d:\n%s\n%s", c.name, len(inHelp), len(inLine), help, line)
			continue
		}
		for i := range inHelp {
			if inHelp[i][1] != inLine[i][1] {
				t.Errorf("%s: flag %d is %s in --help, %s in the usage line", c.name, i, inHelp[i][1], inLine[i][1])
			}
		}
	}
}

// TestOldSpellingsStillWork: the flag names of earlier releases do what they did, and say
// the new name on stderr.
func TestOldSpellingsStillWork(t *testing.T) {
	dir := t.TempDir()
	r := midobake(t, dir, "render", "-o", "out")
	if r.code != 0 || !strings.Contains(r.stderr, "midobake render: -o is now --out-dir") {
		t.Fatalf("render -o: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "manifest.json")); err != nil {
		t.Errorf("render -o out wrote no output: %v", err)
	}
	// restore --format json: the note, then the missing file, as JSON would have said it.
	r = midobake(t, dir, "restore", "--site", filepath.Join(dir, "out", "site", "cloud.yaml"), "--format", "json", "missing.backup")
	if r.code != 1 || !strings.Contains(r.stderr, "midobake restore: --format is now -o") || !strings.Contains(r.stderr, "missing.backup") {
		t.Errorf("restore --format: exit %d\n%s", r.code, r.stderr)
	}
	// support -o FILE is the file; -o json the format.
	root := t.TempDir()
	r = midobake(t, dir, "support", "--root", root, "--site", filepath.Join(dir, "out", "site", "cloud.yaml"), "--host", "node1", "--api", "http://127.0.0.1:1/midonet-api", "-o", "old.tar.gz")
	if !strings.Contains(r.stderr, "midobake support: -o FILE is now --out-file FILE") {
		t.Errorf("support -o FILE: exit %d, no note\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "old.tar.gz")); err != nil {
		t.Errorf("support -o old.tar.gz wrote no archive there: %v\n%s", err, r.stderr)
	}
}

// TestOutputIsAFormatEverywhere: -o takes the command's formats and nothing else, with a
// usage error that says which.
func TestOutputIsAFormatEverywhere(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"validate", "-o", "yaml"}, {"status", "--output", "xml"}, {"version", "-o", "yaml"}, {"diff", "-o", "html", "a", "b"}} {
		r := midobake(t, dir, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "use text or json") && !strings.Contains(r.stderr, "use text, json or markdown") {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}
