package firstboot

import (
	"os"
	"os/exec"
	"path/filepath"
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
	state := `ip -o link show type veth | awk '{print $2}' | sort; ip -4 -o addr show dev uplinkbridge | awk '{print $4}'
ip -o link show master uplinkbridge | awk '{print $2}'; sysctl -n net.ipv4.ip_forward
ip route show | grep via; iptables -t nat -S POSTROUTING; iptables -S FORWARD`
	cmd := exec.Command("unshare", "--net", "bash", "-euc", `ip link set lo up
sh "$0"; first=$(`+state+`)
sh "$0"; second=$(`+state+`)
echo "$first"; [ "$first" = "$second" ] || { echo "SECOND RUN CHANGED THE STATE:"; echo "$second"; exit 1; }`, script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("namespace state after two runs:\n%s", out)
	for _, want := range []string{
		"veth0@veth1:", "veth1@veth0:", "172.19.0.1/30", "veth0@veth1:\n1\n",
		"10.116.150.1 via 172.19.0.2 dev uplinkbridge", "10.116.150.128/26 via 172.19.0.2 dev uplinkbridge",
		"-A POSTROUTING -s 10.116.150.64/26 -j MASQUERADE", "-A FORWARD -d 10.116.150.64/26 -j ACCEPT", "-A FORWARD -s 10.116.150.64/26 -j ACCEPT",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in the namespace's state:\n%s", want, out)
		}
	}
}
