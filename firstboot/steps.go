package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/roles"
)

// step is one first-boot step: what it would do (for --dry-run) and doing it. Each lives in a
// file of its own (step_*.go); the plan says which run, in which order.
type step struct {
	name     roles.Step
	describe func() []string
	do       func(ctx context.Context) (string, error)
}

// buildSteps maps the plan's step names to their implementations, in the plan's order.
func (r *run) buildSteps() []step {
	impl := map[roles.Step]step{
		roles.StepIdentify:    {describe: r.describeIdentify, do: r.doIdentify},
		roles.StepZooKeeper:   {describe: r.describeZooKeeper, do: r.doZooKeeper},
		roles.StepCassandra:   {describe: r.describeCassandra, do: r.doCassandra},
		roles.StepMidonetConf: {describe: r.describeMidonetConf, do: r.doMidonetConf},
		roles.StepNSDBConfig:  {describe: r.describeNSDBConfig, do: r.doNSDBConfig},
		roles.StepCluster:     {describe: r.describeCluster, do: r.doCluster},
		roles.StepMidolman:    {describe: r.describeMidolman, do: r.doMidolman},
		roles.StepTemplate:    {describe: r.describeTemplate, do: r.doTemplate},
		roles.StepUplink:      {describe: r.describeUplink, do: r.doUplink},
		roles.StepAnnounce:    {describe: r.describeAnnounce, do: r.doAnnounce},
		roles.StepTunnelZone:  {describe: r.describeTunnelZone, do: r.doTunnelZone},
		roles.StepNetwork:     {describe: r.describeNetwork, do: r.doNetwork},
	}
	var steps []step
	for _, name := range r.plan.Steps {
		s, ok := impl[name]
		if !ok {
			panic("firstboot: the plan names a step with no implementation: " + string(name))
		}
		s.name = name
		steps = append(steps, s)
	}
	return steps
}

// --- what the steps share -------------------------------------------------------------------

func (r *run) cmd(ctx context.Context, stdin []byte, name string, args ...string) error {
	_, err := r.opts.Runner.Run(ctx, stdin, name, args...)
	return err
}

// enableStart enables and starts a unit (both are no-ops when already so). "systemctl enable"
// reloads systemd's whole configuration, which costs seconds of a busy boot (tens under
// emulation) each time; when systemd has the unit file as it is on disk (the usual case: the
// image or the packages brought it), linking it in for later boots needs no reload.
func (r *run) enableStart(ctx context.Context, unit string) error {
	enable := []string{"enable", unit}
	if r.unitCurrent(ctx, unit) {
		enable = []string{"--no-reload", "enable", unit}
	}
	if err := r.cmd(ctx, nil, "systemctl", enable...); err != nil {
		return err
	}
	return r.cmd(ctx, nil, "systemctl", "start", unit)
}

// unitCurrent is whether systemd has loaded the unit's file and it has not changed on disk
// since; anything else, or no answer, means a reload is needed.
func (r *run) unitCurrent(ctx context.Context, unit string) bool {
	out, err := r.opts.Runner.Run(ctx, nil, "systemctl", "show", "-p", "LoadState", "-p", "NeedDaemonReload", unit)
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
func (r *run) planContent(path string) string {
	for _, f := range r.plan.Files {
		if f.Path == path {
			return string(f.Content)
		}
	}
	return ""
}

// editFile applies edit to a configuration file as found on the host (from the image or the
// user-data, with the operator's template overrides), or to the plan's version when absent,
// and writes it back if that changes it.
func (r *run) editFile(path string, edit func(string) string) (bool, error) {
	cur, err := r.opts.Root.Read(path)
	if err != nil {
		return false, err
	}
	if cur == nil {
		cur = []byte(r.planContent(path))
	}
	return r.opts.Root.Write(path, []byte(edit(string(cur))), 0o644)
}

func changed(path string, did bool) string {
	if did {
		return "wrote " + path
	}
	return path + " unchanged"
}

// zkClients are the ensemble's client addresses the hook connects to.
func (r *run) zkClients() []string { return r.top.ZooKeeperClients(r.opts.ZooKeeperPort) }

// waitZooKeeper waits until some server of the ensemble serves clients.
func (r *run) waitZooKeeper(ctx context.Context) error {
	addrs := r.zkClients()
	return r.wait(ctx, "ZooKeeper ("+strings.Join(addrs, ", ")+")", func(ctx context.Context) error {
		var last error
		for _, a := range addrs {
			if last = zkServing(ctx, a); last == nil {
				return nil
			}
		}
		return retryable(last)
	})
}

// mnConf runs mn-conf, retrying while it loses its ZooKeeper connection (exit status 3,
// its bootstrap timeout is one second).
func (r *run) mnConf(ctx context.Context, stdin []byte, args ...string) error {
	return r.wait(ctx, "mn-conf "+strings.Join(args, " "), func(ctx context.Context) error {
		err := r.cmd(ctx, stdin, "mn-conf", args...)
		if err != nil && exitCode(err) == 3 {
			return retryable(fmt.Errorf("ZooKeeper connection lost (exit 3)"))
		}
		return err
	})
}

// settingsFile makes sure a settings file the hook reads (the NSDB settings, Cassandra's
// settings) is the one for this run's site data. The first run takes it as the user-data or
// the image wrote it (with any template override), or the plan's rendering if it is missing;
// a run with other site data than the file was taken for writes the plan's rendering, so a
// changed description is applied by re-running the hook with it. It reports whether it wrote.
func (r *run) settingsFile(path string) (bool, error) {
	if r.state.Written == nil {
		r.state.Written = map[string]string{}
	}
	cur, err := r.opts.Root.Read(path)
	if err != nil {
		return false, err
	}
	was, known := r.state.Written[path]
	var did bool
	if cur == nil || known && was != r.site {
		if did, err = r.opts.Root.Write(path, []byte(r.planContent(path)), 0o644); err != nil {
			return false, err
		}
	}
	r.state.Written[path] = r.site
	return did, r.state.save(r.opts.Root)
}
