package firstboot

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestExampleCloudInAnyOrder: the hook on every host of the example cloud, started in
// different orders, leaves one tunnel zone of the configured name and type with every
// Midolman host enrolled once with its tunnel address, each host on its template, and the
// configuration files right.
func TestExampleCloudInAnyOrder(t *testing.T) {
	for _, order := range [][]string{
		{"clc1", "node1", "node2", "ufs1"},
		{"ufs1", "node2", "node1", "clc1"},
		{"node1", "clc1", "ufs1", "node2"},
	} {
		t.Run(strings.Join(order, "-"), func(t *testing.T) {
			w := newWorld(t, loopbackCloud)
			w.nsdbPreset.Store(false) // the agents wait for the CLC's mn-conf set -t default
			w.zk.Start(t)
			results := w.runAll(order)
			for h, r := range results {
				if r.code != 0 {
					t.Fatalf("%s: exit %d\n%s", h, r.code, r.out)
				}
				if !strings.Contains(r.out, "midobake firstboot: host "+h+" is finished") {
					t.Errorf("%s: no closing line:\n%s", h, r.out)
				}
			}
			// The CLC's hook enrolled who was there and started the enrolment service, which
			// enrols the rest on its next pass.
			if !slices.Contains(results["clc1"].log, "systemctl start midobake-enrol") {
				t.Errorf("the CLC did not start the enrolment service: %v", results["clc1"].log)
			}
			if r := w.enrol("--once"); r.code != 0 {
				t.Fatalf("enrol --once: exit %d\n%s", r.code, r.out)
			}
			want := map[string][]string{"eucatz/gre": {"clc1=10.250.0.10", "node1=10.250.1.21", "node2=10.250.1.22", "ufs1=10.250.0.30"}}
			if diff := cmp.Diff(want, w.api.Snapshot()); diff != "" {
				t.Errorf("MidoNet state (-want +got):\n%s", diff)
			}
			for id, n := range w.api.Posts {
				if n != 1 {
					t.Errorf("host %s was enrolled %d times", id, n)
				}
			}
			templates := map[string]string{}
			for _, h := range hosts {
				templates[h] = strings.TrimSpace(w.files(h)[".test/template"][4:])
			}
			wantT := map[string]string{"clc1": "default", "node1": "default", "node2": "default", "ufs1": "agent-gateway-medium"}
			if diff := cmp.Diff(wantT, templates); diff != "" {
				t.Errorf("templates (-want +got):\n%s", diff)
			}
			clc := w.files("clc1")
			for path, want := range map[string]string{
				"etc/zookeeper/zoo.cfg":             "server.1=10.250.0.10:2888:3888",
				"var/lib/zookeeper/data/myid":       "644 1\n",
				"etc/midonet/midonet.conf":          "zookeeper_hosts = 10.250.0.10:2181",
				"etc/midolman/midolman.conf":        "zookeeper_hosts = 10.250.0.10:2181",
				"etc/cassandra/conf/cassandra.yaml": `- seeds: "10.250.0.10"`,
				"etc/midolman/midolman-env.sh":      "MAX_HEAP_SIZE=compute-medium",
				".test/mn-conf-default":             `http_host = "127.0.0.1"`,
				"etc/midobake/network.json":         `"Mode": "VPCMIDO"`,
				"var/lib/midobake/state.json":       `"host": "clc1"`,
			} {
				if !strings.Contains(clc[path], want) {
					t.Errorf("clc1 %s lacks %q:\n%s", path, want, clc[path])
				}
			}
			if cy := clc["etc/cassandra/conf/cassandra.yaml"]; !strings.Contains(cy, "cluster_name: 'midonet'") || !strings.Contains(cy, "listen_address: 10.250.0.10") || !strings.Contains(cy, "num_tokens: 256") {
				t.Errorf("cassandra.yaml:\n%s", cy)
			}
			ufs := w.files("ufs1")
			if s := ufs["usr/libexec/midobake/uplink"]; !strings.HasPrefix(s, "755 ") || !strings.Contains(s, "ip addr replace 172.19.0.1/30 dev uplinkbridge") || !strings.Contains(s, "ip route replace 10.116.150.128/26 via 172.19.0.2") {
				t.Errorf("uplink script:\n%s", s)
			}
			if !strings.Contains(ufs["etc/midolman/midolman-env.sh"], "gateway-medium") {
				t.Errorf("ufs1 heap file: %q", ufs["etc/midolman/midolman-env.sh"])
			}
			if _, ok := w.files("node1")["etc/zookeeper/zoo.cfg"]; ok {
				t.Error("an NC got a zoo.cfg")
			}
		})
	}
}

