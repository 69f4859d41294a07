package cloud

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSiteDataRoundTrip: the normalized cloud written as site data loads back to the same
// model, with no warnings; the first-boot hook depends on it.
func TestSiteDataRoundTrip(t *testing.T) {
	files, err := filepath.Glob("../fixtures/valid/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("want the valid fixtures (at least 3), found %d (%v)", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, rep := Load(f, data)
		if c == nil {
			t.Fatalf("%s:\n%s", f, rep.Format(false))
		}
		again, rep := Load("site", c.Marshal())
		if again == nil || len(rep.Diags) > 0 {
			t.Fatalf("%s: site data does not load cleanly:\n%s", f, rep.Format(false))
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Errorf("%s: round trip changed the model:\n%s", f, diff)
		}
	}
}

func TestNormalize(t *testing.T) {
	c, rep := Load("x.yaml", []byte(`version: 1
name: tiny
os: el7
midonet: {size: large}
hosts:
  - {name: clc1, address: 10.0.0.1, roles: [nsdb, clc]}
  - {name: gw, address: 10.0.0.2, roles: [nc]}
network:
  Mode: VPCMIDO
  PublicIps: ["192.0.2.1-192.0.2.9"]
  Mido: {Gateways: [{Ip: 10.0.0.2, ExternalCidr: 172.19.0.0/30, ExternalDevice: veth1, ExternalIp: 172.19.0.2, ExternalRouterIp: 172.19.0.1}]}
`))
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	clc, _ := c.Host("clc1")
	gw, _ := c.Host("gw")
	got := []string{clc.Profile(), c.Template(clc).Name, gw.Profile(), c.Template(gw).Name, gw.TunnelAddress, c.Midonet.TunnelZone.Name, c.Midonet.Release}
	want := []string{"clc+cassandra+zookeeper", "agent-compute-large", "nc", "agent-gateway-large", "10.0.0.2", "eucatz", "5.2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	// The gateway is not a ufs, and no repository is named for the midobake package:
	// warnings, not errors.
	var got2 []string
	for _, d := range rep.Diags {
		got2 = append(got2, fmt.Sprintf("%s %s %s", d.Severity, d.Kind, d.Path))
	}
	want2 := []string{"warning no-midobake-repo midonet", "warning gateway-not-ufs network.Mido.Gateways[0].Ip"}
	if diff := cmp.Diff(want2, got2); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, rep.Format(false))
	}
}

