package firstboot

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeFirewallCmd plays firewalld's permanent configuration as firewall-cmd shows and changes
// it (ipsets with entries, rich rules), in files under the host's .test/fw; "--state" says
// running while .test/fw/running exists. It refuses what firewalld refuses: an entry or rule
// for a set that does not exist, a set made twice, a set deleted while a rule uses it.
const fakeFirewallCmd = `#!/bin/sh
echo "firewall-cmd $*" >> "$MIDOBAKE_TEST_LOG"
fw="$MIDOBAKE_TEST_STATE/fw"; mkdir -p "$fw/ipsets"; touch "$fw/rules"
[ "$1" = --state ] && { [ -e "$fw/running" ] && { echo running; exit 0; }; echo "not running"; exit 252; }
[ "$1" = --reload ] && { echo success; exit 0; }
[ "$1" = --permanent ] || { echo "unexpected: $*" >&2; exit 2; }
shift
case "$1" in
  --get-ipsets) ls "$fw/ipsets" | tr '\n' ' '; echo ;;
  --new-ipset=*) n=${1#--new-ipset=}; [ -e "$fw/ipsets/$n" ] && { echo "Error: NAME_CONFLICT" >&2; exit 26; }; : > "$fw/ipsets/$n" ;;
  --delete-ipset=*) n=${1#--delete-ipset=}; grep -q "ipset=\"$n\"" "$fw/rules" && { echo "Error: in use" >&2; exit 1; }; rm -f "$fw/ipsets/$n" ;;
  --ipset=*) n=${1#--ipset=}; [ -e "$fw/ipsets/$n" ] || { echo "Error: INVALID_IPSET" >&2; exit 116; }
    case "$2" in
      --get-entries) cat "$fw/ipsets/$n" ;;
      --add-entry=*) echo "${2#--add-entry=}" >> "$fw/ipsets/$n" ;;
      --remove-entry=*) grep -vxF "${2#--remove-entry=}" "$fw/ipsets/$n" > "$fw/tmp"; mv "$fw/tmp" "$fw/ipsets/$n" ;;
    esac ;;
  --list-rich-rules) cat "$fw/rules" ;;
  --add-rich-rule=*) r=${1#--add-rich-rule=}; n=$(echo "$r" | sed 's/.*ipset="\([^"]*\)".*/\1/'); [ -e "$fw/ipsets/$n" ] || { echo "Error: INVALID_IPSET" >&2; exit 116; }; echo "$r" >> "$fw/rules" ;;
  --remove-rich-rule=*) grep -vxF "${1#--remove-rich-rule=}" "$fw/rules" > "$fw/tmp"; mv "$fw/tmp" "$fw/rules" ;;
esac
exit 0
`

func (w *world) fwState(host string) (map[string][]string, []string) {
	fw := filepath.Join(w.root(host), ".test", "fw")
	sets := map[string][]string{}
	entries, _ := os.ReadDir(filepath.Join(fw, "ipsets"))
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(fw, "ipsets", e.Name()))
		lines := strings.Fields(string(b))
		slices.Sort(lines)
		sets[e.Name()] = lines
	}
	b, _ := os.ReadFile(filepath.Join(fw, "rules"))
	rules := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(rules)
	return sets, rules
}

