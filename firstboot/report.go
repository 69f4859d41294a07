package firstboot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/version"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/report"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
)

// reporter keeps the host's report (report.Report) as the run goes: in ReportPath at every
// change, and in ZooKeeper and at serve (when the site data came from serve) from a goroutine
// of its own, as soon as each is reachable. Nothing it does holds up or fails the run: a host
// that cannot reach ZooKeeper keeps working, and publishes when it can (or at its next boot).
type reporter struct {
	e        *Env
	now      func() time.Time
	serveURL string // where serve takes this host's report; "" when the site data is not serve's

	mu  sync.Mutex
	rep report.Report

	kick    chan struct{} // the report changed
	closing chan struct{} // the run is over: publish the last and end
	giveUp  chan struct{} // close's grace is over
	stopped chan struct{}
}

func newReporter(e *Env, steps []Step) *reporter {
	now := e.opts.Now
	r := &reporter{e: e, now: now, serveURL: reportURL(e.opts.SiteURL, e.host.Name),
		kick: make(chan struct{}, 1), closing: make(chan struct{}), giveUp: make(chan struct{}), stopped: make(chan struct{})}
	boot, _ := e.opts.Root.Read("/proc/sys/kernel/random/boot_id")
	t := now().UTC()
	r.rep = report.Report{Host: e.host.Name, Cloud: e.c.Name, Midobake: version.Version, SiteSHA256: e.siteHash,
		Boot: strings.TrimSpace(string(boot)), Started: t, Updated: t, State: report.Running, Total: len(steps), Since: t}
	for _, s := range steps {
		r.rep.Steps = append(r.rep.Steps, report.Step{Name: string(s.Name), Outcome: report.StepPending})
	}
	return r
}

// reportURL is serve's address for a host's report, when the site data came from serve:
// /_report/NAME on the same server.
func reportURL(siteURL, host string) string {
	base := site.ServeBase(siteURL)
	if base == "" {
		return ""
	}
	return base + site.ReportPostPrefix + url.PathEscape(host)
}

// update changes the report and keeps it: in ReportPath now, elsewhere soon.
func (r *reporter) update(change func(rep *report.Report)) {
	r.mu.Lock()
	before, _ := r.rep.Marshal()
	change(&r.rep)
	r.rep.Updated = r.now().UTC()
	data, err := r.rep.Marshal()
	r.mu.Unlock()
	if err != nil || bytes.Equal(before, data) {
		return
	}
	if _, err := r.e.opts.Root.Write(roles.ReportPath, append(data, '\n'), 0o644); err != nil {
		r.e.logf("report: cannot keep it in %s: %v", roles.ReportPath, err)
	}
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// step i (0-based) begins.
func (r *reporter) begin(i int, name StepName) {
	r.update(func(rep *report.Report) {
		rep.State, rep.Step, rep.Index, rep.Since, rep.WaitingFor, rep.Error = report.Running, string(name), i+1, r.now().UTC(), "", ""
		rep.Steps[i].Outcome = report.StepRunning
	})
}

// waiting: the step waits for what, which said why not yet.
func (r *reporter) waiting(what string, why error) {
	text := report.Clip(cloud.Redact(what + ": " + why.Error()))
	r.update(func(rep *report.Report) {
		if rep.State != report.Waiting {
			rep.State, rep.Since = report.Waiting, r.now().UTC()
		}
		rep.WaitingFor = text
	})
}

// running says the run no longer waits (what it waited for came).
func (r *reporter) running() {
	r.update(func(rep *report.Report) {
		if rep.State == report.Waiting {
			rep.State, rep.WaitingFor = report.Running, ""
		}
	})
}

// finish records step i's outcome.
func (r *reporter) finish(i int, outcome, detail string) {
	r.update(func(rep *report.Report) {
		rep.Steps[i] = report.Step{Name: rep.Steps[i].Name, Outcome: outcome, Detail: cloud.Redact(detail), At: r.now().UTC()}
		if rep.State == report.Waiting {
			rep.State, rep.WaitingFor = report.Running, ""
		}
	})
}

// failed: the run stopped at step i (-1: before any) with err.
func (r *reporter) failed(i int, err error) {
	r.update(func(rep *report.Report) {
		rep.State, rep.Since, rep.WaitingFor, rep.Error = report.Failed, r.now().UTC(), "", cloud.Redact(err.Error())
		if i >= 0 {
			rep.Step, rep.Index = rep.Steps[i].Name, i+1
			rep.Steps[i] = report.Step{Name: rep.Steps[i].Name, Outcome: report.StepFailed, Detail: rep.Error, At: r.now().UTC()}
		}
	})
}

// done: every step is done.
func (r *reporter) done() {
	r.update(func(rep *report.Report) {
		rep.State, rep.Step, rep.Index, rep.Since, rep.WaitingFor, rep.Error = report.Done, "", 0, r.now().UTC(), "", ""
	})
}

func (r *reporter) preflight(summary string) {
	r.update(func(rep *report.Report) { rep.Preflight = summary })
}

// services are the states of this host's NSDB servers, as seen from the host itself.
func (r *reporter) services(ctx context.Context) []report.Service {
	var out []report.Service
	addr := r.e.host.Address
	if r.e.host.Has(cloud.RoleZooKeeper) {
		mode, err := midonet.Mode(ctx, fmt.Sprintf("%s:%d", addr, r.e.opts.ZooKeeperPort))
		s := report.Service{Name: "zookeeper", OK: err == nil, State: mode}
		if err != nil {
			s.State = report.Clip(err.Error())
		}
		out = append(out, s)
	}
	if r.e.host.Has(cloud.RoleCassandra) {
		err := midonet.TCPOpen(ctx, fmt.Sprintf("%s:%d", addr, r.e.opts.CassandraPort))
		s := report.Service{Name: "cassandra", OK: err == nil, State: "answering"}
		if err != nil {
			s.State = report.Clip("not answering: " + err.Error())
		}
		out = append(out, s)
	}
	return out
}

// start publishes the report from a goroutine until close.
func (r *reporter) start() { go r.publish() }

// close stops publishing: the last report goes out if ZooKeeper (and serve) take it within
// grace; else it waits in ReportPath for the next run.
func (r *reporter) close(grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	svc := r.services(ctx)
	cancel()
	r.update(func(rep *report.Report) { rep.Services = svc })
	close(r.closing)
	timer := time.AfterFunc(grace, func() { close(r.giveUp) })
	<-r.stopped
	timer.Stop()
}

func (r *reporter) latest() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	data, _ := r.rep.Marshal()
	return data
}

