package firstboot

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/midobake/midobake/cloud"
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
		registered []midoHost
		members    []member
		want       enrolment
	}{
		{name: "nobody registered",
			want: enrolment{Pending: []string{"clc1", "node1", "node2", "ufs1"}}},
		{name: "matched by qualified name, by address, by tunnel address; one not alive",
			registered: []midoHost{
				{ID: "a", Name: "clc1.cloud.example", Alive: true},
				{ID: "b", Name: "localhost", Addresses: []string{"10.0.0.2"}, Alive: true},
				{ID: "c", Name: "x", Addresses: []string{"10.1.0.3"}, Alive: true},
				{ID: "d", Name: "ufs1", Alive: false},
			},
			want: enrolment{
				Actions: []enrolAction{
					{Host: "clc1", HostID: "a", Address: "10.0.0.1"},
					{Host: "node1", HostID: "b", Address: "10.1.0.2"},
					{Host: "node2", HostID: "c", Address: "10.1.0.3"},
				},
				Pending: []string{"ufs1"},
			}},
		{name: "members at the right address stay; a moved one is replaced",
			registered: []midoHost{
				{ID: "a", Name: "clc1", Alive: true}, {ID: "b", Name: "node1", Alive: true},
				{ID: "c", Name: "node2", Alive: true}, {ID: "d", Name: "ufs1", Alive: true},
			},
			members: []member{{HostID: "a", IPAddress: "10.0.0.1"}, {HostID: "b", IPAddress: "10.9.9.9"}, {HostID: "d", IPAddress: "10.0.0.4"}},
			want: enrolment{
				Actions:  []enrolAction{{Host: "node1", HostID: "b", Address: "10.1.0.2", Replace: true}, {Host: "node2", HostID: "c", Address: "10.1.0.3"}},
				Enrolled: []string{"clc1", "ufs1"},
			}},
		{name: "the first registration of a name wins",
			registered: []midoHost{{ID: "first", Name: "node1", Alive: true}, {ID: "second", Name: "node1", Alive: true}},
			members:    nil,
			want: enrolment{
				Actions: []enrolAction{{Host: "node1", HostID: "first", Address: "10.1.0.2"}},
				Pending: []string{"clc1", "node2", "ufs1"},
			}},
	} {
		got := planEnrolment(agents, nil, tc.registered, tc.members)
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
