package firstboot

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
	"github.com/midobake/midobake/system"
)

// nopRunner stands in for systemctl and mn-conf when only the hook's own cost is measured.
type nopRunner struct{}

func (nopRunner) Run(context.Context, []byte, string, ...string) ([]byte, error) { return nil, nil }

func BenchmarkHookOverhead(b *testing.B) {
	// A real ZooKeeper holding the NSDB settings, as after the CLC's first boot: Midolman's
	// step waits for them.
	zkServer := testenv.NewZooKeeper(b)
	zkServer.Start(b)
	port := zkServer.Port
	conn, err := midonet.Session(context.Background(), []string{fmt.Sprintf("127.0.0.1:%d", port)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := midonet.Put(conn, roles.DefaultTemplateZNode, nil); err != nil {
		b.Fatal(err)
	}
	conn.Close()
	site := []byte(loopbackCloud)
	tpl, _ := roles.NewTemplates("")
	root := b.TempDir()
	for _, f := range []string{"compute.medium"} {
		p := filepath.Join(root, "etc/midolman/midolman-env.sh."+f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("heap\n"), 0o644)
	}
	// The time service, as the chrony package installs it.
	os.MkdirAll(filepath.Join(root, "usr/lib/systemd/system"), 0o755)
	os.WriteFile(filepath.Join(root, "usr/lib/systemd/system/chronyd.service"), []byte("[Unit]\n"), 0o644)
	// Midolman's host id, as its first start writes it.
	os.WriteFile(filepath.Join(root, "etc/midonet_host_id.properties"), []byte("host_uuid=00000000-0000-0000-0000-000000000001\n"), 0o644)
	// What preflight reads: 16 GiB.
	os.MkdirAll(filepath.Join(root, "proc"), 0o755)
	os.WriteFile(filepath.Join(root, "proc/meminfo"), []byte("MemTotal:       16384000 kB\n"), 0o644)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		os.Remove(filepath.Join(root, roles.StatePath))
		err := Run(context.Background(), Options{Site: site, SiteName: "site", Host: "node1", Root: system.Root(root),
			ZooKeeperPort: port, Templates: tpl, Out: io.Discard, Runner: nopRunner{},
			ReportGrace: time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
	}
}

type fakeIdentity struct {
	name  string
	addrs []string
}

func (f fakeIdentity) Hostname() (string, error) { return f.name, nil }
func (f fakeIdentity) Addresses() ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range f.addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestIdentify(t *testing.T) {
	c, _ := cloud.Load("site", []byte(loopbackCloud))
	for _, tc := range []struct {
		id      fakeIdentity
		want    string
		wantErr string
	}{
		{fakeIdentity{"node1", nil}, "node1", ""},
		{fakeIdentity{"node2.cloud.example", nil}, "node2", ""},
		{fakeIdentity{"localhost", []string{"127.0.0.1", "10.250.0.30"}}, "ufs1", ""},
		{fakeIdentity{"localhost", []string{"10.250.1.21"}}, "node1", ""}, // tunnel address
		{fakeIdentity{"localhost", []string{"192.0.2.1"}}, "", "is none of the cloud's hosts"},
		{fakeIdentity{"localhost", []string{"10.250.0.21", "10.250.0.22"}}, "", "match several hosts (node1, node2)"},
	} {
		h, _, err := site.Identify(c, tc.id)
		got := h.Name
		if err != nil {
			got = err.Error()
		}
		if (tc.wantErr == "" && got != tc.want) || (tc.wantErr != "" && !contains(got, tc.wantErr)) {
			t.Errorf("%v: got %q", tc.id, got)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
