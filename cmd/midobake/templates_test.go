package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
	// Keep one override only, with a site-specific line.
	zoo, _ := os.ReadFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"))
	os.RemoveAll(filepath.Join(dir, "tpl"))
	os.MkdirAll(filepath.Join(dir, "tpl"), 0o755)
	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), append(zoo, []byte("maxClientCnxns=500\n")...), 0o644)
	if r := midobake(t, dir, "render", "--templates", "tpl", "-o", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	ud, _ := os.ReadFile(filepath.Join(dir, "out/profiles/clc+cassandra+zookeeper/user-data.full.yaml"))
	if !strings.Contains(string(ud), "      maxClientCnxns=500\n") {
		t.Error("the override did not reach the user-data")
	}
	before := snapshot(t, filepath.Join(dir, "out"))

	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), []byte("tickTime=2000\n{% for s in zookeeper_servers %}\nserver={{ s }\n"), 0o644)
	r := midobake(t, dir, "render", "--templates", "tpl", "-o", "out")
	if r.code != 1 || !strings.Contains(r.stderr, filepath.Join("tpl", "zoo.cfg.tmpl")+":3:") {
		t.Errorf("broken template: exit %d %s", r.code, r.stderr)
	}
	if diff := cmp.Diff(before, snapshot(t, filepath.Join(dir, "out"))); diff != "" {
		t.Errorf("a broken template changed the output:\n%s", diff)
	}
	// A misspelt variable would render "dataDir=": it is an error naming the file, line,
	// column and the variable meant, and changes nothing.
	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), []byte(strings.Replace(string(zoo), "{{ zookeeper_data_dir }}", "{{ zookeeper_datadir }}", 1)), 0o644)
	r = midobake(t, dir, "render", "--templates", "tpl", "-o", "out")
	if r.code != 1 || !strings.Contains(r.stderr, filepath.Join("tpl", "zoo.cfg.tmpl")+":6:12: template error: undefined variable \"zookeeper_datadir\" (did you mean \"zookeeper_data_dir\"?)") {
		t.Errorf("misspelt variable: exit %d %s", r.code, r.stderr)
	}
	if diff := cmp.Diff(before, snapshot(t, filepath.Join(dir, "out"))); diff != "" {
		t.Errorf("a misspelt variable changed the output:\n%s", diff)
	}
	os.WriteFile(filepath.Join(dir, "tpl", "zoo.cfg.tmpl"), zoo, 0o644)
	os.WriteFile(filepath.Join(dir, "tpl", "zoocfg.tmpl"), zoo, 0o644)
	if r := midobake(t, dir, "render", "--templates", "tpl", "-o", "out"); r.code != 1 || !strings.Contains(r.stderr, "zoocfg.tmpl: not the name of an embedded template") {
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
		cmd := exec.Command(bin, "render", "-f", example, "-o", "rendered")
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
