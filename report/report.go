// Package report is a host's first-boot report: what its hook is doing or did, with which
// site data, and the state of the services its roles run. The hook keeps it on the host,
// publishes it in ZooKeeper (beside the announcements) and sends it to serve; status reads
// it. It is versioned JSON, bounded in size, carries no secret, and is never trusted beyond
// the host it names.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"time"
	"unicode/utf8"
)

// Version is the report format this midobake writes and reads.
const Version = 1

// MaxSize bounds one report, as written and as read.
const MaxSize = 16 << 10

// maxText bounds each free text in a report (an error, what a step waits for).
const maxText = 400

// Root is midobake's subtree in ZooKeeper; reports live under Root/<cloud>/reports/<host>.
const Root = "/midobake"

// Dir is where a cloud's reports are in ZooKeeper.
func Dir(cloudName string) string { return path.Join(Root, cloudName, "reports") }

// States of a first boot.
const (
	Running = "running" // at a step
	Waiting = "waiting" // at a step, waiting for something outside the host
	Failed  = "failed"  // stopped at a step
	Done    = "done"    // every step done
)

// Outcomes of a step.
const (
	StepDone    = "done"
	StepSkipped = "skipped" // done in an earlier run, and its check does not say otherwise
	StepFailed  = "failed"
	StepRunning = "running"
	StepPending = "pending"
)

// Report is one host's report.
type Report struct {
	Version    int    `json:"version"`
	Host       string `json:"host"`
	Cloud      string `json:"cloud"`
	Midobake   string `json:"midobake"`
	SiteSHA256 string `json:"siteSha256"`
	// Boot is the kernel's boot id: a new one is a new boot.
	Boot    string    `json:"boot,omitempty"`
	Started time.Time `json:"started"` // this run of the hook
	Updated time.Time `json:"updated"`
	// State is the first boot's: running, waiting, failed or done.
	State string `json:"state"`
	// Step is the step it is at (running, waiting) or stopped at (failed), 1-based Index of
	// Total steps.
	Step  string `json:"step,omitempty"`
	Index int    `json:"index,omitempty"`
	Total int    `json:"total"`
	// Since is when the current state began (waiting since, failed since).
	Since      time.Time `json:"since"`
	WaitingFor string    `json:"waitingFor,omitempty"`
	Error      string    `json:"error,omitempty"`
	Steps      []Step    `json:"steps"`
	// Services are the states of the cloud services this host runs, as the host sees them
	// (an NSDB host: its ZooKeeper's mode, its Cassandra answering).
	Services  []Service `json:"services,omitempty"`
	Preflight string    `json:"preflight,omitempty"`
}

// Step is one step's outcome.
type Step struct {
	Name    string    `json:"name"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail,omitempty"`
	At      time.Time `json:"at,omitempty"`
}

// Service is one service's state.
type Service struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// State is what it says of itself: leader, follower, standalone, answering, or why not.
	State string `json:"state"`
}

// Clip bounds a free text of a report to maxText bytes (on a rune boundary).
func Clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// Marshal is the report as stored and sent, with every text clipped; a report that would
// still exceed MaxSize loses its step details first, then is an error.
func (r Report) Marshal() ([]byte, error) {
	r.Version = Version
	r.WaitingFor, r.Error, r.Preflight = Clip(r.WaitingFor), Clip(r.Error), Clip(r.Preflight)
	steps := make([]Step, len(r.Steps))
	for i, s := range r.Steps {
		s.Detail = Clip(s.Detail)
		steps[i] = s
	}
	r.Steps = steps
	b, err := json.Marshal(r)
	if err == nil && len(b) > MaxSize {
		for i := range r.Steps {
			r.Steps[i].Detail = ""
		}
		b, err = json.Marshal(r)
	}
	if err == nil && len(b) > MaxSize {
		return nil, fmt.Errorf("report of host %s: %d bytes, at most %d", r.Host, len(b), MaxSize)
	}
	return b, err
}

// Parse reads the report stored under node name, or says why it is none: too large, not a
// report, of another version, or speaking for another host. What it returns is the host's
// own word about itself, nothing more.
func Parse(name string, data []byte) (Report, string) {
	var r Report
	if len(data) > MaxSize {
		return r, fmt.Sprintf("report of %d bytes, at most %d", len(data), MaxSize)
	}
	var head struct {
		Version int `json:"version"`
	}
	if json.Unmarshal(data, &head) != nil {
		return r, "report is not JSON"
	}
	if head.Version != Version {
		return r, fmt.Sprintf("report version %d; this midobake reads version %d", head.Version, Version)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Report{}, "report does not parse: " + Clip(err.Error())
	}
	switch {
	case r.Host != name:
		return Report{}, fmt.Sprintf("report under %q speaks for another host (%q)", Clip(name), Clip(r.Host))
	case r.State != Running && r.State != Waiting && r.State != Failed && r.State != Done:
		return Report{}, fmt.Sprintf("report has an unknown state %q", Clip(r.State))
	case r.Total < 0 || r.Index < 0 || r.Index > r.Total:
		return Report{}, fmt.Sprintf("report is at step %d of %d", r.Index, r.Total)
	}
	return r, ""
}
