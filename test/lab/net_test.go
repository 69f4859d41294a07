package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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

const labGateway = "10.111.5.1"

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
