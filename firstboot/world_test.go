package firstboot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/midonet/midonettest"
	"github.com/midobake/midobake/roles"
)

// The tests in this file drive the real midobake binary's firstboot command, on a temporary
// root per host, with a real ZooKeeper, a fake MidoNet API that follows the real one, and
// logging stand-ins for systemctl, mn-conf, chown and rpm on PATH.

var hookBin string

// worldAddrs are the test cloud's addresses: 10.250.0.0/16, put on the loopback interface of
// a network namespace of the tests' own (loopback addresses are no host's: validate refuses
// them), so that every host's ZooKeeper, Cassandra and identity are local, and nothing of it
// reaches the machine's own network.
var worldAddrs = []string{"10.250.0.10", "10.250.0.21", "10.250.0.22", "10.250.0.23", "10.250.0.30",
	"10.250.1.21", "10.250.1.22", "10.250.1.23", "10.250.2.21"}

func TestMain(m *testing.M) {
	if os.Getenv("MIDOBAKE_TEST_NETNS") == "" {
		os.Exit(inNetworkNamespace())
	}
	dir, err := os.MkdirTemp("", "midobake-firstboot-")
	if err != nil {
		panic(err)
	}
	hookBin = filepath.Join(dir, "midobake")
	if out, err := exec.Command("go", "build", "-o", hookBin, "../cmd/midobake").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// loopbackCloud is the example cloud's topology on the addresses of the tests' network
// namespace (worldAddrs), so that the hosts' ZooKeeper and Cassandra addresses reach servers
// the test runs.
const loopbackCloud = `version: 1
name: euca-lab
os: el7
midonet: {size: standard, tunnelZone: {name: eucatz, type: gre}}
hosts:
  - {name: clc1, address: 10.250.0.10, primaryInterface: eth0, roles: [clc, zookeeper, cassandra]}
  - {name: node1, address: 10.250.0.21, tunnelAddress: 10.250.1.21, roles: [nc]}
  - {name: node2, address: 10.250.0.22, tunnelAddress: 10.250.1.22, roles: [nc]}
  - {name: ufs1, address: 10.250.0.30, primaryInterface: eth0, roles: [ufs]}
network:
  Mode: VPCMIDO
  InstanceDnsServers: ["10.250.0.10"]
  PublicIps: ["10.116.150.1-10.116.150.254"]
  Mido:
    Gateways:
      - {Ip: 10.250.0.30, ExternalCidr: 172.19.0.0/30, ExternalDevice: veth1, ExternalIp: 172.19.0.2, ExternalRouterIp: 172.19.0.1}
`

// inNetworkNamespace runs the test binary again in a network namespace of its own, with
// worldAddrs on its loopback interface, and returns its exit status.
func inNetworkNamespace() int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "firstboot's tests put the test cloud's addresses in a network namespace of their own: run them as root")
		if testenv.InCI() {
			return 1
		}
		return 0
	}
	setup := "ip link set lo up"
	for _, a := range worldAddrs {
		setup += " && ip addr add " + a + "/32 dev lo"
	}
	cmd := exec.Command("unshare", append([]string{"--net", "--", "sh", "-c", setup + ` && exec "$0" "$@"`, os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), "MIDOBAKE_TEST_NETNS=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "unshare:", err)
		return 1
	}
	return 0
}

