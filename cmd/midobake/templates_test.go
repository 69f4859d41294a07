package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
)

// TestTemplateOverride: a dumped template, edited, changes the output of render and diff;
// a broken one is reported with its file and line and changes nothing.
func TestTemplateOverride(t *testing.T) {
	dir := t.TempDir()
	if r := midobake(t, dir, "templates", "list"); r.code != 0 || !strings.Contains(r.stdout, "zoo.cfg.tmpl\n") {
		t.Fatalf("list: %d %s", r.code, r.stdout)
	}
	if r := midobake(t, dir, "templates", "dump", "tpl"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := midobake(t, dir, "templates", "dump", "tpl"); r.code != 1 || !strings.Contains(r.stderr, "exists; not overwritten") {
		t.Errorf("dump over existing files: %d %s", r.code, r.stderr)
	}
	// Every template overridden: the hosts get those they render, not Packer's.
	if r := midobake(t, dir, "render", "--templates", "tpl", "--out-dir", "out-all"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	all, _ := os.ReadFile(filepath.Join(dir, "out-all/profiles/nc/user-data.full.yaml"))
	if !strings.Contains(string(all), "path: /etc/midobake/templates/zoo.cfg.tmpl") || strings.Contains(string(all), "/etc/midobake/templates/packer-") {
		t.Errorf("the overrides a host gets: want zoo.cfg.tmpl and no Packer template:\n%s", all)
	}
	// Keep one override only, with a site-specific line.
	zoo, _ := os.ReadFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"))
	os.RemoveAll(filepath.Join(dir, "tpl"))
	os.MkdirAll(filepath.Join(dir, "tpl"), 0o755)
	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), append(zoo, []byte("maxClientCnxns=500\n")...), 0o644)
	if r := midobake(t, dir, "render", "--templates", "tpl", "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	ud, _ := os.ReadFile(filepath.Join(dir, "out/profiles/clc+cassandra+zookeeper/user-data.full.yaml"))
	if !strings.Contains(string(ud), "      maxClientCnxns=500\n") {
		t.Error("the override did not reach the user-data")
	}
	before := snapshot(t, filepath.Join(dir, "out"))

	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), []byte("tickTime=2000\n{% for s in zookeeper_servers %}\nserver={{ s }\n"), 0o644)
	r := midobake(t, dir, "render", "--templates", "tpl", "--out-dir", "out")
	if r.code != 1 || !strings.Contains(r.stderr, filepath.Join("tpl", "zoo.cfg.tmpl")+":3:") {
		t.Errorf("broken template: exit %d %s", r.code, r.stderr)
	}
	if diff := cmp.Diff(before, snapshot(t, filepath.Join(dir, "out"))); diff != "" {
		t.Errorf("a broken template changed the output:\n%s", diff)
	}
	// A misspelt variable would render "dataDir=": it is an error naming the file, line,
	// column and the variable meant, and changes nothing.
	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), []byte(strings.Replace(string(zoo), "{{ zookeeper_data_dir }}", "{{ zookeeper_datadir }}", 1)), 0o644)
	r = midobake(t, dir, "render", "--templates", "tpl", "--out-dir", "out")
	if r.code != 1 || !strings.Contains(r.stderr, filepath.Join("tpl", "zoo.cfg.tmpl")+":6:12: template error: undefined variable \"zookeeper_datadir\" (did you mean \"zookeeper_data_dir\"?)") {
		t.Errorf("misspelt variable: exit %d %s", r.code, r.stderr)
	}
	if diff := cmp.Diff(before, snapshot(t, filepath.Join(dir, "out"))); diff != "" {
		t.Errorf("a misspelt variable changed the output:\n%s", diff)
	}
	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), zoo, 0o644)
	// A cassandra.yaml key of a later Cassandra: 2.2 would refuse to start on it.
	os.WriteFile(filepath.Join(dir, "tpl", "cassandra-settings.yaml.tmpl"), []byte("cluster_name: '{{ cassandra_cluster }}'\nseeds: \"{{ cassandra_servers }}\"\ncdc_enabled: true\n"), 0o644)
	r = midobake(t, dir, "render", "--templates", "tpl", "--out-dir", "out")
	if r.code != 1 || !strings.Contains(r.stderr, filepath.Join("tpl", "cassandra-settings.yaml.tmpl")+":3:1: template error: /etc/midobake/cassandra-settings.yaml: key cdc_enabled is not one Cassandra 2.2 knows") {
		t.Errorf("a key of a later Cassandra: exit %d %s", r.code, r.stderr)
	}
	if diff := cmp.Diff(before, snapshot(t, filepath.Join(dir, "out"))); diff != "" {
		t.Errorf("a key of a later Cassandra changed the output:\n%s", diff)
	}
	os.Remove(filepath.Join(dir, "tpl", "cassandra-settings.yaml.tmpl"))
	os.WriteFile(filepath.Join(dir, "tpl", "zoocfg.tmpl"), zoo, 0o644)
	if r := midobake(t, dir, "render", "--templates", "tpl", "--out-dir", "out"); r.code != 1 || !strings.Contains(r.stderr, "zoocfg.tmpl: not the name of an embedded template") {
		t.Errorf("misspelled override: exit %d %s", r.code, r.stderr)
	}
}

