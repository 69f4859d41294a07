package cloud

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addFixtures(f *testing.F) {
	for _, dir := range []string{"valid", "invalid", "diff"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "fixtures", dir, "*.yaml"))
		for _, file := range files {
			b, _ := os.ReadFile(file)
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
			_ = c.PublicPrefixes() // every valid cloud's public IPs convert to CIDRs
		}
	})
}
