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
	"syscall"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// Options configures a run. The zero values of the optional fields are the real host's.
type Options struct {
	Site     []byte // the site data
	SiteName string // its file name, for messages
	Host     string // this host's name; "" identifies it from the host name and addresses
	DryRun   bool   // print what would be done, touch nothing
	Timeout  time.Duration
	// ApplyNetwork: on the CLC, also give Eucalyptus the network configuration with euctl
	// (once Eucalyptus is registered, which is usually after the first boot).
	ApplyNetwork bool

	Root          Root   // default "/"
	API           string // MidoNet REST API; default DefaultAPI
	ZooKeeperPort int    // default 2181
	CassandraPort int    // default 9042
	Templates     *roles.Templates
	Out           io.Writer // the log: one line per step
	Runner        Runner
	Identity      Identity
	HTTP          *http.Client
	Backoff       Backoff
}

func (o *Options) defaults() error {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.API == "" {
		o.API = DefaultAPI
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
		t, err := roles.NewTemplates("")
		if err != nil {
			return err
		}
		o.Templates = t
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Runner == nil {
		o.Runner = ExecRunner{}
	}
	if o.Identity == nil {
		o.Identity = HostIdentity{}
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Backoff == (Backoff{}) {
		o.Backoff = DefaultBackoff
	}
	return nil
}

// run is one execution of the hook on one host.
type run struct {
	opts  Options
	c     *cloud.Cloud
	host  cloud.Host
	top   roles.Topology
	plan  roles.Plan
	api   *apiClient
	site  string // hash of the site data: what "done" is relative to
	steps []step
	state *state // what earlier runs finished, and what the services were started with
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
	r := &run{opts: opts, c: c, site: siteHash(opts.Site), api: &apiClient{base: opts.API, http: opts.HTTP}}

	how := "given with --host"
	if opts.Host != "" {
		h, ok := c.Host(opts.Host)
		if !ok {
			return fmt.Errorf("--host %s: no host of that name in %s", opts.Host, opts.SiteName)
		}
		r.host = h
	} else {
		h, found, err := identify(c, opts.Identity)
		if err != nil {
			return fmt.Errorf("identify: %w", err)
		}
		r.host, how = h, "found by "+found
	}
	r.top = roles.Resolve(c)
	plans, err := roles.Plans(r.top, opts.Templates)
	if err != nil {
		return err
	}
	for _, p := range plans {
		if p.Profile == r.host.Profile() {
			r.plan = p
		}
	}
	r.steps = r.buildSteps()

	if opts.DryRun {
		r.logf("midobake firstboot --dry-run: host %s (profile %s, %s) of cloud %s; nothing is changed", r.host.Name, r.plan.Profile, how, c.Name)
		st, _ := loadState(opts.Root)
		if st == nil {
			st = &state{}
		}
		for i, s := range r.steps {
			label := string(s.name)
			switch done := st.Steps[s.name]; {
			case st.Host == r.host.Name && done == r.site:
				label += " (done: skipped)"
			case st.Host == r.host.Name && done != "":
				label += " (done for other site data: runs again)"
			}
			for j, line := range s.describe() {
				if j == 0 {
					r.logf("%2d. %s: %s", i+1, label, line)
				} else {
					r.logf("    %s", line)
				}
			}
		}
		if opts.ApplyNetwork {
			r.logf("then: %s", r.describeApplyNetwork())
		}
		return nil
	}
	if opts.ApplyNetwork && !r.host.Has(cloud.RoleCLC) {
		return fmt.Errorf("--apply-network: host %s is not the CLC, where euctl talks to Eucalyptus", r.host.Name)
	}

	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, warn := loadState(opts.Root)
	if warn != nil {
		if st == nil {
			return warn
		}
		r.logf("midobake: %v", warn)
	}
	if st.Host != "" && st.Host != r.host.Name {
		return fmt.Errorf("this machine was finished as host %s, not %s: refusing to give it another identity (remove %s to start over)", st.Host, r.host.Name, roles.StatePath)
	}
	st.Host, st.Site = r.host.Name, r.site
	r.state = st

	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	r.logf("midobake firstboot: host %s (profile %s, %s) of cloud %s: %d steps", r.host.Name, r.plan.Profile, how, c.Name, len(r.steps))
	counts := map[string]int{}
	for i, s := range r.steps {
		prefix := fmt.Sprintf("[%d/%d] %s", i+1, len(r.steps), s.name)
		if st.done(s.name, r.site) {
			r.logf("%s: skipped (done in an earlier run)", prefix)
			counts["skipped"]++
			continue
		}
		summary, err := s.do(ctx)
		if err != nil {
			r.logf("%s: FAILED: %v", prefix, err)
			r.logf("midobake firstboot: host %s stopped at step %s; fix the cause and run again to resume (%d done, %d skipped before it)", r.host.Name, s.name, counts["done"], counts["skipped"])
			return fmt.Errorf("step %s: %w", s.name, err)
		}
		st.Steps[s.name] = r.site
		if err := st.save(opts.Root); err != nil {
			return fmt.Errorf("step %s done, but recording it failed: %w", s.name, err)
		}
		r.logf("%s: done (%s)", prefix, summary)
		counts["done"]++
	}
	r.logf("midobake firstboot: host %s is finished: %d steps done, %d skipped", r.host.Name, counts["done"], counts["skipped"])
	if opts.ApplyNetwork {
		summary, err := r.applyNetwork(ctx)
		if err != nil {
			r.logf("apply-network: FAILED: %v", err)
			return fmt.Errorf("apply-network: %w", err)
		}
		r.logf("apply-network: %s", summary)
	}
	return nil
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.opts.Out, format+"\n", args...)
}

// lock keeps two runs (cloud-init's and the systemd unit's) from interleaving on one host.
func (r *run) lock() (func(), error) {
	path := r.opts.Root.Path("/var/lib/midobake/lock")
	if err := os.MkdirAll(r.opts.Root.Path("/var/lib/midobake"), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		r.logf("midobake firstboot: another run holds %s; waiting for it", path)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
