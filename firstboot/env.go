package firstboot

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/system"
)

// Env is what every step is given: the facts of this host in its cloud (read only), the
// host's system (files, commands, waits, the log), MidoNet's API, and the record of earlier
// runs. Its methods are the few things steps share (starting a service with the inputs it
// read, editing a configuration file, waiting); what one step needs lives in that step's file.
type Env struct {
	opts     Options
	c        *cloud.Cloud
	host     cloud.Host
	top      roles.Topology
	plan     roles.Plan
	api      *midonet.Client
	siteHash string // of the site data (site.Hash): what "done" is relative to
	// state is what earlier runs finished, and what the services were started with.
	state *state
	// report is the run's report, kept and published as it goes (nil for --dry-run).
	report *reporter
	logMu  sync.Mutex // the reporter logs from a goroutine of its own
}

func (e *Env) logf(format string, args ...any) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	fmt.Fprintf(e.opts.Out, format+"\n", args...)
}

// wait retries try with the run's backoff, logging what it waits for; the report says it.
func (e *Env) wait(ctx context.Context, what string, try func(ctx context.Context) error) error {
	return system.Wait(ctx, e.opts.Backoff, e.logf, what, func(ctx context.Context) error {
		err := try(ctx)
		if err != nil && e.report != nil && system.IsRetryable(err) {
			e.report.waiting(what, err)
		}
		return err
	})
}

func (e *Env) cmd(ctx context.Context, stdin []byte, name string, args ...string) error {
	_, err := e.opts.Runner.Run(ctx, stdin, name, args...)
	return err
}

// enableStart enables and starts a unit (both are no-ops when already so). "systemctl enable"
// reloads systemd's whole configuration, which costs seconds of a busy boot (tens under
// emulation) each time; when systemd has the unit file as it is on disk (the usual case: the
// image or the packages brought it), linking it in for later boots needs no reload.
func (e *Env) enableStart(ctx context.Context, unit string) error {
	// systemctl enables a unit by its own name only: an alias (Debian's chrony.service has
	// the alias chronyd.service that EL7's unit is named) is refused.
	real := aliasOf(e, unit)
	enable := []string{"enable", real}
	if e.unitCurrent(ctx, unit) {
		enable = []string{"--no-reload", "enable", real}
	}
	if err := e.cmd(ctx, nil, "systemctl", enable...); err != nil {
		return err
	}
	return e.cmd(ctx, nil, "systemctl", "start", unit)
}

// aliasOf is the unit an alias link names (chronyd -> chrony), or the unit itself.
func aliasOf(e *Env, unit string) string {
	for _, d := range unitDirs {
		target, err := os.Readlink(e.opts.Root.Path(d + "/" + unit + ".service"))
		if err != nil {
			continue
		}
		if base := path.Base(target); strings.HasSuffix(base, ".service") && base != unit+".service" && target != "/dev/null" {
			return strings.TrimSuffix(base, ".service")
		}
		return unit
	}
	return unit
}

// unitCurrent is whether systemd has loaded the unit's file and it has not changed on disk
// since; anything else, or no answer, means a reload is needed.
func (e *Env) unitCurrent(ctx context.Context, unit string) bool {
	out, err := e.opts.Runner.Run(ctx, nil, "systemctl", "show", "-p", "LoadState", "-p", "NeedDaemonReload", unit)
	if err != nil {
		return false
	}
	props := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		props[strings.TrimSpace(line)] = true
	}
	return props["LoadState=loaded"] && props["NeedDaemonReload=no"]
}

// planContent is a file of the plan as the templates render it: what the hook falls back to
// when the image or the user-data did not put the file in place, and the source of the keys
// the hook owns in it.
func (e *Env) planContent(path string) string {
	for _, f := range e.plan.Files {
		if f.Path == path {
			return string(f.Content)
		}
	}
	return ""
}

// editFile applies edit to a configuration file as found on the host (from the image or the
// user-data, with the operator's template overrides), or to the plan's version when absent,
// and writes it back if that changes it.
func (e *Env) editFile(path string, edit func(string) string) (bool, error) {
	cur, err := e.opts.Root.Read(path)
	if err != nil {
		return false, err
	}
	if cur == nil {
		cur = []byte(e.planContent(path))
	}
	return e.opts.Root.Write(path, []byte(edit(string(cur))), 0o644)
}

func changed(path string, did bool) string {
	if did {
		return "wrote " + path
	}
	return path + " unchanged"
}

// zkClients are the ensemble's client addresses the hook connects to.
func (e *Env) zkClients() []string { return e.top.ZooKeeperClients(e.opts.ZooKeeperPort) }

// waitZooKeeper waits until some server of the ensemble serves clients.
func (e *Env) waitZooKeeper(ctx context.Context) error {
	addrs := e.zkClients()
	return e.wait(ctx, "ZooKeeper ("+strings.Join(addrs, ", ")+")", func(ctx context.Context) error {
		var last error
		for _, a := range addrs {
			if last = midonet.Serving(ctx, a); last == nil {
				return nil
			}
		}
		return system.Retryable(last)
	})
}

// mnConf runs mn-conf, retrying while it loses its ZooKeeper connection (exit status 3,
// its bootstrap timeout is one second).
func (e *Env) mnConf(ctx context.Context, stdin []byte, args ...string) error {
	return e.wait(ctx, "mn-conf "+strings.Join(args, " "), func(ctx context.Context) error {
		err := e.cmd(ctx, stdin, "mn-conf", args...)
		if err != nil && system.ExitCode(err) == 3 {
			return system.Retryable(fmt.Errorf("ZooKeeper connection lost (exit 3)"))
		}
		return err
	})
}

// settingsFile makes sure a settings file the hook reads (the NSDB settings, Cassandra's
// settings) is the one for this run's site data. The first run takes it as the user-data or
// the image wrote it (with any template override), or the plan's rendering if it is missing;
// a run with other site data than the file was taken for writes the plan's rendering, so a
// changed description is applied by re-running the hook with it. It reports whether it wrote.
func (e *Env) settingsFile(path string) (bool, error) {
	if e.state.Written == nil {
		e.state.Written = map[string]string{}
	}
	cur, err := e.opts.Root.Read(path)
	if err != nil {
		return false, err
	}
	was, known := e.state.Written[path]
	var did bool
	if cur == nil || known && was != e.siteHash {
		if did, err = e.opts.Root.Write(path, []byte(e.planContent(path)), 0o644); err != nil {
			return false, err
		}
	}
	e.state.Written[path] = e.siteHash
	return did, e.state.save(e.opts.Root)
}
