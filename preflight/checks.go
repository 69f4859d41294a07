package preflight

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// memSlack: MemTotal is what the kernel leaves of the RAM; a machine sized to the guide shows
// a few percent less.
const memSlack = 0.9

// need is the memory the host's roles need (their Needs, summed), and of what.
func need(in Input) (mib int, why []string) {
	for _, n := range roles.HostNeeds(in.Top, in.Host) {
		if n.MemoryMiB > 0 {
			mib += n.MemoryMiB
			why = append(why, fmt.Sprintf("%s %d GB", n.Share, n.MemoryMiB/1024))
		}
	}
	return mib, why
}

func checkMemory(ctx context.Context, in Input) (bool, string, string, string) {
	want, why := need(in)
	needs := fmt.Sprintf("%d MiB (%s)", want, strings.Join(why, " + "))
	if want == 0 {
		return true, "no role of this host has a memory requirement", "nothing", ""
	}
	b, err := in.Root.Read("/proc/meminfo")
	if err != nil || b == nil {
		return false, fmt.Sprintf("cannot read /proc/meminfo (%v)", err), needs, "run preflight on the host itself"
	}
	kb := 0
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ = strconv.Atoi(f[1])
		}
	}
	have := kb / 1024
	saw := fmt.Sprintf("%d MiB of memory", have)
	return float64(have) >= memSlack*float64(want), saw, needs, "give the host more memory, or fewer roles"
}

func checkDisk(ctx context.Context, in Input) (bool, string, string, string) {
	var disk roles.Need
	for _, n := range roles.HostNeeds(in.Top, in.Host) {
		if n.DiskGB > 0 {
			disk = n
		}
	}
	if disk.DiskGB == 0 {
		return true, "no role of this host has a disk requirement", "nothing", ""
	}
	needs := fmt.Sprintf("%d GB for the %s under %s (%s)", disk.DiskGB, disk.Share, disk.DiskPath, disk.DiskFor)
	// The file system that will hold the data: the nearest existing directory on the way.
	dir := in.Root.Path(disk.DiskPath)
	for {
		if _, err := os.Stat(dir); err == nil || dir == filepath.Dir(dir) {
			break
		}
		dir = filepath.Dir(dir)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, fmt.Sprintf("cannot read the file system of %s: %v", disk.DiskPath, err), needs, "run preflight on the host itself"
	}
	size := float64(st.Blocks) * float64(st.Bsize) / 1e9
	return size >= float64(disk.DiskGB), fmt.Sprintf("%.1f GB in the file system of %s", size, disk.DiskPath), needs,
		fmt.Sprintf("give %s a file system of %d GB or more", disk.DiskPath, disk.DiskGB)
}

// listenPorts are the ports the host's roles listen on (their Listens), and the unit that
// should hold each.
func listenPorts(in Input) map[int]string {
	out := map[int]string{}
	for _, l := range roles.HostListens(in.Top, in.Host) {
		if l.Port != 0 && l.Unit != "" {
			out[l.Port] = l.Unit
		}
	}
	return out
}

func checkPorts(ctx context.Context, in Input) (bool, string, string, string) {
	want := listenPorts(in)
	if len(want) == 0 {
		return true, "no role of this host listens on a port of its own", "nothing", ""
	}
	var ports []int
	for p := range want {
		ports = append(ports, p)
	}
	sortInts(ports)
	var list []string
	for _, p := range ports {
		list = append(list, fmt.Sprintf("%d (%s)", p, want[p]))
	}
	needs := "free, or held by the service that should: " + strings.Join(list, ", ")
	listeners, err := readListeners(in)
	if err != nil {
		return false, err.Error(), needs, "run preflight on the host itself"
	}
	var bad, held []string
	for _, p := range ports {
		inodes, ok := listeners[p]
		if !ok {
			continue
		}
		unit := socketUnit(in, inodes)
		if unit == want[p]+".service" {
			held = append(held, fmt.Sprintf("%d by %s", p, unit))
			continue
		}
		if unit == "" {
			unit = "a process preflight cannot see"
		}
		bad = append(bad, fmt.Sprintf("%d is held by %s", p, unit))
	}
	if len(bad) > 0 {
		return false, strings.Join(bad, "; "), needs, "stop what holds the port, or move it elsewhere"
	}
	if len(held) > 0 {
		return true, "held by their services: " + strings.Join(held, ", ") + "; the others free", needs, ""
	}
	return true, "all free", needs, ""
}

// readListeners reads the listening TCP sockets of /proc/net/tcp and tcp6: port -> inodes.
func readListeners(in Input) (map[int][]string, error) {
	out := map[int][]string{}
	found := false
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := in.Root.Read(f)
		if err != nil || b == nil {
			continue
		}
		found = true
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			// sl local_address rem_address st ... inode (the 10th field); st 0A is LISTEN.
			if len(fields) < 10 || fields[3] != "0A" {
				continue
			}
			_, portHex, _ := strings.Cut(fields[1], ":")
			port, err := strconv.ParseInt(portHex, 16, 32)
			if err != nil {
				continue
			}
			out[int(port)] = append(out[int(port)], fields[9])
		}
	}
	if !found {
		return nil, fmt.Errorf("cannot read /proc/net/tcp")
	}
	return out, nil
}

