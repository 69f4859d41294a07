// Package firstboot is the hook that finishes a host on its first start: it reads the site
// data (the normalized cloud description), finds which host it runs on, and executes the
// first-boot steps of that host's plan in order. Each step checks before it acts and is
// recorded in a state file, so a re-run skips what is done and resumes what is not.
package firstboot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/preflight"
	"github.com/midobake/midobake/report"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
	"github.com/midobake/midobake/system"
)

// Options configures a run. The zero values of the optional fields are the real host's.
type Options struct {
	Site     []byte // the site data
	SiteName string // its file name, for messages
	Host     string // this host's name; "" identifies it from the host name and addresses
	DryRun   bool   // print what would be done, touch nothing
	// Step runs this one step of the host's, done or not (as cloud-init single --name runs
	// one module); "" runs them all.
	Step    StepName
	Timeout time.Duration
	// ApplyNetwork: on the CLC, also give Eucalyptus the network configuration with euctl
	// (once Eucalyptus is registered, which is usually after the first boot).
	ApplyNetwork bool

	Root          system.Root // default "/"
	API           string      // MidoNet REST API; default midonet.DefaultAPI
	ZooKeeperPort int         // default 2181
	CassandraPort int         // default 9042
	Templates     *roles.Templates
	Out           io.Writer // the log: one line per step
	Runner        system.Runner
	Identity      system.Identity
	Network       system.Network // the interfaces preflight reads
	// Ignore turns these failed preflight errors into warnings (with the host's
	// preflightIgnore in the site data).
	Ignore  []string
	HTTP    *http.Client
	Backoff system.Backoff
	// SiteURL is where the site data came from (the site reference's URL), if anywhere:
	// when it is serve's, the hook sends its report there too.
	SiteURL string
	// ReportGrace is how long the end of a run waits for ZooKeeper (and serve) to take the
	// last report; default 3s.
	ReportGrace time.Duration
	Now         func() time.Time
}

