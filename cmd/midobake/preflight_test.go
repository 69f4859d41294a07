package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"
)

// TestPreflightCommand: the command's exits and forms on this machine, which is no host of
// the example cloud: the tunnel address is on none of its interfaces (an error, exit 1); an
// --ignore of that check leaves no error (exit 0); -o json is the documented form.
func TestPreflightCommand(t *testing.T) {
	dir := t.TempDir()
	site := filepath.Join(dir, "cloud.yaml")
	os.WriteFile(site, cloud.Example(), 0o644)
	r := midobake(t, dir, "preflight", "--site", site, "--host", "node1", "--root", dir)
	if r.code != 1 || !strings.Contains(r.stdout, "ERROR    tunnel-address  no interface holds 10.112.5.21") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = midobake(t, dir, "preflight", "--site", site, "--host", "node1", "--root", dir, "--ignore", "packages,tunnel-address,openvswitch,memory", "-o", "json")
	var rep struct {
		Version int
		Host    string
		Checks  []struct {
			ID      string
			OK      bool
			Ignored bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || rep.Version != 1 || rep.Host != "node1" || len(rep.Checks) != 10 {
		t.Errorf("exit %d, %v: %+v\n%s", r.code, err, rep, r.stderr)
	}
	for _, c := range rep.Checks {
		if c.ID == "tunnel-address" && (c.OK || !c.Ignored) {
			t.Errorf("tunnel-address: %+v", c)
		}
	}
}

// TestIgnoreUnknownCheck: an ID that is no check's is a usage error listing the known ones,
// for preflight and for firstboot alike; nothing runs.
func TestIgnoreUnknownCheck(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"preflight", "firstboot"} {
		r := midobake(t, dir, cmd, "--site", "/nonexistent", "--ignore", "memory,mem\x1b[2J")
		if r.code != 2 || !strings.Contains(r.stderr, `--ignore: unknown check "mem\x1b[2J"`) && !strings.Contains(r.stderr, `unknown check mem\x1b[2J`) ||
			!strings.Contains(r.stderr, "the checks are: packages, systemd, memory, disk, ports, tunnel-address, tunnel-mtu, uplink-nic, openvswitch, clock") || strings.Contains(r.stderr, "\x1b") {
			t.Errorf("%s: exit %d: %q", cmd, r.code, r.stderr)
		}
	}
}
