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
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"HOST", "node1", "node2", "cloud c: NOT converged: 2 problems", "node1", "cloud c: NOT converged: 1 problem", "node2", "cloud c: converged"}
	if len(lines) != len(want) {
		t.Fatalf("printed:\n%s", out.String())
	}
	for j := range want {
		if !strings.HasPrefix(lines[j], want[j]) || strings.Contains(lines[j], "alive") != (j == 4 || j == 6) && j >= 4 {
			t.Errorf("line %d = %q, want %s...", j, lines[j], want[j])
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
