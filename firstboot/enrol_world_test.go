package firstboot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/enrol"
	"github.com/midobake/midobake/midonet"
)

// lateCloud is the loopback cloud with node3, which the CLC's copy does not name: the site
// data node3 boots with.
var lateCloud = strings.Replace(loopbackCloud, "  - {name: ufs1,", "  - {name: node3, address: 10.250.0.23, tunnelAddress: 10.250.1.23, roles: [nc]}\n  - {name: ufs1,", 1)

// fakeClock hands out a channel per pause; tick ends the oldest pending pause.
type fakeClock struct {
	mu      sync.Mutex
	pauses  chan chan time.Time
	elapsed time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{pauses: make(chan chan time.Time, 1)} }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.elapsed += d
	c.mu.Unlock()
	c.pauses <- ch
	return ch
}

// tick waits until the reconciler pauses (its pass is over), then ends the pause.
func (c *fakeClock) tick(t *testing.T) {
	t.Helper()
	select {
	case ch := <-c.pauses:
		ch <- time.Time{}
	case <-time.After(20 * time.Second):
		t.Fatal("the reconciler never paused")
	}
}

// syncLog is a log the reconciler writes while the test reads it.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *syncLog) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestLateHostEnrolled: a host the CLC's description does not name, announced an hour after
// the cloud came up, is enrolled on the enrolment service's next pass.
func TestLateHostEnrolled(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.runAll(hosts)
	clock, log := newFakeClock(), &syncLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	site, _ := os.ReadFile(w.site)
	go func() {
		done <- enrol.Run(ctx, enrol.Options{Site: site, SiteName: w.site, API: w.api.URL(), ZooKeeperPort: w.zk.Port, Out: log,
			Interval: 5 * time.Minute, Clock: clock})
	}()
	for i := 0; i < 12; i++ { // an hour of passes
		clock.tick(t)
	}
	w.siteOf["node3"] = filepath.Join(w.dir, "late.yaml")
	os.WriteFile(w.siteOf["node3"], []byte(lateCloud), 0o644)
	if r := w.hook("node3", nil); r.code != 0 || !strings.Contains(r.out, "announced: host id uuid-node3, tunnel address 10.250.1.23") {
		t.Fatalf("node3: exit %d\n%s", r.code, r.out)
	}
	clock.tick(t) // the pass after node3's announcement
	clock.tick(t) // and one more, to be sure that pass is over
	cancel()
	clock.tick(t)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []string{"clc1=10.250.0.10", "node1=10.250.1.21", "node2=10.250.1.22", "node3=10.250.1.23", "ufs1=10.250.0.30"}
	if diff := cmp.Diff(want, w.api.Snapshot()["eucatz/gre"]); diff != "" {
		t.Errorf("tunnel zone (-want +got):\n%s\n%s", diff, log.String())
	}
	if !strings.Contains(log.String(), "  enrolled node3 (uuid-node3) in eucatz with 10.250.1.23") {
		t.Errorf("node3's enrolment is not logged:\n%s", log.String())
	}
	if clock.elapsed < time.Hour {
		t.Errorf("only %s of passes", clock.elapsed)
	}
	// Quiet when nothing changes: each host is logged once however many passes ran.
	if n := strings.Count(log.String(), "node1"); n != 1 {
		t.Errorf("node1 logged %d times:\n%s", n, log.String())
	}
}

// TestCLCFirstBootListsPendingHosts: the CLC's hook does not wait for hosts that are not up;
// it ends, naming them, and the enrolment service takes them when they come.
func TestCLCFirstBootListsPendingHosts(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	r := w.hook("clc1", nil)
	if r.code != 0 || !strings.Contains(r.out, "tunnel zone eucatz (gre): 1 hosts enrolled; pending, enrolled by midobake-enrol when they come: node1, node2, ufs1") {
		t.Fatalf("exit %d\n%s", r.code, r.out)
	}
	for _, h := range []string{"node1", "node2", "ufs1"} {
		w.hook(h, nil)
	}
	if e := w.enrol("--once"); e.code != 0 || strings.Count(e.out, "  enrolled ") != 3 {
		t.Errorf("enrol --once: exit %d\n%s", e.code, e.out)
	}
}

