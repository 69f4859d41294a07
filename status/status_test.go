package status

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/report"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func example(t *testing.T) (*cloud.Cloud, *Site) {
	t.Helper()
	c, rep := cloud.Load("example.yaml", cloud.Example())
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	return c, NewSite(cloud.Example(), c)
}

func doneReport(c *cloud.Cloud, name, site string) midonet.Stored {
	h, _ := c.Host(name)
	r := report.Report{Version: 1, Host: name, Cloud: c.Name, Midobake: "0.1.0", SiteSHA256: site,
		Started: t0, Updated: t0.Add(time.Minute), State: report.Done, Total: 12, Since: t0.Add(time.Minute)}
	if h.Has(cloud.RoleCassandra) {
		r.Services = []report.Service{{Name: "zookeeper", OK: true, State: "standalone"}, {Name: "cassandra", OK: true, State: "answering"}}
	}
	return midonet.Stored{Name: name, Report: r}
}

// converged are the facts of the example cloud, every host finished and enrolled.
func converged(t *testing.T) (*cloud.Cloud, *Site, Facts) {
	c, sites := example(t)
	f := Facts{Servers: []Server{{Address: "10.111.5.10:2181", Mode: "standalone"}},
		Zone: &midonet.TunnelZone{ID: "z1", Name: "eucatz", Type: "gre"}}
	for i, h := range c.Hosts {
		f.Reports = append(f.Reports, doneReport(c, h.Name, sites.raw))
		id := "id-" + h.Name
		f.Hosts = append(f.Hosts, midonet.Host{ID: id, Name: h.Name, Addresses: []string{h.Address, h.TunnelAddress}, Alive: true})
		f.Members = append(f.Members, midonet.Member{HostID: id, IPAddress: h.TunnelAddress})
		_ = i
	}
	f.Network = Check{Name: "eucalyptus-network-configuration", Detail: "no euctl here"}
	return c, sites, f
}

func golden(t *testing.T, name string, st Status) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", name+".txt"), []byte(strings.Join(st.Lines(), "\n")+"\n"))
	b, _ := json.MarshalIndent(st, "", "  ")
	testenv.Golden(t, filepath.Join("testdata", name+".json"), append(b, '\n'))
}

func TestConverged(t *testing.T) {
	c, sites, f := converged(t)
	st := Evaluate(c, sites, f)
	if !st.Converged || st.Problems != 0 {
		t.Fatalf("want converged, got %d problems:\n%s", st.Problems, strings.Join(st.Lines(), "\n"))
	}
	if last := st.Lines()[len(st.Lines())-1]; last != "cloud euca-lab: converged" {
		t.Errorf("last line %q", last)
	}
	golden(t, "converged", st)
}

// TestFaults: every kind of problem is named on its host's line, counted, and the checks
// that fail say why; a host the description does not name is shown and never trusted
// beyond itself.
func TestFaults(t *testing.T) {
	c, sites, f := converged(t)
	// node1 waits for ZooKeeper at step 7, by serve's newer report (ZooKeeper's is older).
	waiting := f.Reports[1]
	waiting.Report.State, waiting.Report.Step, waiting.Report.Index = report.Waiting, "midolman", 7
	waiting.Report.WaitingFor = "ZooKeeper (10.111.5.10:2181): dial tcp 10.111.5.10:2181: i/o timeout"
	waiting.Report.Updated = t0.Add(5 * time.Minute)
	f.ServeAsked = true
	f.ServeReports = []midonet.Stored{waiting}
	// node2: stale site data, and a member at another address.
	f.Reports[2].Report.SiteSHA256 = strings.Repeat("0", 64)
	f.Members[2].IPAddress = "10.112.5.99"
	// ufs1: a report that speaks for another host, with a terminal escape in it.
	_, why := report.Parse("ufs1", []byte(`{"version":1,"host":"evil\u001b[2J","state":"done"}`))
	f.Reports[3] = midonet.Stored{Name: "ufs1", Bad: why}
	// clc1: Cassandra down.
	f.Reports[0].Report.Services[1] = report.Service{Name: "cassandra", OK: false, State: "not answering: connection refused"}
	// A host only MidoNet knows, alive and not a member; a report from a host nobody knows.
	f.Hosts = append(f.Hosts, midonet.Host{ID: "id-x", Name: "stray.example", Addresses: []string{"10.111.5.77"}, Alive: true})
	f.Reports = append(f.Reports, midonet.Stored{Name: "ghost", Report: report.Report{Host: "ghost", State: report.Failed, Step: "identify", Index: 1, Total: 12, Error: "no such host\x07"}})
	st := Evaluate(c, sites, f)
	if st.Converged {
		t.Fatal("converged with faults")
	}
	text := strings.Join(st.Lines(), "\n")
	for _, want := range []string{
		"\nnode1 ", "waiting at 7/12 midolman", "waiting for ZooKeeper (10.111.5.10:2181)",
		"its site data is not this description's", "member of tunnel zone eucatz at 10.112.5.99, not at its tunnel address 10.112.5.22",
		"its report is not trusted", "Cassandra not answering",
		"stray.example", "ghost", "(not in the description)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status does not say %q:\n%s", want, text)
		}
	}
	if strings.ContainsAny(text, "\x1b\x07") {
		t.Errorf("a control character from a report reached the output:\n%q", text)
	}
	golden(t, "faults", st)
}

