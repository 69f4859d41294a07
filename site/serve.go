package site

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Serve's wire for reports: hosts that boot from serve send it their reports, and status
// asks it for them. Defined here, where the hook, serve and status all read it, so that a
// reader of reports (status) needs nothing of serve (the seeds, the emitter, the templates).

// ReportPostPrefix is where a host POSTs its report: ReportPostPrefix + NAME. No seed can take
// it: a host name never starts with "_".
const ReportPostPrefix = "/_report/"

// ReportListPath lists the reports serve received (GET).
const ReportListPath = "/_reports"

// Received is a report as serve keeps it.
type Received struct {
	Name     string          `json:"name"`
	From     string          `json:"from"`
	Received time.Time       `json:"received"`
	Report   json.RawMessage `json:"report"`
}

// ReceivedList is what ReportListPath answers: versioned like the reports themselves.
type ReceivedList struct {
	Version int        `json:"version"`
	Cloud   string     `json:"cloud"`
	Reports []Received `json:"reports"`
}

// ServeBase is the base URL of the midobake serve a site URL names (one ending in
// /site/cloud.yaml), or "" when the site data did not come from serve.
func ServeBase(siteURL string) string {
	u, err := url.Parse(siteURL)
	if siteURL == "" || err != nil || !strings.HasSuffix(u.Path, "/"+ServePath) {
		return ""
	}
	u.Path = strings.TrimSuffix(u.Path, ServePath)
	u.RawPath, u.RawQuery, u.Fragment, u.User = "", "", "", nil
	return strings.TrimSuffix(u.String(), "/")
}