// publish is the goroutine that gets the latest report to ZooKeeper and serve, trying again
// at each change, at each change of the ZooKeeper connection and every second. Once close is
// called it ends as soon as both have the latest, or when close's grace is over.
func (r *reporter) publish() {
	defer close(r.stopped)
	conn, events, err := midonet.Dial(r.e.zkClients())
	if err != nil {
		r.e.logf("report: cannot start a ZooKeeper client: %v", err)
		events = nil
	} else {
		defer conn.Close()
	}
	said := map[string]bool{} // what was logged, once each
	say := func(key, format string, args ...any) {
		if !said[key] {
			said[key] = true
			r.e.logf(format, args...)
		}
	}
	client := &http.Client{Timeout: 3 * time.Second}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var zkHas, serveHas []byte
	var serveTried time.Time
	closing := false
	for {
		data := r.latest()
		if conn != nil && conn.State() == zk.StateHasSession && !bytes.Equal(zkHas, data) {
			if _, err := midonet.PutReport(conn, r.e.c.Name, r.e.host.Name, data); err != nil {
				say("zk-err", "report: publishing it in ZooKeeper failed (tried again): %v", err)
			} else {
				say("zk", "report: published in ZooKeeper at %s/%s (again at each change)", report.Dir(r.e.c.Name), r.e.host.Name)
				zkHas = data
			}
		}
		if r.serveURL != "" && !bytes.Equal(serveHas, data) && time.Since(serveTried) >= time.Second {
			serveTried = time.Now()
			if err := postReport(client, r.serveURL, data); err != nil {
				say("serve-err", "report: sending it to serve failed (tried again): %v", err)
			} else {
				say("serve", "report: sent to serve at %s (again at each change)", cloud.RedactURL(r.serveURL))
				serveHas = data
			}
		}
		current := bytes.Equal(zkHas, data) && (r.serveURL == "" || bytes.Equal(serveHas, data))
		if closing && current {
			return
		}
		var closeCh <-chan struct{}
		if !closing {
			closeCh = r.closing
		}
		select {
		case <-r.kick:
		case <-events:
		case <-tick.C:
		case <-closeCh:
			closing = true
		case <-r.giveUp:
			if !bytes.Equal(zkHas, data) {
				say("left", "report: ZooKeeper did not take the last report; it is kept in %s and published by the next run", roles.ReportPath)
			}
			return
		}
	}
}

// postReport sends the report to serve.
func postReport(client *http.Client, to string, data []byte) error {
	resp, err := client.Post(to, "application/json", bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, cloud.Printable(strings.TrimSpace(string(msg)), 200))
	}
	return nil
}