// writeAnnouncement puts an announcement into ZooKeeper as a host (or a liar) would.
func writeAnnouncement(t *testing.T, w *world, name string, a any) {
	t.Helper()
	data, _ := json.Marshal(a)
	if _, err := midonet.Announce(context.Background(), []string{fmt.Sprintf("127.0.0.1:%d", w.zk.Port)}, "euca-lab", midonet.Announcement{Name: "probe", HostID: "x", TunnelAddress: "x"}); err != nil {
		t.Fatal(err)
	}
	conn, err := midonet.Session(context.Background(), []string{fmt.Sprintf("127.0.0.1:%d", w.zk.Port)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Delete(midonet.AnnouncementDir("euca-lab")+"/probe", -1)
	p := midonet.AnnouncementDir("euca-lab") + "/" + name
	conn.Delete(p, -1)
	if _, err := conn.Create(p, data, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
}

// TestLyingAnnouncementsAreRefused: announcements MidoNet cannot vouch for are refused and
// logged, and change nothing; the honest hosts are enrolled all the same.
func TestLyingAnnouncementsAreRefused(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.runAll(hosts)
	w.enrol("--once")
	before := w.api.Snapshot()
	for name, a := range map[string]midonet.Announcement{
		"ghost":  {Name: "ghost", HostID: "uuid-nobody", TunnelAddress: "10.250.1.99"},       // unknown host id
		"node2":  {Name: "node2", HostID: "uuid-node1", TunnelAddress: "10.250.1.21"},        // node1 claims node2's name
		"thief":  {Name: "thief", HostID: "uuid-thief", TunnelAddress: "10.250.1.22"},        // not registered either
		"node1":  {Name: "node1", HostID: "uuid-node1", TunnelAddress: "10.250.1.22"},        // node2's address, not node1's
		"forged": {Name: "someone-else", HostID: "uuid-node2", TunnelAddress: "10.250.1.22"}, // node name differs
	} {
		writeAnnouncement(t, w, name, a)
	}
	writeAnnouncement(t, w, "junk", "not an announcement")
	r := w.enrol("--once")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.out)
	}
	for _, want := range []string{
		"ghost: refused: host id uuid-nobody is not known to MidoNet",
		"node2: refused: the name is MidoNet host uuid-node2's, not uuid-node1's",
		"node1: refused: tunnel address 10.250.1.22 is not one of host uuid-node1's addresses (10.250.0.21, 10.250.1.21)",
		`forged: refused: announcement names another host ("someone-else")`,
		"junk: refused: announcement is not {name, hostId, tunnelAddress}",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("no %q in:\n%s", want, r.out)
		}
	}
	// Nobody was enrolled, moved or removed on a lie's word.
	if diff := cmp.Diff(before, w.api.Snapshot()); diff != "" {
		t.Errorf("MidoNet state changed (-before +after):\n%s", diff)
	}
}

