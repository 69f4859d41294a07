package firstboot

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/report"
	"github.com/midobake/midobake/roles"
)

// ensembleCloud has a ZooKeeper ensemble of three servers of its own (zk1-zk3), which the
// rolling test runs for real, one per address, each from the zoo.cfg its hook writes.
const ensembleCloud = `version: 1
name: euca-lab
os: el7
midonet: {size: standard, tunnelZone: {name: eucatz, type: gre}}
hosts:
  - {name: clc1, address: 10.250.0.10, primaryInterface: eth0, roles: [clc, cassandra]}
  - {name: zk1, address: 10.250.0.21, roles: [zookeeper]}
  - {name: zk2, address: 10.250.0.22, roles: [zookeeper]}
  - {name: zk3, address: 10.250.0.23, roles: [zookeeper]}
  - {name: ufs1, address: 10.250.0.30, primaryInterface: eth0, roles: [ufs]}
network:
  Mode: VPCMIDO
  InstanceDnsServers: ["10.250.0.10"]
  PublicIps: ["10.116.150.1-10.116.150.254"]
  Mido:
    Gateways:
      - {Ip: 10.250.0.30, ExternalCidr: 172.19.0.0/30, ExternalDevice: veth1, ExternalIp: 172.19.0.2, ExternalRouterIp: 172.19.0.1}
`

// zkCtl is what "systemctl start|restart zookeeper" does on a host of the rolling test: it
// runs a real ZooKeeper server from the zoo.cfg the hook wrote (its data directory moved into
// the host's root, its client port bound to the host's address so that three servers share
// one port), and records each restart with the time it began.
const zkCtl = `#!/bin/sh
root=$(dirname "$MIDOBAKE_TEST_STATE"); d="$MIDOBAKE_TEST_STATE/zk"; mkdir -p "$d"
addr=${MIDOBAKE_TEST_ADDRS%% *}
running() { [ -s "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null; }
if running; then
  [ "$1" = restart ] || exit 0
  echo "restart $(date +%s.%N)" >> "$MIDOBAKE_TEST_STATE/zk-events"
  pid=$(cat "$d/pid"); kill "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
fi
sed -e "s|^dataDir=.*|dataDir=$root` + roles.ZooKeeperDataDir + `|" "$root` + roles.ZooCfgPath + `" > "$d/zoo.cfg"
printf 'clientPortAddress=%s\n%b' "$addr" "$MIDOBAKE_TEST_ZK_CFG" >> "$d/zoo.cfg"
setsid java -Xmx96m -cp "$MIDOBAKE_TEST_ZK_CP" \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/zoo.cfg" > "$d/log" 2>&1 < /dev/null &
echo $! > "$d/pid"
`

// quorumSample is what a poll of the three servers saw.
type quorumSample struct {
	at      time.Time
	up      int             // servers accepting connections
	serving int             // servers in the quorum
	serves  map[string]bool // which (by address)
}

