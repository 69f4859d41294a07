package lab

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// The late host: a node controller the CLC's copy of the description never names, booted
// after the cloud has settled. Its hook announces it; the CLC's enrolment service, with no
// command run on the CLC, enrols it.
const (
	lateAddress = "10.111.5.24"
	lateMAC     = "52:54:00:00:05:24"
	clcZK       = "10.111.5.10:2181"
	clcName     = "clc1"
)

// lateCloud is cloud.yaml with node4.
func lateCloud(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("cloud.yaml")
	if err != nil {
		t.Fatal(err)
	}
	node3 := `  - {name: node3, address: 10.111.5.23, mac: "52:54:00:00:05:23", primaryInterface: eth0, roles: [nc], preflightIgnore: [memory]}` + "\n"
	if !strings.Contains(string(data), node3) {
		t.Fatal("cloud.yaml has no node3 line to put node4 after")
	}
	return []byte(strings.Replace(string(data), node3, node3+`  - {name: node4, address: `+lateAddress+`, mac: "`+lateMAC+`", primaryInterface: eth0, roles: [nc], preflightIgnore: [memory]}`+"\n", 1))
}

// rebootWithLateHost reboots the cloud's VMs, boots node4 once they have settled, and
// returns the seconds from node4's announcement (its hook's last step) to its membership in
// the tunnel zone, both as ZooKeeper stamped them (one clock: the CLC's).
//
// node4 boots with a fault: the lab's bridge drops what it sends to ZooKeeper's client port.
// midobake status, on the CLC and from the lab network (both reading node4's report from
// the serve that seeded it, which node4 still reaches), must name node4, the step it waits
// at and why, and exit 1; then the block is lifted and midobake status --wait on the CLC
// must reach converged with nobody touching node4. summary gets the seconds from the lift
// to converged.
func rebootWithLateHost(t *testing.T, net *labNet, ctl *labControl, vms map[string]*image, opts map[string]bootOpts, node4 *image, node4Opts bootOpts, baseDir, late string, summary map[string]float64) float64 {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); bootEach(t, vms, opts, baseDir) }()
	deadline := time.Now().Add(25 * time.Minute)
	for ctl.count() < len(vms) && time.Now().Before(deadline) {
		time.Sleep(2 * time.Second)
	}
	lift := net.blockZooKeeper(t, tapOf(node4Opts.netdev))
	go func() {
		defer wg.Done()
		bootEach(t, map[string]*image{"node4": node4}, map[string]bootOpts{"node4": node4Opts}, baseDir)
	}()
	booted := make(chan struct{}) // every VM has powered off: nothing more will happen
	go func() { wg.Wait(); close(booted) }()
	// The fault, named while it lasts.
	node4Line := regexp.MustCompile(`(?m)^node4 .*$`)
	var out string
	var code int
	for time.Now().Before(deadline) {
		out, code = net.status(late)
		if l := node4Line.FindString(out); strings.Contains(l, "waiting at") && strings.Contains(l, "ZooKeeper") {
			break
		}
		time.Sleep(5 * time.Second)
	}
	t.Logf("midobake status through serve while node4's traffic to ZooKeeper is blocked (exit %d):\n%s", code, out)
	if l := node4Line.FindString(out); code != 1 || !strings.Contains(l, "waiting at") || !strings.Contains(l, "ZooKeeper") {
		t.Errorf("status did not name node4, the step it waits at and why (exit %d):\n%s", code, out)
	}
	// The same on the CLC, as its operator would ask (its description does not name node4;
	// the serve that seeded node4 has its report).
	lateServe := "--serve=http://" + labGateway + ":8001"
	out, code, err := ctl.ask(clcName, []string{lateServe, "--timeout=30s"}, 3*time.Minute)
	t.Logf("midobake status on %s while node4's traffic to ZooKeeper is blocked (exit %d, %v):\n%s", clcName, code, err, out)
	if l := node4Line.FindString(out); err != nil || code != 1 || !strings.Contains(l, "waiting at") || !strings.Contains(l, "ZooKeeper") {
		t.Errorf("status on %s did not name node4, the step it waits at and why (exit %d)", clcName, code)
	}
	lift()
	lifted := time.Now()
	// The convergence signal after the fault: status --wait on the CLC, nobody touching node4.
	type converged struct {
		out  string
		code int
		err  error
		secs float64
	}
	healed := make(chan converged, 1)
	go func() {
		out, code, err := ctl.ask(clcName, []string{lateServe, "--wait", "--interval=3s", "--timeout=600s"}, 12*time.Minute)
		healed <- converged{out, code, err, time.Since(lifted).Seconds()}
	}()
	secs, err := watchEnrolment(net, "node4", deadline, booted)
	h := <-healed
	t.Logf("midobake status --wait on %s after the block was lifted (exit %d, %.0f s):\n%s", clcName, h.code, h.secs, h.out)
	if h.err != nil || h.code != 0 || !strings.HasSuffix(strings.TrimSpace(h.out), ": converged") || !strings.Contains(last(node4Line.FindAllString(h.out, -1)), "done (") {
		t.Errorf("status --wait on %s did not reach converged with node4 done after the block was lifted (exit %d, %v)", clcName, h.code, h.err)
	} else {
		summary["fault-lifted-to-converged-seconds"] = h.secs
	}
	<-booted
	if err != nil {
		t.Errorf("late host: %v", err)
	}
	if t.Failed() {
		t.FailNow()
	}
	if out := node4.report(t, 0, "cloud-init-output.log"); !strings.Contains(out, "midobake firstboot: host node4 is finished") ||
		!strings.Contains(out, "site data: fetched http://"+labGateway+":8001/site/cloud.yaml, verified") {
		t.Errorf("node4: the hook did not finish from the late description:\n%s", tail(out, 30))
	}
	if secs > 30 {
		t.Errorf("node4 was enrolled %.1f s after it announced itself, want at most 30", secs)
	}
	return secs
}

