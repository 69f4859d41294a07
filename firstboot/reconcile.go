package firstboot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// Clock paces the enrolment passes; tests pass one they drive.
type Clock interface {
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// EnrolOptions configures "midobake enrol", the CLC's enrolment service.
type EnrolOptions struct {
	Interval time.Duration // between passes; default 5s
	Once     bool          // one pass, then exit (its error is the exit status)
	Remove   string        // take this host out of the tunnel zone and forget its announcement
	Clock    Clock
}

// Enrol runs enrolment passes until ctx ends: every pass reads MidoNet's hosts, the zone's
// members and the announcements and enrols whoever is due. It keeps no state of its own, so a
// restart (or a kill at any point) resumes with the next pass. It logs what changes: a host
// enrolled, a host pending or refused (once, and again when the reason changes), a pass that
// failed.
func Enrol(ctx context.Context, opts Options, eo EnrolOptions) error {
	if err := opts.defaults(); err != nil {
		return err
	}
	c, rep := cloud.Load(opts.SiteName, opts.Site)
	if c == nil {
		return fmt.Errorf("the site data is not a valid cloud description:\n%s", rep.Format(false))
	}
	r := &run{opts: opts, c: c, top: roles.Resolve(c), api: &apiClient{base: opts.API, http: opts.HTTP}}
	if !hasCLC(c) {
		return fmt.Errorf("%s names no CLC: nothing to enrol for", opts.SiteName)
	}
	if eo.Remove != "" {
		return r.remove(ctx, eo.Remove)
	}
	if eo.Interval <= 0 {
		eo.Interval = 5 * time.Second
	}
	if eo.Clock == nil {
		eo.Clock = realClock{}
	}
	r.logf("midobake enrol: cloud %s, tunnel zone %s, a pass every %s", c.Name, c.Midonet.TunnelZone.Name, eo.Interval)
	seen := map[string]string{} // host -> what was last logged of it
	lastErr := ""
	for {
		err := r.enrolOnce(ctx, seen)
		switch {
		case err != nil && err.Error() != lastErr:
			r.logf("pass failed: %v; trying again every %s", err, eo.Interval)
			lastErr = err.Error()
		case err == nil && lastErr != "":
			r.logf("passes succeed again")
			lastErr = ""
		}
		if eo.Once {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-eo.Clock.After(eo.Interval):
		}
	}
}

func hasCLC(c *cloud.Cloud) bool {
	for _, h := range c.Hosts {
		if h.Has(cloud.RoleCLC) {
			return true
		}
	}
	return false
}

// enrolOnce is one pass, logging what differs from the last.
func (r *run) enrolOnce(ctx context.Context, seen map[string]string) error {
	zones, err := r.api.tunnelZones(ctx)
	if err != nil {
		return err
	}
	want := r.c.Midonet.TunnelZone
	var zone *tunnelZone
	for i := range zones {
		if zones[i].Name == want.Name {
			zone = &zones[i]
		}
	}
	if zone == nil {
		return fmt.Errorf("tunnel zone %s does not exist yet (the CLC's first boot makes it)", want.Name)
	}
	if zone.Type != want.Type {
		return fmt.Errorf("tunnel zone %s has type %s but the cloud says %s; MidoNet cannot change a zone's type: fix it by hand", zone.Name, zone.Type, want.Type)
	}
	plan, err := r.enrolPass(ctx, *zone)
	if err != nil {
		return err
	}
	note := func(name, what string) {
		if seen[name] != what {
			seen[name] = what
			if what != "" {
				r.logf("%s: %s", cloud.Printable(name, 80), what)
			}
		}
	}
	for _, a := range plan.Actions {
		seen[a.Host] = "member" // enrol logged it
	}
	for _, n := range plan.Enrolled {
		if seen[n] == "" {
			note(n, "member of "+zone.Name)
		}
		seen[n] = "member"
	}
	for _, n := range plan.Pending {
		note(n, "pending: not registered and alive in MidoNet yet")
	}
	for _, f := range plan.Refused {
		note(f.Name, "refused: "+f.Why)
	}
	return nil
}

// remove takes a host out of the tunnel zone and forgets its announcement. A host the CLC's
// description still names is refused: enrolment would take it back as soon as MidoNet
// reports it alive.
func (r *run) remove(ctx context.Context, name string) error {
	shown := cloud.Printable(name, 80)
	if h, ok := r.c.Host(name); ok {
		return fmt.Errorf("%s is in %s: enrolment would add it again while it runs; take it out of the cloud description, give the CLC the new site data (at %s, then midobake firstboot), then remove it", h.Name, r.opts.SiteName, roles.SitePath)
	}
	zones, err := r.api.tunnelZones(ctx)
	if err != nil {
		return err
	}
	var zone *tunnelZone
	for i := range zones {
		if zones[i].Name == r.c.Midonet.TunnelZone.Name {
			zone = &zones[i]
		}
	}
	conn, err := zkSession(ctx, r.zkClients())
	if err != nil {
		return err
	}
	defer conn.Close()
	anns, _, err := announcements(conn, r.c.Name)
	if err != nil {
		return err
	}
	// The host's MidoNet id: from its announcement, else from MidoNet's record of the name.
	id := ""
	for _, a := range anns {
		if a.Name == name {
			id = a.HostID
		}
	}
	if id == "" {
		hosts, err := r.api.hosts(ctx)
		if err != nil {
			return err
		}
		if mh := indexHosts(hosts)["name:"+name]; mh != nil {
			id = mh.ID
		}
	}
	var did []string
	if zone != nil && id != "" {
		members, err := r.api.members(ctx, zone.ID)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.HostID != id {
				continue
			}
			if status, err := r.api.removeMember(ctx, zone.ID, id); err != nil && status != 404 {
				return err
			}
			did = append(did, fmt.Sprintf("took %s (%s, %s) out of tunnel zone %s", shown, id, m.IPAddress, zone.Name))
		}
	}
	forgot, err := forget(conn, r.c.Name, name)
	if err != nil {
		return err
	}
	if forgot {
		did = append(did, "forgot its announcement")
	}
	if len(did) == 0 {
		r.logf("%s: not a member of tunnel zone %s and no announcement: nothing to do", shown, r.c.Midonet.TunnelZone.Name)
		return nil
	}
	r.logf("%s", strings.Join(did, "; "))
	return nil
}
