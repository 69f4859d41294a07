package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/enrol"
	"github.com/midobake/midobake/roles"
)

// tunnel-zone: on the CLC, the cloud's tunnel zone and a first enrolment pass; then the
// enrolment service (midobake enrol), which enrols every later host whenever it comes.
func init() {
	register(Step{Name: "tunnel-zone", Summary: "on the CLC: the tunnel zone, created if missing, every host that is up enrolled at its tunnel address, midobake-enrol.service started",
		RunsFor:  []string{cloud.RoleCLC},
		Describe: describeTunnelZone, Do: doTunnelZone,
		Check: func(ctx context.Context, e *Env) Check {
			return unknown("the tunnel zone and its members are in MidoNet's API (%s)", e.opts.API)
		}})
}

// enroller is the CLC's enrolment, as this run reaches MidoNet.
func enroller(e *Env) *enrol.Enroller {
	return &enrol.Enroller{Top: e.top, API: e.api, ZooKeeper: e.zkClients(), Backoff: e.opts.Backoff, Logf: e.logf}
}

func describeTunnelZone(e *Env) []string {
	tz := e.c.Midonet.TunnelZone
	lines := []string{
		fmt.Sprintf("through %s: create tunnel zone %s (%s) if missing; enrol every host that has announced itself (or that MidoNet reports alive under a name of the description) with its tunnel address:", e.opts.API, tz.Name, tz.Type),
	}
	for _, h := range e.top.Agents {
		lines = append(lines, fmt.Sprintf("  %s with tunnel address %s", h.Name, h.TunnelAddress))
	}
	lines = append(lines, fmt.Sprintf("hosts not up yet are listed, not waited for: systemctl enable %s; systemctl start %s (midobake enrol: enrols them, and any later host, whenever they come)", roles.UnitEnrol, roles.UnitEnrol))
	return lines
}

// doTunnelZone makes the zone and enrols who is there; the CLC's own first boot ends here.
// Hosts still to come are the enrolment service's business: a host that is down today must
// not hold the CLC's hook for half an hour and then fail it.
func doTunnelZone(ctx context.Context, e *Env) (string, error) {
	want := e.c.Midonet.TunnelZone
	en := enroller(e)
	zone, err := en.EnsureZone(ctx)
	if err != nil {
		return "", err
	}
	var plan enrol.Plan
	if err := e.wait(ctx, "the MidoNet API and the announcements in ZooKeeper", func(ctx context.Context) error {
		var err error
		plan, err = en.Pass(ctx, zone)
		return err
	}); err != nil {
		return "", err
	}
	for _, f := range plan.Refused {
		e.logf("  refused %s: %s", cloud.Printable(f.Name, 80), f.Why)
	}
	if err := e.startService(ctx, roles.UnitEnrol); err != nil {
		return "", err
	}
	summary := fmt.Sprintf("tunnel zone %s (%s): %d hosts enrolled", want.Name, want.Type, len(plan.Enrolled)+len(plan.Actions))
	if len(plan.Pending) > 0 {
		summary += fmt.Sprintf("; pending, enrolled by %s when they come: %s", roles.UnitEnrol, strings.Join(plan.Pending, ", "))
	}
	return summary, nil
}