// last is the last of lines (status --wait prints a host's line again when it changes), or "".
func last(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[len(lines)-1]
}

// watchEnrolment polls the CLC's ZooKeeper from the lab network until the host's
// announcement and its tunnel-zone membership (the stand-in keeps members under
// /midonet/tunnel_zones/<zone>/hosts/<host id>) are both there, or the VMs have powered off.
func watchEnrolment(net *labNet, name string, deadline time.Time, off <-chan struct{}) (float64, error) {
	conn, _, err := zk.Connect([]string{clcZK}, 10*time.Second, zk.WithDialer(net.dial), zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ann := path.Join("/midobake/lab/hosts", name)
	last := "nothing yet"
	for time.Now().Before(deadline) {
		select {
		case <-off:
			return 0, &lateError{name, last + ", when the VMs powered off"}
		case <-time.After(time.Second):
		}
		data, annStat, err := conn.Get(ann)
		if err != nil {
			last = "no announcement: " + err.Error()
			continue
		}
		var a struct {
			HostID string `json:"hostId"`
		}
		if err := json.Unmarshal(data, &a); err != nil || a.HostID == "" {
			last = "announcement " + string(data)
			continue
		}
		zones, _, err := conn.Children("/midonet/tunnel_zones")
		if err != nil {
			last = "no tunnel zones: " + err.Error()
			continue
		}
		for _, z := range zones {
			if ok, st, err := conn.Exists(path.Join("/midonet/tunnel_zones", z, "hosts", a.HostID)); err == nil && ok {
				return float64(st.Ctime-annStat.Mtime) / 1000, nil
			}
		}
		last = "announced as " + a.HostID + ", not a member yet"
	}
	return 0, &lateError{name, last}
}

type lateError struct{ name, last string }

func (e *lateError) Error() string { return e.name + " was not enrolled in time: " + e.last }

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// tapOf is the tap device of a VM's qemu network arguments.
func tapOf(netdev []string) string {
	for _, a := range netdev {
		if _, rest, ok := strings.Cut(a, "ifname="); ok {
			name, _, _ := strings.Cut(rest, ",")
			return name
		}
	}
	return ""
}

// blockZooKeeper drops, on the lab's bridge (outside the VM), what the VM on tap sends to
// ZooKeeper's client port; the returned function lifts the block.
func (n *labNet) blockZooKeeper(t *testing.T, tap string) func() {
	t.Helper()
	rule := []string{"FORWARD", "-i", tap, "-p", "IPv4", "--ip-proto", "tcp", "--ip-dport", "2181", "-j", "DROP"}
	n.exec(t, append([]string{"ebtables", "-A"}, rule...)...)
	return func() { n.exec(t, append([]string{"ebtables", "-D"}, rule...)...) }
}

// status runs midobake status from the lab network, as an operator outside the cloud would:
// the late description, the CLC's ZooKeeper, serve's reports (the API is the CLC's loopback
// one, out of reach: said so).
func (n *labNet) status(late string) (string, int) {
	cmd := exec.Command("ip", "netns", "exec", n.ns, filepath.Join(binDir, "midobake"), "status", "-f", late,
		"--zookeeper", clcZK, "--serve", "http://"+labGateway+":8001", "--api", "http://"+labGateway+":9/midonet-api", "--timeout", "15s")
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return err.Error(), -1
	}
	return string(out), code
}
