package firstboot

import (
	"context"
	"fmt"
	"sort"

	"github.com/midobake/midobake/roles"
)

// Step is one first-boot step, all of it in one file (step_*.go), the way a cloud-init module
// holds its meta and its handler. A file registers its step with register; the ordered list
// of a host's steps is derived here, from Order and RunsOn, and nowhere else.
type Step struct {
	// Name is recorded in state.json: never rename a step.
	Name StepName
	// Order is its place among all steps: lower runs first. Steps that depend on another's
	// result (Midolman on the NSDB settings) come after it.
	Order int
	// RunsOn says which profiles run it, from the role facts of the plan.
	RunsOn func(p roles.Plan) bool
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

// always is RunsOn for the steps every host runs.
func always(roles.Plan) bool { return true }

// StepName names a step in state.json and in the log.
type StepName string

var registry = map[StepName]Step{}

// register adds a step; a duplicate name or order is a programming error caught at start.
func register(s Step) {
	if _, dup := registry[s.Name]; dup {
		panic("firstboot: two steps named " + string(s.Name))
	}
	for _, o := range registry {
		if o.Order == s.Order {
			panic(fmt.Sprintf("firstboot: steps %s and %s share order %d", o.Name, s.Name, s.Order))
		}
	}
	if s.RunsOn == nil || s.Describe == nil || s.Check == nil || s.Do == nil {
		panic("firstboot: step " + string(s.Name) + " is incomplete")
	}
	registry[s.Name] = s
}

// AllSteps is every step, in order.
func AllSteps() []Step {
	out := make([]Step, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out
}

// StepsFor is the steps a profile's hosts run, in order.
func StepsFor(p roles.Plan) []Step {
	var out []Step
	for _, s := range AllSteps() {
		if s.RunsOn(p) {
			out = append(out, s)
		}
	}
	return out
}
