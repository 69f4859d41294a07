package report

import (
	"strings"
	"testing"
)

// FuzzParse: whatever a node holds, Parse never panics, never accepts more than MaxSize or
// a report naming another host, and what it accepts writes back as a report it accepts.
func FuzzParse(f *testing.F) {
	good, _ := sample().Marshal()
	f.Add("node1", good)
	f.Add("node1", []byte(`{"version":1,"host":"node1","state":"done","total":3}`))
	f.Add("x", []byte(`{"version":1,"host":"x\u001b[2J","state":"waiting","index":2,"total":1}`))
	f.Add("node1", []byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		r, why := Parse(name, data)
		if why != "" {
			return
		}
		if len(data) > MaxSize || r.Host != name {
			t.Fatalf("accepted %d bytes naming %q under %q", len(data), r.Host, name)
		}
		again, err := r.Marshal()
		if err != nil {
			// Re-encoding may grow a report (JSON escapes < as \u003c): then it says so.
			if !strings.Contains(err.Error(), "at most") {
				t.Fatalf("an accepted report does not write back: %v", err)
			}
			return
		}
		if _, why := Parse(name, again); why != "" {
			t.Fatalf("an accepted report, written back, is refused: %s", why)
		}
	})
}