// socketUnit finds the systemd unit of the process holding one of the sockets, from its
// cgroup, or "".
func socketUnit(in Input, inodes []string) string {
	want := map[string]bool{}
	for _, i := range inodes {
		want["socket:["+i+"]"] = true
	}
	procs, _ := os.ReadDir(in.Root.Path("/proc"))
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		fds, _ := os.ReadDir(in.Root.Path("/proc/" + p.Name() + "/fd"))
		for _, fd := range fds {
			target, err := os.Readlink(in.Root.Path("/proc/" + p.Name() + "/fd/" + fd.Name()))
			if err == nil && want[target] {
				return cgroupUnit(in, p.Name())
			}
		}
	}
	return ""
}

// cgroupUnit is the systemd service a process runs in, from /proc/PID/cgroup.
func cgroupUnit(in Input, pid string) string {
	b, _ := in.Root.Read("/proc/" + pid + "/cgroup")
	for _, l := range strings.Split(string(b), "\n") {
		// "0::/system.slice/zookeeper.service" (cgroup v2) or "1:name=systemd:/system.slice/..."
		i := strings.LastIndex(l, ":")
		if i < 0 {
			continue
		}
		for _, part := range strings.Split(l[i+1:], "/") {
			if strings.HasSuffix(part, ".service") {
				return part
			}
		}
	}
	return ""
}

// tunnelInterface finds the interface that holds the host's tunnel address.
func tunnelInterface(in Input) (string, int, error) {
	a, err := netip.ParseAddr(in.Host.TunnelAddress)
	if err != nil {
		return "", 0, err
	}
	ifs, err := in.Network.Interfaces()
	if err != nil {
		return "", 0, err
	}
	for _, i := range ifs {
		for _, p := range i.Addrs {
			if p.Addr() == a {
				return i.Name, i.MTU, nil
			}
		}
	}
	return "", 0, nil
}

func checkTunnelAddress(ctx context.Context, in Input) (bool, string, string, string) {
	if !in.Top.RunsMidolman(in.Host) {
		return true, "no Midolman on this host: no tunnel", "nothing", ""
	}
	needs := fmt.Sprintf("tunnel address %s on an interface of this host", in.Host.TunnelAddress)
	name, _, err := tunnelInterface(in)
	switch {
	case err != nil:
		return false, fmt.Sprintf("cannot read the interfaces: %v", err), needs, "run preflight on the host itself"
	case name == "":
		return false, fmt.Sprintf("no interface holds %s", in.Host.TunnelAddress), needs,
			"configure the address on the interface that carries VM traffic, or correct tunnelAddress (or address) in the description"
	}
	return true, fmt.Sprintf("%s is on %s", in.Host.TunnelAddress, name), needs, ""
}

// minTunnelMTU leaves VMs a full 1500: Midolman gives them the tunnel interface's MTU - 50.
const minTunnelMTU = 1550

func checkTunnelMTU(ctx context.Context, in Input) (bool, string, string, string) {
	if !in.Top.RunsMidolman(in.Host) {
		return true, "no Midolman on this host: no tunnel", "nothing", ""
	}
	needs := fmt.Sprintf("an MTU of %d or more on the tunnel interface, so VMs get 1500 (MidoNet gives them the MTU - 50)", minTunnelMTU)
	name, mtu, err := tunnelInterface(in)
	if err != nil || name == "" {
		return false, "the tunnel interface is not found (see tunnel-address)", needs, "fix tunnel-address first"
	}
	return mtu >= minTunnelMTU, fmt.Sprintf("%s has MTU %d: VMs get %d", name, mtu, mtu-50), needs,
		fmt.Sprintf("raise the MTU of %s (and of the switches on the way) to %d, or accept VMs with MTU %d", name, minTunnelMTU, mtu-50)
}

func checkUplinkNIC(ctx context.Context, in Input) (bool, string, string, string) {
	g := in.Cloud.Gateway(in.Host)
	if g == nil || in.Cloud.Network.Mido.BgpAsn != "" || in.Host.UplinkKind() != cloud.UplinkNIC {
		return true, "no uplink: nic on this host", "nothing", ""
	}
	needs := fmt.Sprintf("ExternalDevice %s present, with no address (MidoNet takes it whole)", g.ExternalDevice)
	ifs, err := in.Network.Interfaces()
	if err != nil {
		return false, fmt.Sprintf("cannot read the interfaces: %v", err), needs, "run preflight on the host itself"
	}
	for _, i := range ifs {
		if i.Name != g.ExternalDevice {
			continue
		}
		if len(i.Addrs) > 0 {
			return false, fmt.Sprintf("%s has address %s", i.Name, i.Addrs[0]), needs, fmt.Sprintf("remove the addresses of %s (ip addr flush dev %s) and from its ifcfg file", i.Name, i.Name)
		}
		return true, fmt.Sprintf("%s is present, with no address", i.Name), needs, ""
	}
	return false, fmt.Sprintf("no interface %s", g.ExternalDevice), needs, "cable and name the uplink interface, or correct ExternalDevice"
}

