package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/midobake/midobake/internal/testenv"
)

// syncBuffer collects a process's stderr while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startServe runs "midobake serve" until the test ends and waits until it listens.
func startServe(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	return startServeIn(t, "", args...)
}

// startServeIn is startServe in the directory dir ("" for the test's).
func startServeIn(t *testing.T, dir string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, "serve to listen", func() bool { return strings.Contains(stderr.String(), "on http://") })
	return cmd, stderr
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func fetch(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	example, _ := exec.Command(bin, "example").Output()
	file := filepath.Join(dir, "cloud.yaml")
	os.WriteFile(file, example, 0o644)
	port := testenv.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd, stderr := startServe(t, "-f", file, "--listen", fmt.Sprintf("127.0.0.1:%d", port))

	golden, _ := os.ReadFile("../../fixtures/golden/example/profiles/nc/user-data.full.yaml")
	// By name, and by MAC as the description, PXE firmware, DHCP logs and pxelinux write it.
	for _, path := range []string{"/node1/user-data", "/52:54:00:00:05:21/user-data", "/52-54-00-00-05-21/user-data",
		"/01-52-54-00-00-05-21/user-data"} {
		if code, body := fetch(t, "GET", base+path); code != 200 || body != string(golden) {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	if code, body := fetch(t, "GET", base+"/node1/meta-data"); code != 200 || body != "instance-id: iid-euca-lab-node1\nlocal-hostname: node1\n" {
		t.Errorf("meta-data: %d %q", code, body)
	}
	if code, body := fetch(t, "GET", base+"/node1/vendor-data"); code != 200 || body != "" {
		t.Errorf("vendor-data: %d %q", code, body)
	}
	for _, path := range []string{"/", "/node1/", "/node1", "/nope/user-data", "/node1/../manifest.json", "/node1/%2e%2e/%2e%2e/etc/passwd", "/hosts/node1/user-data"} {
		if code, _ := fetch(t, "GET", base+path); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if code, _ := fetch(t, "POST", base+"/node1/user-data"); code != 405 {
		t.Errorf("POST: %d, want 405", code)
	}
	if !strings.Contains(stderr.String(), "GET /node1/user-data 200") || !strings.Contains(stderr.String(), "GET /nope/user-data 404") {
		t.Errorf("no request log lines:\n%s", stderr.String())
	}
	// A newline (or an escape sequence) in a request path cannot forge a log line.
	fetch(t, "GET", base+"/x%0a127.0.0.1:1%20GET%20/node1/user-data%20200%201B%201ms%1b[2J/meta-data")
	waitFor(t, "the forged request's log line", func() bool { return strings.Contains(stderr.String(), `/x\x0a127.0.0.1:1 GET`) })
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(line, "127.0.0.1:1 ") || strings.Contains(line, "\x1b") {
			t.Errorf("a forged or raw log line: %q", line)
		}
	}

	// An invalid cloud file on SIGHUP is reported and the last good seeds stay.
	os.WriteFile(file, []byte("version: 1\nname: Broken!\n"), 0o644)
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the failed reload", func() bool {
		return strings.Contains(stderr.String(), "reload failed, still serving the last good version")
	})
	if code, body := fetch(t, "GET", base+"/node1/user-data"); code != 200 || body != string(golden) {
		t.Errorf("after a failed reload: %d", code)
	}
	// A valid one replaces them: node3 appears.
	os.WriteFile(file, []byte(strings.Replace(string(example), "  - name: ufs1", "  - name: node3\n    address: 10.111.5.23\n    roles: [nc]\n  - name: ufs1", 1)), 0o644)
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the reload", func() bool { return strings.Contains(stderr.String(), "reloaded: cloud euca-lab, 5 hosts") })
	if code, _ := fetch(t, "GET", base+"/node3/meta-data"); code != 200 {
		t.Errorf("node3 after reload: %d", code)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("no shutdown line:\n%s", stderr.String())
	}
}

