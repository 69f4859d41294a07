package provisioner

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
)

// recorder is a Communicator that records every command and upload in order; a command
// containing failOn exits 1 with some output.
type recorder struct {
	events []string
	files  map[string]string
	failOn string
}

func (r *recorder) Start(_ context.Context, c *packersdk.RemoteCmd) error {
	r.events = append(r.events, "run: "+c.Command)
	go func() {
		if r.failOn != "" && strings.Contains(c.Command, r.failOn) {
			io.WriteString(c.Stderr, "No match for argument: midolman\n")
			c.SetExited(1)
			return
		}
		c.SetExited(0)
	}()
	return nil
}

func (r *recorder) Upload(path string, in io.Reader, _ *os.FileInfo) error {
	b, _ := io.ReadAll(in)
	r.files[path] = string(b)
	r.events = append(r.events, "upload: "+path)
	return nil
}
func (r *recorder) UploadDir(string, string, []string) error { return nil }
func (r *recorder) Download(string, io.Writer) error         { return nil }
func (r *recorder) DownloadDir(string, string, []string) error {
	return nil
}

func prepare(t *testing.T, profile string) (*Provisioner, string) {
	t.Helper()
	dir := t.TempDir()
	hook := filepath.Join(dir, "midobake")
	os.WriteFile(hook, []byte("#!hook"), 0o755)
	p := &Provisioner{}
	err := p.Prepare(map[string]interface{}{
		"cloud_file": "../../fixtures/valid/example.yaml", "profile": profile, "hook_binary": hook,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, hook
}

// TestProvisionRunsTheBakeInOrder: through the SDK's communicator interface, the provisioner
// uploads and runs the bake steps in order and the uploaded files are the plan's.
func TestProvisionRunsTheBakeInOrder(t *testing.T) {
	p, _ := prepare(t, "ufs")
	comm := &recorder{files: map[string]string{}}
	if err := p.Provision(context.Background(), packersdk.TestUi(t), comm, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"run: mkdir -p '/etc/yum.repos.d'",
		"upload: /etc/yum.repos.d/midobake.repo",
		"upload: /etc/yum.repos.d/midonet-misc.repo",
		"upload: /etc/yum.repos.d/midonet.repo",
		"run: chown root:root '/etc/yum.repos.d/midobake.repo' && chmod 0644 '/etc/yum.repos.d/midobake.repo' && chown root:root '/etc/yum.repos.d/midonet-misc.repo' && chmod 0644 '/etc/yum.repos.d/midonet-misc.repo' && chown root:root '/etc/yum.repos.d/midonet.repo' && chmod 0644 '/etc/yum.repos.d/midonet.repo'",
		"run: yum -y --setopt=skip_missing_names_on_install=False install chrony java-1.8.0-openjdk-headless midolman midonet-tools && rpm -q chrony java-1.8.0-openjdk-headless midolman midonet-tools",
		"run: mkdir -p '/etc/midolman' '/etc/systemd/system'",
		"upload: /etc/midolman/midolman.conf",
		"upload: /etc/systemd/system/midobake-firstboot.service",
		"run: chown root:root '/etc/midolman/midolman.conf' && chmod 0644 '/etc/midolman/midolman.conf' && chown root:root '/etc/systemd/system/midobake-firstboot.service' && chmod 0644 '/etc/systemd/system/midobake-firstboot.service'",
		"run: mkdir -p '/usr/bin'",
		"upload: /usr/bin/midobake",
		"run: chown root:root '/usr/bin/midobake' && chmod 0755 '/usr/bin/midobake'",
		"run: systemctl enable midobake-firstboot.service",
		"run: systemctl disable midolman",
		"run: if systemctl cat firewalld.service >/dev/null 2>&1; then systemctl disable firewalld.service; fi",
		"run: rm -rf /etc/midolman/host_uuid.properties /etc/midonet_host_id.properties /etc/ssh/ssh_host_* /var/db/midolman /var/lib/cassandra/* /var/lib/cloud/data /var/lib/cloud/instance /var/lib/cloud/instances /var/lib/cloud/sem /var/lib/midobake/preflight.json /var/lib/midobake/report.json /var/lib/midobake/state.json /var/lib/zookeeper/data/myid /var/lib/zookeeper/data/version-2 /var/log/cloud-init-output.log /var/log/cloud-init.log && : > /etc/machine-id && { ! [ -e /var/lib/dbus/machine-id ] || : > /var/lib/dbus/machine-id; }",
	}
	if diff := cmp.Diff(want, comm.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if comm.files["/usr/bin/midobake"] != "#!hook" || !strings.Contains(comm.files["/etc/midolman/midolman.conf"], "zookeeper_hosts = 10.111.5.10:2181") {
		t.Errorf("uploaded files: %v", comm.files)
	}
}

// TestProvisionFailsWithTheCommandOutput: a failing command fails the build and says why.
func TestProvisionFailsWithTheCommandOutput(t *testing.T) {
	p, _ := prepare(t, "nc")
	comm := &recorder{files: map[string]string{}, failOn: "yum -y --setopt=skip_missing_names_on_install=False install"}
	err := p.Provision(context.Background(), packersdk.TestUi(t), comm, nil)
	if err == nil || !strings.Contains(err.Error(), "packages:") || !strings.Contains(err.Error(), "exited with status 1") || !strings.Contains(err.Error(), "No match for argument: midolman") {
		t.Fatalf("error: %v", err)
	}
	if last := comm.events[len(comm.events)-1]; !strings.HasPrefix(last, "run: yum") {
		t.Errorf("went on after the failure: %s", last)
	}
}

func TestPrepareErrors(t *testing.T) {
	hook := filepath.Join(t.TempDir(), "midobake")
	os.WriteFile(hook, []byte("x"), 0o755)
	for name, tc := range map[string]struct {
		cfg  map[string]interface{}
		want string
	}{
		"wrong profile":   {map[string]interface{}{"cloud_file": "../../fixtures/valid/example.yaml", "profile": "gateway", "hook_binary": hook}, `profile "gateway" is not a profile of ../../fixtures/valid/example.yaml; its profiles are: clc+cassandra+zookeeper, nc, ufs`},
		"missing cloud":   {map[string]interface{}{"cloud_file": "nope.yaml", "profile": "nc", "hook_binary": hook}, "cloud_file: open nope.yaml: no such file or directory"},
		"invalid cloud":   {map[string]interface{}{"cloud_file": "../../fixtures/invalid/bad-address.yaml", "profile": "nc", "hook_binary": hook}, "bad-address.yaml:17:14: error: hosts[1].address"},
		"missing hook":    {map[string]interface{}{"cloud_file": "../../fixtures/valid/example.yaml", "profile": "nc", "hook_binary": "/nope"}, "hook_binary /nope: not a file"},
		"missing profile": {map[string]interface{}{"cloud_file": "../../fixtures/valid/example.yaml", "hook_binary": hook}, "profile is required"},
		"not the render's cloud": {map[string]interface{}{"cloud_file": "../../fixtures/valid/example.yaml", "cloud_sha256": strings.Repeat("0", 64), "profile": "nc", "hook_binary": hook},
			"but these builds were rendered from a cloud file with sha256 0000000000000000000000000000000000000000000000000000000000000000: pass the file midobake render read"},
	} {
		t.Run(name, func(t *testing.T) {
			err := (&Provisioner{}).Prepare(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