// stub is a stand-in command: it logs its arguments (and stdin for mn-conf), answers
// "systemctl show" from the host's .test/units ("UNIT LOADSTATE NEEDRELOAD" lines), can fail with
// exit 3 a number of times (ZooKeeper connection lost), can SIGKILL the hook that ran it, and
// "systemctl start midolman" registers the host with the fake MidoNet, as Midolman does, and
// writes its host id (MIDOBAKE_TEST_HOSTID_DELAY seconds later, if set); mn-conf's
// template-set fails without one.
const stub = `#!/bin/sh
name=$(basename "$0")
line="$name $*"
# EL7.0 and 7.1 (systemd 208) have no --now; EL7.2 brought 219, which has it: the hook avoids it.
case " $* " in *" --now "*) [ "$name" = systemctl ] && { echo "systemctl: unrecognized option '--now'" >&2; exit 1; } ;; esac
# A query changes nothing: answered below, not logged with the commands that act.
case "$name $1" in
  "systemctl is-enabled"|"systemctl --version"|"rpm -q") ;;
  *) echo "$line" >> "$MIDOBAKE_TEST_LOG" ;;
esac
# EL7's systemd; rpm -q says every package is installed but those in the host's .test/rpm-missing.
[ "$name $1" = "systemctl --version" ] && { echo "systemd 219"; echo "+PAM +AUDIT +SELINUX"; exit 0; }
if [ "$name $1" = "rpm -q" ]; then
  shift; rc=0
  for p; do
    if grep -qx "$p" "$MIDOBAKE_TEST_STATE/rpm-missing" 2>/dev/null; then echo "package $p is not installed"; rc=$((rc+1)); else echo "$p-5.2.0-1.noarch"; fi
  done
  exit $rc
fi
if [ "$name" = mn-conf ] && [ "$1" = set ]; then cat > "$MIDOBAKE_TEST_STATE/mn-conf-default"; fi
idfile="$(dirname "$MIDOBAKE_TEST_STATE")/etc/midonet_host_id.properties"
if [ "$name" = mn-conf ] && [ "$1" = template-set ]; then
  [ -s "$idfile" ] || { echo "mn-conf: no host id yet (the real one would make one of its own)" >&2; exit 1; }
  echo "$5" > "$MIDOBAKE_TEST_STATE/template"
fi
if [ "$name" = mn-conf ] && [ -s "$MIDOBAKE_TEST_STATE/flaky" ]; then
  n=$(cat "$MIDOBAKE_TEST_STATE/flaky"); echo $((n-1)) > "$MIDOBAKE_TEST_STATE/flaky"
  [ "$n" -gt 0 ] && { echo "zookeeper connection lost" >&2; exit 3; }
fi
if [ "$line" = "systemctl start midolman" ]; then
  echo "$MIDOBAKE_TEST_ADDRS" > "$MIDOBAKE_TEST_REGISTRY/$MIDOBAKE_TEST_HOST"
  if [ -n "$MIDOBAKE_TEST_HOSTID_DELAY" ] && ! [ -s "$idfile" ]; then
    (sleep "$MIDOBAKE_TEST_HOSTID_DELAY"; echo "host_uuid=uuid-$MIDOBAKE_TEST_HOST" > "$idfile") >/dev/null 2>&1 &
  else
    echo "host_uuid=uuid-$MIDOBAKE_TEST_HOST" > "$idfile"
  fi
fi
if [ "$name" = systemctl ] && [ "$1" = show ] && [ -s "$MIDOBAKE_TEST_STATE/units" ]; then
  for unit; do :; done
  awk -v u="$unit" '$1 == u { print "LoadState=" $2; print "NeedDaemonReload=" $3 }' "$MIDOBAKE_TEST_STATE/units"
fi
# "systemctl [--no-reload] enable|disable UNIT" links or unlinks it as systemd does (disable
# removes the links of every target, as systemd does); "is-enabled UNIT.service" answers from
# those links as systemd does: enabled by any target's wants link, an alias link "alias"
# (Debian's systemd; 219 has no alias state, and EL7 names its units as the hook does).
if [ "$name" = systemctl ]; then
  verb=$1; [ "$verb" = --no-reload ] && verb=$2
  for unit; do :; done
  etc="$(dirname "$MIDOBAKE_TEST_STATE")/etc/systemd/system"
  wants="$etc/multi-user.target.wants"
  case "$verb" in
    enable) mkdir -p "$wants"; ln -sf "/usr/lib/systemd/system/$unit.service" "$wants/$unit.service" ;;
    disable) rm -f "$etc"/*.wants/"$unit.service" ;;
    is-enabled)
      u=${unit%.service}
      if ls "$etc"/*.wants/"$u.service" >/dev/null 2>&1; then echo enabled; exit 0; fi
      if [ -L "$etc/$u.service" ]; then echo alias; exit 0; fi
      if [ -e "$etc/$u.service" ] || [ -e "$(dirname "$etc")/../usr/lib/systemd/system/$u.service" ]; then echo disabled; exit 1; fi
      echo "Failed to get unit file state for $u.service: No such file or directory" >&2; exit 1 ;;
  esac
  if [ -n "$MIDOBAKE_TEST_ZK_CTL" ] && [ "$unit" = zookeeper ] && { [ "$verb" = start ] || [ "$verb" = restart ]; }; then
    "$MIDOBAKE_TEST_ZK_CTL" "$verb"
  fi
fi
if [ -n "$MIDOBAKE_TEST_KILL_ON" ] && [ "$line" = "$MIDOBAKE_TEST_KILL_ON" ]; then kill -9 $PPID; sleep 5; fi
exit 0
`

