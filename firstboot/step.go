package firstboot

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/midobake/midobake/roles"
)

// Step is one first-boot step, all of it in one file (step_*.go), the way a cloud-init module
// holds its meta and its handler. A file registers its step with register; where it runs
// among the others is stepOrder's, and a host's steps are derived here, from stepOrder and
// RunsFor, and nowhere else.
type Step struct {
	// Name is recorded in state.json: never rename a step.
	Name StepName
	// Summary is what it does, in a line: firstboot --list and the README show it.
	Summary string
	// RunsFor names the roles (of the role table, roles.PlanHasAny) whose hosts run it:
	// any of them; none, every host.
	RunsFor []string
	// Describe is what it would do on this host, for --dry-run.
	Describe func(e *Env) []string
	// Check says whether its result holds on this host now, from what the host shows
	// without acting. The hook skips a step done with this site data unless its check says
	// the result no longer holds; status and preflight read the same checks.
	Check func(ctx context.Context, e *Env) Check
	// Do acts, and says in a few words what it did.
	Do func(ctx context.Context, e *Env) (string, error)
}

// Verdict is what a check found.
type Verdict int

const (
	// Unknown: the result cannot be seen from here without acting (a service's view of
	// ZooKeeper, the MidoNet API); the record of the run that did it stands.
	Unknown Verdict = iota
	// Holds: the result is there.
	Holds
	// Fails: the result is not there (a file edited by hand, a template changed).
	Fails
)

func (v Verdict) String() string {
	return [...]string{"unknown", "holds", "fails"}[v]
}

// Check is a verdict and what it is based on.
type Check struct {
	Verdict Verdict
	Detail  string
}

func holds(format string, args ...any) Check {
	return Check{Holds, fmt.Sprintf(format, args...)}
}

func fails(format string, args ...any) Check {
	return Check{Fails, fmt.Sprintf(format, args...)}
}

func unknown(format string, args ...any) Check {
	return Check{Unknown, fmt.Sprintf(format, args...)}
}

// holdsIf is Holds with ok, else Fails with why.
func holdsIf(ok bool, what, why string) Check {
	if ok {
		return Check{Holds, what}
	}
	return Check{Fails, why}
}

// StepName names a step in state.json and in the log.
type StepName string

// stepOrder is the order of the first-boot steps, top to bottom, in one place: a step that
// depends on another's result comes after it (the NSDB before what connects to it, the NSDB
// settings before Midolman reads them, Midolman's host id before its announcement, the
// announcements before the tunnel zone enrols them).
var stepOrder = []StepName{
	"identify",
	"firewall", // before the NSDB's peers and clients need its ports
	"time",     // before ZooKeeper's sessions and Cassandra's writes depend on the clock
	"zookeeper",
	"cassandra",
	"midonet-conf",
	"mn-conf-default", // needs ZooKeeper
	"midonet-cluster", // reads the NSDB settings
	"midolman",        // reads the NSDB settings; writes the host id
	"template",        // needs the host id
	"uplink",
	"announce",    // needs the host id
	"tunnel-zone", // enrols the announced hosts through midonet-cluster's API
	"network-config",
	"backup-schedule",
}

var registry = map[StepName]Step{}

// register adds a step; a duplicate name or a step stepOrder does not place is a programming
// error caught at start.
func register(s Step) {
	if _, dup := registry[s.Name]; dup {
		panic("firstboot: two steps named " + string(s.Name))
	}
	if !slices.Contains(stepOrder, s.Name) {
		panic("firstboot: step " + string(s.Name) + " has no place in stepOrder")
	}
	if s.Summary == "" || s.Describe == nil || s.Check == nil || s.Do == nil {
		panic("firstboot: step " + string(s.Name) + " is incomplete")
	}
	for _, r := range s.RunsFor {
		if !roles.RoleNamed(r) {
			panic("firstboot: step " + string(s.Name) + " runs for role " + r + ", which the role table does not have")
		}
	}
	registry[s.Name] = s
}

// AllSteps is every step, in order.
func AllSteps() []Step {
	out := make([]Step, 0, len(registry))
	for _, name := range stepOrder {
		if s, ok := registry[name]; ok {
			out = append(out, s)
		}
	}
	return out
}

// StepNames are the names of every step, in order.
func StepNames() []string {
	var out []string
	for _, s := range AllSteps() {
		out = append(out, string(s.Name))
	}
	return out
}

// List writes every step in order, a line each: what firstboot --list prints.
func List(w io.Writer) {
	for i, s := range AllSteps() {
		fmt.Fprintf(w, "%2d. %s: %s\n", i+1, s.Name, s.Summary)
	}
}

// decision is what a run does with a step: run it or skip it, and why. The dry run and the
// real run both take it from decide.
type decision struct {
	run bool
	// why it runs again though done ("" for a first run), or what its check saw when skipped
	why string
}

// decide: a step not done on this host runs; one done with other site data runs again; one
// done with this site data is skipped unless its check says its result no longer holds.
func decide(ctx context.Context, e *Env, st *state, s Step) decision {
	done := st.Steps[s.Name]
	switch {
	case st.Host != e.host.Name || done == "":
		return decision{run: true}
	case done != e.siteHash:
		return decision{run: true, why: "done for other site data"}
	}
	c := s.Check(ctx, e)
	if c.Verdict == Fails {
		return decision{run: true, why: "done in an earlier run, but " + c.Detail}
	}
	return decision{why: c.Detail}
}

// StepsFor is the steps a profile's hosts run, in order.
func StepsFor(p roles.Plan) []Step {
	var out []Step
	for _, s := range AllSteps() {
		if roles.PlanHasAny(p, s.RunsFor...) {
			out = append(out, s)
		}
	}
	return out
}
