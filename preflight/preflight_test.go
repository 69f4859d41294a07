package preflight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/system"
)

const site = `version: 1
name: t
os: el7
midonet: {}
hosts:
  - {name: clc1, address: 10.0.0.1, roles: [clc, nsdb]}
  - {name: nc1, address: 10.0.0.3, tunnelAddress: 10.1.0.3, roles: [nc], preflightIgnore: [memory]}
  - {name: gw1, address: 10.0.0.4, roles: [ufs], uplink: nic}
network:
  Mode: VPCMIDO
  PublicIps: [10.116.150.1-10.116.150.10]
  Mido:
    Gateways:
      - {Ip: 10.0.0.4, ExternalCidr: 172.19.0.0/30, ExternalDevice: em2, ExternalIp: 172.19.0.2, ExternalRouterIp: 172.19.0.1}
`

// fakeHost is a host as the checks read it: a root with /proc, /sys and the processes that
// hold sockets, interfaces, and answers of modprobe and timedatectl.
type fakeHost struct {
	root     string
	ifs      []system.Interface
	modprobe error
	clock    string
	systemd  string          // systemctl --version
	missing  map[string]bool // packages rpm -q says are not installed
}

func (f *fakeHost) Interfaces() ([]system.Interface, error) { return f.ifs, nil }

func (f *fakeHost) Run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	switch name {
	case "modprobe":
		if f.modprobe != nil {
			return []byte("modprobe: FATAL: Module openvswitch not found in directory /lib/modules/3.10.0\n"), f.modprobe
		}
		return nil, nil
	case "timedatectl":
		return []byte(f.clock), nil
	case "systemctl":
		return []byte(f.systemd), nil
	case "rpm": // as rpm -q: a line per package, the exit status counts those missing
		var out strings.Builder
		n := 0
		for _, p := range args[1:] {
			if f.missing[p] {
				fmt.Fprintf(&out, "package %s is not installed\n", p)
				n++
			} else {
				fmt.Fprintf(&out, "%s-5.2.0-1.noarch\n", p)
			}
		}
		if n > 0 {
			return []byte(out.String()), fmt.Errorf("exit status %d", n)
		}
		return []byte(out.String()), nil
	}
	return nil, fmt.Errorf("unexpected command %s", name)
}