// TestFirewallKeep: with firewall.mode: keep the CLC's hook opens exactly what its roles need
// (ZooKeeper to its clients and the admin source, to its peers; Cassandra to its peers and
// clients; GRE between the agents' tunnel addresses) in ipsets of midobake's, leaves an
// operator's own rule alone, changes nothing when run again, and takes access away from a
// host that left the cloud.
func TestFirewallKeep(t *testing.T) {
	keep := loopbackCloud + "firewall: {mode: keep, adminSources: [10.9.9.0/24]}\n"
	w := newWorld(t, keep)
	os.WriteFile(filepath.Join(w.stubs, "firewall-cmd"), []byte(fakeFirewallCmd), 0o755)
	w.zk.Start(t)
	fw := filepath.Join(w.root("clc1"), ".test", "fw")
	os.MkdirAll(fw, 0o755)
	os.WriteFile(filepath.Join(fw, "running"), nil, 0o644)
	own := `rule family="ipv4" source address="192.0.2.7" service name="ssh" accept`
	os.WriteFile(filepath.Join(fw, "rules"), []byte(own+"\n"), 0o644)

	if r := w.hook("clc1", nil); r.code != 0 {
		t.Fatal(r.out)
	}
	sets, rules := w.fwState("clc1")
	wantSets := map[string][]string{
		"midobake-cassandra-clients": {"10.250.0.10", "10.250.0.21", "10.250.0.22", "10.250.0.30"},
		"midobake-cassandra-peers":   {"10.250.0.10"},
		"midobake-tunnels":           {"10.250.0.10", "10.250.0.30", "10.250.1.21", "10.250.1.22"},
		"midobake-zookeeper-clients": {"10.250.0.10", "10.250.0.21", "10.250.0.22", "10.250.0.30", "10.9.9.0/24"},
		"midobake-zookeeper-peers":   {"10.250.0.10"},
	}
	if diff := cmp.Diff(wantSets, sets); diff != "" {
		t.Errorf("ipsets (-want +got):\n%s", diff)
	}
	wantRules := []string{
		`rule family="ipv4" source address="192.0.2.7" service name="ssh" accept`,
		`rule family="ipv4" source ipset="midobake-cassandra-clients" port port="9042" protocol="tcp" accept`,
		`rule family="ipv4" source ipset="midobake-cassandra-peers" port port="7000" protocol="tcp" accept`,
		`rule family="ipv4" source ipset="midobake-tunnels" protocol value="gre" accept`,
		`rule family="ipv4" source ipset="midobake-zookeeper-clients" port port="2181" protocol="tcp" accept`,
		`rule family="ipv4" source ipset="midobake-zookeeper-peers" port port="2888" protocol="tcp" accept`,
		`rule family="ipv4" source ipset="midobake-zookeeper-peers" port port="3888" protocol="tcp" accept`,
	}
	slices.Sort(wantRules)
	if diff := cmp.Diff(wantRules, rules); diff != "" {
		t.Errorf("rich rules (-want +got):\n%s", diff)
	}

	// A re-run with the same site data: the step's check reads firewalld and finds it right.
	if r := w.hook("clc1", nil); r.code != 0 || !strings.Contains(r.out, "firewall: skipped") {
		t.Errorf("re-run:\n%s", r.out)
	} else {
		for _, c := range r.log {
			if strings.Contains(c, "--add-") || strings.Contains(c, "--remove-") || strings.Contains(c, "--reload") {
				t.Errorf("the re-run changed firewalld: %s", c)
			}
		}
	}

	// node2 leaves the cloud: it loses its access at the CLC's next run.
	without := strings.Replace(keep, "  - {name: node2, address: 10.250.0.22, tunnelAddress: 10.250.1.22, roles: [nc]}\n", "", 1)
	if without == keep {
		t.Fatal("could not take node2 out of the cloud")
	}
	os.WriteFile(w.site, []byte(without), 0o644)
	if r := w.hook("clc1", nil); r.code != 0 {
		t.Fatal(r.out)
	}
	sets, rules = w.fwState("clc1")
	for name, entries := range sets {
		if slices.Contains(entries, "10.250.0.22") || slices.Contains(entries, "10.250.1.22") {
			t.Errorf("node2 kept its access through %s: %v", name, entries)
		}
	}
	if !slices.Contains(rules, own) {
		t.Errorf("the operator's own rule went: %v", rules)
	}
}

// TestFirewallKeepNotRunning: keep mode with firewalld stopped is an error that says what to
// do, before anything else changes.
func TestFirewallKeepNotRunning(t *testing.T) {
	w := newWorld(t, loopbackCloud+"firewall: {mode: keep}\n")
	os.WriteFile(filepath.Join(w.stubs, "firewall-cmd"), []byte(fakeFirewallCmd), 0o755)
	r := w.hook("node1", nil)
	if r.code == 0 || !strings.Contains(r.out, "firewall.mode is keep but firewalld is not running") || !strings.Contains(r.out, "say firewall.mode: disable") {
		t.Errorf("exit %d:\n%s", r.code, r.out)
	}
}