// TestUnreachable: with ZooKeeper and the API unreachable, what was read is shown, nothing
// is blamed on the hosts that could not be asked, and the verdict is not converged.
func TestUnreachable(t *testing.T) {
	c, sites := example(t)
	f := Facts{Servers: []Server{{Address: "10.111.5.10:2181", Error: "dial tcp 10.111.5.10:2181: connect: connection refused"}},
		ZooKeeperError: "no ZooKeeper session with [10.111.5.10:2181]", APIError: "MidoNet API at http://127.0.0.1:8080/midonet-api: connection refused",
		Network: Check{Name: "eucalyptus-network-configuration", Detail: "no euctl here"}}
	st := Evaluate(c, sites, f)
	if st.Converged {
		t.Fatal("converged without sources")
	}
	for _, h := range st.Hosts {
		if h.FirstBoot.State != "unknown" || (h.Name != "clc1" && len(h.Problems) > 0) {
			t.Errorf("%s: %+v: a host that could not be asked about is not blamed", h.Name, h)
		}
	}
	golden(t, "unreachable", st)
}

func TestEucanetdPrecondition(t *testing.T) {
	c, sites, f := converged(t)
	f.Members = f.Members[:1]
	st := Evaluate(c, sites, f)
	var got Check
	for _, ch := range st.Checks {
		if ch.Name == "eucanetd-tunnel-zone" {
			got = ch
		}
	}
	if got.OK || !strings.Contains(got.Detail, "node1, node2, ufs1") {
		t.Errorf("eucanetd check: %+v", got)
	}
}

// TestNetworkConfiguration: Eucalyptus's network configuration, as euctl shows it, against
// the description's network.json: equal whatever the formatting, different, or unreadable.
func TestNetworkConfiguration(t *testing.T) {
	c, _ := example(t)
	want := cloud.NetworkJSON(c)
	var reformatted bytes.Buffer
	json.Indent(&reformatted, want, "", "    ")
	for name, tc := range map[string]struct {
		out []byte
		err error
		ok  bool
		say string
	}{
		"same":        {out: reformatted.Bytes(), ok: true, say: "is the description's network.json"},
		"different":   {out: []byte(`{"Mode":"EDGE"}`), say: "apply it with midobake firstboot --apply-network"},
		"euctl fails": {err: errors.New("exit status 1: not registered\x1b[2J"), say: `not registered\x1b[2J`},
	} {
		ch := networkCheck(context.Background(), c, func(context.Context) ([]byte, error) { return tc.out, tc.err })
		if !ch.Checked || ch.OK != tc.ok || !strings.Contains(ch.Detail, tc.say) {
			t.Errorf("%s: %+v", name, ch)
		}
	}
}

// TestLateHost: a host the description on hand does not name (it came later, with newer
// site data) keeps the cloud from converging while its first boot waits, and not once it is
// done and enrolled.
func TestLateHost(t *testing.T) {
	c, sites, f := converged(t)
	late := midonet.Stored{Name: "node4", Report: report.Report{Version: 1, Host: "node4", Cloud: c.Name,
		State: report.Waiting, Step: "midolman", Index: 7, Total: 12, WaitingFor: "ZooKeeper (10.111.5.10:2181): i/o timeout",
		Started: t0, Updated: t0.Add(time.Minute), Since: t0}}
	f.Reports = append(f.Reports, late)
	st := Evaluate(c, sites, f)
	text := strings.Join(st.Lines(), "\n")
	if st.Converged || st.Problems != 1 || !strings.Contains(text, "waiting for ZooKeeper (10.111.5.10:2181)") {
		t.Fatalf("a late host waiting: want 1 problem naming what it waits for, got %d:\n%s", st.Problems, text)
	}
	done := f.Reports[len(f.Reports)-1].Report
	done.State, done.Step, done.Index, done.WaitingFor = report.Done, "", 12, ""
	f.Reports[len(f.Reports)-1].Report = done
	f.Hosts = append(f.Hosts, midonet.Host{ID: "id-node4", Name: "node4", Addresses: []string{"10.111.5.24", "10.112.5.24"}, Alive: true})
	f.Members = append(f.Members, midonet.Member{HostID: "id-node4", IPAddress: "10.112.5.24"})
	if st := Evaluate(c, sites, f); !st.Converged {
		t.Fatalf("a late host done and enrolled: want converged:\n%s", strings.Join(st.Lines(), "\n"))
	}
}