type world struct {
	t         *testing.T
	dir       string
	site      string
	stubs     string
	registry  string
	api       *midonettest.API
	zk        *testenv.ZooKeeper
	cassandra net.Listener
	csPort    int
	// nsdbPreset: the NSDB settings are in ZooKeeper from the start (see playMnConf).
	nsdbPreset atomic.Bool
	// zkPort is where the hooks find ZooKeeper, when not at w.zk (an ensemble of the test's).
	zkPort int
	// siteOf gives a host site data of its own (a host the CLC's description does not name).
	siteOf map[string]string
}

func newWorld(t *testing.T, site string) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), siteOf: map[string]string{}}
	w.site = filepath.Join(w.dir, "cloud.yaml")
	w.stubs = filepath.Join(w.dir, "stubs")
	w.registry = filepath.Join(w.dir, "registry")
	os.MkdirAll(w.stubs, 0o755)
	os.MkdirAll(w.registry, 0o755)
	os.WriteFile(w.site, []byte(site), 0o644)
	for _, name := range []string{"systemctl", "mn-conf", "chown", "rpm"} {
		os.WriteFile(filepath.Join(w.stubs, name), []byte(stub), 0o755)
	}
	w.api = midonettest.NewAPI(w.registered)
	t.Cleanup(w.api.Close)
	w.zk = testenv.NewZooKeeper(t)
	l, err := net.Listen("tcp", "10.250.0.10:0")
	if err != nil {
		t.Fatal(err)
	}
	w.cassandra, w.csPort = l, l.Addr().(*net.TCPAddr).Port
	go func() { // accept and close: all the hook asks is whether CQL's port is open
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	w.playMnConf()
	return w
}

// playMnConf does in ZooKeeper what the real "mn-conf set -t default" does and the stub
// only records: once a host's stub has received the default template, the template's node
// exists, and the agents' hooks, which wait for it, go on. Unless a test says the CLC's
// first boot is yet to come (w.nsdbPreset.Store(false)), the node is there as soon as
// ZooKeeper is, as after a CLC that has finished.
func (w *world) playMnConf() {
	w.nsdbPreset.Store(true)
	done := make(chan struct{})
	w.t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(25 * time.Millisecond):
			}
			if set, _ := filepath.Glob(filepath.Join(w.dir, "roots", "*", ".test", "mn-conf-default")); len(set) == 0 && !w.nsdbPreset.Load() {
				continue
			}
			conn, err := midonet.Session(context.Background(), []string{fmt.Sprintf("127.0.0.1:%d", w.zk.Port)})
			if err != nil {
				continue
			}
			path := ""
			for _, part := range strings.Split(strings.Trim(roles.DefaultTemplateZNode, "/"), "/") {
				path += "/" + part
				if _, err = conn.Create(path, nil, 0, zk.WorldACL(zk.PermAll)); err == zk.ErrNodeExists {
					err = nil
				}
				if err != nil {
					break
				}
			}
			conn.Close()
			if err == nil {
				return
			}
		}
	}()
}

