package enrol

import (
	"context"
	"fmt"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/system"
)

// Enroller is one cloud's enrolment: who belongs in its tunnel zone, and how to reach MidoNet
// (its API on the CLC, its ZooKeeper for the announcements).
type Enroller struct {
	Top       roles.Topology
	API       *midonet.Client
	ZooKeeper []string // the ensemble's client addresses
	Backoff   system.Backoff
	Logf      func(format string, args ...any)
}

func (e *Enroller) zone() cloud.TunnelZone { return e.Top.Cloud.Midonet.TunnelZone }

// EnsureZone finds the cloud's tunnel zone, creating it if missing, and refuses one of
// another type: MidoNet cannot change a zone's type.
func (e *Enroller) EnsureZone(ctx context.Context) (midonet.TunnelZone, error) {
	want := e.zone()
	var zone midonet.TunnelZone
	err := system.Wait(ctx, e.Backoff, e.Logf, "MidoNet API to list tunnel zones", func(ctx context.Context) error {
		zones, err := e.API.TunnelZones(ctx)
		if err != nil {
			return err
		}
		for _, z := range zones {
			if z.Name == want.Name {
				zone = z
				return nil
			}
		}
		status, err := e.API.CreateTunnelZone(ctx, midonet.TunnelZone{Name: want.Name, Type: want.Type})
		if err != nil && status != 409 { // 409: created meanwhile; list again
			return err
		}
		return system.Retryable(fmt.Errorf("tunnel zone %s created; listing it", want.Name))
	})
	if err != nil {
		return zone, err
	}
	if zone.Type != want.Type {
		return zone, fmt.Errorf("tunnel zone %s exists with type %s but the cloud says %s; MidoNet cannot change a zone's type: fix it by hand", zone.Name, zone.Type, want.Type)
	}
	return zone, nil
}

// Pass is one pass of enrolment: read MidoNet's hosts, the zone's members and the
// announcements, decide, and carry out the actions.
func (e *Enroller) Pass(ctx context.Context, zone midonet.TunnelZone) (Plan, error) {
	hosts, err := e.API.Hosts(ctx)
	if err != nil {
		return Plan{}, err
	}
	members, err := e.API.Members(ctx, zone.ID)
	if err != nil {
		return Plan{}, err
	}
	conn, err := midonet.Session(ctx, e.ZooKeeper)
	if err != nil {
		return Plan{}, system.Retryable(err)
	}
	anns, bad, err := midonet.Announcements(conn, e.Top.Cloud.Name)
	conn.Close()
	if err != nil {
		return Plan{}, system.Retryable(err)
	}
	plan := Decide(e.Top.Agents, anns, hosts, members)
	for i := range bad {
		bad[i].Name, bad[i].Why = cloud.Printable(bad[i].Name, 80), cloud.Printable(bad[i].Why, 400)
	}
	plan.Refused = append(bad, plan.Refused...)
	for _, a := range plan.Actions {
		if err := e.enrol(ctx, zone, a); err != nil {
			return plan, err
		}
	}
	return plan, nil
}

// enrol carries out one enrolment action.
func (e *Enroller) enrol(ctx context.Context, zone midonet.TunnelZone, a Action) error {
	if a.Replace {
		if _, err := e.API.RemoveMember(ctx, zone.ID, a.HostID); err != nil {
			return err
		}
	}
	status, err := e.API.AddMember(ctx, zone.ID, midonet.Member{HostID: a.HostID, IPAddress: a.Address})
	if err != nil && status != 409 {
		return err
	}
	verb := "enrolled"
	if a.Replace {
		verb = "re-enrolled"
	}
	e.Logf("  %s %s (%s) in %s with %s", verb, cloud.Printable(a.Host, 80), cloud.Printable(a.HostID, 80), cloud.Printable(zone.Name, 80), a.Address)
	return nil
}
