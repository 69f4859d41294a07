package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

func (r *run) describeTunnelZone() []string {
	tz := r.c.Midonet.TunnelZone
	lines := []string{
		fmt.Sprintf("through %s: create tunnel zone %s (%s) if missing; enrol every host that has announced itself (or that MidoNet reports alive under a name of the description) with its tunnel address:", r.opts.API, tz.Name, tz.Type),
	}
	for _, h := range r.top.Agents {
		lines = append(lines, fmt.Sprintf("  %s with tunnel address %s", h.Name, h.TunnelAddress))
	}
	lines = append(lines, fmt.Sprintf("hosts not up yet are listed, not waited for: systemctl enable %s; systemctl start %s (midobake enrol: enrols them, and any later host, whenever they come)", roles.UnitEnrol, roles.UnitEnrol))
	return lines
}

// doTunnelZone makes the zone and enrols who is there; the CLC's own first boot ends here.
// Hosts still to come are the enrolment service's business: a host that is down today must
// not hold the CLC's hook for half an hour and then fail it.
func (r *run) doTunnelZone(ctx context.Context) (string, error) {
	want := r.c.Midonet.TunnelZone
	zone, err := r.ensureTunnelZone(ctx)
	if err != nil {
		return "", err
	}
	var plan enrolment
	if err := r.wait(ctx, "the MidoNet API and the announcements in ZooKeeper", func(ctx context.Context) error {
		var err error
		plan, err = r.enrolPass(ctx, zone)
		return err
	}); err != nil {
		return "", err
	}
	for _, f := range plan.Refused {
		r.logf("  refused %s: %s", cloud.Printable(f.Name, 80), f.Why)
	}
	if err := r.startService(ctx, roles.UnitEnrol); err != nil {
		return "", err
	}
	summary := fmt.Sprintf("tunnel zone %s (%s): %d hosts enrolled", want.Name, want.Type, len(plan.Enrolled)+len(plan.Actions))
	if len(plan.Pending) > 0 {
		summary += fmt.Sprintf("; pending, enrolled by %s when they come: %s", roles.UnitEnrol, strings.Join(plan.Pending, ", "))
	}
	return summary, nil
}

// enrolPass is one pass of enrolment: read MidoNet's hosts, the zone's members and the
// announcements, decide, and carry out the actions.
func (r *run) enrolPass(ctx context.Context, zone tunnelZone) (enrolment, error) {
	hosts, err := r.api.hosts(ctx)
	if err != nil {
		return enrolment{}, err
	}
	members, err := r.api.members(ctx, zone.ID)
	if err != nil {
		return enrolment{}, err
	}
	conn, err := zkSession(ctx, r.zkClients())
	if err != nil {
		return enrolment{}, retryable(err)
	}
	anns, bad, err := announcements(conn, r.c.Name)
	conn.Close()
	if err != nil {
		return enrolment{}, retryable(err)
	}
	plan := planEnrolment(r.top.Agents, anns, hosts, members)
	plan.Refused = append(bad, plan.Refused...)
	for _, a := range plan.Actions {
		if err := r.enrol(ctx, zone, a); err != nil {
			return plan, err
		}
	}
	return plan, nil
}

// ensureTunnelZone finds the cloud's tunnel zone, creating it if missing, and refuses one of
// another type: MidoNet cannot change a zone's type.
func (r *run) ensureTunnelZone(ctx context.Context) (tunnelZone, error) {
	want := r.c.Midonet.TunnelZone
	var zone tunnelZone
	err := r.wait(ctx, "MidoNet API to list tunnel zones", func(ctx context.Context) error {
		zones, err := r.api.tunnelZones(ctx)
		if err != nil {
			return err
		}
		for _, z := range zones {
			if z.Name == want.Name {
				zone = z
				return nil
			}
		}
		status, err := r.api.createTunnelZone(ctx, tunnelZone{Name: want.Name, Type: want.Type})
		if err != nil && status != 409 { // 409: created meanwhile; list again
			return err
		}
		return retryable(fmt.Errorf("tunnel zone %s created; listing it", want.Name))
	})
	if err != nil {
		return zone, err
	}
	if zone.Type != want.Type {
		return zone, fmt.Errorf("tunnel zone %s exists with type %s but the cloud says %s; MidoNet cannot change a zone's type: fix it by hand", zone.Name, zone.Type, want.Type)
	}
	return zone, nil
}

// enrol carries out one enrolment action.
func (r *run) enrol(ctx context.Context, zone tunnelZone, a enrolAction) error {
	if a.Replace {
		if _, err := r.api.removeMember(ctx, zone.ID, a.HostID); err != nil {
			return err
		}
	}
	status, err := r.api.addMember(ctx, zone.ID, member{HostID: a.HostID, IPAddress: a.Address})
	if err != nil && status != 409 {
		return err
	}
	verb := "enrolled"
	if a.Replace {
		verb = "re-enrolled"
	}
	r.logf("  %s %s (%s) in %s with %s", verb, cloud.Printable(a.Host, 80), a.HostID, zone.Name, a.Address)
	return nil
}
