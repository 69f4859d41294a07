package seed

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/report"
	"github.com/midobake/midobake/site"
)

func reportOf(host string) string {
	b, _ := report.Report{Host: host, State: report.Done, Total: 3, Updated: time.Unix(0, 0).UTC()}.Marshal()
	return string(b)
}

// TestReports: serve takes a host's report from that host's address only, bounded and
// speaking for that host, and lists what it took.
func TestReports(t *testing.T) {
	c, rep := cloud.Load("example.yaml", cloud.Example())
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	var log strings.Builder
	h := NewHandler(Seeds{}, &log)
	h.SetCloud(c)
	post := func(from, path, body string) (int, string) {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.RemoteAddr = from
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	for name, c := range map[string]struct {
		from, path, body string
		code             int
		says             string
	}{
		"its own":          {"10.111.5.21:40000", "/_report/node1", reportOf("node1"), 204, ""},
		"another address":  {"10.111.5.22:40000", "/_report/node1", reportOf("node1"), 403, "taken from 10.111.5.21 only"},
		"for another host": {"10.111.5.22:40000", "/_report/node2", reportOf("node1"), 400, "speaks for another host"},
		"unknown host":     {"10.111.5.99:40000", "/_report/x%1Bz", reportOf("x"), 404, `no host x\x1bz`},
		"oversized":        {"10.111.5.30:40000", "/_report/ufs1", strings.Repeat(" ", report.MaxSize+1), 413, "at most"},
		"not a report":     {"10.111.5.30:40000", "/_report/ufs1", `{"version":1,"host":"ufs1","state":"done","secret":1}`, 400, "does not parse"},
	} {
		code, body := post(c.from, c.path, c.body)
		if code != c.code || !strings.Contains(body, c.says) {
			t.Errorf("%s: %d %q, want %d saying %q", name, code, body, c.code, c.says)
		}
	}
	req := httptest.NewRequest("GET", site.ReportListPath, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	body, _ := io.ReadAll(w.Body)
	var list site.ReceivedList
	if err := json.Unmarshal(body, &list); err != nil || list.Version != 1 || len(list.Reports) != 1 || list.Reports[0].Name != "node1" || list.Reports[0].From != "10.111.5.21" {
		t.Fatalf("list: %s (%v)", body, err)
	}
	if w := httptest.NewRecorder(); true {
		h.ServeHTTP(w, httptest.NewRequest("GET", "/_report/node1", nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET of a report path: %d", w.Code)
		}
	}
	// A reload that drops the host drops its report.
	smaller := *c
	smaller.Hosts = c.Hosts[1:2]
	h.SetCloud(&smaller)
	h.SetCloud(c)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", site.ReportListPath, nil))
	if !strings.Contains(w.Body.String(), "node1") {
		t.Errorf("node1 is still described; its report went: %s", w.Body)
	}
}