// TestRollingNSDBRestart: three NSDB hooks re-run at once with a changed ZooKeeper setting
// restart the three real servers one at a time, each once, each only when the one before is
// back in the quorum; the ensemble keeps its quorum throughout.
func TestRollingNSDBRestart(t *testing.T) {
	zkEnv := []string{"MIDOBAKE_TEST_ZK_CP=" + testenv.ZooKeeperClasspath(t), "MIDOBAKE_TEST_ZK_CFG=" + testenv.ZooKeeperServerConfig()}
	w := newWorld(t, ensembleCloud)
	w.zkPort = roles.ZooKeeperPort
	ctl := filepath.Join(w.dir, "zk-ctl")
	if err := os.WriteFile(ctl, []byte(zkCtl), 0o755); err != nil {
		t.Fatal(err)
	}
	servers := []string{"zk1", "zk2", "zk3"}
	addrs := map[string]string{"zk1": "10.250.0.21:2181", "zk2": "10.250.0.22:2181", "zk3": "10.250.0.23:2181"}
	for _, h := range servers {
		root := w.root(h)
		t.Cleanup(func() {
			if b, err := os.ReadFile(filepath.Join(root, ".test/zk/pid")); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					if p, err := os.FindProcess(pid); err == nil {
						p.Kill()
					}
				}
			}
		})
	}
	runAt := func() map[string]hookRun {
		var mu sync.Mutex
		var wg sync.WaitGroup
		out := map[string]hookRun{}
		for _, h := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := w.hook(h, nil, append([]string{"MIDOBAKE_TEST_ZK_CTL=" + ctl}, zkEnv...)...)
				mu.Lock()
				out[h] = r
				mu.Unlock()
			}()
		}
		wg.Wait()
		return out
	}
	for h, r := range runAt() {
		if r.code != 0 {
			t.Fatalf("%s's first boot: %s", h, r.out)
		}
	}
	for _, h := range servers {
		if err := testenv.CheckZooKeeperRelease(testenv.ZooKeeperSrvr(addrs[h])); err != nil {
			t.Fatalf("%s: %v", h, err)
		}
	}

	// The changed setting: the operator adds a host to the description and gives ZooKeeper
	// shorter ticks with a template override; the new user-data writes both on every host.
	grown := strings.Replace(ensembleCloud, "  - {name: ufs1,", "  - {name: node3, address: 10.250.2.21, tunnelAddress: 10.250.1.23, roles: [nc]}\n  - {name: ufs1,", 1)
	os.WriteFile(w.site, []byte(grown), 0o644)
	for _, h := range servers {
		p := filepath.Join(w.root(h), roles.ZooCfgPath)
		b, _ := os.ReadFile(p)
		os.WriteFile(p, []byte(strings.Replace(string(b), "tickTime=2000", "tickTime=500", 1)), 0o644)
	}
	stop := make(chan struct{})
	var samples []quorumSample
	polled := make(chan struct{})
	// What status would show meanwhile: a waiting host's report says whom it waits for.
	reports, _, err := midonet.Dial([]string{addrs["zk1"], addrs["zk2"], addrs["zk3"]})
	if err != nil {
		t.Fatal(err)
	}
	defer reports.Close()
	var reportedWaiting string
	go func() {
		defer close(polled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			// The three servers at once, so that a sample is a moment: ZooKeeper 3.4's
			// servers are all back for a hundred milliseconds or so before the next restart.
			s := quorumSample{at: time.Now(), serves: map[string]bool{}}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, a := range addrs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					up, serving := midonet.TCPOpen(ctx, a) == nil, midonet.Serving(ctx, a) == nil
					mu.Lock()
					defer mu.Unlock()
					if up {
						s.up++
					}
					if serving {
						s.serving++
						s.serves[a] = true
					}
				}()
			}
			wg.Wait()
			samples = append(samples, s)
			for _, h := range servers {
				if b, _, err := reports.Get(path.Join(report.Dir("euca-lab"), h)); err == nil && reportedWaiting == "" {
					if r, bad := report.Parse(h, b); bad == "" && strings.Contains(r.WaitingFor, "the NSDB restart lock: held by") {
						reportedWaiting = h + ": " + r.WaitingFor
					}
				}
			}
		}
	}()
	results := runAt()
	close(stop)
	<-polled

	type restartAt struct {
		at   time.Time
		addr string
	}
	var restartsAt []restartAt
	waited := false
	for _, h := range servers {
		r := results[h]
		if r.code != 0 {
			t.Fatalf("%s's re-run: %s", h, r.out)
		}
		if got := restarts(r.log); len(got) != 1 || got[0] != roles.UnitZooKeeper {
			t.Errorf("%s restarted %v, want zookeeper once", h, got)
		}
		if !strings.Contains(r.out, "took the NSDB restart lock to restart zookeeper") || !strings.Contains(r.out, "gave up the NSDB restart lock: zookeeper serves again") {
			t.Errorf("%s's log does not say it held the lock:\n%s", h, r.out)
		}
		waited = waited || strings.Contains(r.out, "waiting for the NSDB restart lock, held by \"zk")
		b, _ := os.ReadFile(filepath.Join(w.root(h), ".test/zk-events"))
		events := strings.Fields(string(b))
		if len(events) != 2 {
			t.Fatalf("%s's ZooKeeper was restarted %d times, want once: %q", h, len(events)/2, b)
		}
		f, _ := strconv.ParseFloat(events[1], 64)
		restartsAt = append(restartsAt, restartAt{time.Unix(0, int64(f*1e9)), addrs[h]})
	}
	if !waited {
		t.Error("no hook waited for another's lock: did they run at once?")
	}
	if !strings.Contains(reportedWaiting, `held by "zk`) {
		t.Errorf("no report said a host waited for the lock (status would not show it): %q", reportedWaiting)
	}
	if len(samples) < 20 {
		t.Fatalf("only %d polls of the ensemble", len(samples))
	}
	for _, s := range samples {
		if s.up < 2 {
			t.Errorf("at %s only %d of 3 servers were up: the ensemble lost its quorum", s.at.Format("15:04:05.000"), s.up)
			break
		}
	}
	// Each restart began only once the one before was back: between two restarts, a poll saw
	// the server restarted first serving, with a majority of the ensemble (what the hook
	// waits for before it gives up the lock).
	sort.Slice(restartsAt, func(i, j int) bool { return restartsAt[i].at.Before(restartsAt[j].at) })
	for i := 1; i < len(restartsAt); i++ {
		back := false
		for _, s := range samples {
			if s.at.After(restartsAt[i-1].at) && s.at.Before(restartsAt[i].at) && s.serves[restartsAt[i-1].addr] && s.serving >= 2 {
				back = true
			}
		}
		if !back {
			t.Errorf("restart %d began at %s before the server restarted at %s (%s) was back in the quorum", i+1,
				restartsAt[i].at.Format("15:04:05.000"), restartsAt[i-1].at.Format("15:04:05.000"), restartsAt[i-1].addr)
		}
	}
	// After the last restart the ensemble is whole again. ZooKeeper 3.4 may hold one more
	// election once the last server is back (its followers drop and rejoin under the short
	// ticks): all three serve again within seconds.
	whole := false
	for deadline := time.Now().Add(20 * time.Second); !whole && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		n := 0
		for _, a := range addrs {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if midonet.Serving(ctx, a) == nil {
				n++
			}
			cancel()
		}
		whole = n == 3
	}
	if !whole {
		t.Errorf("20 s after the re-runs not all 3 servers serve")
	}
	// The lock is given up: nothing is left in its directory but the directory.
	conn, err := midonet.Session(context.Background(), []string{addrs["zk1"]})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if left, _, err := conn.Children(midonet.NSDBLockDir("euca-lab")); err != nil || len(left) != 0 {
		t.Errorf("the lock's directory holds %v (%v) after every hook finished", left, err)
	}
	t.Logf("%d polls, restarts at %v", len(samples), restartsAt)
}
