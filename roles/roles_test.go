package roles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
)

// load reads a cloud description that must be valid.
func load(t *testing.T, doc string) *cloud.Cloud {
	t.Helper()
	c, rep := cloud.Load("test.yaml", []byte(doc))
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	return c
}

// threeProfiles has one host per kind: an NSDB-only host, the CLC, a node controller, a UFS
// gateway and a UFS that is no gateway.
const threeProfiles = `version: 1
name: t
os: el7
midonet: {SIZE}
hosts:
  - {name: nsdb1, address: 10.0.0.1, roles: [nsdb]}
  - {name: clc1, address: 10.0.0.2, roles: [clc]}
  - {name: nc1, address: 10.0.0.3, tunnelAddress: 10.1.0.3, roles: [nc]}
  - {name: gw1, address: 10.0.0.4, roles: [ufs]}
  - {name: ufs2, address: 10.0.0.5, roles: [ufs]}
network:
  Mode: VPCMIDO
  PublicIps: [10.116.150.1-10.116.150.10]
  Mido:
    Gateways:
      - {Ip: 10.0.0.4, ExternalCidr: 172.19.0.0/30, ExternalDevice: veth1, ExternalIp: 172.19.0.2, ExternalRouterIp: 172.19.0.1}
`

func plansOf(t *testing.T, c *cloud.Cloud) map[string]Plan {
	t.Helper()
	tpl, err := NewTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := Plans(Resolve(c), tpl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Plan{}
	for _, p := range plans {
		out[p.Profile] = p
	}
	return out
}

// TestPlanPerRole: one row per profile, what it installs and starts (firstboot's
// TestStepsPerProfile: what it runs at first boot).
func TestPlanPerRole(t *testing.T) {
	plans := plansOf(t, load(t, strings.Replace(threeProfiles, "SIZE", "", 1)))
	for _, tc := range []struct {
		profile  string
		hosts    []string
		packages []string
		units    []string
	}{
		{"cassandra+zookeeper", []string{"nsdb1"},
			[]string{"chrony", "dsc22", "java-1.8.0-openjdk-headless", "nmap-ncat", "zookeeper"},
			[]string{UnitZooKeeper, UnitCassandra}},
		{"clc", []string{"clc1"},
			[]string{"chrony", "java-1.8.0-openjdk-headless", "midolman", "midonet-cluster", "midonet-tools", "python-midonetclient"},
			[]string{UnitCluster, UnitMidolman, UnitEnrol}},
		{"nc", []string{"nc1"},
			[]string{"chrony", "java-1.8.0-openjdk-headless", "midolman", "midonet-tools"},
			[]string{UnitMidolman}},
		{"ufs", []string{"gw1", "ufs2"},
			[]string{"chrony", "java-1.8.0-openjdk-headless", "midolman", "midonet-tools"},
			[]string{UnitMidolman}},
	} {
		p, ok := plans[tc.profile]
		if !ok {
			t.Fatalf("no plan for profile %s (have %v)", tc.profile, plans)
		}
		got := []any{p.Hosts, p.Packages, p.Units}
		want := []any{tc.hosts, tc.packages, tc.units}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: hosts, packages, units (-want +got):\n%s", tc.profile, diff)
		}
		var repos []string
		for _, r := range p.Repos {
			repos = append(repos, r.ID)
		}
		wantRepos := []string{"midonet", "midonet-misc"}
		if slices.Contains(p.Roles, cloud.RoleCassandra) {
			wantRepos = []string{"datastax", "midonet", "midonet-misc"}
		}
		if diff := cmp.Diff(wantRepos, repos); diff != "" {
			t.Errorf("%s: repositories (-want +got):\n%s", tc.profile, diff)
		}
	}
	if len(plans) != 4 {
		t.Errorf("want 4 profiles, got %d", len(plans))
	}
}