// registered lists the hosts whose Midolman has started, as MidoNet would report them: with
// the addresses the host had when it started (its address and tunnel address).
func (w *world) registered() []midonet.Host {
	entries, _ := os.ReadDir(w.registry)
	var out []midonet.Host
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(w.registry, e.Name()))
		out = append(out, midonet.Host{ID: "uuid-" + e.Name(), Name: e.Name(), Addresses: strings.Fields(string(b)), Alive: true})
	}
	return out
}

// addresses are a host's addresses in the site data, as its Midolman would register them.
func addresses(site, host string) string {
	b, _ := os.ReadFile(site)
	c, _ := cloud.Load(site, b)
	if c == nil {
		return ""
	}
	h, _ := c.Host(host)
	return h.Address + " " + h.TunnelAddress
}

// root returns a host's file system, with what the packages would have installed.
func (w *world) root(host string) string {
	root := filepath.Join(w.dir, "roots", host)
	if _, err := os.Stat(root); err == nil {
		return root
	}
	for _, kind := range []string{"compute", "gateway"} {
		for _, size := range []string{"medium", "large"} {
			p := filepath.Join(root, "etc/midolman/midolman-env.sh."+kind+"."+size)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("MAX_HEAP_SIZE="+kind+"-"+size+"\n"), 0o644)
		}
	}
	cy := filepath.Join(root, "etc/cassandra/conf/cassandra.yaml")
	os.MkdirAll(filepath.Dir(cy), 0o755)
	os.WriteFile(cy, []byte("cluster_name: 'Test Cluster'\nnum_tokens: 256\nseed_provider:\n    - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n      parameters:\n          - seeds: \"127.0.0.1\"\nlisten_address: localhost\nrpc_address: localhost\n"), 0o644)
	ce := filepath.Join(root, "etc/midonet-cluster/midonet-cluster-env.sh")
	os.MkdirAll(filepath.Dir(ce), 0o755)
	os.WriteFile(ce, []byte("MAX_HEAP_SIZE=2048M\nHEAP_NEWSIZE=1024M\n"), 0o644)
	// What preflight reads of the host: 16 GiB, no listener yet, Midolman's datapath module.
	os.MkdirAll(filepath.Join(root, "proc/net"), 0o755)
	os.WriteFile(filepath.Join(root, "proc/meminfo"), []byte("MemTotal:       16384000 kB\n"), 0o644)
	os.WriteFile(filepath.Join(root, "proc/net/tcp"), []byte("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "sys/module/openvswitch"), 0o755)
	// The time service, as the chrony package installs it.
	ud := filepath.Join(root, "usr/lib/systemd/system")
	os.MkdirAll(ud, 0o755)
	os.WriteFile(filepath.Join(ud, "chronyd.service"), []byte("[Unit]\nDescription=NTP client/server\n"), 0o644)
	os.MkdirAll(filepath.Join(root, ".test"), 0o755)
	return root
}

type hookRun struct {
	out  string
	code int
	log  []string // commands the hook ran
}

// hook runs "midobake firstboot" for a host; env adds MIDOBAKE_TEST_* settings.
func (w *world) hook(host string, extraArgs []string, env ...string) hookRun {
	w.t.Helper()
	return w.hookWith(host, extraArgs, env, nil)
}

// hookWith is hook with a callback that gets the started process.
func (w *world) hookWith(host string, extraArgs, env []string, started func(*os.Process)) hookRun {
	w.t.Helper()
	root := w.root(host)
	logFile := filepath.Join(root, ".test", "commands.log")
	before, _ := os.ReadFile(logFile)
	site := w.site
	if s, ok := w.siteOf[host]; ok {
		site = s
	}
	args := append([]string{"firstboot", "--site", site, "--host", host, "--root", root, "--api", w.api.URL(),
		"--zookeeper-port", fmt.Sprint(w.zkClientPort()), "--cassandra-port", fmt.Sprint(w.csPort), "--retry-max", "200ms", "--timeout", "60s"}, extraArgs...)
	cmd := exec.Command(hookBin, args...)
	cmd.Env = append(os.Environ(), "PATH="+w.stubs+":"+os.Getenv("PATH"),
		"MIDOBAKE_TEST_LOG="+logFile, "MIDOBAKE_TEST_STATE="+filepath.Join(root, ".test"),
		"MIDOBAKE_TEST_REGISTRY="+w.registry, "MIDOBAKE_TEST_HOST="+host, "MIDOBAKE_TEST_ADDRS="+addresses(site, host))
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	if started != nil {
		started(cmd.Process)
	}
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	after, _ := os.ReadFile(logFile)
	var log []string
	if s := strings.TrimSpace(string(after[len(before):])); s != "" {
		// Paths under the host's root read as ROOT, so runs in different worlds compare.
		log = strings.Split(strings.ReplaceAll(s, root, "ROOT"), "\n")
	}
	return hookRun{out.String(), code, log}
}

func (w *world) zkClientPort() int {
	if w.zkPort != 0 {
		return w.zkPort
	}
	return w.zk.Port
}

// files reads a host's root (the hook's results), without the test's own bookkeeping.
func (w *world) files(host string) map[string]string {
	out := map[string]string{}
	root := w.root(host)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(rel, ".test/") && rel != ".test/template" && rel != ".test/mn-conf-default" {
			return nil
		}
		// The report is the record of a run (its times, what it skipped), not a result:
		// report_test.go reads it.
		if "/"+rel == roles.ReportPath {
			return nil
		}
		if d.Type()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
			return nil
		}
		b, _ := os.ReadFile(p)
		st, _ := os.Stat(p)
		out[rel] = fmt.Sprintf("%o %s", st.Mode().Perm(), b)
		return nil
	})
	return out
}

