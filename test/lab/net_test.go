package lab

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// labNet is the cloud's private network: a bridge in a network namespace the test makes, with
// the test's own servers on 10.111.5.1. VMs join it through tap devices; nothing in it
// reaches anything but each other and those servers.
type labNet struct {
	ns    string
	mu    sync.Mutex
	procs []*exec.Cmd
	taps  int
}

const (
	labGateway    = "10.111.5.1"
	labControlURL = "http://" + labGateway + ":8082" // labControl, for the hosts' reports
)

func newLabNet(t *testing.T) *labNet {
	t.Helper()
	n := &labNet{ns: fmt.Sprintf("midobake-lab-%d", os.Getpid())}
	run(t, "ip", "netns", "add", n.ns)
	t.Cleanup(n.close)
	n.exec(t, "ip", "link", "set", "lo", "up")
	n.exec(t, "ip", "link", "add", "br0", "type", "bridge")
	n.exec(t, "ip", "addr", "add", labGateway+"/24", "dev", "br0")
	n.exec(t, "ip", "link", "set", "br0", "up")
	return n
}

func (n *labNet) exec(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, "ip", append([]string{"netns", "exec", n.ns}, args...)...)
}

// tap adds a tap device on the bridge and returns qemu's arguments for a NIC on it.
func (n *labNet) tap(t *testing.T, mac string) []string {
	t.Helper()
	n.mu.Lock()
	name := fmt.Sprintf("tap%d", n.taps)
	n.taps++
	n.mu.Unlock()
	n.exec(t, "ip", "tuntap", "add", "dev", name, "mode", "tap")
	n.exec(t, "ip", "link", "set", name, "master", "br0", "up")
	return []string{"-netdev", "tap,id=n0,ifname=" + name + ",script=no,downscript=no", "-device", "virtio-net-pci,netdev=n0,mac=" + mac}
}

// start runs a server in the namespace until the test ends, logging to dir/NAME.log, and
// waits until addr accepts connections.
func (n *labNet) start(t *testing.T, dir, name, addr string, args ...string) {
	t.Helper()
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.ns}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	n.procs = append(n.procs, cmd)
	n.mu.Unlock()
	for i := 0; i < 100; i++ {
		out, _ := exec.Command("ip", "netns", "exec", n.ns, "bash", "-c", "exec 3<>/dev/tcp/"+strings.Replace(addr, ":", "/", 1)).CombinedOutput()
		if len(out) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not listen on %s (log: %s)", name, addr, filepath.Join(dir, name+".log"))
}

func (n *labNet) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.procs {
		syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
		p.Wait()
	}
	exec.Command("ip", "netns", "del", n.ns).Run()
}

// labControl is the test's side of the hosts' reports (lab.ctl on their kernel command
// line): each host says when its boot has settled, and powers off only once every host of
// the boot has, so that no host leaves while the others still converge with it.
type labControl struct {
	mu      sync.Mutex
	want    int
	settled map[string]float64       // host name -> uptime when it settled
	asks    map[string][]string      // host name -> midobake status arguments it is to run
	answers map[string]chan<- answer // host name -> where its answer goes
}

// answer is what midobake status printed on a host, and its exit status.
type answer struct {
	out  string
	code int
}

// ask has a host that waits to power off run midobake status with args, as an operator on
// it would, and returns what it printed and its exit status.
func (c *labControl) ask(host string, args []string, timeout time.Duration) (string, int, error) {
	ch := make(chan answer, 1)
	c.mu.Lock()
	if c.asks == nil {
		c.asks, c.answers = map[string][]string{}, map[string]chan<- answer{}
	}
	c.asks[host], c.answers[host] = args, ch
	c.mu.Unlock()
	select {
	case a := <-ch:
		return a.out, a.code, nil
	case <-time.After(timeout):
		c.mu.Lock()
		delete(c.asks, host)
		delete(c.answers, host)
		c.mu.Unlock()
		return "", -1, fmt.Errorf("%s did not answer midobake status %s within %s", host, strings.Join(args, " "), timeout)
	}
}

// count is how many hosts of the boot have settled.
func (c *labControl) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.settled)
}

// expect starts a boot of n hosts.
func (c *labControl) expect(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.want, c.settled = n, map[string]float64{}
}

func (c *labControl) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Method == http.MethodPost {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 4<<20))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	asked, isAsk := strings.CutPrefix(r.URL.Path, "/ask/")
	answered, isAnswer := strings.CutPrefix(r.URL.Path, "/answer/")
	switch name, ok := strings.CutPrefix(r.URL.Path, "/settled/"); {
	case ok && r.Method == http.MethodPost:
		up, _ := strconv.ParseFloat(r.URL.Query().Get("uptime"), 64)
		c.settled[name] = up
	case isAsk && c.asks[asked] != nil:
		fmt.Fprint(w, strings.Join(c.asks[asked], "\n"))
		delete(c.asks, asked)
	case isAsk:
		w.WriteHeader(http.StatusNoContent)
	case isAnswer && r.Method == http.MethodPost && c.answers[answered] != nil:
		code, _ := strconv.Atoi(r.URL.Query().Get("rc"))
		c.answers[answered] <- answer{string(body), code}
		delete(c.answers, answered)
	case r.URL.Path == "/poweroff" && len(c.answers) > 0:
		// A host that answers an ask needs the others up: what status reads is theirs.
		http.Error(w, "an ask is pending", http.StatusServiceUnavailable)
	case r.URL.Path == "/poweroff" && len(c.settled) >= c.want:
		fmt.Fprintln(w, "all settled")
	case r.URL.Path == "/poweroff":
		http.Error(w, fmt.Sprintf("%d of %d hosts settled", len(c.settled), c.want), http.StatusServiceUnavailable)
	default:
		http.NotFound(w, r)
	}
}

// serveControl serves a labControl on addr in the lab's namespace: the listening socket is
// made there (a thread of this process enters the namespace for that one call), the test
// serves it from here.
func (n *labNet) serveControl(t *testing.T, addr string) *labControl {
	t.Helper()
	type result struct {
		l   net.Listener
		err error
	}
	ch := make(chan result)
	go func() {
		// The thread that entered the namespace is never handed back to the runtime (no
		// UnlockOSThread): it ends with this goroutine.
		runtime.LockOSThread()
		ns, err := os.Open("/var/run/netns/" + n.ns)
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, fmt.Errorf("setns: %w", err)}
			return
		}
		l, err := net.Listen("tcp", addr)
		ch <- result{l, err}
	}()
	res := <-ch
	if res.err != nil {
		t.Fatalf("control server on %s: %v", addr, res.err)
	}
	c := &labControl{}
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(res.l)
	t.Cleanup(func() { srv.Close() })
	return c
}

// dial connects to addr from inside the lab's namespace: a thread of this process enters it
// for the one call (and is never handed back to the runtime); the socket stays there.
func (n *labNet) dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := os.Open("/var/run/netns/" + n.ns)
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, fmt.Errorf("setns: %w", err)}
			return
		}
		c, err := net.DialTimeout(network, addr, timeout)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}