// TestSecondRunDoesNothing: on a finished host the hook runs no command and exits 0.
func TestSecondRunDoesNothing(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.runAll(hosts)
	before := w.files("clc1")
	calls := len(w.api.Calls)
	r := w.hook("clc1", nil)
	if r.code != 0 || len(r.log) != 0 || strings.Count(r.out, "skipped (done in an earlier run)") != 15 {
		t.Errorf("second run: exit %d, commands %v\n%s", r.code, r.log, r.out)
	}
	if len(w.api.Calls) != calls {
		t.Errorf("second run called the API: %v", w.api.Calls[calls:])
	}
	if diff := cmp.Diff(before, w.files("clc1")); diff != "" {
		t.Errorf("second run changed files:\n%s", diff)
	}
}

// TestWaitsForZooKeeper: a real ZooKeeper that is down makes the hook wait and say so; it
// proceeds once ZooKeeper comes up.
func TestWaitsForZooKeeper(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	started := make(chan error, 1)
	go func() {
		time.Sleep(3 * time.Second)
		started <- w.zk.StartErr()
	}()
	r := w.hook("node1", nil)
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.out)
	}
	if !strings.Contains(r.out, "waiting for ZooKeeper (10.250.0.10:") {
		t.Errorf("no waiting line:\n%s", r.out)
	}
	if !strings.Contains(strings.Join(r.log, "\n"), "systemctl start midolman") {
		t.Errorf("midolman never started: %v", r.log)
	}
}

// TestZooKeeperNeverComes: with ZooKeeper down for good the hook times out with a clear
// error, exit 1, having started nothing that needs it, and a re-run resumes.
func TestZooKeeperNeverComes(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	r := w.hook("node1", []string{"--timeout", "3s"})
	if r.code != 1 {
		t.Fatalf("exit %d:\n%s", r.code, r.out)
	}
	for _, want := range []string{"[5/8] midolman: FAILED: timed out waiting for ZooKeeper (10.250.0.10:", "stopped at step midolman", "step midolman: timed out"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	for _, c := range r.log {
		if strings.Contains(c, "start midolman") {
			t.Errorf("started midolman without ZooKeeper: %v", r.log)
		}
	}
	w.zk.Start(t)
	r = w.hook("node1", nil)
	if r.code != 0 || !strings.Contains(r.out, "[4/8] midonet-conf: skipped") {
		t.Errorf("resume: exit %d\n%s", r.code, r.out)
	}
}

// TestMnConfRetriesConnectionLoss: mn-conf exiting 3 (ZooKeeper connection lost) is retried.
func TestMnConfRetriesConnectionLoss(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	os.WriteFile(filepath.Join(w.root("node1"), ".test", "flaky"), []byte("2"), 0o644)
	r := w.hook("node1", nil)
	if r.code != 0 || strings.Count(strings.Join(r.log, "\n"), "mn-conf template-set -h local -t default") != 3 {
		t.Errorf("exit %d, commands %v\n%s", r.code, r.log, r.out)
	}
}

// TestAPIFaultsAreRetried: MidoNet answering 503 or dropping connections is retried.
func TestAPIFaultsAreRetried(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	for _, h := range []string{"node1", "node2", "ufs1"} {
		if r := w.hook(h, nil); r.code != 0 {
			t.Fatalf("%s: %s", h, r.out)
		}
	}
	w.api.Mu.Lock()
	w.api.Faults = 6
	w.api.Mu.Unlock()
	r := w.hook("clc1", nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.out)
	}
	w.api.Mu.Lock()
	left := w.api.Faults
	w.api.Mu.Unlock()
	// Dropped connections may be retried inside Go's HTTP transport already (idempotent
	// GETs); the 503s must show in the log as waits.
	if left != 0 || !strings.Contains(r.out, "HTTP 503") {
		t.Errorf("the faults were not all served (%d left) and retried:\n%s", left, r.out)
	}
	if got := len(w.api.Snapshot()["eucatz/gre"]); got != 4 {
		t.Errorf("%d members, want 4", got)
	}
}

