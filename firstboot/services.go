package firstboot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/midobake/midobake/roles"
)

// Services read their configuration once, at start: a re-run that rewrites a file must
// restart the service that reads it, and only that one. The state records, per service, a
// hash of every input it was last (re)started with; a service is restarted exactly when one
// of them differs now. Comparing contents rather than "did this run write the file" keeps the
// decision right when a run was killed between writing a file and restarting its service.

// serviceInputs names what each service reads at start, with a hash of each as it is now.
func (e *Env) serviceInputs(unit string) (map[string]string, error) {
	files := map[string][]string{
		roles.UnitZooKeeper: {roles.ZooCfgPath, roles.ZooKeeperDataDir + "/myid"},
		roles.UnitCassandra: {roles.CassandraYAMLPath},
		roles.UnitCluster:   {roles.MidonetConfPath, roles.NSDBConfPath, roles.ClusterEnvPath},
		roles.UnitMidolman:  {roles.MidolmanConfPath, roles.MidolmanEnvPath},
		roles.UnitEnrol:     {roles.EnrolUnitPath},
	}[unit]
	in := map[string]string{}
	for _, p := range files {
		b, err := e.opts.Root.Read(p)
		if err != nil {
			return nil, err
		}
		in[p] = hashString(string(b))
	}
	switch unit {
	case roles.UnitMidolman:
		// Midolman reads the NSDB settings from ZooKeeper at start, and its template.
		in["the NSDB servers"] = hashString(zkHostsSetting(e) + " " + strings.Join(e.top.CassandraServers(), ","))
		in["the Midolman template"] = hashString(e.state.Template)
	case roles.UnitEnrol:
		in["the site data"] = e.siteHash
	}
	return in, nil
}

func hashString(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// changedInputs lists the inputs that differ between two records.
func changedInputs(before, now map[string]string) []string {
	var out []string
	for k, v := range now {
		if before[k] != v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// startService brings a service up with its configuration as it is now: enabled and started
// the first time, restarted when an input changed since it was last (re)started (the log says
// which), else started, which leaves a running service alone.
func (e *Env) startService(ctx context.Context, unit string) error {
	now, err := e.serviceInputs(unit)
	if err != nil {
		return err
	}
	before, known := e.state.Inputs[unit]
	switch diff := changedInputs(before, now); {
	case !known:
		if err := e.enableStart(ctx, unit); err != nil {
			return err
		}
	case len(diff) > 0:
		restart := func() error { return e.cmd(ctx, nil, "systemctl", "restart", unit) }
		if servers, back, ok := e.rollingUnit(unit); ok {
			restart = func() error { return e.restartRolling(ctx, unit, servers, back) }
		}
		if err := restart(); err != nil {
			return err
		}
		e.logf("  restarted %s: %s changed", unit, strings.Join(diff, ", "))
	default:
		if err := e.cmd(ctx, nil, "systemctl", "start", unit); err != nil {
			return err
		}
	}
	e.state.Inputs[unit] = now
	return e.state.save(e.opts.Root)
}

// describeService says, for --dry-run, what startService will decide from what is on the host
// now (a step that rewrites a file before it may add to the reasons).
func (e *Env) describeService(unit string) string {
	st, _ := loadState(e.opts.Root)
	if e.state == nil {
		e.state = st
	}
	if st == nil || st.Host != e.host.Name || st.Inputs[unit] == nil {
		// As enableStart will decide: without a reload when systemd has the unit as it is
		// on disk (asked now, read only).
		if e.unitCurrent(context.Background(), unit) {
			return fmt.Sprintf("systemctl --no-reload enable %s; systemctl start %s (systemd has the unit as on disk: no reload)", unit, unit)
		}
		return fmt.Sprintf("systemctl enable %s; systemctl start %s", unit, unit)
	}
	now, err := e.serviceInputs(unit)
	if err != nil {
		return fmt.Sprintf("systemctl start %s (cannot read its inputs: %v)", unit, err)
	}
	if diff := changedInputs(st.Inputs[unit], now); len(diff) > 0 {
		how := ""
		if servers, _, ok := e.rollingUnit(unit); ok && servers > 1 {
			how = " (holding the NSDB restart lock in ZooKeeper until it serves again)"
		}
		return fmt.Sprintf("systemctl restart %s%s: %s changed since it started", unit, how, strings.Join(diff, ", "))
	}
	var names []string
	for k := range now {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Sprintf("systemctl start %s; restarted instead if the step changes %s", unit, strings.Join(names, ", "))
}