var hosts = []string{"clc1", "node1", "node2", "ufs1"}

// runAll starts every host's hook at once (in the given order, a little apart) and waits.
func (w *world) runAll(order []string) map[string]hookRun {
	var mu sync.Mutex
	var wg sync.WaitGroup
	results := map[string]hookRun{}
	for i, h := range order {
		wg.Add(1)
		go func(h string, delay time.Duration) {
			defer wg.Done()
			time.Sleep(delay)
			r := w.hook(h, nil)
			mu.Lock()
			results[h] = r
			mu.Unlock()
		}(h, time.Duration(i)*300*time.Millisecond)
	}
	wg.Wait()
	return results
}

// hookKillable runs the CLC's hook with the fake API set to SIGKILL it on the first member.
func (w *world) hookKillable(host string) hookRun {
	w.t.Helper()
	var proc *os.Process
	var mu sync.Mutex
	w.api.Mu.Lock()
	w.api.OnKill = func() {
		mu.Lock()
		defer mu.Unlock()
		if proc != nil {
			proc.Kill()
		}
	}
	w.api.Mu.Unlock()
	return w.hookWith(host, nil, nil, func(p *os.Process) { mu.Lock(); proc = p; mu.Unlock() })
}

// enrol runs "midobake enrol" on the CLC's site data with args (--once, --remove NAME), as
// midobake-enrol.service does.
func (w *world) enrol(args ...string) hookRun {
	w.t.Helper()
	cmd := exec.Command(hookBin, append([]string{"enrol", "--site", w.site, "--api", w.api.URL(),
		"--zookeeper-port", fmt.Sprint(w.zk.Port)}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return hookRun{out: out.String(), code: code}
}
