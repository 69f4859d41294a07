package firstboot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/report"
	"github.com/midobake/midobake/seed"
	"github.com/midobake/midobake/status"
)

// status runs "midobake status" on the CLC's site data against the world's ZooKeeper, API
// and serve (if given).
func (w *world) status(serve string, args ...string) hookRun {
	w.t.Helper()
	all := []string{"status", "--site", w.site, "--api", w.api.URL(), "--zookeeper", fmt.Sprintf("10.250.0.10:%d", w.zk.Port)}
	if serve != "" {
		all = append(all, "--serve", serve)
	}
	cmd := exec.Command(hookBin, append(all, args...)...)
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
		out = append(out, ee.Stderr...)
	} else if err != nil {
		w.t.Fatal(err)
	}
	return hookRun{out: string(out), code: code}
}

// serveAt runs serve's handler for the world's cloud on addr (the address a host reaches
// it from is then its own: the test cloud's addresses are all on this namespace's lo).
func serveAt(t *testing.T, site, addr string) string {
	t.Helper()
	data, _ := os.ReadFile(site)
	c, rep := cloud.Load(site, data)
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	h := seed.NewHandler(seed.Seeds{}, ioDiscard{})
	h.SetCloud(c)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

type ioDiscard struct{}

func (ioDiscard) Write(b []byte) (int, error) { return len(b), nil }

// siteRef writes a site reference naming serve's site data (the hook keeps its local copy,
// which has that hash) and returns its path.
func (w *world) siteRef(serve string) string {
	data, _ := os.ReadFile(w.site)
	sum := sha256.Sum256(data)
	ref := filepath.Join(w.dir, "site.ref")
	os.WriteFile(ref, []byte("url: "+serve+"/site/cloud.yaml\nsha256: "+hex.EncodeToString(sum[:])+"\n"), 0o644)
	return ref
}

// TestStatusOfTheWorld: every hook publishes its report; status over the real ZooKeeper, the
// API double and serve says converged (exit 0) once every host is done and enrolled, names
// what is missing before, and says plainly when ZooKeeper is gone (exit 1, within its
// timeout), still showing what serve knows.
func TestStatusOfTheWorld(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	serve := serveAt(t, w.site, "10.250.0.21:0") // on node1's address: node1's reports come from it
	ref := w.siteRef(serve)
	// Before anything booted: no reports, nothing registered, exit 1.
	if r := w.status(serve); r.code != 1 || !strings.Contains(r.out, "no first-boot report (not in ZooKeeper nor at serve)") {
		t.Fatalf("status of a cloud not booted: exit %d\n%s", r.code, r.out)
	}
	results := map[string]hookRun{}
	for _, h := range []string{"clc1", "node2", "ufs1"} {
		results[h] = w.hook(h, nil)
	}
	// status --wait, started now, converges once node1 has booted and is enrolled.
	waitCmd := exec.Command(hookBin, "status", "--site", w.site, "--api", w.api.URL(), "--zookeeper", fmt.Sprintf("10.250.0.10:%d", w.zk.Port),
		"--wait", "--interval", "200ms", "--timeout", "60s")
	var waitOut strings.Builder
	waitCmd.Stdout, waitCmd.Stderr = &waitOut, &waitOut
	if err := waitCmd.Start(); err != nil {
		t.Fatal(err)
	}
	results["node1"] = w.hook("node1", []string{"--site-ref", ref})
	for h, r := range results {
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", h, r.code, r.out)
		}
	}
	if !strings.Contains(results["clc1"].out, "report: published in ZooKeeper at /midobake/euca-lab/reports/clc1") {
		t.Errorf("clc1's hook does not say it published its report:\n%s", results["clc1"].out)
	}
	if !strings.Contains(results["node1"].out, "report: sent to serve at "+serve+"/_report/node1") {
		t.Errorf("node1's hook does not say it sent its report to serve:\n%s", results["node1"].out)
	}
	if r := w.enrol("--once"); r.code != 0 {
		t.Fatalf("enrol: %s", r.out)
	}
	if err := waitCmd.Wait(); err != nil {
		t.Fatalf("status --wait: %v\n%s", err, waitOut.String())
	}
	if !strings.HasSuffix(waitOut.String(), "cloud euca-lab: converged\n") || strings.Count(waitOut.String(), "HOST ") != 1 {
		t.Errorf("status --wait: the whole status once, then what changes, converged last:\n%s", waitOut.String())
	}

	r := w.status(serve, "-o", "json")
	var st status.Status
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || r.code != 0 || !st.Converged {
		t.Fatalf("status -o json: exit %d, %v\n%s", r.code, err, r.out)
	}
	for _, h := range st.Hosts {
		if h.FirstBoot.State != report.Done || h.Site != "current" || (h.Name != "clc1" && h.Midolman != "alive") {
			t.Errorf("%s: %+v", h.Name, h)
		}
		if h.Name == "clc1" {
			if len(h.Services) != 2 || !h.Services[0].OK || h.Services[0].State != "standalone" || !h.Services[1].OK {
				t.Errorf("clc1's NSDB services: %+v", h.Services)
			}
		}
		if h.Name == "node1" && h.FirstBoot.Source != "serve" && h.FirstBoot.Source != "zookeeper" {
			t.Errorf("node1's report from %q", h.FirstBoot.Source)
		}
	}

	// The report in ZooKeeper is the one the host keeps.
	conn, err := midonet.Session(t.Context(), []string{fmt.Sprintf("127.0.0.1:%d", w.zk.Port)})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := midonet.Reports(conn, "euca-lab")
	conn.Close()
	if err != nil || len(stored) != 4 {
		t.Fatalf("reports in ZooKeeper: %+v, %v", stored, err)
	}
	local, _ := os.ReadFile(filepath.Join(w.root("node2"), "var/lib/midobake/report.json"))
	for _, s := range stored {
		if s.Bad != "" || s.Report.State != report.Done {
			t.Errorf("%s: %+v", s.Name, s)
		}
		if s.Name == "node2" {
			b, _ := s.Report.Marshal()
			if strings.TrimSpace(string(local)) != string(b) {
				t.Errorf("node2's report in ZooKeeper is not the one it keeps:\n%s\n%s", b, local)
			}
		}
	}

	// ZooKeeper gone: said plainly, exit 1 within the timeout; serve's report of node1 still shown.
	w.zk.Stop()
	rerun := w.hook("node1", []string{"--site-ref", ref})
	if rerun.code != 0 || !strings.Contains(rerun.out, "ZooKeeper did not take the last report") {
		t.Errorf("node1's re-run with ZooKeeper gone: exit %d\n%s", rerun.code, rerun.out)
	}
	// No --serve: the site reference names serve, and status asks it.
	start := time.Now()
	r = w.status("", "--site-ref", ref, "--timeout", "4s")
	if took := time.Since(start); r.code != 1 || took > 10*time.Second {
		t.Fatalf("status with ZooKeeper gone: exit %d after %s\n%s", r.code, took, r.out)
	}
	for _, want := range []string{"check zookeeper-quorum: FAILED", "node1  ", "done", "check serve: ok"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("status with ZooKeeper gone does not say %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "goroutine ") || strings.Contains(r.out, "panic") {
		t.Errorf("a stack dump:\n%s", r.out)
	}
	// --serve none: serve is not asked, whatever the site reference names; nothing knows
	// node1's first boot now (unknown: ZooKeeper could not be asked).
	r = w.status("none", "--site-ref", ref, "--timeout", "4s")
	if r.code != 1 || strings.Contains(r.out, "check serve") || !regexp.MustCompile(`\nnode1 +nc +unknown `).MatchString(r.out) {
		t.Errorf("status --serve none: exit %d\n%s", r.code, r.out)
	}
}