// TestTopology: the role facts, resolved once.
func TestTopology(t *testing.T) {
	top := Resolve(load(t, strings.Replace(threeProfiles, "SIZE", "", 1)))
	names := func(hs []cloud.Host) (out []string) {
		for _, h := range hs {
			out = append(out, h.Name)
		}
		return out
	}
	got := map[string]any{
		"ensemble":  names(top.Ensemble),
		"cassandra": top.CassandraServers(),
		"agents":    names(top.Agents),
		"clients":   top.ZooKeeperClients(2181),
		"rf":        top.ReplicationFactor(),
		"myid":      []int{top.MyID(top.Ensemble[0]), top.MyID(top.Agents[0])},
	}
	want := map[string]any{
		"ensemble":  []string{"nsdb1"},
		"cassandra": []string{"10.0.0.1"},
		"agents":    []string{"clc1", "nc1", "gw1"}, // ufs2 is no gateway: no Midolman
		"clients":   []string{"10.0.0.1:2181"},
		"rf":        1,
		"myid":      []int{1, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestTemplateRules: one row per rule of the template table.
func TestTemplateRules(t *testing.T) {
	for _, tc := range []struct {
		size, host, override string
		template, heap       string
	}{
		{"", "nc1", "", "default", "/etc/midolman/midolman-env.sh.compute.medium"},
		{"", "clc1", "", "default", "/etc/midolman/midolman-env.sh.compute.medium"},
		{"", "gw1", "", "agent-gateway-medium", "/etc/midolman/midolman-env.sh.gateway.medium"},
		{"size: large", "nc1", "", "agent-compute-large", "/etc/midolman/midolman-env.sh.compute.large"},
		{"size: large", "gw1", "", "agent-gateway-large", "/etc/midolman/midolman-env.sh.gateway.large"},
		{"", "nc1", "agent-compute-medium", "agent-compute-medium", "/etc/midolman/midolman-env.sh.compute.medium"},
		{"size: large", "nc1", "agent-gateway-medium", "agent-gateway-medium", "/etc/midolman/midolman-env.sh.gateway.medium"},
	} {
		doc := strings.Replace(threeProfiles, "SIZE", tc.size, 1)
		if tc.override != "" {
			doc = strings.Replace(doc, "roles: [nc]}", "roles: [nc], template: "+tc.override+"}", 1)
		}
		top := Resolve(load(t, doc))
		h, _ := top.Cloud.Host(tc.host)
		got := top.Template(h)
		if got.Name != tc.template || HeapFilePath(got) != tc.heap {
			t.Errorf("size %q, host %s, override %q: got %s with %s, want %s with %s", tc.size, tc.host, tc.override, got.Name, HeapFilePath(got), tc.template, tc.heap)
		}
	}
}

// TestCloudVarsFromTopology: the template variables carry the topology, in myid order.
func TestCloudVarsFromTopology(t *testing.T) {
	doc := strings.Replace(threeProfiles, "SIZE", "", 1)
	doc = strings.Replace(doc, "{name: clc1, address: 10.0.0.2, roles: [clc]}", "{name: clc1, address: 10.0.0.2, roles: [clc, nsdb]}", 1)
	doc = strings.Replace(doc, "{name: nc1, address: 10.0.0.3, tunnelAddress: 10.1.0.3, roles: [nc]}", "{name: nc1, address: 10.0.0.3, tunnelAddress: 10.1.0.3, roles: [nc, zookeeper]}", 1)
	vars := CloudVars(Resolve(load(t, doc)))
	got := []any{vars["zookeeper_hosts"], vars["zookeeper_servers"], vars["cassandra_servers"], vars["replication_factor"]}
	want := []any{"10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, "10.0.0.1,10.0.0.2", 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestBakeSteps: what a golden image gets, in order, and that nothing host-specific stays.
func TestBakeSteps(t *testing.T) {
	plans := plansOf(t, load(t, strings.Replace(threeProfiles, "SIZE", "", 1)))
	steps := Bake(plans["clc"], File{Path: HookPath, Mode: 0o755, Owner: "root:root", Content: []byte("hook")})
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"repositories", "packages", "configuration", "first-boot hook", "disable services", "firewall", "strip host identity"}, names); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if got := steps[4].Command; got != "systemctl disable midonet-cluster midolman midobake-enrol" {
		t.Errorf("disable: %s", got)
	}
	// firewall: disable (the default): the image boots without firewalld, as the hook would
	// leave the host; with keep, the bake leaves it alone.
	if got := steps[5].Command; got != "if systemctl cat firewalld.service >/dev/null 2>&1; then systemctl disable firewalld.service; fi" {
		t.Errorf("firewall: %s", got)
	}
	keep := plansOf(t, load(t, strings.Replace(threeProfiles, "SIZE", "", 1)+"firewall: {mode: keep}\n"))
	for _, s := range Bake(keep["clc"], File{Path: HookPath, Mode: 0o755, Owner: "root:root", Content: []byte("hook")}) {
		if s.Name == "firewall" {
			t.Errorf("keep: the bake touches firewalld: %s", s.Command)
		}
	}
	for _, p := range []string{HostIDPath, ZooKeeperDataDir + "/myid", "/var/lib/cloud/instances", "/etc/ssh/ssh_host_*"} {
		if !strings.Contains(steps[6].Command, p) {
			t.Errorf("strip host identity does not remove %s: %s", p, steps[5].Command)
		}
	}
	before, after := UploadCommands(steps[3].Files)
	if before != "mkdir -p '/usr/bin'" || after != "chown root:root '/usr/bin/midobake' && chmod 0755 '/usr/bin/midobake'" {
		t.Errorf("upload commands: %q, %q", before, after)
	}
}

// TestMirrorWithCredentialsIsPrivate: a repository file that holds a password is 0600.
func TestMirrorWithCredentialsIsPrivate(t *testing.T) {
	doc := strings.Replace(threeProfiles, "midonet: {SIZE}", `midonet: {repos: {midonet: {baseurl: "https://u:pw@mirror.example/m/"}}}`, 1)
	for _, f := range plansOf(t, load(t, doc))["nc"].Files {
		want := fs.FileMode(0o644)
		if f.Path == "/etc/yum.repos.d/midonet.repo" {
			want = 0o600
		}
		if f.Mode != want {
			t.Errorf("%s: mode %04o, want %04o", f.Path, f.Mode, want)
		}
	}
}

// TestRepositoryFilesCheckSignatures: the repository files yum reads. A mirror that names no
// key keeps the default's and checks signatures (it used to write gpgcheck=0); one with its
// own key uses it; gpgcheck: false is the only way to turn checks off.
func TestRepositoryFilesCheckSignatures(t *testing.T) {
	doc := strings.Replace(threeProfiles, "midonet: {SIZE}", `midonet: {repos: {
    midonet: {baseurl: "http://mirror.example/m/"},
    midonet-misc: {baseurl: "http://mirror.example/misc/", gpgkey: "http://mirror.example/misc.key"},
    midobake: {baseurl: "http://mirror.example/mb/", gpgcheck: false}}}`, 1)
	files := map[string]string{}
	for _, f := range plansOf(t, load(t, doc))["nc"].Files {
		files[f.Path] = string(f.Content)
	}
	for path, want := range map[string]string{
		"/etc/yum.repos.d/midonet.repo":      "baseurl=http://mirror.example/m/\nenabled=1\ngpgcheck=1\ngpgkey=https://builds.midonet.org/midorepo.key\n",
		"/etc/yum.repos.d/midonet-misc.repo": "baseurl=http://mirror.example/misc/\nenabled=1\ngpgcheck=1\ngpgkey=http://mirror.example/misc.key\n",
		"/etc/yum.repos.d/midobake.repo":     "baseurl=http://mirror.example/mb/\nenabled=1\ngpgcheck=0\n",
	} {
		if !strings.HasSuffix(files[path], want) {
			t.Errorf("%s:\n%s\nwant it to end with:\n%s", path, files[path], want)
		}
	}
}

// TestHostPackagesAreThePlans: what preflight asks rpm about for a host is what its profile's
// plan installs, ufs hosts with and without a gateway among them included.
func TestHostPackagesAreThePlans(t *testing.T) {
	c := load(t, strings.Replace(threeProfiles, "SIZE", "", 1))
	plans := plansOf(t, c)
	top := Resolve(c)
	for _, h := range c.Hosts {
		if diff := cmp.Diff(plans[h.Profile()].Packages, HostPackages(top, h)); diff != "" {
			t.Errorf("%s (-plan +HostPackages):\n%s", h.Name, diff)
		}
	}
}

// TestCassandraSettingsOfALaterCassandra: a settings override with a key Cassandra 2.2 does
// not read (cdc_enabled came with 3.8) fails the render, naming the override, the line and
// the key; 2.2's own keys and midobake's seeds pass.
func TestCassandraSettingsOfALaterCassandra(t *testing.T) {
	c := load(t, strings.Replace(threeProfiles, "SIZE", "", 1))
	dir := t.TempDir()
	override := filepath.Join(dir, "cassandra-settings.yaml.tmpl")
	os.WriteFile(override, []byte("cluster_name: '{{ cassandra_cluster }}'\nseeds: \"{{ cassandra_servers }}\"\nconcurrent_writes: 64\ncdc_enabled: true\n"), 0o644)
	tpl, err := NewTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Plans(Resolve(c), tpl)
	var te *TemplateError
	if !errors.As(err, &te) || te.File != override || te.Line != 4 || !strings.Contains(te.Err, "key cdc_enabled is not one Cassandra 2.2 knows") {
		t.Fatalf("%v", err)
	}
	os.WriteFile(override, []byte("cluster_name: '{{ cassandra_cluster }}'\nseeds: \"{{ cassandra_servers }}\"\nconcurrent_writes: 64\n"), 0o644)
	if tpl, _ = NewTemplates(dir); tpl == nil {
		t.Fatal("templates")
	}
	if _, err := Plans(Resolve(c), tpl); err != nil {
		t.Errorf("2.2's keys refused: %v", err)
	}
}

// zooKeeper34Keys are the zoo.cfg keys ZooKeeper 3.4 reads (QuorumPeerConfig.parseProperties
// at release-3.4.8, the misc repository's; 3.4.13 adds only quorum.cnxn.threads.size): any
// other key becomes a Java system property, silently. "server." is a prefix.
var zooKeeper34Keys = []string{"autopurge.purgeInterval", "autopurge.snapRetainCount", "clientPort", "clientPortAddress", "dataDir", "dataLogDir",
	"electionAlg", "initLimit", "maxClientCnxns", "maxSessionTimeout", "minSessionTimeout", "peerType", "quorumListenOnAllIPs", "syncLimit", "tickTime"}

// TestZooCfgIsZooKeeper34s: the zoo.cfg midobake writes, for one server and for an ensemble,
// uses only keys ZooKeeper 3.4 reads, and server lines 3.4's form (host:peer:election, no
// 3.5 ";clientPort" or role suffix).
func TestZooCfgIsZooKeeper34s(t *testing.T) {
	for _, doc := range []string{strings.Replace(threeProfiles, "SIZE", "", 1),
		strings.Replace(strings.Replace(threeProfiles, "SIZE", "", 1), "roles: [clc]}", "roles: [clc, zookeeper]}\n  - {name: zk3, address: 10.0.0.9, roles: [zookeeper]}", 1)} {
		var zoo string
		for _, p := range plansOf(t, load(t, doc)) {
			for _, f := range p.Files {
				if f.Path == ZooCfgPath {
					zoo = string(f.Content)
				}
			}
		}
		if zoo == "" {
			t.Fatal("no zoo.cfg in the plans")
		}
		for _, line := range strings.Split(zoo, "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			key, value, _ := strings.Cut(line, "=")
			if strings.HasPrefix(key, "server.") {
				if strings.Count(value, ":") != 2 || strings.ContainsAny(value, ";") {
					t.Errorf("zoo.cfg line %q is not ZooKeeper 3.4's server form", line)
				}
				continue
			}
			if !slices.Contains(zooKeeper34Keys, key) {
				t.Errorf("zoo.cfg key %q is not one ZooKeeper 3.4 reads", key)
			}
		}
	}
}

// TestHostListens: what each host's roles listen on, from the role files alone, and who may
// connect: the firewall step and preflight read nothing else. ufs2, a UFS that is no
// gateway, runs no agent, so no tunnel reaches it.
func TestHostListens(t *testing.T) {
	c := load(t, strings.Replace(threeProfiles, "SIZE", "", 1))
	top := Resolve(c)
	got := map[string][]string{}
	for _, h := range c.Hosts {
		for _, l := range HostListens(top, h) {
			got[h.Name] = append(got[h.Name], fmt.Sprintf("%s %s %s %v", l.Service(), l.Unit, l.Set, l.From))
		}
	}
	want := map[string][]string{
		"nsdb1": {"7000/tcp cassandra cassandra-peers [10.0.0.1]", "7199/tcp cassandra  []", "9042/tcp cassandra cassandra-clients [10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.2 10.0.0.1]",
			"2181/tcp zookeeper zookeeper-clients [10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.2 10.0.0.1]", "2888/tcp zookeeper zookeeper-peers [10.0.0.1]", "3888/tcp zookeeper zookeeper-peers [10.0.0.1]"},
		"clc1": {"8080/tcp midonet-cluster  []", "gre  tunnels [10.0.0.2 10.1.0.3 10.0.0.4]"},
		"nc1":  {"gre  tunnels [10.0.0.2 10.1.0.3 10.0.0.4]"},
		"gw1":  {"gre  tunnels [10.0.0.2 10.1.0.3 10.0.0.4]"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
