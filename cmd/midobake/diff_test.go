package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/internal/testenv"
)

// TestDiffGolden pins the diff of realistic changes to the example cloud, as text, as the
// --stat summary and as JSON.
func TestDiffGolden(t *testing.T) {
	cases, _ := filepath.Glob("../../fixtures/diff/*.yaml")
	if len(cases) < 5 {
		t.Fatalf("%d diff cases", len(cases))
	}
	dir := t.TempDir()
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".yaml")
		t.Run(name, func(t *testing.T) {
			// Relative names keep the golden output free of machine paths.
			for _, f := range []string{"example.yaml", name + ".yaml"} {
				src := "../../fixtures/valid/example.yaml"
				if f != "example.yaml" {
					src = c
				}
				b, _ := os.ReadFile(src)
				os.WriteFile(filepath.Join(dir, f), b, 0o644)
			}
			for _, form := range []struct {
				ext  string
				args []string
			}{{".txt", nil}, {".stat", []string{"--stat"}}, {".json", []string{"-o", "json"}}, {".md", []string{"-o", "markdown"}}} {
				args := append(append([]string{"diff", "--color", "never"}, form.args...), "example.yaml", name+".yaml")
				r := midobake(t, dir, args...)
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				testenv.Golden(t, filepath.Join("..", "..", "fixtures", "golden", "diff", name+form.ext), []byte(r.stdout))
				if strings.Contains(r.stdout, "hunter2") {
					t.Errorf("%s: a password is printed", form.ext)
				}
			}
		})
	}
}

// TestDiffGitRevision is what a reviewer or a CI job does: compare the committed cloud file
// with the working copy, in one command, with the exit code telling whether anything changed.
func TestDiffGitRevision(t *testing.T) {
	testenv.Need(t, "git", "apt-get install git")
	dir := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	example, _ := os.ReadFile("../../fixtures/valid/example.yaml")
	mirror, _ := os.ReadFile("../../fixtures/diff/mirror.yaml")
	git("init", "-q")
	os.WriteFile(filepath.Join(dir, "cloud.yaml"), mirror, 0o644)
	git("add", "cloud.yaml")
	git("commit", "-q", "-m", "cloud")
	if r := midobake(t, dir, "diff", "--exit-code", "HEAD:cloud.yaml", "cloud.yaml"); r.code != 0 || !strings.Contains(r.stdout, "no changes") {
		t.Errorf("unchanged: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	os.WriteFile(filepath.Join(dir, "cloud.yaml"), example, 0o644)
	r := midobake(t, dir, "diff", "--exit-code", "HEAD:cloud.yaml", "cloud.yaml")
	if r.code != 1 {
		t.Errorf("changed: exit %d, want 1", r.code)
	}
	// A diff that cannot be made is not a change: 2 with --exit-code (as diff(1)), and 1
	// without it, as for every command.
	os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("version: 1\nname: [\n"), 0o644)
	for flags, want := range map[string]int{"--exit-code": 2, "--stat": 1} {
		if r := midobake(t, dir, "diff", flags, "HEAD:cloud.yaml", "broken.yaml"); r.code != want || !strings.Contains(r.stderr, "broken.yaml:") {
			t.Errorf("diff %s of a broken description: exit %d, want %d\n%s", flags, r.code, want, r.stderr)
		}
	}
	if r := midobake(t, dir, "diff", "--exit-code", "HEAD:nope.yaml", "cloud.yaml"); r.code != 2 {
		t.Errorf("diff --exit-code of an unreadable side: exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"repository midonet baseurl: http://ops@mem.mirror.example/mem-5.2/stable/el7/ -> http://builds.midonet.org/midonet-5.2/stable/el7/",
		"repository midonet credentials: REDACTED#1 -> none",
		"-      baseurl=http://ops:REDACTED#1@mem.mirror.example/mem-5.2/stable/el7/"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "hunter2") {
		t.Error("the password is printed")
	}
	if r := midobake(t, dir, "diff", "HEAD~5:cloud.yaml", "cloud.yaml"); r.code != 1 || !strings.Contains(r.stderr, "HEAD~5:cloud.yaml: git show") {
		t.Errorf("bad revision: exit %d %s", r.code, r.stderr)
	}
	var js struct {
		Files []struct{ Path, Status string }
	}
	r = midobake(t, dir, "diff", "-o", "json", "HEAD:cloud.yaml", "cloud.yaml")
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || len(js.Files) == 0 {
		t.Errorf("json: %v %s", err, r.stdout)
	}
}

// TestDiffInvalidSide: a broken side is reported with its position, exit 1.
func TestDiffInvalidSide(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("version: 1\nname: x\nos: el9\n"), 0o644)
	r := midobake(t, dir, "diff", "bad.yaml", "bad.yaml")
	if r.code != 1 || !strings.Contains(r.stderr, "bad.yaml:") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if r := midobake(t, dir, "diff", "bad.yaml"); r.code != 2 {
		t.Errorf("one argument: exit %d, want 2", r.code)
	}
}
