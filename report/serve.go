package report

import (
	"encoding/json"
	"time"
)

// Serve's wire for reports: hosts that boot from serve send it their reports, and status
// asks it for them. Defined here, beside the report itself, so that a reader of reports
// (status) needs nothing of serve (the seeds, the emitter, the template engine).

// ServePostPrefix is where a host POSTs its report: ServePostPrefix + NAME. No seed can take
// it: a host name never starts with "_".
const ServePostPrefix = "/_report/"

// ServeListPath lists the reports serve received (GET).
const ServeListPath = "/_reports"

// Received is a report as serve keeps it.
type Received struct {
	Name     string          `json:"name"`
	From     string          `json:"from"`
	Received time.Time       `json:"received"`
	Report   json.RawMessage `json:"report"`
}

// ReceivedList is what ServeListPath answers: versioned like the reports themselves.
type ReceivedList struct {
	Version int        `json:"version"`
	Cloud   string     `json:"cloud"`
	Reports []Received `json:"reports"`
}
