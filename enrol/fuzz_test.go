package enrol

import (
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
)

// FuzzAnnouncement: whatever a ZooKeeper node holds, under whatever name, enrolment acts only
// on a host MidoNet knows, at an address MidoNet lists as that host's, under the node's own
// name; and nothing it says of a refusal reaches a log unescaped.
func FuzzAnnouncement(f *testing.F) {
	f.Add("node9", []byte(`{"name": "node9", "hostId": "a", "tunnelAddress": "10.1.0.9"}`), "10.1.0.9")
	f.Add("node9", []byte(`{"name": "node8", "hostId": "a", "tunnelAddress": "10.1.0.9"}`), "10.1.0.9")
	f.Add("x\x1b[2J", []byte(`{"name": "x\u001b[2J", "hostId": "a\n", "tunnelAddress": "\u202e1"}`), "")
	f.Fuzz(func(t *testing.T, node string, data []byte, listed string) {
		registered := []midonet.Host{{ID: "a", Name: "node9", Alive: true}}
		if listed != "" {
			registered[0].Addresses = []string{listed}
		}
		a, why := midonet.ParseAnnouncement(node, data)
		if why != "" {
			return
		}
		plan := Decide(nil, []midonet.Announcement{a}, registered, nil)
		for _, act := range plan.Actions {
			if act.HostID != "a" || act.Address != listed || act.Host != node || listed == "" {
				t.Fatalf("acted on %+v (node %q, MidoNet lists %q)", act, node, listed)
			}
		}
		for _, r := range plan.Refused {
			if r.Name != cloud.Printable(r.Name, 1<<20) || r.Why != cloud.Printable(r.Why, 1<<20) || strings.ContainsAny(r.Why+r.Name, "\x1b\n\u202e") {
				t.Fatalf("unescaped refusal %q: %q", r.Name, r.Why)
			}
		}
	})
}
