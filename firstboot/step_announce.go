package firstboot

import (
	"context"
	"fmt"
	"path"
	"regexp"

	"github.com/midobake/midobake/roles"
)

func (r *run) describeAnnounce() []string {
	return []string{fmt.Sprintf("wait for Midolman's host id (%s); announce host %s with it and tunnel address %s in ZooKeeper (%s), where the CLC's enrolment finds it",
		roles.HostIDPath, r.host.Name, r.host.TunnelAddress, path.Join(announcementDir(r.c.Name), r.host.Name))}
}

// hostIDLine is the line Midolman writes on its first start: host_uuid=<uuid>.
var hostIDLine = regexp.MustCompile(`(?m)^host_uuid=([0-9A-Za-z-]{1,64})\s*$`)

// waitHostID waits for the MidoNet host id Midolman creates on its first start. Whatever
// reads the id before then (mn-conf's "-h local" among them) creates one of its own, and the
// host ends up registered twice, under two ids.
func (r *run) waitHostID(ctx context.Context) (string, error) {
	var id string
	err := r.wait(ctx, "Midolman's host id in "+roles.HostIDPath, func(ctx context.Context) error {
		b, err := r.opts.Root.Read(roles.HostIDPath)
		if err != nil {
			return err
		}
		m := hostIDLine.FindSubmatch(b)
		if m == nil {
			return retryable(fmt.Errorf("no host_uuid in %s yet (Midolman writes it on its first start)", roles.HostIDPath))
		}
		id = string(m[1])
		return nil
	})
	return id, err
}

// doAnnounce tells the CLC this host's MidoNet id and tunnel address, so that it is enrolled
// even if the CLC's description does not name it.
func (r *run) doAnnounce(ctx context.Context) (string, error) {
	id, err := r.waitHostID(ctx)
	if err != nil {
		return "", err
	}
	a := announcement{Name: r.host.Name, HostID: id, TunnelAddress: r.host.TunnelAddress}
	var did bool
	if err := r.wait(ctx, "ZooKeeper to take the announcement", func(ctx context.Context) error {
		var err error
		did, err = announce(ctx, r.zkClients(), r.c.Name, a)
		return retryable(err)
	}); err != nil {
		return "", err
	}
	what := "announced"
	if !did {
		what = "announcement unchanged"
	}
	return fmt.Sprintf("%s: host id %s, tunnel address %s", what, id, a.TunnelAddress), nil
}