// TestFirewallDisable: by default, as the Eucalyptus guide says, an installed and enabled
// firewalld is stopped and disabled; the step's check sees it disabled on the next run.
func TestFirewallDisable(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	root := w.root("node1")
	os.WriteFile(filepath.Join(root, "usr/lib/systemd/system/firewalld.service"), []byte("[Unit]\n"), 0o644)
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
	os.MkdirAll(wants, 0o755)
	os.Symlink("/usr/lib/systemd/system/firewalld.service", filepath.Join(wants, "firewalld.service"))
	r := w.hook("node1", nil)
	if r.code != 0 || !slices.Contains(r.log, "systemctl stop firewalld") || !slices.Contains(r.log, "systemctl reset-failed firewalld") || !slices.Contains(r.log, "systemctl --no-reload disable firewalld") {
		t.Fatalf("exit %d, commands %v\n%s", r.code, r.log, r.out)
	}
	if !strings.Contains(r.out, "firewall: done (firewalld stopped and disabled") {
		t.Errorf("the log does not say it:\n%s", r.out)
	}
	if _, err := os.Lstat(filepath.Join(wants, "firewalld.service")); err == nil {
		t.Error("firewalld is still enabled")
	}
	// Enabled again by hand: the next run's check sees it and disables it again.
	os.Symlink("/usr/lib/systemd/system/firewalld.service", filepath.Join(wants, "firewalld.service"))
	r = w.hook("node1", nil)
	if !strings.Contains(r.out, "firewall: done in an earlier run, but firewalld is enabled: running it again") || !slices.Contains(r.log, "systemctl --no-reload disable firewalld") {
		t.Errorf("commands %v\n%s", r.log, r.out)
	}
}

// TestFirewallDisableOldLink: an EL7 host upgraded since 7.0 has firewalld enabled the old
// way (WantedBy=basic.target before firewalld 0.4.3.3: only basic.target.wants links it).
// The hook asks systemd whether it is enabled, so it disables it too, and it stays off at the
// next boot.
func TestFirewallDisableOldLink(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	root := w.root("node1")
	os.WriteFile(filepath.Join(root, "usr/lib/systemd/system/firewalld.service"), []byte("[Install]\nWantedBy=basic.target\n"), 0o644)
	wants := filepath.Join(root, "etc/systemd/system/basic.target.wants")
	os.MkdirAll(wants, 0o755)
	os.Symlink("/usr/lib/systemd/system/firewalld.service", filepath.Join(wants, "firewalld.service"))
	r := w.hook("node1", nil)
	if r.code != 0 || !slices.Contains(r.log, "systemctl --no-reload disable firewalld") {
		t.Fatalf("exit %d, commands %v\n%s", r.code, r.log, r.out)
	}
	if !strings.Contains(r.out, "firewall: done (firewalld stopped and disabled") {
		t.Errorf("the log does not say it:\n%s", r.out)
	}
	if _, err := os.Lstat(filepath.Join(wants, "firewalld.service")); err == nil {
		t.Error("firewalld is still enabled by basic.target: it would block the cloud after the next reboot")
	}
	if r := w.hook("node1", nil); !strings.Contains(r.out, "firewall: skipped") {
		t.Errorf("re-run:\n%s", r.out)
	}
}

