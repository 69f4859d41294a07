package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/internal/testenv"
)

// hundredHosts writes a valid 100-host cloud: past EC2's 16 KB with the site data inline.
func hundredHosts(t *testing.T, dir string) string {
	t.Helper()
	r := midobake(t, dir, "example", "--hosts", "100")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	path := filepath.Join(dir, "cloud.yaml")
	if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRenderWarnsAboutLargeUserData(t *testing.T) {
	dir := t.TempDir()
	cloudFile := hundredHosts(t, dir)
	r := midobake(t, dir, "render", "-f", cloudFile, "--out-dir", "out")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// One warning for the 8 documents, naming the largest (the CLC's).
	warn := "midobake: warning: 8 user-data documents are too large for EC2 (16 KB of user-data, before base64), the largest profiles/clc/user-data.full.yaml at 21505 bytes (21.0 KiB)"
	if !strings.Contains(r.stderr, warn) || !strings.Contains(r.stderr, "; render with --site-url") {
		t.Errorf("no warning for the user-data:\n%s", r.stderr)
	}
	if n := strings.Count(r.stderr, "warning:"); n != 1 {
		t.Errorf("%d size warnings, want one for the 8 documents:\n%s", n, r.stderr)
	}
	if !regexp.MustCompile(`\n  profiles/nc/user-data\.full\.yaml +18\.9 KiB\n`).MatchString(r.stdout) {
		t.Errorf("sizes not listed:\n%s", r.stdout)
	}
	var m struct {
		Files []struct {
			Path string
			Size int
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "out", "manifest.json"))
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		if f.Path == "profiles/nc/user-data.full.yaml" && f.Size != 19355 {
			t.Errorf("the manifest records %d bytes for %s", f.Size, f.Path)
		}
	}
}

func TestMaxUserData(t *testing.T) {
	dir := t.TempDir()
	cloudFile := hundredHosts(t, dir)
	if r := midobake(t, dir, "render", "-f", cloudFile, "--out-dir", "out"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	before := snapshot(t, filepath.Join(dir, "out"))
	r := midobake(t, dir, "render", "-f", cloudFile, "--out-dir", "out", "--max-user-data", "16KiB")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
	}
	want := "midobake: profiles/cassandra+zookeeper/user-data.baked.yaml is 20662 bytes (20.2 KiB), over --max-user-data 16384 bytes (16.0 KiB); render with --site-url to carry the site data by reference\n" +
		"midobake: nothing was written; out is unchanged\n"
	if !strings.HasSuffix(r.stderr, want) {
		t.Errorf("stderr ends:\n%s\nwant:\n%s", r.stderr, want)
	}
	if after := snapshot(t, filepath.Join(dir, "out")); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("the earlier output changed")
	}
	// By reference, the same cloud fits, with room to spare.
	r = midobake(t, dir, "render", "-f", cloudFile, "--out-dir", "out", "--max-user-data", "8KiB", "--site-url", "http://10.0.0.1:8000/site/")
	if r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Errorf("with --site-url: exit %d\n%s", r.code, r.stderr)
	}
	// Sizes as providers write them: 16kb is 16 KiB, the same verdict.
	if r := midobake(t, dir, "render", "-f", cloudFile, "--out-dir", "out", "--max-user-data", "16kb"); r.code != 1 || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("--max-user-data 16kb: exit %d\n%s", r.code, r.stderr)
	}
	for _, bad := range []string{"16 GB", "0", "-3", "2GiB", "lots", "16kbit"} {
		r := midobake(t, dir, "render", "-f", cloudFile, "--out-dir", "out", "--max-user-data", bad)
		if r.code != 2 || !strings.Contains(r.stderr, "want a size from 1 byte to 1 GiB") {
			t.Errorf("--max-user-data %s: exit %d\n%s", bad, r.code, r.stderr)
		}
	}
}

func TestSiteURLIsChecked(t *testing.T) {
	for url, why := range map[string]string{
		"ftp://x/":                              "the scheme must be http or https",
		"deploy.example.com/site/":              "the scheme must be http or https",
		"http:///site/":                         "no host",
		"http://x/site/#top":                    "a fragment",
		"http://x/a b/":                         "white space",
		"http://x/" + "\x1b[31m":                "white space, control",
		"http://x/" + strings.Repeat("a", 3000): "at most 2048",
	} {
		r := midobake(t, t.TempDir(), "render", "--out-dir", "out", "--site-url", url)
		if r.code != 2 || !strings.Contains(r.stderr, why) || strings.Contains(r.stderr, "\x1b") {
			t.Errorf("--site-url %q: exit %d, stderr:\n%q", url, r.code, r.stderr)
		}
	}
	r := midobake(t, t.TempDir(), "render", "--out-dir", "out", "--site-url", "https://deploy:hunter2-pw@x/#frag")
	if strings.Contains(r.stderr, "hunter2-pw") {
		t.Errorf("the URL's password shows: %s", r.stderr)
	}
}

