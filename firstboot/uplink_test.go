package firstboot

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/midobake/midobake/internal/testenv"
)

// TestUplinkScriptInANetworkNamespace runs the gateway uplink script the hook writes for
// real, twice, in a private network namespace: the veth pair, the bridge with the router
// address, forwarding, the routes to the public range and the NAT and FORWARD rules are in
// place, and the second run (every boot runs it) changes nothing.
func TestUplinkScriptInANetworkNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "network namespaces need root")
	}
	testenv.Need(t, "iptables", "apt-get install iptables")
	testenv.Need(t, "unshare", "apt-get install util-linux")
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	if r := w.hook("ufs1", nil); r.code != 0 {
		t.Fatal(r.out)
	}
	script := filepath.Join(w.root("ufs1"), "usr/libexec/midobake/uplink")
	// EL7's iptables 1.4.21 exits 4 when another holds the xtables lock, unless it waits (-w):
	// a check that failed so would insert a duplicate rule.
	b, _ := os.ReadFile(script)
	calls := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, call := range regexp.MustCompile(`\biptables\b.{0,3}`).FindAllString(line, -1) {
			calls++
			if call != "iptables -w" {
				t.Errorf("the uplink script runs iptables without waiting for its lock: %q", line)
			}
		}
	}
	if calls == 0 {
		t.Error("the uplink script runs no iptables: the check above proves nothing")
	}
	state := `ip -o link show type veth | awk '{print $2}' | sort; ip -4 -o addr show dev uplinkbridge | awk '{print $4}'
ip -o link show master uplinkbridge | awk '{print $2}'; sysctl -n net.ipv4.ip_forward
ip route show | grep via; iptables -t nat -S POSTROUTING; iptables -S FORWARD`
	out := runTwiceInANamespace(t, "", script, state)
	t.Logf("namespace state after two runs:\n%s", out)
	for _, want := range []string{
		"veth0@veth1:", "veth1@veth0:", "172.19.0.1/30", "veth0@veth1:\n1\n",
		"10.116.150.1 via 172.19.0.2 dev uplinkbridge", "10.116.150.128/26 via 172.19.0.2 dev uplinkbridge",
		"-A POSTROUTING -s 10.116.150.64/26 -o eth0 -j MASQUERADE", "-A FORWARD -d 10.116.150.64/26 -j ACCEPT", "-A FORWARD -s 10.116.150.64/26 -j ACCEPT",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the namespace's state:\n%s", want, out)
		}
	}
}

// TestUplinkOnARealNIC: with uplink: nic, the ExternalDevice is an interface the host already
// has (here one end of a veth pair, with an address, as a NIC an installer configured would be).
// The script, run twice for real in a network namespace, keeps it up with no address, and
// creates no veth pair, no bridge and no router address; the veth recipe would have failed
// there ("File exists") and put the router's address on a local bridge.
func TestUplinkOnARealNIC(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "network namespaces need root")
	}
	testenv.Need(t, "unshare", "apt-get install util-linux")
	site := strings.Replace(loopbackCloud, "{name: ufs1, address: 10.250.0.30, primaryInterface: eth0, roles: [ufs]}",
		"{name: ufs1, address: 10.250.0.30, primaryInterface: eth0, roles: [ufs], uplink: nic}", 1)
	site = strings.Replace(site, "ExternalDevice: veth1", "ExternalDevice: em2", 1)
	if site == loopbackCloud {
		t.Fatal("could not make the uplink: nic variant of the cloud")
	}
	w := newWorld(t, site)
	w.zk.Start(t)
	if r := w.hook("ufs1", []string{"--dry-run"}); !strings.Contains(r.out, "uplink: nic: em2 is a real interface") {
		t.Errorf("dry run does not show the uplink kind:\n%s", r.out)
	}
	// The NIC exists only in the namespace the script runs in below, not where the hook runs:
	// preflight rightly says so, and the test takes that as a warning.
	if r := w.hook("ufs1", nil); r.code == 0 || !strings.Contains(r.out, "preflight: ERROR uplink-nic: no interface em2") {
		t.Fatalf("preflight let the hook go on without em2:\n%s", r.out)
	}
	if r := w.hook("ufs1", []string{"--ignore", "uplink-nic"}); r.code != 0 {
		t.Fatal(r.out)
	}
	script := filepath.Join(w.root("ufs1"), "usr/libexec/midobake/uplink")
	state := `ip -br link | awk '{print $1, $2}' | sort; ip -4 -o addr show | awk '{print $2, $4}'`
	got := runTwiceInANamespace(t, "ip link add em2 type veth peer name wire0; ip link set wire0 up; ip addr add 172.19.0.2/30 dev em2", script, state)
	if !strings.Contains(got, "em2@wire0 UP") {
		t.Errorf("em2 is not up:\n%s", got)
	}
	for _, unwanted := range []string{"em2 172.19.0.2", "172.19.0.1", "uplinkbridge", "veth0"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("%q in the namespace's state:\n%s", unwanted, got)
		}
	}
}