func (f *fakeHost) write(t *testing.T, path, content string) {
	t.Helper()
	p := filepath.Join(f.root, path)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listen makes a process that listens on port (in unit, "" for none).
func (f *fakeHost) listen(t *testing.T, pid, port int, inode, unit string) {
	t.Helper()
	tcp, _ := os.ReadFile(filepath.Join(f.root, "proc/net/tcp"))
	f.write(t, "proc/net/tcp", string(tcp)+fmt.Sprintf("   1: 00000000:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000   996        0 %s 1 0000000000000000 100 0 0 10 0\n", port, inode))
	fd := filepath.Join(f.root, fmt.Sprintf("proc/%d/fd", pid))
	os.MkdirAll(fd, 0o755)
	os.Symlink("socket:["+inode+"]", filepath.Join(fd, "7"))
	if unit != "" {
		f.write(t, fmt.Sprintf("proc/%d/cgroup", pid), "0::/system.slice/"+unit+"\n")
	}
}

// goodHost is a host that passes every check: 16 GiB, nothing listening, its addresses on
// eth0 with MTU 1600, the uplink NIC bare, openvswitch loadable, the clock synchronized.
func goodHost(t *testing.T) *fakeHost {
	f := &fakeHost{root: t.TempDir(), clock: "      System clock synchronized: yes\n", systemd: "systemd 219\n+PAM +AUDIT +SELINUX\n"}
	f.write(t, "proc/meminfo", "MemTotal:       16384000 kB\nMemFree:         1000 kB\n")
	f.write(t, "proc/net/tcp", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
	pfx := func(s string) netip.Prefix { return netip.MustParsePrefix(s) }
	f.ifs = []system.Interface{
		{Name: "lo", MTU: 65536, Up: true, Addrs: []netip.Prefix{pfx("127.0.0.1/8")}},
		{Name: "eth0", MTU: 1600, Up: true, Addrs: []netip.Prefix{pfx("10.0.0.1/24"), pfx("10.0.0.3/24"), pfx("10.0.0.4/24"), pfx("10.1.0.3/24")}},
		{Name: "em2", MTU: 1500, Up: true},
	}
	return f
}

func run(t *testing.T, f *fakeHost, host string, ignore ...string) Report {
	t.Helper()
	c, rep := cloud.Load("site.yaml", []byte(site))
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	h, _ := c.Host(host)
	top := roles.Resolve(c)
	return Run(context.Background(), Input{Cloud: c, Top: top, Host: h, Root: system.Root(f.root), Runner: f, Network: f, Packages: roles.HostPackages(top, h), Ignore: ignore})
}

func result(t *testing.T, r Report, id string) Result {
	t.Helper()
	for _, x := range r.Results {
		if x.ID == id {
			return x
		}
	}
	t.Fatalf("no check %s in %+v", id, r)
	return Result{}
}

// TestChecksAreTheDescriptionsIDs: the description's preflightIgnore is validated against
// exactly these checks.
func TestChecksAreTheDescriptionsIDs(t *testing.T) {
	var ids []string
	for _, c := range checks {
		ids = append(ids, c.id)
	}
	if !slices.Equal(ids, cloud.PreflightChecks) {
		t.Errorf("checks %v, cloud.PreflightChecks %v", ids, cloud.PreflightChecks)
	}
}

// TestEveryCheckPasses on a host that has what its roles need.
func TestEveryCheckPasses(t *testing.T) {
	for _, h := range []string{"clc1", "nc1", "gw1"} {
		r := run(t, goodHost(t), h)
		for _, x := range r.Results {
			if !x.OK {
				t.Errorf("%s: %s failed: %s (need %s)", h, x.ID, x.Saw, x.Need)
			}
		}
		if r.Errors() != 0 {
			t.Errorf("%s: %d errors", h, r.Errors())
		}
	}
}

// TestEachCheckFails: one fault at a time, each named by its check with what it saw.
func TestEachCheckFails(t *testing.T) {
	for _, tc := range []struct {
		id, host string
		fault    func(t *testing.T, f *fakeHost)
		saw      string
		severity Severity
	}{
		{"memory", "clc1", func(t *testing.T, f *fakeHost) { f.write(t, "proc/meminfo", "MemTotal: 4000000 kB\n") }, "3906 MiB of memory", Error},
		{"ports", "clc1", func(t *testing.T, f *fakeHost) { f.listen(t, 4242, 2181, "9999", "tomcat.service") }, "2181 is held by tomcat.service", Error},
		{"ports", "clc1", func(t *testing.T, f *fakeHost) { f.listen(t, 4243, 8080, "9998", "") }, "8080 is held by a process preflight cannot see", Error},
		{"tunnel-address", "nc1", func(t *testing.T, f *fakeHost) { f.ifs[1].Addrs = f.ifs[1].Addrs[:3] }, "no interface holds 10.1.0.3", Error},
		{"tunnel-mtu", "nc1", func(t *testing.T, f *fakeHost) { f.ifs[1].MTU = 1500 }, "eth0 has MTU 1500: VMs get 1450", Warning},
		{"uplink-nic", "gw1", func(t *testing.T, f *fakeHost) {
			f.ifs[2].Addrs = []netip.Prefix{netip.MustParsePrefix("172.19.0.2/30")}
		}, "em2 has address 172.19.0.2/30", Error},
		{"uplink-nic", "gw1", func(t *testing.T, f *fakeHost) { f.ifs = f.ifs[:2] }, "no interface em2", Error},
		{"openvswitch", "nc1", func(t *testing.T, f *fakeHost) { f.modprobe = errors.New("exit status 1") }, "openvswitch cannot be loaded: modprobe: FATAL: Module openvswitch not found", Error},
		{"clock", "nc1", func(t *testing.T, f *fakeHost) { f.clock = "NTP synchronized: no\n" }, "the clock is not synchronized yet", Warning},
	} {
		t.Run(tc.id+"/"+tc.saw, func(t *testing.T) {
			f := goodHost(t)
			tc.fault(t, f)
			r := run(t, f, tc.host)
			x := result(t, r, tc.id)
			if x.OK || !strings.Contains(x.Saw, tc.saw) || x.Fix == "" || x.Severity != tc.severity {
				t.Errorf("%+v, want failed with %q, a fix, severity %s", x, tc.saw, tc.severity)
			}
			if want := map[Severity]int{Error: 1, Warning: 0}[tc.severity]; r.Errors() != want {
				t.Errorf("%d errors, want %d", r.Errors(), want)
			}
			var out bytes.Buffer
			r.Text(&out)
			if !strings.Contains(out.String(), tc.id) || !strings.Contains(out.String(), "fix: ") {
				t.Errorf("the text report does not show it:\n%s", out.String())
			}
			var back Report
			if err := json.Unmarshal(r.JSON(), &back); err != nil || back.Version != 1 || back.Host != tc.host {
				t.Errorf("json: %v %+v", err, back)
			}
		})
	}
}

// TestDisk: the NSDB's 30 GB, on a file system preflight can measure here: a small tmpfs is
// too small; the check reads the nearest existing directory on the way to /var/lib.
func TestDisk(t *testing.T) {
	f := goodHost(t)
	if x := result(t, run(t, f, "nc1"), "disk"); !x.OK {
		t.Errorf("a host without NSDB roles has no disk requirement: %+v", x)
	}
	x := result(t, run(t, f, "clc1"), "disk")
	if !strings.Contains(x.Saw, "GB in the file system of /var/lib") {
		t.Errorf("%+v", x)
	}
	// A 64 MB file system at the host's /var/lib: far below the NSDB's 30 GB.
	if os.Geteuid() != 0 {
		testenv.Missing(t, "mounting a small file system needs root")
	}
	varLib := filepath.Join(f.root, "var/lib")
	os.MkdirAll(varLib, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", varLib).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v %s", err, out)
	}
	defer exec.Command("umount", varLib).Run()
	x = result(t, run(t, f, "clc1"), "disk")
	if x.OK || !strings.Contains(x.Saw, "0.1 GB in the file system of /var/lib") || !x.Failed() {
		t.Errorf("a 64 MB /var/lib: %+v", x)
	}
}

// TestPortsHeldByTheirService: on a re-run the services listen; that is what they should do.
func TestPortsHeldByTheirService(t *testing.T) {
	f := goodHost(t)
	f.listen(t, 100, 2181, "1001", "zookeeper.service")
	f.listen(t, 101, 9042, "1002", "cassandra.service")
	f.listen(t, 102, 8080, "1003", "midonet-cluster.service")
	x := result(t, run(t, f, "clc1"), "ports")
	if !x.OK || !strings.Contains(x.Saw, "2181 by zookeeper.service") || !strings.Contains(x.Saw, "8080 by midonet-cluster.service") {
		t.Errorf("%+v", x)
	}
}

// TestIgnored: --ignore and the host's preflightIgnore turn errors into warnings that stay
// in the report; a warning stays a warning.
func TestIgnored(t *testing.T) {
	f := goodHost(t)
	f.write(t, "proc/meminfo", "MemTotal: 600000 kB\n")
	f.modprobe = errors.New("exit status 1")
	f.clock = "System clock synchronized: no\n"
	r := run(t, f, "nc1") // nc1's preflightIgnore: [memory]
	if m := result(t, r, "memory"); m.OK || !m.Ignored || m.Failed() {
		t.Errorf("memory: %+v", m)
	}
	if r.Errors() != 1 {
		t.Errorf("openvswitch is not ignored: %d errors", r.Errors())
	}
	r = run(t, f, "nc1", "openvswitch")
	if r.Errors() != 0 || !strings.Contains(r.Summary(), "0 errors, 2 ignored (memory, openvswitch), 1 warnings (clock)") {
		t.Errorf("%s", r.Summary())
	}
	if bad := CheckUnknownIDs([]string{"memory", "mem", "ports"}); !slices.Equal(bad, []string{"mem"}) {
		t.Errorf("unknown IDs: %v", bad)
	}
}

// TestPackages: a package of the host's plan that rpm does not have is an error naming it
// (EL7's yum skips what its repositories lack and exits 0), with the strict install as the fix.
func TestPackages(t *testing.T) {
	f := goodHost(t)
	if x := result(t, run(t, f, "nc1"), "packages"); !x.OK || !strings.Contains(x.Saw, "installed") || !strings.Contains(x.Need, "midolman") {
		t.Errorf("%+v", x)
	}
	f.missing = map[string]bool{"midolman": true, "midonet-tools": true}
	x := result(t, run(t, f, "nc1"), "packages")
	if x.OK || !x.Failed() || x.Saw != "not installed: midolman, midonet-tools" || !strings.Contains(x.Fix, "--setopt=skip_missing_names_on_install=False install midolman midonet-tools") {
		t.Errorf("%+v", x)
	}
}

// TestSystemd: EL7.0 and 7.1's systemd 208 is a warning (no Persistent= timers), 219 is fine,
// an answer that is not systemd's says so.
func TestSystemd(t *testing.T) {
	f := goodHost(t)
	for answer, want := range map[string]string{"systemd 219\n+PAM\n": "ok systemd 219", "systemd 252 (252.38-1~deb12u1)\n": "ok systemd 252",
		"systemd 208\n": "failed systemd 208", "": `failed cannot ask systemctl --version: ""`} {
		f.systemd = answer
		x := result(t, run(t, f, "nc1"), "systemd")
		got := "failed " + x.Saw
		if x.OK {
			got = "ok " + x.Saw
		}
		if got != want || x.Severity != Warning {
			t.Errorf("systemctl --version %q: %s (%s), want %s", answer, got, x.Severity, want)
		}
	}
}
