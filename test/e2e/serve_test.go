package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// TestPXEBootThroughServe boots each host of the embedded example the way PXE does: the real
// NoCloud-net datasource, told by the kernel command line where its seed is, fetches it from
// "midobake serve" on loopback and applies it. Hosts are named by host name or by MAC.
func TestPXEBootThroughServe(t *testing.T) {
	c, _ := cloud.Load("example", cloud.Example())
	tpl, _ := roles.NewTemplates("")
	plans, _ := roles.Plans(roles.Resolve(c), tpl)
	for _, h := range c.Hosts {
		for _, key := range []string{h.Name, h.MAC} {
			if key == "" {
				continue
			}
			t.Run(h.Name+"/"+key, func(t *testing.T) {
				port := 8000
				r := runCloudInit(t, nil,
					fmt.Sprintf("SERVE=%s serve --example --listen 127.0.0.1:%d", midobakeBin(), port),
					fmt.Sprintf("SERVE_PORT=%d", port),
					fmt.Sprintf("CMDLINE=ds=nocloud-net;s=http://127.0.0.1:%d/%s/", port, key))
				if !r.ok() {
					t.Fatalf("cloud-init reported errors %v:\n%s", r.errors, r.output)
				}
				if got := strings.TrimSpace(r.file("etc/hostname")); got != h.Name {
					t.Errorf("host name %q, want %q", got, h.Name)
				}
				if got := strings.TrimSpace(r.file("var/lib/cloud/data/instance-id")); got != "iid-euca-lab-"+h.Name {
					t.Errorf("instance id %q", got)
				}
				for _, p := range plans {
					if p.Profile != h.Profile() {
						continue
					}
					for _, f := range p.Files {
						checkFile(t, r, f)
					}
				}
				want := []string{"systemctl daemon-reload", "systemctl enable midobake-firstboot.service", "midobake firstboot --site /etc/midobake/cloud.yaml"}
				if diff := cmp.Diff(want, r.stubs); diff != "" {
					t.Errorf("commands (-want +got):\n%s", diff)
				}
			})
		}
	}
}