// TestSiteByReferenceEndToEnd: render with --site-url pointing at serve, serve the site data,
// and the hook (dry run) fetches and verifies it through the reference the user-data carries.
func TestSiteByReferenceEndToEnd(t *testing.T) {
	dir := t.TempDir()
	port := testenv.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d/site/", port)
	r := midobake(t, dir, "render", "--out-dir", "out", "--site-url", base)
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	if !strings.Contains(r.stdout, "publish out/site/cloud.yaml at "+base+"cloud.yaml before the hosts boot") {
		t.Errorf("render does not say what to publish:\n%s", r.stdout)
	}
	var doc struct {
		WriteFiles []struct{ Path, Content string } `yaml:"write_files"`
	}
	ud, _ := os.ReadFile(filepath.Join(dir, "out", "profiles", "nc", "user-data.baked.yaml"))
	if err := yaml.Unmarshal(ud, &doc); err != nil || doc.WriteFiles[0].Path != "/etc/midobake/site.ref" {
		t.Fatalf("no reference in the user-data (%v):\n%s", err, ud)
	}
	host := filepath.Join(dir, "host")
	os.MkdirAll(host, 0o755)
	ref := filepath.Join(host, "site.ref")
	os.WriteFile(ref, []byte(doc.WriteFiles[0].Content), 0o600)

	// Nothing serves it yet: the hook waits, then gives up with a clear message.
	r = midobake(t, dir, "firstboot", "--dry-run", "--host", "node1", "--site", filepath.Join(host, "cloud.yaml"), "--site-ref", ref, "--timeout", "1s", "--retry-max", "200ms")
	if r.code != 1 || !strings.Contains(r.stderr, "gave up after") || !strings.Contains(r.stdout, "connection refused") {
		t.Errorf("with no server: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	startServe(t, "--example", "--mode", "baked", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--site-url", base)
	code, body := fetch(t, "GET", base+"cloud.yaml")
	site, _ := os.ReadFile(filepath.Join(dir, "out", "site", "cloud.yaml"))
	if code != 200 || body != string(site) {
		t.Fatalf("serve's site data: %d, %d bytes (want %d)", code, len(body), len(site))
	}
	if _, seed := fetch(t, "GET", fmt.Sprintf("http://127.0.0.1:%d/node1/user-data", port)); seed != string(ud) {
		t.Errorf("serve's seed is not render's thin user-data:\n%s", seed)
	}
	r = midobake(t, dir, "firstboot", "--dry-run", "--host", "node1", "--site", filepath.Join(host, "cloud.yaml"), "--site-ref", ref)
	if r.code != 0 || !strings.Contains(r.stdout, "site data: fetched "+base+"cloud.yaml and verified") ||
		!strings.Contains(r.stdout, "host node1 (profile nc") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(host, "cloud.yaml")); !os.IsNotExist(err) {
		t.Errorf("--dry-run kept the site data: %v", err)
	}
}

// TestPresignedSiteURLIsSecret: the signature of a presigned --site-url grants access to the
// site data: render never prints it, the manifest records the URL without it, and every file
// that carries it is private.
func TestPresignedSiteURLIsSecret(t *testing.T) {
	dir := t.TempDir()
	url := "https://bucket.s3.example/clouds/prod/cloud.yaml?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDZSECRET%2F20261202&X-Amz-Signature=5ec2e7515ig"
	r := midobake(t, dir, "render", "--out-dir", "out", "--site-url", url)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, secret := range []string{"5ec2e7515ig", "AKIDZSECRET"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("render printed %s:\n%s%s", secret, r.stdout, r.stderr)
		}
		manifest, _ := os.ReadFile(filepath.Join(dir, "out", "manifest.json"))
		if strings.Contains(string(manifest), secret) {
			t.Errorf("the manifest records %s", secret)
		}
	}
	filepath.WalkDir(filepath.Join(dir, "out"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&os.ModeSymlink != 0 {
			return nil
		}
		b, _ := os.ReadFile(p)
		if st, _ := os.Stat(p); strings.Contains(string(b), "5ec2e7515ig") && st.Mode().Perm() != 0o600 {
			t.Errorf("%s carries the signature with mode %v", p, st.Mode().Perm())
		}
		return nil
	})
}