// runTwiceInANamespace runs the uplink script twice in a new network namespace (after setup,
// shell commands), and returns the state command's output after the first run; it fails the
// test if the script fails or the second run changed the state (every boot runs it).
func runTwiceInANamespace(t *testing.T, setup, script, state string) string {
	t.Helper()
	cmd := exec.Command("unshare", "--net", "bash", "-euc", `ip link set lo up
`+setup+`
sh "$0"; first=$(`+state+`)
sh "$0"; second=$(`+state+`)
echo "$first"; [ "$first" = "$second" ] || { echo "SECOND RUN CHANGED THE STATE:"; echo "$second"; exit 1; }`, script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return string(out)
}

// TestUplinkRulesSurviveAFirewalldReload: with firewall.mode keep, firewalld runs, and EL7's
// firewalld 0.6 on its iptables backend flushes every table, nat included, at each start and
// --reload. A real firewalld on that backend (FirewallBackend=iptables, with a D-Bus of its
// own, in private network, mount and PID namespaces) runs while the uplink script the hook
// wrote runs twice; after a reload the gateway's NAT and FORWARD rules are still there (as
// firewalld's direct rules, permanent too), once each, where a plain iptables rule is gone.
func TestUplinkRulesSurviveAFirewalldReload(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "network namespaces need root")
	}
	testenv.Need(t, "firewalld", "apt-get install firewalld")
	testenv.Need(t, "dbus-daemon", "apt-get install dbus")
	testenv.Need(t, "iptables", "apt-get install iptables")
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	if r := w.hook("ufs1", nil); r.code != 0 {
		t.Fatal(r.out)
	}
	script := filepath.Join(w.root("ufs1"), "usr/libexec/midobake/uplink")
	conf := filepath.Join(t.TempDir(), "firewalld")
	if out, err := exec.Command("cp", "-r", "/etc/firewalld", conf).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	b, _ := os.ReadFile(filepath.Join(conf, "firewalld.conf"))
	b = regexp.MustCompile(`(?m)^FirewallBackend=.*$`).ReplaceAll(b, []byte("FirewallBackend=iptables"))
	os.WriteFile(filepath.Join(conf, "firewalld.conf"), b, 0o644)
	rules := `iptables -t nat -S POSTROUTING_direct; iptables -S FORWARD_direct; firewall-cmd --permanent --direct --get-all-rules`
	cmd := exec.Command("unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc", "bash", "-euc", `
mount -t tmpfs tmpfs /run && mkdir -p /run/dbus && mount --bind "$1" /etc/firewalld
ip link set lo up
dbus-daemon --system --fork
firewalld --nofork --nopid > "$1/firewalld.log" 2>&1 &
i=0; until firewall-cmd --state >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 300 ] || { cat "$1/firewalld.log"; exit 1; }; sleep 0.1; done
iptables -w -t nat -A POSTROUTING -s 192.0.2.0/24 -j MASQUERADE
sh "$0"; first=$(`+rules+`)
sh "$0"; second=$(`+rules+`)
[ "$first" = "$second" ] || { echo "SECOND RUN CHANGED THE RULES:"; echo "$first"; echo "$second"; exit 1; }
firewall-cmd -q --reload
echo "after the reload:"; `+rules+`
iptables -t nat -S POSTROUTING | grep -q 192.0.2.0/24 && echo "A PLAIN RULE SURVIVED THE RELOAD" || true`, script, conf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	after := string(out)[strings.Index(string(out), "after the reload:"):]
	t.Logf("firewalld's rules after the reload:\n%s", after)
	if strings.Contains(after, "A PLAIN RULE SURVIVED") {
		t.Fatal("this firewalld does not flush iptables at a reload, as EL7's does: the test proves nothing")
	}
	for _, want := range []string{
		"-A POSTROUTING_direct -s 10.116.150.64/26 -o eth0 -j MASQUERADE", "-A FORWARD_direct -s 10.116.150.64/26 -j ACCEPT", "-A FORWARD_direct -d 10.116.150.64/26 -j ACCEPT",
		"-A POSTROUTING_direct -s 10.116.150.1/32 -o eth0 -j MASQUERADE", "-A FORWARD_direct -d 10.116.150.128/26 -j ACCEPT",
	} {
		if n := strings.Count(after, want+"\n"); n != 1 {
			t.Errorf("%q %d times after the reload, want once:\n%s", want, n, after)
		}
	}
	// Permanent: one direct rule each, for all the public ranges.
	if n := regexp.MustCompile(`(?m)^ipv4 (nat POSTROUTING 0 -s \S*10\.116\.150\.64/26\S* -o eth0 -j MASQUERADE|filter FORWARD 0 -[sd] \S*10\.116\.150\.64/26\S* -j ACCEPT)$`).FindAllString(after, -1); len(n) != 3 || strings.Count(after, "\nipv4 ") != 3 {
		t.Errorf("firewalld's permanent direct rules are not the three of the uplink: %q\n%s", n, after)
	}
}
