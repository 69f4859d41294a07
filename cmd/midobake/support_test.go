package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/midonet/midonettest"
	"github.com/midobake/midobake/support"
)

// planted is a file's (or a command's) content with credentials in every form the bundle's
// sources write them, each marked PLANTED, around lines that must survive.
func planted(name string) string {
	p := func(i int) string { return fmt.Sprintf("PLANTED-%s-%d", name, i) }
	return fmt.Sprintf(`keep-me %[1]s
password = %[2]s
  "token": "%[3]s", "name": "keep-me-json"
baseurl=http://mirror:%[4]s@repo.example/el7/
cluster.auth.keystone.admin_token : "%[5]s"
secret_key: |
  %[6]s
  %[7]s
Authorization: Bearer %[8]s
url = https://bucket.example/site.yaml?X-Amz-Expires=300&X-Amz-Signature=%[9]s
proxy_password='%[10]s' # a comment
after-block keep-me-too
`, name, p(1), p(2), p(3), p(4), p(5), p(6), p(7), p(8), p(9))
}

// TestSupportBundleRedacts: a bundle of a CLC whose every file and every command's output
// holds credentials (and whose site data has a repository password) holds none of them, and
// holds everything else: each file, each command's output, MidoNet's hosts and tunnel zones,
// an index that lists every item; an item that cannot be read is recorded and the rest is
// gathered.
func TestSupportBundleRedacts(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	// The site data: the example with a repository password (the description's only secret)
	// and a comment that names one.
	site := strings.Replace(midobake(t, dir, "example").stdout,
		`baseurl: "http://repo.example/midobake/el7/"`, `baseurl: "http://user:PLANTED-site-1@repo.example/midobake/el7/"`, 1)
	site = strings.Replace(site, "hosts:\n", "# password: PLANTED-site-2\nhosts:\n", 1)
	if !strings.Contains(site, "PLANTED-site-1") {
		t.Fatal("the example has no repository URL to put a password in")
	}
	files := map[string]string{}
	for _, f := range support.Files {
		p := strings.Replace(f.Path, "*", "planted", 1)
		files[p] = planted(filepath.Base(p))
	}
	files["/etc/midobake/cloud.yaml"] = site
	// A long log: its end is kept, with every line's credential still found after the cut.
	var log strings.Builder
	for i := 0; log.Len() < 5<<20; i++ {
		fmt.Fprintf(&log, "line %d keep-me-log: http://u:PLANTED-logurl-%d@h.example/ password=PLANTED-log-%d\n", i, i, i)
	}
	files["/var/log/cloud-init-output.log"] = log.String()
	for p, content := range files {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A file that cannot be read as one: recorded, the rest gathered.
	os.Remove(filepath.Join(root, "/etc/hosts"))
	os.MkdirAll(filepath.Join(root, "/etc/hosts"), 0o755)

	// Every command the bundle runs prints credentials too; chronyc fails.
	stubs := filepath.Join(dir, "stubs")
	os.MkdirAll(stubs, 0o755)
	for _, name := range []string{"journalctl", "ip", "iptables-save", "firewall-cmd", "rpm", "timedatectl", "chronyc", "systemctl", "uname", "mn-conf"} {
		script := "#!/bin/sh\ncat <<'EOF'\n" + planted(name) + "EOF\n"
		if name == "journalctl" { // long journals: the size bound leaves some out
			script += "seq -f 'keep-me journal line %g' 1 5000\n"
		}
		if name == "iptables-save" { // no rules: an empty output, still in the bundle
			script = "#!/bin/sh\n"
		}
		if name == "chronyc" {
			script += "echo '506 Cannot talk to daemon' >&2; exit 1\n"
		}
		os.WriteFile(filepath.Join(stubs, name), []byte(script), 0o755)
	}
	api := midonettest.NewAPI(func() []midonet.Host {
		return []midonet.Host{{ID: "uuid-node1", Name: "node1", Addresses: []string{"10.111.5.21"}, Alive: true}}
	})
	defer api.Close()

	cmd := exec.Command(bin, "support", "--root", root, "--host", "clc1", "--api", api.URL(), "--out-file", "bundle.tar.gz", "-o", "json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+stubs+":/usr/bin:/bin")
	r := runCmd(t, cmd)
	if r.code != 0 {
		t.Fatalf("support: exit %d\n%s", r.code, r.stderr)
	}
	bundle := readBundle(t, filepath.Join(dir, "bundle.tar.gz"))
	for name, content := range bundle {
		if i := strings.Index(content, "PLANTED"); i >= 0 {
			t.Errorf("%s holds a credential: %q", name, content[max(0, i-60):min(len(content), i+40)])
		}
	}
	var idx support.Index
	if err := json.Unmarshal([]byte(bundle["midobake-support-clc1/index.json"]), &idx); err != nil {
		t.Fatal(err)
	}
	status := map[string]support.Entry{}
	for _, e := range idx.Entries {
		status[e.Name] = e
	}
	for p := range files {
		name := "files" + p
		e := status[name]
		if p == "/etc/hosts" {
			if e.Status != support.StatusFailed || !strings.Contains(e.Error, "not a regular file") {
				t.Errorf("%s: %+v, want failed: not a regular file", name, e)
			}
			continue
		}
		if e.Status != support.StatusOK || e.Redacted == 0 {
			t.Errorf("%s: %+v, want gathered with redactions", name, e)
		}
		if got := bundle["midobake-support-clc1/"+name]; !strings.Contains(got, "keep-me") && !strings.Contains(got, "name: euca-lab") {
			t.Errorf("%s lost what is not a secret:\n%.300s", name, got)
		}
	}
	if got := bundle["midobake-support-clc1/files/etc/midobake/cloud.yaml"]; !strings.Contains(got, "http://user:REDACTED@repo.example/midobake/el7/") {
		t.Errorf("the site data's repository URL:\n%.2000s", got)
	}
	if e := status["files/var/log/cloud-init-output.log"]; !e.Truncated || e.Bytes > support.DefaultItemMax {
		t.Errorf("the long log: %+v, want its end, truncated", e)
	}
	for _, name := range []string{"journal/zookeeper.txt", "journal/midolman.txt", "journal/midobake-firstboot.txt", "host/ip-addr.txt", "host/ip-link.txt",
		"host/ip-route.txt", "host/packages.txt", "host/timedatectl.txt", "midonet/mn-conf-dump.txt"} {
		if e := status[name]; e.Status != support.StatusOK || e.Redacted < 9 || !strings.Contains(bundle["midobake-support-clc1/"+name], "after-block keep-me-too") {
			t.Errorf("%s: %+v\n%s", name, e, bundle["midobake-support-clc1/"+name])
		}
	}
	if e, ok := bundle["midobake-support-clc1/host/iptables-save.txt"]; !ok || e != "" || status["host/iptables-save.txt"].Status != support.StatusOK {
		t.Errorf("a command that printed nothing: %q %+v", e, status["host/iptables-save.txt"])
	}
	if e := status["host/chronyc-tracking.txt"]; e.ExitCode != 1 || !strings.Contains(bundle["midobake-support-clc1/host/chronyc-tracking.txt"], "Cannot talk to daemon") {
		t.Errorf("a failing command: %+v", e)
	}
	if got := bundle["midobake-support-clc1/midonet/hosts.json"]; !strings.Contains(got, `"name": "node1"`) {
		t.Errorf("MidoNet's hosts: %s", got)
	}
	if _, ok := bundle["midobake-support-clc1/midonet/tunnel-zones.json"]; !ok {
		t.Error("no tunnel zones")
	}
	if !strings.Contains(bundle["midobake-support-clc1/INDEX.txt"], "failed    files/etc/hosts") {
		t.Errorf("INDEX.txt:\n%s", bundle["midobake-support-clc1/INDEX.txt"])
	}
	if st, _ := os.Stat(filepath.Join(dir, "bundle.tar.gz")); st.Mode().Perm() != 0o600 {
		t.Errorf("the bundle's mode is %o", st.Mode().Perm())
	}

	// Never over an existing file unless told.
	before, _ := os.ReadFile(filepath.Join(dir, "bundle.tar.gz"))
	r = runCmd(t, withEnv(exec.Command(bin, "support", "--root", root, "--host", "clc1", "--api", api.URL(), "--out-file", "bundle.tar.gz"), dir, stubs))
	if after, _ := os.ReadFile(filepath.Join(dir, "bundle.tar.gz")); r.code == 0 || string(after) != string(before) || !strings.Contains(r.stderr, "exists") {
		t.Errorf("a second bundle over the first: exit %d\n%s", r.code, r.stderr)
	}

	// The size bound: items past it are left out and listed; what is kept is within it.
	r = runCmd(t, withEnv(exec.Command(bin, "support", "--root", root, "--host", "clc1", "--api", api.URL(), "--out-file", "small.tar.gz", "--max-size", "64KiB", "-o", "json"), dir, stubs))
	if r.code != 0 {
		t.Fatalf("support --max-size: exit %d\n%s", r.code, r.stderr)
	}
	small := readBundle(t, filepath.Join(dir, "small.tar.gz"))
	var sidx support.Index
	json.Unmarshal([]byte(small["midobake-support-clc1/index.json"]), &sidx)
	total, leftOut := 0, 0
	for _, e := range sidx.Entries {
		total += e.Bytes
		if e.Status == support.StatusLeftOut {
			leftOut++
		}
	}
	if total > 64<<10 || leftOut == 0 {
		t.Errorf("with --max-size 64KiB: %d bytes gathered, %d items left out", total, leftOut)
	}
}

func withEnv(cmd *exec.Cmd, dir, stubs string) *exec.Cmd {
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+stubs+":/usr/bin:/bin")
	return cmd
}

// readBundle reads every file of a gzip tar archive, bounded.
func readBundle(t *testing.T, p string) map[string]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = string(b)
	}
}
