package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"
)

// TestDurationsArePositive: a zero or negative pause or deadline is a usage error, not a
// busy loop or a run that gives up at once.
func TestDurationsArePositive(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"firstboot", "--dry-run", "--timeout", "0s"},
		{"firstboot", "--dry-run", "--retry-max", "-1s"},
		{"enrol", "--once", "--interval", "0s"},
	} {
		r := midobake(t, dir, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "give a positive duration") {
			t.Errorf("%v: exit %d: %s", args, r.code, r.stderr)
		}
	}
}

// TestDryRunRefusesWhatTheRunRefuses: --dry-run must not promise a run that cannot happen:
// --apply-network on a host that is not the CLC, another identity for a finished machine.
func TestDryRunRefusesWhatTheRunRefuses(t *testing.T) {
	dir := t.TempDir()
	site := filepath.Join(dir, "cloud.yaml")
	os.WriteFile(site, cloud.Example(), 0o644)
	root := filepath.Join(dir, "root")
	r := midobake(t, dir, "firstboot", "--dry-run", "--site", site, "--host", "node1", "--root", root, "--apply-network")
	if r.code != 1 || !strings.Contains(r.stderr, "--apply-network: host node1 is not the CLC") {
		t.Errorf("--apply-network on node1: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	os.MkdirAll(filepath.Join(root, "var/lib/midobake"), 0o755)
	os.WriteFile(filepath.Join(root, "var/lib/midobake/state.json"), []byte(`{"host": "node2", "steps": {}}`), 0o644)
	r = midobake(t, dir, "firstboot", "--dry-run", "--site", site, "--host", "node1", "--root", root)
	if r.code != 1 || !strings.Contains(r.stderr, "this machine was finished as host node2, not node1") || !strings.Contains(r.stderr, "give --root an empty directory") {
		t.Errorf("another identity: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

// TestHelpCommand: "midobake help COMMAND" is that command's help, on stdout, exit 0; an
// unknown command is a usage error.
func TestHelpCommand(t *testing.T) {
	dir := t.TempDir()
	r := midobake(t, dir, "help", "render")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: midobake render ") || !strings.Contains(r.stdout, "--site-url") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := midobake(t, dir, "help", "nope"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "nope"`) {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	r = midobake(t, dir, "version", "-o", "json")
	var v struct{ Version, Go string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || v.Version == "" || v.Go == "" {
		t.Errorf("version -o json: exit %d: %s", r.code, r.stdout)
	}
}

// TestStatusServeIsAURL: --serve takes serve's URL or none; anything else is a usage error
// that says so, with the input escaped.
func TestStatusServeIsAURL(t *testing.T) {
	r := midobake(t, t.TempDir(), "status", "--serve", "10.0.0.1:8000\x1b[2J")
	if r.code != 2 || !strings.Contains(r.stderr, `want http://HOST:PORT or none`) || strings.Contains(r.stderr, "\x1b") {
		t.Errorf("exit %d: %q", r.code, r.stderr)
	}
}
