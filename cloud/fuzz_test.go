package cloud

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addFixtures(f *testing.F) {
	for _, dir := range []string{"valid", "invalid", "diff"} {
		files, err := filepath.Glob(filepath.Join("..", "fixtures", dir, "*.yaml"))
		if err != nil || len(files) == 0 {
			f.Fatalf("no seed fixtures in fixtures/%s (%v)", dir, err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add(Example())
}

// FuzzLoad: whatever the input, loading never panics, every diagnostic has a position, and
// an input that loads writes site data that loads back cleanly.
func FuzzLoad(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, rep := Load("fuzz.yaml", data)
		for _, d := range rep.Diags {
			if d.Pos.Line < 1 || d.Pos.Col < 1 {
				t.Fatalf("diagnostic without a position: %+v", d)
			}
		}
		_ = rep.Format(false)
		if c == nil {
			if !rep.HasErrors(false) {
				t.Fatal("no cloud and no error")
			}
			return
		}
		if again, rep := Load("site", c.Marshal()); again == nil || rep.HasErrors(false) {
			t.Fatalf("site data does not load back:\n%s\n%s", rep.Format(false), c.Marshal())
		}
	})
}

// FuzzNetwork drives the Eucalyptus network rules with arbitrary addresses, ranges and CIDRs
// in every field they check.
func FuzzNetwork(f *testing.F) {
	f.Add("10.116.150.1-10.116.150.254", "172.19.0.0/30", "172.19.0.2", "172.19.0.1", "", "")
	f.Add("198.51.100.0/24", "10.99.0.0/29", "10.99.0.2", "", "64512", "198.51.100.0/24")
	f.Add("1.2.3.4-1.2.3.3", "0.0.0.0/0", "255.255.255.255", "1.1.1.1", "0", "1.2.3.0/33")
	f.Add("::1", "10.0.0.0/8", "10.0.0.0", "10.255.255.255", "4294967296", "")
	f.Fuzz(func(t *testing.T, public, cidr, extIP, routerIP, asn, adRoute string) {
		q := func(s string) string {
			return "\"" + strings.NewReplacer("\\", "\\\\", "\"", "\\\"", "\n", "\\n").Replace(s) + "\""
		}
		doc := `version: 1
name: fuzz
os: el7
midonet: {}
hosts:
  - {name: clc1, address: 10.0.0.10, roles: [clc, nsdb]}
  - {name: ufs1, address: 10.0.0.30, primaryInterface: eth0, roles: [ufs]}
network:
  Mode: VPCMIDO
  PublicIps: [` + q(public) + `]
  Mido:
`
		if asn != "" {
			doc += "    BgpAsn: " + q(asn) + "\n"
		}
		doc += "    Gateways:\n      - {Ip: 10.0.0.30, ExternalCidr: " + q(cidr) + ", ExternalDevice: veth1, ExternalIp: " + q(extIP)
		if routerIP != "" {
			doc += ", ExternalRouterIp: " + q(routerIP)
		}
		if adRoute != "" {
			doc += ", BgpPeerIp: " + q(extIP) + ", BgpPeerAsn: \"65000\", BgpAdRoutes: [" + q(adRoute) + "]"
		}
		doc += "}\n"
		c, rep := Load("fuzz.yaml", []byte(doc))
		for _, d := range rep.Diags {
			if d.Pos.Line < 1 || d.Path == "" && d.Kind != KindSyntax {
				t.Fatalf("diagnostic without a position or field: %+v", d)
			}
		}
		if c != nil {
			checkPrefixesCover(t, c)
		}
	})
}

// checkPrefixesCover: the CIDR blocks of a valid cloud's public IPs are aligned, in order,
// and cover exactly the addresses of its PublicIps entries, no more and no fewer.
func checkPrefixesCover(t *testing.T, c *Cloud) {
	t.Helper()
	prefixes, err := c.PublicPrefixes()
	if err != nil {
		t.Fatalf("a valid cloud's public IPs do not convert: %v", err)
	}
	var want []span
	for _, s := range c.Network.PublicIps {
		sp, _, problem := parsePublicIP(s)
		if problem != "" {
			t.Fatalf("a valid cloud has an unreadable public IP entry %q: %s", s, problem)
		}
		want = append(want, sp)
	}
	i := 0
	for _, w := range want {
		next := uint64(w.lo)
		for next <= uint64(w.hi) {
			if i == len(prefixes) {
				t.Fatalf("prefixes %v end before %s is covered", prefixes, w)
			}
			p := prefixes[i]
			if p != p.Masked() {
				t.Fatalf("prefix %s is not aligned", p)
			}
			lo, hi := prefixSpan(p)
			if uint64(lo) != next || hi > w.hi {
				t.Fatalf("prefix %s does not continue %s at %s (prefixes %v)", p, w, addrOf(uint32(next)), prefixes)
			}
			next = uint64(hi) + 1
			i++
		}
	}
	if i != len(prefixes) {
		t.Fatalf("prefixes %v cover more than %v", prefixes, c.Network.PublicIps)
	}
}