// TestKilledAtEachStep: the hook SIGKILLed in each step and run again ends with the same
// files, the same commands and the same MidoNet state as an uninterrupted run. The resumed
// run restarts the killed step from its beginning.
func TestKilledAtEachStep(t *testing.T) {
	ref := newWorld(t, loopbackCloud)
	ref.zk.Start(t)
	for _, h := range []string{"node1", "node2", "ufs1"} {
		ref.hook(h, nil)
	}
	full := ref.hook("clc1", nil)
	if full.code != 0 {
		t.Fatal(full.out)
	}
	wantFiles, wantAPI := ref.files("clc1"), ref.api.Snapshot()
	killPoints := append([]string{}, full.log...)
	killPoints = append(killPoints, "api:first-member")
	for _, kill := range killPoints {
		t.Run(strings.ReplaceAll(kill, " ", "_"), func(t *testing.T) {
			w := newWorld(t, loopbackCloud)
			w.zk.Start(t)
			for _, h := range []string{"node1", "node2", "ufs1"} {
				w.hook(h, nil)
			}
			var first hookRun
			if kill == "api:first-member" {
				// The API kills the hook as it receives the first member.
				w.api.Mu.Lock()
				w.api.KillOnMember = true
				w.api.Mu.Unlock()
				first = w.hookKillable("clc1")
			} else {
				first = w.hook("clc1", nil, "MIDOBAKE_TEST_KILL_ON="+strings.ReplaceAll(kill, "ROOT", w.root("clc1")))
			}
			if first.code != -1 {
				t.Fatalf("the hook was not killed (exit %d):\n%s", first.code, first.out)
			}
			second := w.hook("clc1", nil)
			if second.code != 0 {
				t.Fatalf("resume failed:\n%s", second.out)
			}
			// The killed run is a prefix of the full run; the resumed run is a suffix that
			// starts no later than where the kill happened.
			if diff := cmp.Diff(full.log[:len(first.log)], first.log); diff != "" {
				t.Errorf("killed run's commands are not a prefix of the full run's:\n%s", diff)
			}
			k := len(full.log) - len(second.log)
			if k < 0 || k > len(first.log) {
				t.Fatalf("resumed commands %v do not continue the killed run %v", second.log, first.log)
			}
			if diff := cmp.Diff(full.log[k:], second.log, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("resumed run's commands are not the rest of the full run (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantFiles, w.files("clc1")); diff != "" {
				t.Errorf("files differ from an uninterrupted run (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantAPI, w.api.Snapshot()); diff != "" {
				t.Errorf("MidoNet state differs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTunnelAddressChangeReenrolls: a host enrolled with an old tunnel address is moved to
// the new one when its description changes: its hook announces the new address, and the
// CLC's enrolment moves it.
func TestTunnelAddressChangeReenrolls(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.runAll(hosts)
	w.enrol("--once")
	os.WriteFile(w.site, []byte(strings.Replace(loopbackCloud, "tunnelAddress: 10.250.1.21", "tunnelAddress: 10.250.2.21", 1)), 0o644)
	if r := w.hook("node1", nil); r.code != 0 || !strings.Contains(r.out, "announced: host id uuid-node1, tunnel address 10.250.2.21") {
		t.Fatal(r.out)
	}
	if r := w.enrol("--once"); r.code != 0 || !strings.Contains(r.out, "re-enrolled node1 (uuid-node1) in eucatz with 10.250.2.21") {
		t.Fatal(r.out)
	}
	want := []string{"clc1=10.250.0.10", "node1=10.250.2.21", "node2=10.250.1.22", "ufs1=10.250.0.30"}
	if diff := cmp.Diff(want, w.api.Snapshot()["eucatz/gre"]); diff != "" {
		t.Error(diff)
	}
}

// TestWrongMachineIsRefused: a root finished as one host is not turned into another.
func TestWrongMachineIsRefused(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.hook("node1", nil)
	os.Rename(w.root("node1"), filepath.Join(w.dir, "roots", "node2"))
	r := w.hook("node2", nil)
	if r.code != 1 || !strings.Contains(r.out, "was finished as host node1, not node2") {
		t.Errorf("exit %d:\n%s", r.code, r.out)
	}
	_ = fmt.Sprint()
}

// TestKeepsWhatOperatorsAdded: configuration files written by the image or the user-data
// (possibly from overridden templates) are edited key by key: the hook sets what it owns
// and keeps the rest.
func TestKeepsWhatOperatorsAdded(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	root := w.root("clc1")
	for path, content := range map[string]string{
		"etc/zookeeper/zoo.cfg":      "# site override\ntickTime=2000\nmaxClientCnxns=500\nserver.1=10.9.9.9:2888:3888\nserver.2=10.9.9.8:2888:3888\n",
		"etc/midolman/midolman.conf": "[zookeeper]\nzookeeper_hosts = 127.0.0.1:2181\nsession_timeout = 30000\n",
		// As an overridden cassandra-settings.yaml.tmpl renders it.
		"etc/midobake/cassandra-settings.yaml": "cluster_name: 'midonet'\nseeds: \"10.250.0.10\"\nnum_tokens: 16\nendpoint_snitch: GossipingPropertyFileSnitch\n",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o755)
		os.WriteFile(filepath.Join(root, path), []byte(content), 0o644)
	}
	for _, h := range []string{"node1", "node2", "ufs1"} {
		w.hook(h, nil)
	}
	if r := w.hook("clc1", nil); r.code != 0 {
		t.Fatal(r.out)
	}
	files := w.files("clc1")
	want := "644 # site override\ntickTime=2000\nmaxClientCnxns=500\nserver.1=10.250.0.10:2888:3888\nautopurge.purgeInterval=1\nautopurge.snapRetainCount=3\nclientPort=2181\ndataDir=/var/lib/zookeeper/data\n"
	if diff := cmp.Diff(want, files["etc/zookeeper/zoo.cfg"]); diff != "" {
		t.Errorf("zoo.cfg:\n%s", diff)
	}
	if diff := cmp.Diff("644 [zookeeper]\nzookeeper_hosts = 10.250.0.10:2181\nsession_timeout = 30000\n", files["etc/midolman/midolman.conf"]); diff != "" {
		t.Errorf("midolman.conf:\n%s", diff)
	}
	wantCassandra := "644 cluster_name: 'midonet'\nnum_tokens: 16\nseed_provider:\n    - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n      parameters:\n          - seeds: \"10.250.0.10\"\nlisten_address: 10.250.0.10\nrpc_address: 10.250.0.10\nendpoint_snitch: GossipingPropertyFileSnitch\n"
	if diff := cmp.Diff(wantCassandra, files["etc/cassandra/conf/cassandra.yaml"]); diff != "" {
		t.Errorf("cassandra.yaml:\n%s", diff)
	}
}

// TestMidolmanWaitsForNSDBSettings: an agent whose CLC has not yet written the NSDB settings
// (mn-conf set -t default) does not start Midolman, which would read no Cassandra servers
// and keep that; it waits, says what for, and once the CLC has run, goes on.
func TestMidolmanWaitsForNSDBSettings(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.nsdbPreset.Store(false)
	w.zk.Start(t)
	r := w.hook("node1", []string{"--timeout", "3s"})
	if r.code == 0 || !strings.Contains(r.out, "waiting for the NSDB settings in ZooKeeper (/midonet/config/templates/default)") {
		t.Fatalf("node1 without the CLC: exit %d\n%s", r.code, r.out)
	}
	for _, c := range r.log {
		if strings.Contains(c, "midolman") && strings.HasPrefix(c, "systemctl start") {
			t.Fatalf("Midolman was started before the NSDB settings: %v", r.log)
		}
	}
	results := w.runAll([]string{"node1", "node2", "ufs1", "clc1"})
	for h, r := range results {
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", h, r.code, r.out)
		}
	}
}

// TestTemplateWaitsForHostID: Midolman writes its host id some time after it started (after it
// reached ZooKeeper); "mn-conf template-set -h local" before then would make an id of its own,
// and the host would register twice. The template step waits for Midolman's.
func TestTemplateWaitsForHostID(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	r := w.hook("node1", nil, "MIDOBAKE_TEST_HOSTID_DELAY=2")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.out)
	}
	if !strings.Contains(r.out, "waiting for Midolman's host id") {
		t.Errorf("the hook did not wait for the host id:\n%s", r.out)
	}
}

// TestEnableReloadsOnlyWhenNeeded: a unit systemd has as it is on disk is enabled without a
// reload of systemd (seconds each on a busy boot); one it has not loaded, or that changed on
// disk since, with one.
func TestEnableReloadsOnlyWhenNeeded(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	units := "zookeeper loaded no\ncassandra loaded yes\nmidonet-cluster not-found no\n"
	if err := os.WriteFile(filepath.Join(w.root("clc1"), ".test", "units"), []byte(units), 0o644); err != nil {
		t.Fatal(err)
	}
	// The dry run says what the run will do, asking systemd the same question.
	dry := w.hook("clc1", []string{"--dry-run"})
	if !strings.Contains(dry.out, "systemctl --no-reload enable zookeeper; systemctl start zookeeper (systemd has the unit as on disk: no reload)") ||
		!strings.Contains(dry.out, "systemctl enable cassandra; systemctl start cassandra") {
		t.Errorf("the dry run does not show the reload decision:\n%s", dry.out)
	}
	r := w.hook("clc1", nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.out)
	}
	enables := map[string]string{}
	for _, c := range r.log {
		if rest, ok := strings.CutPrefix(c, "systemctl "); ok && strings.Contains(rest, "enable ") {
			fields := strings.Fields(rest)
			enables[fields[len(fields)-1]] = rest
		}
	}
	want := map[string]string{
		"zookeeper":       "--no-reload enable zookeeper",
		"cassandra":       "enable cassandra",       // changed on disk since loaded
		"midonet-cluster": "enable midonet-cluster", // not loaded
		"midolman":        "enable midolman",        // systemd gave no answer
	}
	for unit, cmd := range want {
		if enables[unit] != cmd {
			t.Errorf("%s: systemctl %q, want %q", unit, enables[unit], cmd)
		}
	}
}

// TestNSDBGuideSteps: what MidoNet's NSDB guide does by hand on an NSDB host, the hook does:
// /var/run/cassandra owned by cassandra before Cassandra starts, and at every boot through
// tmpfiles.d; ZooKeeper's /usr/java/default/bin/java.
func TestNSDBGuideSteps(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	for _, h := range []string{"node1", "node2", "ufs1"} {
		w.hook(h, nil)
	}
	r := w.hook("clc1", nil)
	if r.code != 0 {
		t.Fatal(r.out)
	}
	files := w.files("clc1")
	if got := files["usr/java/default/bin/java"]; got != "-> /usr/bin/java" {
		t.Errorf("/usr/java/default/bin/java: %q", got)
	}
	if got := files["etc/tmpfiles.d/cassandra.conf"]; !strings.Contains(got, "\nd /var/run/cassandra 0755 cassandra cassandra -\n") {
		t.Errorf("tmpfiles.d entry: %q", got)
	}
	if st, err := os.Stat(filepath.Join(w.root("clc1"), "var/run/cassandra")); err != nil || !st.IsDir() {
		t.Errorf("/var/run/cassandra: %v", err)
	}
	chown, start := -1, -1
	for i, c := range r.log {
		switch c {
		case "chown cassandra:cassandra ROOT/var/run/cassandra":
			chown = i
		case "systemctl start cassandra":
			start = i
		}
	}
	if chown < 0 || start < 0 || chown > start {
		t.Errorf("want chown of /var/run/cassandra before Cassandra starts, commands:\n%s", strings.Join(r.log, "\n"))
	}
}

// TestApplyNetwork: on the CLC, --apply-network gives Eucalyptus the network configuration
// through euctl (a stand-in that keeps the property in a file, as Eucalyptus keeps it), reads
// it back, and does nothing when Eucalyptus has it already; a value that does not read back
// is an error; another host refuses the flag.
func TestApplyNetwork(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	euctl := `#!/bin/sh
echo "euctl $*" >> "$MIDOBAKE_TEST_LOG"
f="$MIDOBAKE_TEST_STATE/euctl-property"
case "$1" in
  -n) cat "$f" 2>/dev/null || true ;;
  *=@*) if [ -e "$MIDOBAKE_TEST_STATE/euctl-mangles" ]; then echo '{"Mode":"EDGE"}' > "$f"; else cp "${1#*=@}" "$f"; fi ;;
esac
`
	if err := os.WriteFile(filepath.Join(w.stubs, "euctl"), []byte(euctl), 0o755); err != nil {
		t.Fatal(err)
	}
	w.zk.Start(t)
	for _, h := range []string{"node1", "node2", "ufs1"} {
		w.hook(h, nil)
	}
	if r := w.hook("node1", []string{"--apply-network"}); r.code == 0 || !strings.Contains(r.out, "host node1 is not the CLC") {
		t.Errorf("--apply-network on a node controller: exit %d\n%s", r.code, r.out)
	}
	first := w.hook("clc1", []string{"--apply-network"})
	if first.code != 0 || !strings.Contains(first.out, "apply-network: network configuration applied and read back") {
		t.Fatalf("exit %d\n%s", first.code, first.out)
	}
	set := "euctl cloud.network.network_configuration=@ROOT/etc/midobake/network.json"
	if !slices.Contains(first.log, set) {
		t.Errorf("no %q in %v", set, first.log)
	}
	stored, _ := os.ReadFile(filepath.Join(w.root("clc1"), ".test", "euctl-property"))
	if !strings.Contains(string(stored), `"Mode": "VPCMIDO"`) && !strings.Contains(string(stored), `"Mode":"VPCMIDO"`) {
		t.Errorf("Eucalyptus got %q", stored)
	}
	again := w.hook("clc1", []string{"--apply-network"})
	if again.code != 0 || !strings.Contains(again.out, "Eucalyptus already has this network configuration") || slices.Contains(again.log, set) {
		t.Errorf("second run: exit %d, commands %v\n%s", again.code, again.log, again.out)
	}
	os.WriteFile(filepath.Join(w.root("clc1"), ".test", "euctl-property"), nil, 0o644)
	os.WriteFile(filepath.Join(w.root("clc1"), ".test", "euctl-mangles"), nil, 0o644)
	bad := w.hook("clc1", []string{"--apply-network"})
	if bad.code == 0 || !strings.Contains(bad.out, `now reads "{\"Mode\":\"EDGE\"}"`) {
		t.Errorf("a value that does not read back: exit %d\n%s", bad.code, bad.out)
	}
}

// TestOneStep: --step runs one of the host's steps, done or not, as cloud-init single --name
// runs one module; a name that is no step's, or a step the host does not run, is an error
// that lists what there is, and nothing runs.
func TestOneStep(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	if r := w.hook("node1", nil); r.code != 0 {
		t.Fatal(r.out)
	}
	r := w.hook("node1", []string{"--step", "time"})
	if r.code != 0 || !strings.Contains(r.out, "[1/1] time: running it, as --step says") || !strings.Contains(r.out, "[1/1] time: done (") ||
		!slices.Contains(r.log, "systemctl start chronyd") {
		t.Fatalf("exit %d, commands %v\n%s", r.code, r.log, r.out)
	}
	if strings.Contains(r.out, "firewall") {
		t.Errorf("--step time ran another step:\n%s", r.out)
	}
	r = w.hook("node1", []string{"--step", "zookeeper"})
	if r.code == 0 || !strings.Contains(r.out, "--step zookeeper: host node1 (profile nc) does not run it; its steps are: identify, firewall, time,") || len(r.log) != 0 {
		t.Errorf("a step node1 does not run: exit %d, commands %v\n%s", r.code, r.log, r.out)
	}
	r = w.hook("node1", []string{"--step", "tiem"})
	if r.code == 0 || !strings.Contains(r.out, "--step tiem: no step of that name; the steps are: identify, firewall, time, zookeeper,") || len(r.log) != 0 {
		t.Errorf("an unknown step: exit %d, commands %v\n%s", r.code, r.log, r.out)
	}
}
