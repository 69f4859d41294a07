// Package seed serves NoCloud-net seeds for PXE-booted hosts: cloud-init, given
// ds=nocloud-net;s=http://HOST:PORT/NAME/ on the kernel command line, fetches NAME/meta-data,
// NAME/user-data and NAME/vendor-data. NAME is a host's name or its MAC address.
package seed

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/site"
)

// Seeds are the documents served, by URL path ("/node1/user-data").
type Seeds map[string][]byte

// SitePath is where the site data is served, for user-data rendered with --site-url
// (http://HOST:PORT/site/): a path no host's seed can take, as seeds are NAME/*-data.
const SitePath = "/" + emit.SiteDataPath

// Build makes the seeds of every host from a rendered tree: under the host's name and, when
// it has one, under its MAC (requests may write it as PXE firmware and DHCP logs do: see
// canonicalPath); and the site data at SitePath.
func Build(c *cloud.Cloud, tree *emit.Tree, kind emit.UserDataKind) (Seeds, error) {
	site, ok := tree.Get(emit.SiteDataPath)
	if !ok {
		return nil, fmt.Errorf("no site data rendered")
	}
	s := Seeds{SitePath: site.Bytes()}
	// One copy of each profile's user-data, whichever hosts it serves (Bytes joins its parts).
	userData := map[string][]byte{}
	for _, h := range c.Hosts {
		meta, ok := tree.Get("hosts/" + h.Name + "/meta-data")
		if !ok {
			return nil, fmt.Errorf("no seed rendered for host %s", h.Name)
		}
		udPath := emit.UserDataPath(h.Profile(), kind)
		ud, ok := userData[udPath]
		if !ok {
			f, found := tree.Get(udPath)
			if !found {
				return nil, fmt.Errorf("no %s user-data rendered for profile %s", kind, h.Profile())
			}
			ud = f.Bytes()
			userData[udPath] = ud
		}
		keys := []string{h.Name}
		if h.MAC != "" {
			keys = append(keys, h.MAC)
		}
		for _, k := range keys {
			// Every key is one only this host answers to, as a request for it is read: a
			// name that reads as another host's MAC (validate refuses it) or a key already
			// taken would hand one host another's seed.
			if path := canonicalPath("/" + k + "/meta-data"); path != "/"+k+"/meta-data" || s[path] != nil {
				return nil, fmt.Errorf("host %s: %s would be read as another lookup key; serve refuses to guess whose seed it is", cloud.Printable(h.Name, 80), cloud.Printable(k, 80))
			}
			s["/"+k+"/meta-data"] = meta.Bytes()
			s["/"+k+"/user-data"] = ud
			s["/"+k+"/vendor-data"] = []byte{} // none: an empty document, not a 404
		}
	}
	return s, nil
}

// Handler serves seeds by exact path: anything else is 404, so there is no listing and no
// way to climb out of the seed set. It is safe for concurrent use and swappable (SIGHUP).
type Handler struct {
	mu    sync.RWMutex
	seeds Seeds
	log   io.Writer
	// What hosts report (reports.go): who may, from where, and the last of each.
	cloudName string
	addrs     map[string]netip.Addr
	reports   map[string]site.Received
}

// NewHandler serves the seeds and logs one line per request to log.
func NewHandler(s Seeds, log io.Writer) *Handler { return &Handler{seeds: s, log: log} }

// Swap replaces the seeds being served.
func (h *Handler) Swap(s Seeds) {
	h.mu.Lock()
	h.seeds = s
	h.mu.Unlock()
}

// ServeHTTP serves one document and logs one line; what the client sent is made printable
// first (a newline in a path would forge a log line).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status, size := h.serve(w, r)
	fmt.Fprintf(h.log, "%s %s %s %d %dB %s\n", cloud.Printable(r.RemoteAddr, 64), cloud.Printable(r.Method, 16),
		cloud.Printable(r.URL.Path, 200), status, size, time.Since(start).Round(time.Microsecond))
}

// macSegment is a MAC address as PXE firmware, DHCP logs and pxelinux write it: any case,
// colons or dashes, pxelinux's "01-" (Ethernet) prefix.
var macSegment = regexp.MustCompile(`^(?:01-)?([0-9A-Fa-f]{2})[:-]([0-9A-Fa-f]{2})[:-]([0-9A-Fa-f]{2})[:-]([0-9A-Fa-f]{2})[:-]([0-9A-Fa-f]{2})[:-]([0-9A-Fa-f]{2})$`)

// canonicalPath writes a path's first segment, if it is a MAC address, as the description
// does: lower case with colons.
func canonicalPath(p string) string {
	seg, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	m := macSegment.FindStringSubmatch(seg)
	if m == nil {
		return p
	}
	return "/" + strings.ToLower(strings.Join(m[1:], ":")) + "/" + rest
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (int, int) {
	if name, ok := strings.CutPrefix(r.URL.Path, site.ReportPostPrefix); ok {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			return refuse(w, http.StatusMethodNotAllowed, "method not allowed")
		}
		return h.acceptReport(w, r, name)
	}
	if r.URL.Path == site.ReportListPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		return h.listReports(w, r)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return http.StatusMethodNotAllowed, 0
	}
	h.mu.RLock()
	body, ok := h.seeds[canonicalPath(r.URL.Path)]
	h.mu.RUnlock()
	if !ok {
		http.NotFound(w, r)
		return http.StatusNotFound, 0
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Its length, not chunks: a client (and HEAD) knows the size of a large user-data.
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodGet {
		w.Write(body)
	}
	return http.StatusOK, len(body)
}
