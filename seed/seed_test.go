package seed

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
)

func example(t *testing.T, kind emit.UserDataKind) (*cloud.Cloud, *emit.Tree, Seeds) {
	t.Helper()
	c, rep := cloud.Load(cloud.ExampleName, cloud.Example())
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	tree, err := emit.Render(c, cloud.Example(), emit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Build(c, tree, kind)
	if err != nil {
		t.Fatal(err)
	}
	return c, tree, s
}

// TestBuild: every host is served under its name and, with a MAC, under its MAC (other
// spellings of it are canonicalPath's), with its own meta-data and its profile's user-data
// of the kind asked for.
func TestBuild(t *testing.T) {
	for _, kind := range []emit.UserDataKind{emit.FullUserData, emit.BakedUserData} {
		c, tree, s := example(t, kind)
		for _, h := range c.Hosts {
			meta, _ := tree.Get("hosts/" + h.Name + "/meta-data")
			ud, _ := tree.Get("profiles/" + h.Profile() + "/user-data." + string(kind) + ".yaml")
			keys := []string{h.Name}
			if h.MAC != "" {
				keys = append(keys, h.MAC)
			}
			for _, k := range keys {
				if !bytes.Equal(s["/"+k+"/meta-data"], meta.Bytes()) || !bytes.Equal(s["/"+k+"/user-data"], ud.Bytes()) {
					t.Errorf("%s: seed under %s is not the host's", kind, k)
				}
				if v, ok := s["/"+k+"/vendor-data"]; !ok || len(v) != 0 {
					t.Errorf("%s: vendor-data under %s must be served empty", kind, k)
				}
			}
		}
	}
	if _, err := Build(&cloud.Cloud{Hosts: []cloud.Host{{Name: "ghost", Roles: []string{"nc"}}}}, emit.NewTree(), emit.FullUserData); err == nil {
		t.Error("a host with no rendered seed was accepted")
	}
}

// TestHandler: exact paths only, GET and HEAD only, one log line per request, and Swap
// replaces what is served.
func TestHandler(t *testing.T) {
	_, _, s := example(t, emit.FullUserData)
	var log bytes.Buffer
	h := NewHandler(s, &log)
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("GET", "/node1/meta-data"); code != 200 || !strings.Contains(body, "local-hostname: node1") {
		t.Errorf("GET meta-data: %d %q", code, body)
	}
	for _, path := range []string{"/node1/", "/", "/node1/../clc1/meta-data", "/NODE1/meta-data", "/node1/meta-data/x"} {
		if code, _ := get("GET", path); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if code, _ := get("POST", "/node1/meta-data"); code != 405 {
		t.Errorf("POST: %d, want 405", code)
	}
	if code, body := get("HEAD", "/node1/user-data"); code != 200 || body != "" {
		t.Errorf("HEAD: %d %q", code, body)
	}
	// The size, not chunks: HEAD tells it, and a large user-data comes with its length.
	resp, err := http.Head(srv.URL + "/node1/user-data")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := int64(len(s["/node1/user-data"])); resp.ContentLength != want || len(resp.TransferEncoding) != 0 {
		t.Errorf("HEAD user-data: Content-Length %d, transfer encoding %v; want %d, none", resp.ContentLength, resp.TransferEncoding, want)
	}
	h.Swap(Seeds{"/other/meta-data": []byte("x")})
	if code, _ := get("GET", "/node1/meta-data"); code != 404 {
		t.Errorf("after Swap the old seeds are still served: %d", code)
	}
	if lines := strings.Count(log.String(), "\n"); lines != 10 {
		t.Errorf("want one log line per request (10), got %d:\n%s", lines, log.String())
	}
}

// TestCanonicalPath: a MAC in a request is found whatever case and separators it comes in.
func TestCanonicalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/52:54:00:ab:cd:22/user-data":    "/52:54:00:ab:cd:22/user-data",
		"/52-54-00-AB-CD-22/user-data":    "/52:54:00:ab:cd:22/user-data",
		"/52:54:00:AB:cd:22/meta-data":    "/52:54:00:ab:cd:22/meta-data",
		"/01-52-54-00-ab-cd-22/user-data": "/52:54:00:ab:cd:22/user-data",
		"/node1/user-data":                "/node1/user-data",
		"/52-54-00-ab-cd/user-data":       "/52-54-00-ab-cd/user-data",
		"/02-52-54-00-ab-cd-22/user-data": "/02-52-54-00-ab-cd-22/user-data",
	} {
		if got := canonicalPath(in); got != want {
			t.Errorf("canonicalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBuildRefusesAmbiguousKeys: a host whose name reads as another host's MAC (validate
// refuses the description; this is the seed server's own guard) would get that host's seed:
// Build refuses to guess.
func TestBuildRefusesAmbiguousKeys(t *testing.T) {
	c, rep := cloud.Load(cloud.ExampleName, cloud.Example())
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	mac := ""
	for _, h := range c.Hosts {
		if h.Name == "node1" {
			mac = h.MAC
		}
	}
	for i, h := range c.Hosts {
		if h.Name == "node2" {
			c.Hosts[i].Name = strings.ReplaceAll(mac, ":", "-")
		}
	}
	tree, err := emit.Render(c, cloud.Example(), emit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(c, tree, emit.FullUserData); err == nil || !strings.Contains(err.Error(), "would be read as another lookup key") {
		t.Errorf("%v", err)
	}
}