func checkOpenvswitch(ctx context.Context, in Input) (bool, string, string, string) {
	if !in.Top.RunsMidolman(in.Host) {
		return true, "no Midolman on this host", "nothing", ""
	}
	needs := "the openvswitch kernel module (Midolman's datapath) loaded or loadable"
	if ok, _ := in.Root.Lstat("/sys/module/openvswitch"); ok {
		return true, "openvswitch is loaded", needs, ""
	}
	if out, err := in.Runner.Run(ctx, nil, "modprobe", "--dry-run", "openvswitch"); err != nil {
		return false, "openvswitch cannot be loaded: " + firstLine(string(out), err), needs, "install a kernel with the openvswitch module (EL7's stock kernel has it)"
	}
	return true, "openvswitch can be loaded", needs, ""
}

func checkClock(ctx context.Context, in Input) (bool, string, string, string) {
	needs := "a synchronized clock (ZooKeeper and Cassandra); the hook starts the time service"
	out, err := in.Runner.Run(ctx, nil, "timedatectl", "status")
	if err != nil {
		return false, "cannot ask timedatectl: " + firstLine(string(out), err), needs, "check chronyd (chronyc tracking)"
	}
	for _, l := range strings.Split(string(out), "\n") {
		// EL7's systemd 219 says "NTP synchronized: yes"; later ones "System clock synchronized: yes".
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && strings.HasSuffix(k, "synchronized") {
			if strings.TrimSpace(v) == "yes" {
				return true, "the clock is synchronized", needs, ""
			}
			return false, "the clock is not synchronized yet", needs, "check that chronyd reaches a time server (chronyc sources)"
		}
	}
	return false, "timedatectl does not say whether the clock is synchronized", needs, "check chronyd (chronyc tracking)"
}

// checkPackages: every package of the host's plan is installed. EL7's yum 3.4 installs what
// its repositories have and skips the rest with "No package X available." and exit status 0
// (skip_missing_names_on_install defaults to True: yum/config.py, cli.py installPkgs), and
// cloud-init's package module runs that yum: a host missing MidoNet's packages would fail
// later with an error that points elsewhere (a missing user, a missing mn-conf). "rpm -q"
// prints "package X is not installed" for each one missing.
func checkPackages(ctx context.Context, in Input) (bool, string, string, string) {
	if len(in.Packages) == 0 {
		return true, "this host's roles install no packages", "nothing", ""
	}
	needs := "the packages of this host's roles: " + strings.Join(in.Packages, " ")
	out, err := in.Runner.Run(ctx, nil, "rpm", append([]string{"-q"}, in.Packages...)...)
	var missing []string
	for _, l := range strings.Split(string(out), "\n") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(l), "package "); ok {
			if name, ok = strings.CutSuffix(name, " is not installed"); ok {
				missing = append(missing, name)
			}
		}
	}
	switch {
	case len(missing) > 0:
		return false, "not installed: " + strings.Join(missing, ", "), needs,
			"publish them in the repositories the description names (yum skips a package its repositories lack and exits 0), then install them: yum -y --setopt=skip_missing_names_on_install=False install " + strings.Join(missing, " ")
	case err != nil:
		return false, "cannot ask rpm: " + firstLine(string(out), err), needs, "run preflight on the host itself"
	}
	return true, fmt.Sprintf("all %d installed", len(in.Packages)), needs, ""
}

// checkSystemd: EL7.2 or later, whose systemd is 219. EL7.0 and 7.1 have systemd 208: no
// Persistent= for timers (a backup missed while the host was down is not made up) and no
// "systemctl cat" (the bake uses it).
func checkSystemd(ctx context.Context, in Input) (bool, string, string, string) {
	const want = 219
	needs := fmt.Sprintf("systemd %d or later (EL7.2 or later)", want)
	out, err := in.Runner.Run(ctx, nil, "systemctl", "--version")
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "systemd" {
		if err != nil {
			line = firstLine(string(out), err)
		}
		return false, "cannot ask systemctl --version: " + strconv.Quote(line), needs, "run preflight on the host itself"
	}
	v, convErr := strconv.Atoi(f[1])
	if convErr != nil {
		return false, "systemctl --version says " + strconv.Quote(f[1]), needs, "run preflight on the host itself"
	}
	if v < want {
		return false, fmt.Sprintf("systemd %d", v), needs, "update the host to EL7.2 or later (yum update systemd)"
	}
	return true, fmt.Sprintf("systemd %d", v), needs, ""
}

func firstLine(out string, err error) string {
	if l, _, _ := strings.Cut(strings.TrimSpace(out), "\n"); l != "" {
		return l
	}
	return err.Error()
}

func sortInts(a []int) { sort.Ints(a) }
