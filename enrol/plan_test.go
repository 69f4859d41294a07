package enrol

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/synth"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
)

// TestPlanEnrolment drives the enrolment decision without HTTP: hosts, members, wanted →
// actions.
func TestPlanEnrolment(t *testing.T) {
	agents := []cloud.Host{
		{Name: "clc1", Address: "10.0.0.1", TunnelAddress: "10.0.0.1"},
		{Name: "node1", Address: "10.0.0.2", TunnelAddress: "10.1.0.2"},
		{Name: "node2", Address: "10.0.0.3", TunnelAddress: "10.1.0.3"},
		{Name: "ufs1", Address: "10.0.0.4", TunnelAddress: "10.0.0.4"},
	}
	for _, tc := range []struct {
		name       string
		registered []midonet.Host
		members    []midonet.Member
		want       Plan
	}{
		{name: "nobody registered",
			want: Plan{Pending: []string{"clc1", "node1", "node2", "ufs1"}}},
		{name: "matched by qualified name, by address, by tunnel address; one not alive",
			registered: []midonet.Host{
				{ID: "a", Name: "clc1.cloud.example", Alive: true},
				{ID: "b", Name: "localhost", Addresses: []string{"10.0.0.2"}, Alive: true},
				{ID: "c", Name: "x", Addresses: []string{"10.1.0.3"}, Alive: true},
				{ID: "d", Name: "ufs1", Alive: false},
			},
			want: Plan{
				Actions: []Action{
					{Host: "clc1", HostID: "a", Address: "10.0.0.1"},
					{Host: "node1", HostID: "b", Address: "10.1.0.2"},
					{Host: "node2", HostID: "c", Address: "10.1.0.3"},
				},
				Pending: []string{"ufs1"},
			}},
		{name: "members at the right address stay; a moved one is replaced",
			registered: []midonet.Host{
				{ID: "a", Name: "clc1", Alive: true}, {ID: "b", Name: "node1", Alive: true},
				{ID: "c", Name: "node2", Alive: true}, {ID: "d", Name: "ufs1", Alive: true},
			},
			members: []midonet.Member{{HostID: "a", IPAddress: "10.0.0.1"}, {HostID: "b", IPAddress: "10.9.9.9"}, {HostID: "d", IPAddress: "10.0.0.4"}},
			want: Plan{
				Actions:  []Action{{Host: "node1", HostID: "b", Address: "10.1.0.2", Replace: true}, {Host: "node2", HostID: "c", Address: "10.1.0.3"}},
				Enrolled: []string{"clc1", "ufs1"},
			}},
		{name: "the first registration of a name wins",
			registered: []midonet.Host{{ID: "first", Name: "node1", Alive: true}, {ID: "second", Name: "node1", Alive: true}},
			members:    nil,
			want: Plan{
				Actions: []Action{{Host: "node1", HostID: "first", Address: "10.1.0.2"}},
				Pending: []string{"clc1", "node2", "ufs1"},
			}},
	} {
		got := Decide(agents, nil, tc.registered, tc.members)
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// BenchmarkDecide1000Hosts is one enrolment decision for a cloud of 1,000 hosts, all
// registered and alive and none a member yet: every Midolman host gets an action.
func BenchmarkDecide1000Hosts(b *testing.B) {
	c, rep := cloud.Load("synth", synth.Cloud(1000, 1))
	if c == nil {
		b.Fatal(rep.Format(false))
	}
	top := roles.Resolve(c)
	var alive []midonet.Host
	for _, h := range c.Hosts {
		alive = append(alive, midonet.Host{ID: "uuid-" + h.Name, Name: h.Name, Alive: true})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n := len(Decide(top.Agents, nil, alive, nil).Actions); n != len(top.Agents) {
			b.Fatalf("%d actions for %d agents", n, len(top.Agents))
		}
	}
}

// TestDecideRefusesWhatItCannotProve: an announcement's tunnel address is accepted only when
// MidoNet lists it among the host's own addresses; a host MidoNet lists no addresses for
// proves nothing. What the refusal quotes from the announcement is escaped.
func TestDecideRefusesWhatItCannotProve(t *testing.T) {
	registered := []midonet.Host{{ID: "a", Name: "node9", Alive: true}}
	anns := []midonet.Announcement{{Name: "node9", HostID: "a", TunnelAddress: "10.1.0.9\x1b[2J"}}
	plan := Decide(nil, anns, registered, nil)
	if len(plan.Actions) != 0 || len(plan.Refused) != 1 {
		t.Fatalf("%+v", plan)
	}
	why := plan.Refused[0].Why
	if !strings.Contains(why, "MidoNet lists no addresses for host a, so its tunnel address 10.1.0.9\\x1b[2J cannot be proven its own") || strings.Contains(why, "\x1b") {
		t.Errorf("%q", why)
	}
}
