package enrol

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
	"github.com/midobake/midobake/system"
)

// Clock paces the enrolment passes; tests pass one they drive.
type Clock interface {
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configures "midobake enrol", the CLC's enrolment service.
type Options struct {
	Site     []byte // the site data
	SiteName string // its file name, for messages
	API      string // MidoNet REST API; default midonet.DefaultAPI
	// ZooKeeperPort is the ensemble's client port; default 2181.
	ZooKeeperPort int
	Out           io.Writer // the log; default standard output
	HTTP          *http.Client
	Backoff       system.Backoff

	Interval time.Duration // between passes; default 5s
	Once     bool          // one pass, then exit (its error is the exit status)
	Remove   string        // take this host out of the tunnel zone and forget its announcement
	Clock    Clock
}

// Run runs enrolment passes until ctx ends: every pass reads MidoNet's hosts, the zone's
// members and the announcements and enrols whoever is due. It keeps no state of its own, so a
// restart (or a kill at any point) resumes with the next pass. It logs what changes: a host
// enrolled, a host pending or refused (once, and again when the reason changes), a pass that
// failed.
func Run(ctx context.Context, eo Options) error {
	c, rep := cloud.Load(eo.SiteName, eo.Site)
	if c == nil {
		return fmt.Errorf("the site data is not a valid cloud description:\n%s", rep.Format(false))
	}
	if !hasCLC(c) {
		return fmt.Errorf("%s names no CLC: nothing to enrol for", eo.SiteName)
	}
	if eo.API == "" {
		eo.API = midonet.DefaultAPI
	}
	if eo.ZooKeeperPort == 0 {
		eo.ZooKeeperPort = roles.ZooKeeperPort
	}
	if eo.Out == nil {
		eo.Out = os.Stdout
	}
	if eo.HTTP == nil {
		eo.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if eo.Backoff == (system.Backoff{}) {
		eo.Backoff = system.DefaultBackoff
	}
	top := roles.Resolve(c)
	logf := func(format string, args ...any) { fmt.Fprintf(eo.Out, format+"\n", args...) }
	r := &Enroller{Top: top, API: midonet.NewClient(eo.API, eo.HTTP), ZooKeeper: top.ZooKeeperClients(eo.ZooKeeperPort), Backoff: eo.Backoff, Logf: logf}
	if eo.Remove != "" {
		return r.remove(ctx, eo.Remove, eo.SiteName)
	}
	if eo.Interval <= 0 {
		eo.Interval = 5 * time.Second
	}
	if eo.Clock == nil {
		eo.Clock = realClock{}
	}
	r.Logf("midobake enrol: cloud %s, tunnel zone %s, a pass whenever a host announces itself and every %s", c.Name, c.Midonet.TunnelZone.Name, eo.Interval)
	seen := map[string]string{} // host -> what was last logged of it
	lastErr := ""
	// A host that announces itself is enrolled at once: a watch on the announcements starts
	// a pass; the passes every Interval catch what no watch sees (a host MidoNet reports alive
	// later than it announced, a zone made by hand).
	announced := make(chan struct{}, 1)
	if !eo.Once {
		go watchAnnouncements(ctx, r.ZooKeeper, c.Name, announced)
	}
	var pause <-chan time.Time
	for {
		err := r.enrolOnce(ctx, seen)
		switch {
		case err != nil && err.Error() != lastErr:
			r.Logf("pass failed: %v; trying again every %s", err, eo.Interval)
			lastErr = err.Error()
		case err == nil && lastErr != "":
			r.Logf("passes succeed again")
			lastErr = ""
		}
		if eo.Once {
			return err
		}
		if pause == nil {
			pause = eo.Clock.After(eo.Interval) // a pass on a watch does not put off the next
		}
		select {
		case <-ctx.Done():
			return nil
		case <-pause:
			pause = nil
		case <-announced:
		}
	}
}

// watchAnnouncements signals on announced whenever the cloud's announcements change (a host
// announces itself, or is forgotten), until ctx ends; it reconnects after losing ZooKeeper.
func watchAnnouncements(ctx context.Context, servers []string, cloudName string, announced chan<- struct{}) {
	for sessions := 0; ctx.Err() == nil; {
		conn, err := midonet.Session(ctx, servers)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		// The pass starts once the next watch is set, so that nothing announced meanwhile
		// goes unseen: the pass reads it, or the watch fires for it. A new session after a
		// lost one starts a pass too: what came meanwhile fired no watch.
		changed := sessions > 0
		sessions++
		for ctx.Err() == nil {
			events, err := midonet.WatchAnnouncements(conn, cloudName)
			if err != nil {
				break
			}
			if changed {
				select {
				case announced <- struct{}{}:
				default:
				}
			}
			select {
			case <-ctx.Done():
			case ev := <-events:
				changed = true
				if ev.Type == zk.EventNotWatching { // the session is lost: a new one
					err = ev.Err
				}
			}
			if err != nil {
				break
			}
		}
		conn.Close()
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
func (r *Enroller) enrolOnce(ctx context.Context, seen map[string]string) error {
	zones, err := r.API.TunnelZones(ctx)
	if err != nil {
		return err
	}
	want := r.Top.Cloud.Midonet.TunnelZone
	var zone *midonet.TunnelZone
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
	plan, err := r.Pass(ctx, *zone)
	if err != nil {
		return err
	}
	note := func(name, what string) {
		if seen[name] != what {
			seen[name] = what
			if what != "" {
				r.Logf("%s: %s", cloud.Printable(name, 80), what)
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
func (r *Enroller) remove(ctx context.Context, name, siteName string) error {
	shown := cloud.Printable(name, 80)
	if h, ok := r.Top.Cloud.Host(name); ok {
		return fmt.Errorf("%s is in %s: enrolment would add it again while it runs; take it out of the cloud description, give the CLC the new site data (at %s, then midobake firstboot), then remove it", h.Name, siteName, site.Path)
	}
	zones, err := r.API.TunnelZones(ctx)
	if err != nil {
		return err
	}
	var zone *midonet.TunnelZone
	for i := range zones {
		if zones[i].Name == r.Top.Cloud.Midonet.TunnelZone.Name {
			zone = &zones[i]
		}
	}
	conn, err := midonet.Session(ctx, r.ZooKeeper)
	if err != nil {
		return err
	}
	defer conn.Close()
	anns, _, err := midonet.Announcements(conn, r.Top.Cloud.Name)
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
		hosts, err := r.API.Hosts(ctx)
		if err != nil {
			return err
		}
		if mh := indexHosts(hosts)["name:"+name]; mh != nil {
			id = mh.ID
		}
	}
	var did []string
	if zone != nil && id != "" {
		members, err := r.API.Members(ctx, zone.ID)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.HostID != id {
				continue
			}
			if status, err := r.API.RemoveMember(ctx, zone.ID, id); err != nil && status != 404 {
				return err
			}
			did = append(did, fmt.Sprintf("took %s (%s, %s) out of tunnel zone %s", shown, id, m.IPAddress, zone.Name))
		}
	}
	forgot, err := midonet.Forget(conn, r.Top.Cloud.Name, name)
	if err != nil {
		return err
	}
	if forgot {
		did = append(did, "forgot its announcement")
	}
	if len(did) == 0 {
		r.Logf("%s: not a member of tunnel zone %s and no announcement: nothing to do", shown, r.Top.Cloud.Midonet.TunnelZone.Name)
		return nil
	}
	r.Logf("%s", strings.Join(did, "; "))
	return nil
}
