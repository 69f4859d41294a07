package status

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestWatchShowsOnlyWhatChanges: the first status whole, then per poll the host lines that
// changed and the verdict when anything did, until converged; a poll that changes nothing
// prints nothing.
func TestWatchShowsOnlyWhatChanges(t *testing.T) {
	host := func(name, midolman string) Host {
		return Host{Name: name, Roles: []string{"nc"}, Described: true, Midolman: midolman}
	}
	polls := []Status{
		{Cloud: "c", Problems: 2, Hosts: []Host{host("node1", "down"), host("node2", "down")}},
		{Cloud: "c", Problems: 2, Hosts: []Host{host("node1", "down"), host("node2", "down")}},
		{Cloud: "c", Problems: 1, Hosts: []Host{host("node1", "alive"), host("node2", "down")}},
		{Cloud: "c", Converged: true, Hosts: []Host{host("node1", "alive"), host("node2", "alive")}},
	}
	i := 0
	poll := func() Status { st := polls[i]; i++; return st }
	var out bytes.Buffer
	st, ok := Watch(context.Background(), poll, time.Millisecond, &out)
	if !ok || !st.Converged || i != len(polls) {
		t.Fatalf("Watch = %v after %d polls", ok, i)
	}
	// Each printed line: how it starts, and whether it shows node1 or node2 alive.
	want := []struct {
		prefix string
		alive  bool
	}{
		{"HOST", false}, {"node1", false}, {"node2", false}, {"cloud c: NOT converged: 2 problems", false},
		{"node1", true}, {"cloud c: NOT converged: 1 problem", false},
		{"node2", true}, {"cloud c: converged", false},
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("printed:\n%s", out.String())
	}
	for j, w := range want {
		if !strings.HasPrefix(lines[j], w.prefix) || strings.Contains(lines[j], "alive") != w.alive {
			t.Errorf("line %d = %q, want %s... (alive: %v)", j, lines[j], w.prefix, w.alive)
		}
	}
	// A cloud that never converges: Watch ends with the context, and says it did not.
	i = 0
	polls = polls[:1]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, ok := Watch(ctx, func() Status { return polls[0] }, time.Millisecond, nil); ok {
		t.Error("Watch says converged for a cloud that never was")
	}
}