// TestRemoveHost: --remove takes a host that left the cloud out of the zone and forgets its
// announcement, once; a second time there is nothing to do; a host the CLC's description
// still names is refused; a host that is merely down stays.
func TestRemoveHost(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.runAll(hosts)
	w.siteOf["node3"] = filepath.Join(w.dir, "late.yaml")
	os.WriteFile(w.siteOf["node3"], []byte(lateCloud), 0o644)
	w.hook("node3", nil)
	w.enrol("--once")
	os.Remove(filepath.Join(w.registry, "node3")) // node3 is down: nothing changes
	w.api.Mu.Lock()
	h := w.api.Hosts["uuid-node3"]
	h.Alive = false
	w.api.Hosts["uuid-node3"] = h
	w.api.Alive = func() []midonet.Host {
		return append([]midonet.Host(nil), w.registered()...)
	}
	w.api.Mu.Unlock()
	w.enrol("--once")
	if got := w.api.Snapshot()["eucatz/gre"]; len(got) != 5 {
		t.Fatalf("a host that is down was removed: %v", got)
	}
	r := w.enrol("--remove", "node3")
	if r.code != 0 || !strings.Contains(r.out, "took node3 (uuid-node3, 10.250.1.23) out of tunnel zone eucatz; forgot its announcement") {
		t.Fatalf("remove: exit %d\n%s", r.code, r.out)
	}
	if got := w.api.Snapshot()["eucatz/gre"]; len(got) != 4 {
		t.Errorf("after remove: %v", got)
	}
	if r := w.enrol("--remove", "node3"); r.code != 0 || !strings.Contains(r.out, "node3: not a member of tunnel zone eucatz and no announcement: nothing to do") {
		t.Errorf("second remove: exit %d\n%s", r.code, r.out)
	}
	if r := w.enrol("--once"); r.code != 0 || len(w.api.Snapshot()["eucatz/gre"]) != 4 {
		t.Errorf("enrolment took node3 back: %v\n%s", w.api.Snapshot(), r.out)
	}
	if r := w.enrol("--remove", "node1"); r.code != 1 || !strings.Contains(r.out, "node1 is in "+w.site+": enrolment would add it again") {
		t.Errorf("removing a described host: exit %d\n%s", r.code, r.out)
	}
}

// TestEnrolKilledResumes: "midobake enrol" killed as its first member arrives enrols the rest
// on its next start, each host once.
func TestEnrolKilledResumes(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.hook("clc1", nil) // alone: the others are pending
	for _, h := range []string{"node1", "node2", "ufs1"} {
		w.hook(h, nil)
	}
	var mu sync.Mutex
	var proc *os.Process
	w.api.Mu.Lock()
	w.api.KillOnMember = true
	w.api.OnKill = func() { mu.Lock(); defer mu.Unlock(); proc.Kill() }
	w.api.Mu.Unlock()
	cmd := exec.Command(hookBin, "enrol", "--site", w.site, "--api", w.api.URL(), "--zookeeper-port", fmt.Sprint(w.zk.Port), "--interval", "100ms")
	mu.Lock()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	proc = cmd.Process
	mu.Unlock()
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("enrol was not killed: %v", err)
	}
	if r := w.enrol("--once"); r.code != 0 {
		t.Fatal(r.out)
	}
	want := []string{"clc1=10.250.0.10", "node1=10.250.1.21", "node2=10.250.1.22", "ufs1=10.250.0.30"}
	if diff := cmp.Diff(want, w.api.Snapshot()["eucatz/gre"]); diff != "" {
		t.Errorf("tunnel zone (-want +got):\n%s", diff)
	}
	for id, n := range w.api.Posts {
		if n != 1 {
			t.Errorf("host %s was enrolled %d times", id, n)
		}
	}
}

// TestLateHostEnrolledAtOnce: the enrolment service (the real binary, with passes an hour
// apart) enrols a host within a second of its announcement: it watches the announcements.
func TestLateHostEnrolledAtOnce(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	w.runAll(hosts)
	cmd := exec.Command(hookBin, "enrol", "--site", w.site, "--api", w.api.URL(), "--zookeeper-port", fmt.Sprint(w.zk.Port), "--interval", "1h")
	log := &syncLog{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(log.String(), "member of eucatz") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // the first pass is over
	}
	w.siteOf["node3"] = filepath.Join(w.dir, "late.yaml")
	os.WriteFile(w.siteOf["node3"], []byte(lateCloud), 0o644)
	if r := w.hook("node3", nil); r.code != 0 {
		t.Fatalf("node3: exit %d\n%s", r.code, r.out)
	}
	announced := time.Now() // the hook's last step but one; it ended just after
	for !slices.Contains(w.api.Snapshot()["eucatz/gre"], "node3=10.250.1.23") {
		if time.Since(announced) > 5*time.Second {
			t.Fatalf("node3 not enrolled 5 s after announcing (passes are an hour apart):\n%s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if took := time.Since(announced); took > time.Second {
		t.Errorf("node3 enrolled %s after its hook ended, want under 1 s", took)
	}
}
