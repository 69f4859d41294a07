package firstboot

import (
	"context"
	"fmt"
	"path"
	"regexp"

	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/system"
)

// announce: tell the CLC this host's MidoNet id and tunnel address through ZooKeeper, so
// that its enrolment finds it whether or not the CLC's description names it.
func init() {
	register(Step{Name: "announce", Summary: "on a Midolman host: its announcement in ZooKeeper (name, MidoNet host id, tunnel address), once Midolman has written its host id",
		RunsFor:  []string{"midolman"},
		Describe: describeAnnounce, Do: doAnnounce,
		Check: func(ctx context.Context, e *Env) Check {
			return unknown("the announcement is in ZooKeeper (%s)", path.Join(midonet.AnnouncementDir(e.c.Name), e.host.Name))
		}})
}

func describeAnnounce(e *Env) []string {
	return []string{fmt.Sprintf("wait for Midolman's host id (%s); announce host %s with it and tunnel address %s in ZooKeeper (%s), where the CLC's enrolment finds it",
		roles.HostIDPath, e.host.Name, e.host.TunnelAddress, path.Join(midonet.AnnouncementDir(e.c.Name), e.host.Name))}
}

// hostIDLine is the line Midolman writes on its first start: host_uuid=<uuid>.
var hostIDLine = regexp.MustCompile(`(?m)^host_uuid=([0-9A-Za-z-]{1,64})\s*$`)

// waitHostID waits for the MidoNet host id Midolman creates on its first start. Whatever
// reads the id before then (mn-conf's "-h local" among them) creates one of its own, and the
// host ends up registered twice, under two ids.
func waitHostID(ctx context.Context, e *Env) (string, error) {
	var id string
	err := e.wait(ctx, "Midolman's host id in "+roles.HostIDPath, func(ctx context.Context) error {
		b, err := e.opts.Root.Read(roles.HostIDPath)
		if err != nil {
			return err
		}
		m := hostIDLine.FindSubmatch(b)
		if m == nil {
			return system.Retryable(fmt.Errorf("no host_uuid in %s yet (Midolman writes it on its first start)", roles.HostIDPath))
		}
		id = string(m[1])
		return nil
	})
	return id, err
}

// doAnnounce tells the CLC this host's MidoNet id and tunnel address, so that it is enrolled
// even if the CLC's description does not name it.
func doAnnounce(ctx context.Context, e *Env) (string, error) {
	id, err := waitHostID(ctx, e)
	if err != nil {
		return "", err
	}
	a := midonet.Announcement{Name: e.host.Name, HostID: id, TunnelAddress: e.host.TunnelAddress}
	var did bool
	if err := e.wait(ctx, "ZooKeeper to take the announcement", func(ctx context.Context) error {
		var err error
		did, err = midonet.Announce(ctx, e.zkClients(), e.c.Name, a)
		return system.Retryable(err)
	}); err != nil {
		return "", err
	}
	what := "announced"
	if !did {
		what = "announcement unchanged"
	}
	return fmt.Sprintf("%s: host id %s, tunnel address %s", what, id, a.TunnelAddress), nil
}