// TestServeBaked: --mode baked serves the golden-image user-data.
func TestServeBaked(t *testing.T) {
	port := testenv.FreePort(t)
	_, stderr := startServe(t, "--example", "--mode", "baked", "--listen", fmt.Sprintf("127.0.0.1:%d", port))
	if !strings.Contains(stderr.String(), "(baked user-data)") {
		t.Errorf("serve does not say it serves baked user-data: %s", stderr.String())
	}
	golden, _ := os.ReadFile("../../fixtures/golden/example/profiles/ufs/user-data.baked.yaml")
	if code, body := fetch(t, "GET", fmt.Sprintf("http://127.0.0.1:%d/ufs1/user-data", port)); code != 200 || body != string(golden) {
		t.Errorf("baked user-data: %d", code)
	}
	if r := midobake(t, t.TempDir(), "serve", "--mode", "thin"); r.code != 2 {
		t.Errorf("--mode thin: exit %d", r.code)
	}
}

// TestServeWarnsBeforeExposingCredentials: seeds with repository credentials served beyond
// loopback get a warning (the listener is only opened, nothing connects to it).
func TestServeWarnsBeforeExposingCredentials(t *testing.T) {
	ha, _ := filepath.Abs("../../fixtures/valid/ha-large.yaml")
	_, stderr := startServe(t, "-f", ha, "--listen", "0.0.0.0:0")
	if !strings.Contains(stderr.String(), "warning: the user-data holds repository credentials") {
		t.Errorf("no warning:\n%s", stderr.String())
	}
}

// TestServeStopsDuringAReloadStorm: a SIGTERM sent among a storm of SIGHUPs (each a reload)
// is never lost: serve stops.
func TestServeStopsDuringAReloadStorm(t *testing.T) {
	port := testenv.FreePort(t)
	cmd, stderr := startServe(t, "--example", "--listen", fmt.Sprintf("127.0.0.1:%d", port))
	for i := 0; i < 200; i++ {
		cmd.Process.Signal(syscall.SIGHUP)
		if i == 100 {
			cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		if !strings.Contains(stderr.String(), "terminated: shutting down") {
			t.Errorf("no shutdown line:\n%s", stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not stop on a SIGTERM sent among SIGHUPs:\n%s", stderr.String())
	}
}

// TestServeReloadsTemplates: SIGHUP re-reads the template overrides with the cloud file: a
// bad one (here a tag that would read another file) is a failed reload, reported, and the
// last good seeds keep being served; a good one is served.
func TestServeReloadsTemplates(t *testing.T) {
	dir := t.TempDir()
	example, _ := exec.Command(bin, "example").Output()
	file := filepath.Join(dir, "cloud.yaml")
	os.WriteFile(file, example, 0o644)
	tpl := filepath.Join(dir, "tpl")
	os.MkdirAll(tpl, 0o755)
	exec.Command(bin, "templates", "dump", filepath.Join(dir, "all")).Run()
	zoo, _ := os.ReadFile(filepath.Join(dir, "all", "midolman.conf.tmpl"))
	os.WriteFile(filepath.Join(tpl, "midolman.conf.tmpl"), append(zoo, []byte("# first\n")...), 0o644)
	port := testenv.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd, stderr := startServe(t, "-f", file, "--templates", tpl, "--listen", fmt.Sprintf("127.0.0.1:%d", port))
	if _, body := fetch(t, "GET", base+"/node1/user-data"); !strings.Contains(body, "# first") {
		t.Fatalf("the override is not served")
	}
	os.WriteFile(filepath.Join(tpl, "midolman.conf.tmpl"), []byte("{% ssi \"/etc/passwd\" %}\n"), 0o644)
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the failed reload", func() bool {
		return strings.Contains(stderr.String(), "reload failed, still serving the last good version") && strings.Contains(stderr.String(), "midolman.conf.tmpl")
	})
	if _, body := fetch(t, "GET", base+"/node1/user-data"); !strings.Contains(body, "# first") || strings.Contains(body, "root:x:0:0") {
		t.Errorf("after a failed reload the last good seed is not served")
	}
	os.WriteFile(filepath.Join(tpl, "midolman.conf.tmpl"), append(zoo, []byte("# second\n")...), 0o644)
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the reload", func() bool { return strings.Contains(stderr.String(), "reloaded: cloud euca-lab") })
	if _, body := fetch(t, "GET", base+"/node1/user-data"); !strings.Contains(body, "# second") {
		t.Errorf("the new override is not served")
	}
}
