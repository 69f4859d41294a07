package report

import (
	"strings"
	"testing"
	"time"
)

func sample() Report {
	t := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	return Report{Host: "node1", Cloud: "c", Midobake: "0.1.0", SiteSHA256: strings.Repeat("a", 64), Started: t, Updated: t,
		State: Waiting, Step: "midolman", Index: 7, Total: 12, Since: t, WaitingFor: "ZooKeeper",
		Steps: []Step{{Name: "identify", Outcome: StepDone, Detail: "host node1"}}}
}

func TestRoundTrip(t *testing.T) {
	b, err := sample().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	r, why := Parse("node1", b)
	if why != "" || r.Host != "node1" || r.State != Waiting || r.Index != 7 || r.Version != Version {
		t.Fatalf("Parse(Marshal) = %+v, %q", r, why)
	}
}

// TestParseRefuses: a report is the host's own word about itself, or nothing.
func TestParseRefuses(t *testing.T) {
	good, _ := sample().Marshal()
	for name, c := range map[string]struct {
		node string
		data string
		why  string
	}{
		"another host":  {"node2", string(good), `speaks for another host ("node1")`},
		"oversized":     {"node1", `{"version":1,"pad":"` + strings.Repeat("x", MaxSize) + `"}`, "at most 16384"},
		"not JSON":      {"node1", "\x00\x01", "not JSON"},
		"version 2":     {"node1", `{"version":2,"host":"node1"}`, "report version 2; this midobake reads version 1"},
		"unknown field": {"node1", `{"version":1,"host":"node1","state":"done","admin":true}`, "does not parse"},
		"unknown state": {"node1", `{"version":1,"host":"node1","state":"happy"}`, `unknown state "happy"`},
		"step past end": {"node1", `{"version":1,"host":"node1","state":"running","index":9,"total":3}`, "at step 9 of 3"},
	} {
		if _, why := Parse(c.node, []byte(c.data)); !strings.Contains(why, c.why) {
			t.Errorf("%s: got %q, want it to say %q", name, why, c.why)
		}
	}
}

// TestMarshalBounded: long texts are clipped, and a report never exceeds MaxSize.
func TestMarshalBounded(t *testing.T) {
	r := sample()
	r.Error = strings.Repeat("é", 10000)
	for i := 0; i < 40; i++ {
		r.Steps = append(r.Steps, Step{Name: "s", Outcome: StepDone, Detail: strings.Repeat("d", 10000)})
	}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxSize {
		t.Fatalf("%d bytes", len(b))
	}
	p, why := Parse("node1", b)
	if why != "" || len(p.Error) > maxText+3 || !strings.HasSuffix(p.Error, "...") {
		t.Fatalf("clipped error %q (%s)", p.Error, why)
	}
}
