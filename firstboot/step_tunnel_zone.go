package firstboot

import (
	"context"
	"fmt"
	"strings"
)

func (r *run) describeTunnelZone() []string {
	tz := r.c.Midonet.TunnelZone
	lines := []string{fmt.Sprintf("through %s: create tunnel zone %s (%s) if missing; enroll each host once MidoNet reports it alive:", r.opts.API, tz.Name, tz.Type)}
	for _, h := range r.top.Agents {
		lines = append(lines, fmt.Sprintf("  %s with tunnel address %s", h.Name, h.TunnelAddress))
	}
	return lines
}

func (r *run) doTunnelZone(ctx context.Context) (string, error) {
	want := r.c.Midonet.TunnelZone
	zone, err := r.ensureTunnelZone(ctx)
	if err != nil {
		return "", err
	}
	enrolled := 0
	err = r.wait(ctx, "every host to register with MidoNet and join tunnel zone "+want.Name, func(ctx context.Context) error {
		hosts, err := r.api.hosts(ctx)
		if err != nil {
			return err
		}
		members, err := r.api.members(ctx, zone.ID)
		if err != nil {
			return err
		}
		plan := planEnrolment(r.top.Agents, hosts, members)
		for _, a := range plan.Actions {
			if err := r.enrol(ctx, zone, a); err != nil {
				return err
			}
		}
		enrolled = len(plan.Enrolled) + len(plan.Actions)
		if len(plan.Pending) > 0 {
			return retryable(fmt.Errorf("not yet registered and alive in MidoNet: %s", strings.Join(plan.Pending, ", ")))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("tunnel zone %s (%s) has all %d hosts", want.Name, want.Type, enrolled), nil
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
	r.logf("  enrolled %s (%s) in %s with %s", a.Host, a.HostID, zone.Name, a.Address)
	return nil
}