// TestRepositoryRules: a mirror keeps the default's signing key unless it names its own;
// turning signature checks off, or naming no key for the midobake repository, is a warning;
// naming no repository for the midobake package at all is one too.
func TestRepositoryRules(t *testing.T) {
	for _, tc := range []struct {
		name, repos string
		want        []string
	}{
		{"mirrors with and without keys", `
    midonet: {baseurl: "http://m.example/midonet/"}
    datastax: {baseurl: "http://m.example/ds/", gpgkey: "http://m.example/ds.key"}
    midobake: {baseurl: "http://m.example/mb/", gpgkey: "http://m.example/mb.key"}`, nil},
		{"checks off", `
    midonet: {baseurl: "http://m.example/midonet/", gpgcheck: false}
    midobake: {baseurl: "http://m.example/mb/", gpgkey: "http://m.example/mb.key"}`,
			[]string{"warning gpgcheck-off midonet.repos.midonet.gpgcheck"}},
		{"midobake without a key", `
    midobake: {baseurl: "http://m.example/mb/"}`,
			[]string{"warning no-gpgkey midonet.repos.midobake"}},
		{"no midobake repository", `
    midonet: {baseurl: "http://m.example/midonet/"}`,
			[]string{"warning no-midobake-repo midonet.repos"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(string(Example()), "  repos:                # where plain images get the hook: make rpm, signed and published by you\n    midobake: {baseurl: \"http://repo.example/midobake/el7/\", gpgkey: \"http://repo.example/midobake/RPM-GPG-KEY-midobake\"}",
				"  repos:"+tc.repos, 1)
			c, rep := Load("cloud.yaml", []byte(src))
			if c == nil {
				t.Fatal(rep.Format(false))
			}
			var got []string
			for _, d := range rep.Diags {
				got = append(got, fmt.Sprintf("%s %s %s", d.Severity, d.Kind, d.Path))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, rep.Format(false))
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:pass@repo.midokura.com/mem-5.2/": "http://user:REDACTED@repo.midokura.com/mem-5.2/",
		"http://builds.midonet.org/misc/":             "http://builds.midonet.org/misc/",
		"https://u:p@w@host/x":                        "https://u:REDACTED@host/x",
		"http://u:p@h/path@x":                         "http://u:REDACTED@x", // too much, never too little
		// A / in the password (percent-encoding forgotten): the URL does not parse, the
		// password is still hidden.
		"http://ops:pa/ss@mirror.example/x/":     "http://ops:REDACTED@mirror.example/x/",
		"baseurl: 'http://ops:a/b/c@m.example/'": "baseurl: 'http://ops:REDACTED@m.example/'",
		"http://mirror.example:8080/repo/":       "http://mirror.example:8080/repo/",
		"two http://a:x@h/ and http://b:y/z@k/":  "two http://a:REDACTED@h/ and http://b:REDACTED@k/",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPublicPrefixes(t *testing.T) {
	c := &Cloud{Network: Network{PublicIps: []string{"10.116.150.1-10.116.150.254", "192.0.2.8", "198.51.100.0/31"}}}
	prefixes, err := c.PublicPrefixes()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range prefixes {
		got = append(got, p.String())
	}
	want := []string{"10.116.150.1/32", "10.116.150.2/31", "10.116.150.4/30", "10.116.150.8/29", "10.116.150.16/28",
		"10.116.150.32/27", "10.116.150.64/26", "10.116.150.128/26", "10.116.150.192/27", "10.116.150.224/28",
		"10.116.150.240/29", "10.116.150.248/30", "10.116.150.252/31", "10.116.150.254/32", "192.0.2.8/32", "198.51.100.0/31"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	checkPrefixesCover(t, c)

	bad := &Cloud{Network: Network{PublicIps: []string{"10.0.0.9-10.0.0.1"}}}
	if _, err := bad.PublicPrefixes(); err == nil || !strings.Contains(err.Error(), "network.PublicIps[0]: range") {
		t.Errorf("an unreadable entry: got %v, want the entry's path and problem", err)
	}
}

func TestPathHasPrefix(t *testing.T) {
	hosts := Path("hosts")
	for _, tc := range []struct {
		p, q Path
		want bool
	}{
		{hosts.Index(1), hosts, true},
		{hosts.Index(10).Key("name"), hosts.Index(1), false},
		{hosts.Index(1).Key("name"), hosts.Index(1), true},
		{Path("hostsX"), hosts, false},
		{Path("network.Mido"), "", true},
		{hosts, hosts.Index(1), false},
	} {
		if got := tc.p.HasPrefix(tc.q); got != tc.want {
			t.Errorf("%q.HasPrefix(%q) = %v, want %v", tc.p, tc.q, got, tc.want)
		}
	}
	if got := hosts.Index(2).Key("roles").Index(0).Parent().Parent(); got != hosts.Index(2) {
		t.Errorf("Parent: got %q", got)
	}
}

// TestErrorsNeverShowPasswords: a diagnostic on a line with a credential quotes the line
// with the password redacted, and the message redacts it too.
func TestErrorsNeverShowPasswords(t *testing.T) {
	src := strings.Replace(string(Example()), "  repos:",
		"  repos:\n    midonet: {baseurl: \"ftp://ops:hunter2@mirror.example/x/\"}", 1)
	_, rep := Load("cloud.yaml", []byte(src))
	out := rep.Format(false)
	if !strings.Contains(out, "ftp://ops:REDACTED@mirror.example/x/") || strings.Contains(out, "hunter2") {
		t.Errorf("report:\n%s", out)
	}
}

// TestOneRunShowsEveryProblem: a decoding error (a misspelled key) does not hide a rule
// broken elsewhere, and rules about the misspelled part are not reported twice.
func TestOneRunShowsEveryProblem(t *testing.T) {
	src := strings.Replace(string(Example()), "    address: 10.111.5.21\n", "    adress: 10.111.5.21\n", 1)
	src = strings.Replace(src, "ExternalIp: 172.19.0.2", "ExternalIp: 172.19.0.9", 1)
	_, rep := Load("cloud.yaml", []byte(src))
	var got []string
	for _, d := range rep.Diags {
		got = append(got, string(d.Kind)+" "+d.Path.String())
	}
	want := []string{"unknown-key hosts[1].adress", "outside-cidr network.Mido.Gateways[0].ExternalIp"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, rep.Format(false))
	}
}

func TestTemplateOnAHostWithoutMidolman(t *testing.T) {
	src := strings.Replace(string(Example()), "    roles: [nc]\n", "    roles: [nc]\n  - {name: zk9, address: 10.111.5.99, roles: [nsdb], template: agent-compute-large}\n", 1)
	c, rep := Load("cloud.yaml", []byte(src))
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	var got []string
	for _, d := range rep.Diags {
		got = append(got, d.Severity.String()+" "+d.Path.String())
	}
	// The even ensemble warning comes with it (two ZooKeeper hosts now).
	want := []string{"warning hosts", "warning hosts[2].template"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s\n%s", diff, rep.Format(false))
	}
}

// TestUplinkKinds: a static gateway's ExternalDevice that does not look like the veth the
// fake uplink creates is a warning until the host says which it is; uplink on a host that
// is no static gateway is unused; a kind that does not exist is an error.
func TestUplinkKinds(t *testing.T) {
	for _, tc := range []struct {
		name, ufs, device string
		want              []string
	}{
		{"the fake uplink", "{name: ufs1, address: 10.111.5.30, roles: [ufs]}", "veth1", nil},
		{"a NIC, said so", "{name: ufs1, address: 10.111.5.30, roles: [ufs], uplink: nic}", "em2", nil},
		{"a NIC, not said", "{name: ufs1, address: 10.111.5.30, roles: [ufs]}", "em2",
			[]string{"warning uplink-veth-created network.Mido.Gateways[0].ExternalDevice"}},
		{"no such kind", "{name: ufs1, address: 10.111.5.30, roles: [ufs], uplink: bridge}", "veth1",
			[]string{"error bad-choice hosts[3].uplink"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := string(Example())
			for old, repl := range map[string]string{
				"  - name: ufs1\n    address: 10.111.5.30\n    mac: \"52:54:00:00:05:30\"\n    primaryInterface: eth0\n    roles: [ufs]\n": "  - " + tc.ufs + "\n",
				"ExternalDevice: veth1": "ExternalDevice: " + tc.device,
			} {
				if !strings.Contains(src, old) {
					t.Fatalf("the example has no %q", old)
				}
				src = strings.Replace(src, old, repl, 1)
			}
			_, rep := Load("cloud.yaml", []byte(src))
			var got []string
			for _, d := range rep.Diags {
				got = append(got, fmt.Sprintf("%s %s %s", d.Severity, d.Kind, d.Path))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, rep.Format(false))
			}
		})
	}
	c, rep := Load("cloud.yaml", []byte(strings.Replace(string(Example()), "roles: [nc]\n", "roles: [nc]\n    uplink: nic\n", 1)))
	if c == nil || len(rep.Diags) != 1 || rep.Diags[0].Path != "hosts[1].uplink" || rep.Diags[0].Severity != Warning {
		t.Errorf("uplink on a node controller: want one warning, got:\n%s", rep.Format(false))
	}
}

// TestErrorsUnderAnAliasAreWhereItIsUsed: a value shared through an anchor is checked where
// each alias uses it; a problem there is reported at the alias, saying where the anchor is.
func TestErrorsUnderAnAliasAreWhereItIsUsed(t *testing.T) {
	src := strings.Replace(string(Example()), "    roles: [nc]\n", "    roles: &agent [nc, {bad: 1}]\n", 1)
	src = strings.Replace(src, "    roles: [nc]\n", "    roles: *agent\n", 1)
	_, rep := Load("cloud.yaml", []byte(src))
	var got []string
	for _, d := range rep.Diags {
		got = append(got, fmt.Sprintf("%s %d:%d", d.Path, d.Pos.Line, d.Pos.Col))
	}
	want := []string{"hosts[1].roles[1] 24:24", "hosts[2].roles[1] 29:12"}
	if diff := cmp.Diff(want, got); diff != "" || !strings.Contains(rep.Format(false), "(in the value of alias *agent, anchored at line 24)") {
		t.Errorf("(-want +got):\n%s\n%s", diff, rep.Format(false))
	}
}

// hostileAliases is a description of a few kilobytes whose anchors expand to thousands of
// overlapping public IP ranges (every pair of which overlapped: millions of reports).
func hostileAliases(refs int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nname: x\nos: el7\nmidonet: {}\nhosts:\n  - {name: clc1, address: 10.0.0.5, roles: [clc, nsdb]}\n  - {name: ufs1, address: 10.0.0.6, roles: [ufs]}\n")
	b.WriteString("network:\n  Mode: VPCMIDO\n  PublicIps: [&r \"11.0.0.0-11.255.255.255\"")
	for i := 0; i < refs; i++ {
		b.WriteString(", *r")
	}
	b.WriteString("]\n  Mido: {Gateways: [{Ip: 10.0.0.6, ExternalCidr: 172.19.0.0/30, ExternalDevice: veth1, ExternalIp: 172.19.0.2, ExternalRouterIp: 172.19.0.1}]}\n")
	return []byte(b.String())
}

// TestAliasesAreBounded: past MaxAliases aliases the decoder stops following them, with an
// error where the first one past the bound stands; the report stays small and each
// overlapping range is reported once, not once per pair.
func TestAliasesAreBounded(t *testing.T) {
	c, rep := Load("laughs.yaml", hostileAliases(2500))
	if c != nil {
		t.Fatal("loaded")
	}
	var alias *Diagnostic
	for i, d := range rep.Diags {
		if d.Kind == KindAlias {
			alias = &rep.Diags[i]
		}
	}
	if alias == nil || alias.Pos.Line != 10 || !strings.Contains(alias.Message, "more than 1000 aliases") {
		t.Errorf("no positioned alias error: %+v", alias)
	}
	if n := rep.Count(); n > 2*MaxAliases+10 {
		t.Errorf("%d problems for %d ranges: reported per pair", n, MaxAliases)
	}
	// Within the bound every overlapping range is reported once.
	_, rep = Load("overlaps.yaml", hostileAliases(300))
	overlaps := 0
	for _, d := range rep.Diags {
		if d.Kind == KindPublicIpOverlap {
			overlaps++
		}
	}
	if overlaps != 300 {
		t.Errorf("%d overlap reports for 300 repeats of one range, want 300", overlaps)
	}
}

// TestReportKeepsABoundedNumber: past MaxKept diagnostics are counted, not kept, and still
// make the report fail.
func TestReportKeepsABoundedNumber(t *testing.T) {
	r := &Report{}
	for i := 0; i < MaxKept+500; i++ {
		r.add(Diagnostic{Severity: Error, Kind: KindBadChoice})
	}
	if len(r.Diags) != MaxKept || r.Count() != MaxKept+500 || !r.HasErrors(false) || !strings.Contains(r.Format(false), "... and 1450 more problem(s) not shown") {
		t.Errorf("kept %d, count %d", len(r.Diags), r.Count())
	}
}