// TestPlanFirewallOrder: firewalld takes sets before their entries and rules, and a set only
// once no rule uses it.
func TestPlanFirewallOrder(t *testing.T) {
	want := []fwRule{{Set: "midobake-a", Sources: []string{"10.0.0.1"}, Services: []string{"2181/tcp"}}}
	have := map[string][]string{"midobake-old": {"10.0.0.9"}}
	rules := []string{`rule family="ipv4" source ipset="midobake-old" port port="1/tcp" accept`}
	got := planFirewall(want, have, rules)
	wantActions := [][]string{
		{"--permanent", "--new-ipset=midobake-a", "--type=hash:net"},
		{"--permanent", "--ipset=midobake-a", "--add-entry=10.0.0.1"},
		{"--permanent", `--add-rich-rule=rule family="ipv4" source ipset="midobake-a" port port="2181" protocol="tcp" accept`},
		{"--permanent", `--remove-rich-rule=rule family="ipv4" source ipset="midobake-old" port port="1/tcp" accept`},
		{"--permanent", "--delete-ipset=midobake-old"},
	}
	if diff := cmp.Diff(wantActions, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestTimeServiceByAlias: on a host where chronyd is an alias (Debian's chrony.service has
// Alias=chronyd.service), systemctl refuses to enable the alias: the hook enables the unit it
// names, starts it by either name, and sees it enabled on the next run.
func TestTimeServiceByAlias(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	root := w.root("node1")
	os.Remove(filepath.Join(root, "usr/lib/systemd/system/chronyd.service"))
	os.WriteFile(filepath.Join(root, "usr/lib/systemd/system/chrony.service"), []byte("[Install]\nAlias=chronyd.service\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "etc/systemd/system"), 0o755)
	os.Symlink("/usr/lib/systemd/system/chrony.service", filepath.Join(root, "etc/systemd/system/chronyd.service"))
	r := w.hook("node1", nil)
	if r.code != 0 || !slices.Contains(r.log, "systemctl enable chrony") || slices.Contains(r.log, "systemctl enable chronyd") {
		t.Fatalf("exit %d, commands %v\n%s", r.code, r.log, r.out)
	}
	if r := w.hook("node1", nil); !strings.Contains(r.out, "time: skipped") {
		t.Errorf("re-run:\n%s", r.out)
	}
}

// TestPreflightBeforeTheFirstChange: a host short of memory is stopped before its first step
// (nothing changed); once finished, a run with nothing to do (every later boot) is not held
// up by what preflight would say.
func TestPreflightBeforeTheFirstChange(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	meminfo := filepath.Join(w.root("node1"), "proc/meminfo")
	os.WriteFile(meminfo, []byte("MemTotal: 512000 kB\n"), 0o644)
	r := w.hook("node1", nil)
	if r.code != 1 || !strings.Contains(r.out, "preflight: ERROR memory: 500 MiB of memory") || !strings.Contains(r.out, "stopped before step identify") || len(r.log) != 0 {
		t.Fatalf("exit %d, commands %v\n%s", r.code, r.log, r.out)
	}
	os.WriteFile(meminfo, []byte("MemTotal: 16384000 kB\n"), 0o644)
	if r := w.hook("node1", nil); r.code != 0 {
		t.Fatal(r.out)
	}
	os.WriteFile(meminfo, []byte("MemTotal: 512000 kB\n"), 0o644)
	if r := w.hook("node1", nil); r.code != 0 || strings.Contains(r.out, "preflight") {
		t.Errorf("a finished host's run with nothing to do: exit %d\n%s", r.code, r.out)
	}
}

// TestPreflightMissingPackages: yum 3.4 skips a package its repositories lack and exits 0, so
// a plain image's cloud-init reports its packages installed when MidoNet's are not there. The
// hook asks rpm for every package of the host's plan first and stops before its first step,
// naming each one missing, instead of failing later on a missing user or mn-conf.
func TestPreflightMissingPackages(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	os.MkdirAll(filepath.Join(w.root("node1"), ".test"), 0o755)
	os.WriteFile(filepath.Join(w.root("node1"), ".test/rpm-missing"), []byte("midolman\nmidonet-tools\n"), 0o644)
	r := w.hook("node1", nil)
	if r.code != 1 || !strings.Contains(r.out, "preflight: ERROR packages: not installed: midolman, midonet-tools") ||
		!strings.Contains(r.out, "yum -y --setopt=skip_missing_names_on_install=False install midolman midonet-tools") ||
		!strings.Contains(r.out, "stopped before step identify") || len(r.log) != 0 {
		t.Fatalf("exit %d, commands %v\n%s", r.code, r.log, r.out)
	}
	os.Remove(filepath.Join(w.root("node1"), ".test/rpm-missing"))
	if r := w.hook("node1", nil); r.code != 0 || !strings.Contains(r.out, "preflight: 0 errors") {
		t.Fatalf("with the packages installed: exit %d\n%s", r.code, r.out)
	}
}
