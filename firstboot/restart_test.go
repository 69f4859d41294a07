package firstboot

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// restarts lists the units a run restarted, from its command log.
func restarts(log []string) []string {
	var out []string
	for _, c := range log {
		if u, ok := strings.CutPrefix(c, "systemctl restart "); ok {
			out = append(out, u)
		}
	}
	return out
}

// TestChangesRestartExactlyTheirServices: a re-run with changed site data restarts the
// services whose inputs changed, once each, says why, and nothing else.
func TestChangesRestartExactlyTheirServices(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.runAll(hosts)
	large := strings.Replace(loopbackCloud, "size: standard", "size: large", 1)
	os.WriteFile(w.site, []byte(large), 0o644)

	r := w.hook("node1", nil)
	if r.code != 0 {
		t.Fatal(r.out)
	}
	if diff := cmp.Diff([]string{"midolman"}, restarts(r.log)); diff != "" {
		t.Errorf("node1 restarts (-want +got):\n%s\n%v", diff, r.log)
	}
	if !regexp.MustCompile(`mn-conf template-set -h local -t agent-compute-large`).MatchString(strings.Join(r.log, "\n")) {
		t.Errorf("no new template: %v", r.log)
	}
	if !strings.Contains(r.out, "restarted midolman: /etc/midolman/midolman-env.sh, the Midolman template changed") {
		t.Errorf("the log does not say why:\n%s", r.out)
	}

	r = w.hook("clc1", nil)
	if r.code != 0 {
		t.Fatal(r.out)
	}
	// The CLC's ZooKeeper and Cassandra read nothing that changed; midonet-cluster's heap
	// follows the size (1024M -> 2048M); its Midolman has a new template; the enrolment
	// service reads the site data.
	if diff := cmp.Diff([]string{"midonet-cluster", "midolman", "midobake-enrol"}, restarts(r.log)); diff != "" {
		t.Errorf("clc1 restarts (-want +got):\n%s\n%v", diff, r.log)
	}
	if !strings.Contains(r.out, "restarted midobake-enrol: the site data changed") {
		t.Errorf("the log does not say why:\n%s", r.out)
	}

	// The same site data again: nothing runs.
	if r := w.hook("clc1", nil); r.code != 0 || len(r.log) != 0 {
		t.Errorf("a re-run with the same site data ran %v", r.log)
	}
}

// TestNSDBChangeRestartsTheCluster: other Cassandra settings (a new seed list) rewrite the
// settings the CLC took from the render, restart Cassandra and what reads the NSDB settings.
func TestNSDBChangeRestartsTheCluster(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.runAll(hosts)
	moved := strings.Replace(loopbackCloud, "midonet: {size: standard,", "midonet: {size: standard, cassandraClusterName: midonet,", 1)
	moved = strings.Replace(moved, "tunnelAddress: 10.250.1.22, roles: [nc]", "tunnelAddress: 10.250.1.22, roles: [nc, cassandra]", 1)
	os.WriteFile(w.site, []byte(moved), 0o644)
	r := w.hook("clc1", nil)
	if r.code != 0 {
		t.Fatal(r.out)
	}
	got := restarts(r.log)
	for _, want := range []string{"cassandra", "midonet-cluster", "midolman", "midobake-enrol"} {
		if !slices.Contains(got, want) {
			t.Errorf("%s not restarted: %v", want, r.log)
		}
	}
	if slices.Contains(got, "zookeeper") {
		t.Errorf("ZooKeeper restarted, though nothing it reads changed: %v", r.log)
	}
	if !strings.Contains(w.files("clc1")["etc/cassandra/conf/cassandra.yaml"], `- seeds: "10.250.0.10,10.250.0.22"`) {
		t.Errorf("cassandra.yaml seeds:\n%s", w.files("clc1")["etc/cassandra/conf/cassandra.yaml"])
	}
}

// TestClusterNameCannotChange: Cassandra's cluster name after its first start is an error
// that says what to do, and nothing is restarted.
func TestClusterNameCannotChange(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.runAll(hosts)
	renamed := strings.Replace(loopbackCloud, "midonet: {size: standard,", "midonet: {size: standard, cassandraClusterName: other,", 1)
	os.WriteFile(w.site, []byte(renamed), 0o644)
	r := w.hook("clc1", nil)
	if r.code != 1 || !strings.Contains(r.out, "Cassandra's cluster name is 'midonet' and the site data says 'other'") || len(restarts(r.log)) != 0 {
		t.Errorf("exit %d, restarts %v:\n%s", r.code, restarts(r.log), r.out)
	}
}
