package status

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/synth"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/midonet/midonettest"
	"github.com/midobake/midobake/report"
)

// BenchmarkStatus10000Hosts: the whole "midobake status" process over a converged cloud of
// 10,000 hosts: 10,000 reports in a real ZooKeeper on loopback, a stand-in API listing
// 10,000 hosts, every one a member. Goal: under 2 s and 128 MiB (peak-RSS-MiB).
func BenchmarkStatus10000Hosts(b *testing.B) {
	const n = 10000
	zk := testenv.NewZooKeeper(b)
	zk.Start(b)
	dir := b.TempDir()
	raw := synth.Cloud(n, 1)
	site := filepath.Join(dir, "cloud.yaml")
	os.WriteFile(site, raw, 0o644)
	c, rep := cloud.Load(site, raw)
	if c == nil {
		b.Fatal(rep.Format(false))
	}
	hash := NewSite(raw, c).raw
	servers := []string{fmt.Sprintf("127.0.0.1:%d", zk.Port)}
	conn, err := midonet.Session(context.Background(), servers)
	if err != nil {
		b.Fatal(err)
	}
	api := midonettest.NewAPI(nil)
	b.Cleanup(api.Close)
	api.Zones = []midonet.TunnelZone{{ID: "tz-1", Name: c.Midonet.TunnelZone.Name, Type: c.Midonet.TunnelZone.Type}}
	now := time.Now().UTC()
	var wg sync.WaitGroup
	work := make(chan cloud.Host)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range work {
				r := report.Report{Host: h.Name, Cloud: c.Name, Midobake: "bench", SiteSHA256: hash, Started: now, Updated: now,
					State: report.Done, Total: 12, Since: now}
				if h.Has(cloud.RoleCassandra) {
					r.Services = []report.Service{{Name: "cassandra", OK: true, State: "answering"}}
				}
				data, _ := r.Marshal()
				if _, err := midonet.PutReport(conn, c.Name, h.Name, data); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for _, h := range c.Hosts {
		work <- h
		if c.RunsMidolman(h) {
			id := "id-" + h.Name
			api.Hosts[id] = midonet.Host{ID: id, Name: h.Name, Addresses: []string{h.Address, h.TunnelAddress}, Alive: true}
			api.Members["tz-1"] = append(api.Members["tz-1"], midonet.Member{HostID: id, IPAddress: h.TunnelAddress})
		}
	}
	close(work)
	wg.Wait()
	conn.Close()
	bin := filepath.Join(dir, "midobake")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/midobake").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	b.ResetTimer()
	var peak int64
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "status", "--site", site, "--zookeeper", servers[0], "--api", api.URL(), "-o", "json")
		cmd.Stdout = nil
		var stderr []byte
		if out, err := cmd.Output(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			b.Fatalf("status: %v (%d bytes of output)\n%s", err, len(out), stderr)
		}
		if rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss; rss > peak {
			peak = rss
		}
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
}
