package lab

import (
	"encoding/json"
	"os"
	"path"
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
func rebootWithLateHost(t *testing.T, net *labNet, ctl *labControl, vms map[string]*image, opts map[string]bootOpts, node4 *image, node4Opts bootOpts, baseDir string) float64 {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); bootEach(t, vms, opts, baseDir) }()
	deadline := time.Now().Add(25 * time.Minute)
	for ctl.count() < len(vms) && time.Now().Before(deadline) {
		time.Sleep(2 * time.Second)
	}
	go func() {
		defer wg.Done()
		bootEach(t, map[string]*image{"node4": node4}, map[string]bootOpts{"node4": node4Opts}, baseDir)
	}()
	booted := make(chan struct{}) // every VM has powered off: nothing more will happen
	go func() { wg.Wait(); close(booted) }()
	secs, err := watchEnrolment(net, "node4", deadline, booted)
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
