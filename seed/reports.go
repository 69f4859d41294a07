package seed

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/report"
	"github.com/midobake/midobake/site"
)

// Hosts that boot from serve send it their first-boot reports (package report), so that a
// host that never reaches ZooKeeper (a firewall, a wrong address) is still seen, with the
// reason, by "midobake status --serve". serve takes a host's report only from that host's
// address in the description, keeps the last one of each host (so at most one bounded report
// per host of the description), and lists them all.

// SetCloud says which hosts may report, and from where: the description's names and
// addresses. Reports of hosts it no longer names are dropped.
func (h *Handler) SetCloud(c *cloud.Cloud) {
	addrs := map[string]netip.Addr{}
	for _, host := range c.Hosts {
		if a, err := netip.ParseAddr(host.Address); err == nil {
			addrs[host.Name] = a
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cloudName, h.addrs = c.Name, addrs
	for name := range h.reports {
		if _, ok := addrs[name]; !ok {
			delete(h.reports, name)
		}
	}
}

// acceptReport takes a host's report: from that host's address only, bounded, and a report
// of that host (report.Parse).
func (h *Handler) acceptReport(w http.ResponseWriter, r *http.Request, name string) (int, int) {
	h.mu.RLock()
	want, known := h.addrs[name]
	h.mu.RUnlock()
	if !known {
		return refuse(w, http.StatusNotFound, fmt.Sprintf("no host %s in the description", cloud.Printable(name, 80)))
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	from, err := netip.ParseAddr(host)
	if err != nil || from.Unmap() != want {
		return refuse(w, http.StatusForbidden, fmt.Sprintf("a report of host %s is taken from %s only", cloud.Printable(name, 80), want))
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, report.MaxSize+1))
	if err != nil {
		return refuse(w, http.StatusBadRequest, "reading the report: "+cloud.Printable(err.Error(), 200))
	}
	if len(data) > report.MaxSize {
		return refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a report is at most %d bytes", report.MaxSize))
	}
	if _, why := report.Parse(name, data); why != "" {
		return refuse(w, http.StatusBadRequest, cloud.Printable(why, 300))
	}
	h.mu.Lock()
	if h.reports == nil {
		h.reports = map[string]site.Received{}
	}
	h.reports[name] = site.Received{Name: name, From: from.String(), Received: time.Now().UTC(), Report: json.RawMessage(data)}
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent, 0
}

// listReports answers site.ReportListPath: every report kept, by name.
func (h *Handler) listReports(w http.ResponseWriter, r *http.Request) (int, int) {
	h.mu.RLock()
	list := site.ReceivedList{Version: report.Version, Cloud: h.cloudName, Reports: []site.Received{}}
	for _, rec := range h.reports {
		list.Reports = append(list.Reports, rec)
	}
	h.mu.RUnlock()
	sort.Slice(list.Reports, func(i, j int) bool { return list.Reports[i].Name < list.Reports[j].Name })
	body, _ := json.Marshal(list)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodGet {
		w.Write(body)
	}
	return http.StatusOK, len(body)
}

func refuse(w http.ResponseWriter, status int, why string) (int, int) {
	http.Error(w, strings.TrimSpace(why), status)
	return status, 0
}