func (o *Options) defaults() error {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.API == "" {
		o.API = midonet.DefaultAPI
	}
	if o.ZooKeeperPort == 0 {
		o.ZooKeeperPort = roles.ZooKeeperPort
	}
	if o.CassandraPort == 0 {
		o.CassandraPort = 9042
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.Templates == nil {
		// The render's overrides, where the user-data or the image put them; else the
		// built-in templates.
		dir := o.Root.Path(roles.TemplatesPath)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			dir = ""
		}
		t, err := roles.NewTemplates(dir)
		if err != nil {
			return fmt.Errorf("%s: %w", roles.TemplatesPath, err)
		}
		o.Templates = t
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Runner == nil {
		o.Runner = system.ExecRunner{}
	}
	if o.Identity == nil {
		o.Identity = system.HostIdentity{}
	}
	if o.Network == nil {
		o.Network = system.HostNetwork{}
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Backoff == (system.Backoff{}) {
		o.Backoff = system.DefaultBackoff
	}
	if o.ReportGrace == 0 {
		o.ReportGrace = 3 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Run executes the hook. The returned error says which step failed and why; what was done
// before it stays recorded, so running again resumes there.
func Run(ctx context.Context, opts Options) error {
	if err := opts.defaults(); err != nil {
		return err
	}
	c, rep := cloud.Load(opts.SiteName, opts.Site)
	if c == nil {
		return fmt.Errorf("the site data is not a valid cloud description:\n%s", rep.Format(false))
	}
	e := &Env{opts: opts, c: c, siteHash: site.Hash(opts.Site), api: midonet.NewClient(opts.API, opts.HTTP)}

	how := "given with --host"
	if opts.Host != "" {
		h, ok := c.Host(opts.Host)
		if !ok {
			return fmt.Errorf("--host %s: no host of that name in %s", opts.Host, opts.SiteName)
		}
		e.host = h
	} else {
		h, found, err := site.Identify(c, opts.Identity)
		if err != nil {
			return fmt.Errorf("identify: %w", err)
		}
		e.host, how = h, "found by "+found
	}
	e.top = roles.Resolve(c)
	plans, err := roles.Plans(e.top, opts.Templates)
	if err != nil {
		return err
	}
	for _, p := range plans {
		if p.Profile == e.host.Profile() {
			e.plan = p
		}
	}
	steps := StepsFor(e.plan)
	if opts.Step != "" {
		one, err := onlyStep(steps, opts.Step, e)
		if err != nil {
			return err
		}
		steps = one
	}
	// What the real run would refuse, --dry-run refuses too: it must not promise a run that
	// cannot happen.
	if opts.ApplyNetwork && !e.host.Has(cloud.RoleCLC) {
		return fmt.Errorf("--apply-network: host %s is not the CLC, where euctl talks to Eucalyptus", e.host.Name)
	}
	if st, _ := loadState(opts.Root); st != nil && st.Host != "" && st.Host != e.host.Name {
		hint := ""
		if opts.DryRun {
			hint = "; to preview another host's first boot here, give --root an empty directory"
		}
		return fmt.Errorf("this machine was finished as host %s, not %s: refusing to give it another identity (remove %s to start over)%s", st.Host, e.host.Name, roles.StatePath, hint)
	}

	if opts.DryRun {
		e.logf("midobake firstboot --dry-run: host %s (profile %s, %s) of cloud %s; nothing is changed", e.host.Name, e.plan.Profile, how, c.Name)
		st, _ := loadState(opts.Root)
		if st == nil {
			st = &state{}
		}
		e.state = st
		for i, s := range steps {
			label := string(s.Name)
			switch d := decide(ctx, e, st, s); {
			case !d.run:
				label += " (done: skipped)"
			case opts.Step != "":
				label += " (--step: runs)"
			case d.why != "":
				label += " (" + strings.Replace(d.why, "done in an earlier run, but", "done, but", 1) + ": runs again)"
			}
			for j, line := range s.Describe(e) {
				if j == 0 {
					e.logf("%2d. %s: %s", i+1, label, line)
				} else {
					e.logf("    %s", line)
				}
			}
		}
		if opts.ApplyNetwork {
			e.logf("then: %s", describeApplyNetwork(e))
		}
		if opts.Host != "" {
			e.logf("preflight: not run (--host names the host: this machine may be another)")
		} else {
			e.preflight(context.Background())
		}
		return nil
	}
	unlock, err := e.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, warn := loadState(opts.Root)
	if warn != nil {
		if st == nil {
			return warn
		}
		e.logf("midobake: %v", warn)
	}
	st.Host, st.Site = e.host.Name, e.siteHash
	e.state = st

	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	e.logf("midobake firstboot: host %s (profile %s, %s) of cloud %s: %d steps", e.host.Name, e.plan.Profile, how, c.Name, len(steps))
	e.report = newReporter(e, steps)
	e.report.start()
	defer e.report.close(opts.ReportGrace)
	counts := map[string]int{}
	preflighted := false
	for i, s := range steps {
		prefix := fmt.Sprintf("[%d/%d] %s", i+1, len(steps), s.Name)
		e.report.begin(i, s.Name)
		switch d := decide(ctx, e, st, s); {
		case opts.Step != "":
			e.logf("%s: running it, as --step says", prefix)
		case !d.run:
			e.logf("%s: skipped (done in an earlier run)", prefix)
			e.report.finish(i, report.StepSkipped, d.why)
			counts["skipped"]++
			continue
		case d.why != "done for other site data" && d.why != "":
			e.logf("%s: %s: running it again", prefix, d.why)
		}
		// What the host must have is checked before the first step that changes anything: a
		// failed check stops the hook there. A run with nothing to do (every later boot)
		// changes nothing, and is not held up by what preflight would say.
		if !preflighted {
			preflighted = true
			if pre := e.preflight(ctx); pre.Errors() > 0 {
				e.logf("midobake firstboot: host %s stopped before step %s: preflight failed (%d done, %d skipped before it)", e.host.Name, s.Name, counts["done"], counts["skipped"])
				err := fmt.Errorf("preflight: %d check(s) failed on host %s; fix them, or if this host may do without, name them in its preflightIgnore (or --ignore), and run again: %s", pre.Errors(), e.host.Name, pre.Summary())
				e.report.failed(i, err)
				return err
			}
		}
		summary, err := s.Do(ctx, e)
		if err != nil {
			e.logf("%s: FAILED: %v", prefix, err)
			e.logf("midobake firstboot: host %s stopped at step %s; fix the cause and run again to resume (%d done, %d skipped before it)", e.host.Name, s.Name, counts["done"], counts["skipped"])
			e.report.failed(i, err)
			return fmt.Errorf("step %s: %w", s.Name, err)
		}
		st.Steps[s.Name] = e.siteHash
		if err := st.save(opts.Root); err != nil {
			return fmt.Errorf("step %s done, but recording it failed: %w", s.Name, err)
		}
		e.logf("%s: done (%s)", prefix, summary)
		e.report.finish(i, report.StepDone, summary)
		counts["done"]++
	}
	e.report.done()
	e.logf("midobake firstboot: host %s is finished: %d steps done, %d skipped", e.host.Name, counts["done"], counts["skipped"])
	if opts.ApplyNetwork {
		summary, err := applyNetwork(ctx, e)
		if err != nil {
			e.logf("apply-network: FAILED: %v", err)
			return fmt.Errorf("apply-network: %w", err)
		}
		e.logf("apply-network: %s", summary)
	}
	return nil
}

// preflight runs the checks of the host against what its roles need, logs what is not ok
// and keeps the report beside the state (for status, and for an operator who asks later).
func (e *Env) preflight(ctx context.Context) preflight.Report {
	rep := preflight.Run(ctx, preflight.Input{Cloud: e.c, Top: e.top, Host: e.host, Root: e.opts.Root,
		Runner: e.opts.Runner, Network: e.opts.Network, Packages: e.plan.Packages, Ignore: e.opts.Ignore})
	for _, r := range rep.Results {
		switch {
		case r.OK:
		case r.Failed():
			e.logf("preflight: ERROR %s: %s; need %s; fix: %s", r.ID, r.Saw, r.Need, r.Fix)
		case r.Ignored:
			e.logf("preflight: %s failed, ignored as the description or --ignore says: %s; need %s", r.ID, r.Saw, r.Need)
		default:
			e.logf("preflight: warning %s: %s; need %s", r.ID, r.Saw, r.Need)
		}
	}
	e.logf("preflight: %s", rep.Summary())
	if e.report != nil {
		e.report.preflight(rep.Summary())
	}
	if !e.opts.DryRun {
		if _, err := e.opts.Root.Write(roles.PreflightPath, rep.JSON(), 0o644); err != nil {
			e.logf("preflight: cannot keep the report in %s: %v", roles.PreflightPath, err)
		}
	}
	return rep
}

// lock keeps two runs (cloud-init's and the systemd unit's) from interleaving on one host.
func (e *Env) lock() (func(), error) {
	path := e.opts.Root.Path("/var/lib/midobake/lock")
	if err := os.MkdirAll(e.opts.Root.Path("/var/lib/midobake"), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		e.logf("midobake firstboot: another run holds %s; waiting for it", path)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// onlyStep is the host's step of that name, for --step: an unknown name, or a step this host
// does not run, is an error that lists what there is.
func onlyStep(steps []Step, name StepName, e *Env) ([]Step, error) {
	var names []string
	for _, s := range steps {
		if s.Name == name {
			return []Step{s}, nil
		}
		names = append(names, string(s.Name))
	}
	if _, known := registry[name]; !known {
		return nil, fmt.Errorf("--step %s: no step of that name; the steps are: %s", cloud.Printable(string(name), 60), strings.Join(StepNames(), ", "))
	}
	return nil, fmt.Errorf("--step %s: host %s (profile %s) does not run it; its steps are: %s", name, e.host.Name, e.plan.Profile, strings.Join(names, ", "))
}