// TestReproducible renders the same input twice, from different working directories, with
// different GOMAXPROCS, time zones and environments, and compares every byte and mode.
func TestReproducible(t *testing.T) {
	example, _ := filepath.Abs("../../fixtures/valid/ha-large.yaml")
	var outs []map[string]string
	for i, env := range [][]string{{"GOMAXPROCS=1", "TZ=UTC"}, {"GOMAXPROCS=2", "TZ=Asia/Tokyo", "LANG=de_DE.UTF-8"}} {
		dir := filepath.Join(t.TempDir(), strings.Repeat("x", i+1))
		os.MkdirAll(dir, 0o755)
		cmd := exec.Command(bin, "render", "-f", example, "--out-dir", "rendered")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", env, err, out)
		}
		files := snapshot(t, filepath.Join(dir, "rendered"))
		filepath.WalkDir(filepath.Join(dir, "rendered"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				st, _ := os.Stat(p)
				rel, _ := filepath.Rel(filepath.Join(dir, "rendered"), p)
				files[rel+" (mode)"] = st.Mode().String()
			}
			return nil
		})
		outs = append(outs, files)
	}
	if diff := cmp.Diff(outs[0], outs[1]); diff != "" {
		t.Errorf("two renders differ:\n%s", diff)
	}
}

// TestDiffTemplatesPerSide: a pull request that edits an override is reviewable: each side
// of a diff brings its own templates (REV:DIR from git, or a directory), the summary names
// the template by its sha256 on each side, the files show how; the manifest of a render
// records which templates it used.
func TestDiffTemplatesPerSide(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@localhost"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	os.WriteFile(filepath.Join(dir, "cloud.yaml"), cloud.Example(), 0o644)
	if r := midobake(t, dir, "templates", "dump", "all"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	zoo, _ := os.ReadFile(filepath.Join(dir, "all", "zoo.cfg.tmpl"))
	os.MkdirAll(filepath.Join(dir, "tpl"), 0o755)
	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), zoo, 0o644)
	git("init", "-q")
	git("add", "cloud.yaml", "tpl")
	git("commit", "-q", "-m", "templates")
	edited := append(append([]byte{}, zoo...), "maxClientCnxns=500\n"...)
	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), edited, 0o644)

	r := midobake(t, dir, "diff", "--exit-code", "--old-templates", "HEAD:tpl", "--new-templates", "tpl", "cloud.yaml", "cloud.yaml")
	want := fmt.Sprintf("template zoo.cfg.tmpl: override sha256 %s -> override sha256 %s", sha(zoo)[:12], sha(edited)[:12])
	if r.code != 1 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "+      maxClientCnxns=500\n") {
		t.Errorf("diff of an edited override: exit %d, want %q and the new line:\n%s%s", r.code, want, r.stdout, r.stderr)
	}
	// --templates for both sides: nothing changes.
	if r := midobake(t, dir, "diff", "--exit-code", "--templates", "tpl", "cloud.yaml", "cloud.yaml"); r.code != 0 {
		t.Errorf("the same templates on both sides: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Built in on one side, the override on the other.
	if r := midobake(t, dir, "diff", "--new-templates", "HEAD:tpl/", "cloud.yaml", "cloud.yaml"); r.code != 0 || !strings.Contains(r.stdout, "template zoo.cfg.tmpl: built-in -> override sha256 "+sha(zoo)[:12]) {
		t.Errorf("built-in -> override: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A misspelt override in git, an unknown revision, a template too large: errors naming
	// what the user gave; nothing is printed on stdout.
	os.WriteFile(filepath.Join(dir, "tpl", "zoocfg.tmpl"), zoo, 0o644)
	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), append(edited, strings.Repeat("#", 1<<20)...), 0o644)
	git("add", "tpl")
	git("commit", "-q", "-m", "bad templates")
	for args, why := range map[string]string{
		"HEAD:tpl":       "HEAD:tpl/zoocfg.tmpl: not the name of an embedded template",
		"HEAD~9:tpl":     "templates HEAD~9:tpl: git ls-tree: fatal: Not a valid object name",
		"nowhere-at-all": "templates nowhere-at-all: not a directory, nor REV:DIR",
	} {
		r := midobake(t, dir, "diff", "--old-templates", args, "cloud.yaml", "cloud.yaml")
		if r.code != 1 || !strings.Contains(r.stderr, why) || r.stdout != "" {
			t.Errorf("--old-templates %s: exit %d, want %q:\n%s%s", args, r.code, why, r.stdout, r.stderr)
		}
	}
	os.Remove(filepath.Join(dir, "tpl", "zoocfg.tmpl"))
	git("rm", "-q", "--cached", "tpl/zoocfg.tmpl")
	git("commit", "-q", "-m", "one bad template")
	if r := midobake(t, dir, "diff", "--old-templates", "HEAD:tpl", "cloud.yaml", "cloud.yaml"); r.code != 1 || !strings.Contains(r.stderr, "HEAD:tpl/zoo.cfg.tmpl: larger than 1024 KiB") {
		t.Errorf("an oversized template in git: exit %d\n%s", r.code, r.stderr)
	}

	// The manifest says which templates a render used.
	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), edited, 0o644)
	if r := midobake(t, dir, "render", "--templates", "tpl", "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	var m struct {
		Templates []struct{ Name, Source, SHA256 string }
	}
	b, _ := os.ReadFile(filepath.Join(dir, "out", "manifest.json"))
	json.Unmarshal(b, &m)
	builtIn, _ := os.ReadFile(filepath.Join(dir, "all", "midolman.conf.tmpl"))
	found := 0
	for _, tpl := range m.Templates {
		switch {
		case tpl.Name == "zoo.cfg.tmpl" && tpl.Source == "override" && tpl.SHA256 == sha(edited):
			found++
		case tpl.Name == "midolman.conf.tmpl" && tpl.Source == "built-in" && tpl.SHA256 == sha(builtIn):
			found++
		}
	}
	if found != 2 || len(m.Templates) != 16 {
		t.Errorf("the manifest's templates: %+v", m.Templates)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
