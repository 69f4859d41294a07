package site

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/system"
)

// siteFixture is a host's /etc/midobake as the user-data leaves it with --site-url: the
// reference file, and (maybe) an older site data.
type siteFixture struct {
	dir, path, ref string
	data           []byte
	log            bytes.Buffer
}

func newSiteFixture(t *testing.T, url string) *siteFixture {
	t.Helper()
	f := &siteFixture{dir: t.TempDir(), data: cloud.Example()}
	f.path, f.ref = filepath.Join(f.dir, "cloud.yaml"), filepath.Join(f.dir, "site.ref")
	writeRef(t, f.ref, url, Hash(f.data))
	return f
}

func writeRef(t *testing.T, path, url, sum string) {
	t.Helper()
	if err := os.WriteFile(path, fmt.Appendf(nil, "url: %s\nsha256: %s\n", url, sum), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f *siteFixture) load(timeout time.Duration) ([]byte, error) {
	return Load(context.Background(), Source{Path: f.path, Ref: f.ref, Timeout: timeout,
		Backoff: system.Backoff{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond}, Out: &f.log})
}

func TestSiteFetchedVerifiedAndKept(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(cloud.Example())
	}))
	f := newSiteFixture(t, srv.URL+"/site/cloud.yaml")
	got, err := f.load(5 * time.Second)
	if err != nil || !bytes.Equal(got, f.data) {
		t.Fatalf("Load: %v (%d bytes)\n%s", err, len(got), f.log.String())
	}
	kept, err := os.ReadFile(f.path)
	if err != nil || !bytes.Equal(kept, f.data) {
		t.Fatalf("not kept at %s: %v", f.path, err)
	}
	if st, _ := os.Stat(f.path); st.Mode().Perm() != 0o600 {
		t.Errorf("kept with mode %v, want 0600 (repository credentials)", st.Mode().Perm())
	}
	if !strings.Contains(f.log.String(), "verified") {
		t.Errorf("log does not say it verified:\n%s", f.log.String())
	}
	// A later boot uses the verified copy: the server may be long gone.
	srv.Close()
	f.log.Reset()
	if got, err := f.load(time.Second); err != nil || !bytes.Equal(got, f.data) || hits.Load() != 1 {
		t.Fatalf("second load: %v, %d fetches\n%s", err, hits.Load(), f.log.String())
	}
}

func TestSiteWithAWrongHashIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(append(cloud.Example(), "# tampered\n"...))
	}))
	defer srv.Close()
	f := newSiteFixture(t, srv.URL+"/cloud.yaml")
	old := []byte("version: 1 # what the host ran on before\n")
	os.WriteFile(f.path, old, 0o600)
	_, err := f.load(2 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "refused: its sha256 is") {
		t.Fatalf("err = %v, want the hash refused\n%s", err, f.log.String())
	}
	if kept, _ := os.ReadFile(f.path); !bytes.Equal(kept, old) {
		t.Errorf("the host's site data changed to unverified data:\n%s", kept)
	}
	if entries, _ := os.ReadDir(f.dir); len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestSiteServerDownThenUp(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= 3 {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		w.Write(cloud.Example())
	}))
	defer srv.Close()
	f := newSiteFixture(t, srv.URL+"/cloud.yaml")
	if _, err := f.load(10 * time.Second); err != nil {
		t.Fatalf("%v\n%s", err, f.log.String())
	}
	if n := strings.Count(f.log.String(), "HTTP 503 Service Unavailable; next try in"); n != 3 {
		t.Errorf("%d retries logged, want 3:\n%s", n, f.log.String())
	}
	// The pauses grow: 20ms, 40ms, 80ms.
	for _, d := range []string{"next try in 20ms", "next try in 40ms", "next try in 80ms"} {
		if !strings.Contains(f.log.String(), d) {
			t.Errorf("no %q in the log:\n%s", d, f.log.String())
		}
	}
}

func TestSiteServerNeverThere(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/cloud.yaml"
	srv.Close() // nothing listens there any more
	f := newSiteFixture(t, url)
	_, err := f.load(300 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("err = %v\n%s", err, f.log.String())
	}
	if _, err := os.Stat(f.path); !os.IsNotExist(err) {
		t.Errorf("site data written without a fetch: %v", err)
	}
}

func TestSiteRedirectIsFollowed(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/old/cloud.yaml", http.RedirectHandler("/new/cloud.yaml", http.StatusFound))
	mux.HandleFunc("/new/cloud.yaml", func(w http.ResponseWriter, r *http.Request) { w.Write(cloud.Example()) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := newSiteFixture(t, srv.URL+"/old/cloud.yaml")
	if _, err := f.load(5 * time.Second); err != nil {
		t.Fatalf("%v\n%s", err, f.log.String())
	}
	if !strings.Contains(f.log.String(), "redirected to "+srv.URL+"/new/cloud.yaml") {
		t.Errorf("the log does not say where it was redirected:\n%s", f.log.String())
	}
}

func TestSiteLargerThanTheLimitIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("# padding\n"), 1<<16)
		for written := 0; written <= cloud.MaxInputSize; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	f := newSiteFixture(t, srv.URL+"/cloud.yaml")
	_, err := f.load(time.Minute) // refused at once: a body that large is not retried
	if err == nil || !strings.Contains(err.Error(), "refused: larger than 16 MiB") {
		t.Fatalf("err = %v\n%s", err, f.log.String())
	}
	if _, err := os.Stat(f.path); !os.IsNotExist(err) {
		t.Errorf("an oversized body was kept: %v", err)
	}
}

func TestSiteURLCredentialsNeverShow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	url := strings.Replace(srv.URL, "http://", "http://deploy:s3cr3t-pw@", 1) + "/cloud.yaml"
	f := newSiteFixture(t, url)
	_, err := f.load(200 * time.Millisecond)
	if err == nil {
		t.Fatal("a 403 was accepted")
	}
	if strings.Contains(err.Error()+f.log.String(), "s3cr3t-pw") {
		t.Errorf("the password shows:\n%v\n%s", err, f.log.String())
	}
}

func TestSiteRefMustBeWellFormed(t *testing.T) {
	for name, content := range map[string]string{
		"no url":        "sha256: " + strings.Repeat("a", 64) + "\n",
		"ftp":           "url: ftp://x/cloud.yaml\nsha256: " + strings.Repeat("a", 64) + "\n",
		"short hash":    "url: http://x/cloud.yaml\nsha256: abc\n",
		"unknown field": "url: http://x/cloud.yaml\nsha256: " + strings.Repeat("a", 64) + "\nsize: 3\n",
		"not yaml":      "\x00\x01",
	} {
		if _, err := ParseRef("site.ref", []byte(content)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
