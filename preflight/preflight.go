// Package preflight checks a host against what its roles need before anything changes on it:
// memory and disk as the Eucalyptus MidoNet guide sizes them, the ports its services listen
// on, the tunnel address and its MTU, a real uplink NIC, Midolman's datapath module, the
// clock. "midobake preflight" prints the checks; the first-boot hook runs the same ones first
// and stops on an error before it changes anything. Every check has a stable ID (listed in
// cloud.PreflightChecks, where the description's preflightIgnore is validated) and says what
// it saw, what is needed and how to fix it. Checks read the host through the same root,
// command runner and network the hook's steps use, so tests run them on a temporary root.
package preflight

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/system"
)

// Severity is how much a failed check matters: an error stops the hook (unless ignored), a
// warning is logged.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Result is what one check found.
type Result struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"` // what a failure of it is
	OK       bool     `json:"ok"`
	// Ignored: a failed error check that --ignore or preflightIgnore turned into a warning.
	Ignored bool   `json:"ignored,omitempty"`
	Saw     string `json:"saw"`           // what the host shows
	Need    string `json:"need"`          // what the host's roles need
	Fix     string `json:"fix,omitempty"` // how to fix it, when it failed
}

// Failed reports whether the result stops the hook: a failed error check not ignored.
func (r Result) Failed() bool { return !r.OK && r.Severity == Error && !r.Ignored }

// Input is the host to check and how to read it.
type Input struct {
	Cloud   *cloud.Cloud
	Top     roles.Topology
	Host    cloud.Host
	Root    system.Root
	Runner  system.Runner
	Network system.Network
	// Packages are what the host's plan installs (roles.HostPackages): each must be there.
	Packages []string
	// Ignore turns these failed error checks into warnings (with the host's preflightIgnore).
	Ignore []string
}

// Report is every check's result for one host.
type Report struct {
	Version int      `json:"version"` // of this JSON form: 1
	Host    string   `json:"host"`
	Results []Result `json:"checks"`
}

// Errors counts the failed error checks that were not ignored.
func (r Report) Errors() int {
	n := 0
	for _, x := range r.Results {
		if x.Failed() {
			n++
		}
	}
	return n
}

// check is one check: its ID, its severity, and the function that looks.
type check struct {
	id       string
	severity Severity
	run      func(ctx context.Context, in Input) (ok bool, saw, need, fix string)
}

// checks, in the order they are reported (cloud.PreflightChecks', a test holds them equal).
var checks = []check{
	{cloud.PreflightPackages, Error, checkPackages},
	{cloud.PreflightSystemd, Warning, checkSystemd},
	{cloud.PreflightMemory, Error, checkMemory},
	{cloud.PreflightDisk, Error, checkDisk},
	{cloud.PreflightPorts, Error, checkPorts},
	{cloud.PreflightTunnelAddress, Error, checkTunnelAddress},
	{cloud.PreflightTunnelMTU, Warning, checkTunnelMTU},
	{cloud.PreflightUplinkNIC, Error, checkUplinkNIC},
	{cloud.PreflightOpenvswitch, Error, checkOpenvswitch},
	{cloud.PreflightClock, Warning, checkClock},
}

// CheckUnknownIDs says which of ids are no check's, for a usage error that lists the known.
func CheckUnknownIDs(ids []string) []string {
	var bad []string
	for _, id := range ids {
		known := false
		for _, c := range checks {
			known = known || c.id == id
		}
		if !known {
			bad = append(bad, id)
		}
	}
	return bad
}

// Run runs every check for the host.
func Run(ctx context.Context, in Input) Report {
	if in.Root == "" {
		in.Root = "/"
	}
	if in.Runner == nil {
		in.Runner = system.ExecRunner{}
	}
	if in.Network == nil {
		in.Network = system.HostNetwork{}
	}
	ignore := map[string]bool{}
	for _, id := range append(append([]string{}, in.Host.PreflightIgnore...), in.Ignore...) {
		ignore[id] = true
	}
	rep := Report{Version: 1, Host: in.Host.Name}
	for _, c := range checks {
		ok, saw, need, fix := c.run(ctx, in)
		r := Result{ID: c.id, Severity: c.severity, OK: ok, Saw: cloud.Printable(saw, 300), Need: need}
		if !ok {
			r.Fix = fix
			r.Ignored = c.severity == Error && ignore[c.id]
		}
		rep.Results = append(rep.Results, r)
	}
	return rep
}

// Text writes the report for a person: one line per check, then what to do for each failure.
func (r Report) Text(w io.Writer) {
	fmt.Fprintf(w, "preflight of host %s:\n", r.Host)
	for _, x := range r.Results {
		status := "ok"
		switch {
		case x.OK:
		case x.Ignored:
			status = "IGNORED"
		case x.Severity == Error:
			status = "ERROR"
		default:
			status = "WARNING"
		}
		fmt.Fprintf(w, "  %-8s %-15s %s (need: %s)\n", status, x.ID, x.Saw, x.Need)
		if !x.OK && x.Fix != "" {
			fmt.Fprintf(w, "           %-15s fix: %s\n", "", x.Fix)
		}
	}
	fmt.Fprintf(w, "preflight of host %s: %s\n", r.Host, r.Summary())
}

// Summary is the report in one line: errors, ignored, warnings.
func (r Report) Summary() string {
	var errs, ignored, warned []string
	for _, x := range r.Results {
		switch {
		case x.Failed():
			errs = append(errs, x.ID)
		case x.Ignored:
			ignored = append(ignored, x.ID)
		case !x.OK:
			warned = append(warned, x.ID)
		}
	}
	list := func(n []string) string {
		if len(n) == 0 {
			return ""
		}
		sort.Strings(n)
		return " (" + strings.Join(n, ", ") + ")"
	}
	return fmt.Sprintf("%d errors%s, %d ignored%s, %d warnings%s", len(errs), list(errs), len(ignored), list(ignored), len(warned), list(warned))
}

// JSON is the report for a script (version 1: host, checks with id, severity, ok, ignored,
// saw, need, fix).
func (r Report) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return append(b, '\n')
}
