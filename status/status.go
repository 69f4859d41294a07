// Package status is "midobake status": the whole cloud at a glance, from what ZooKeeper, the
// MidoNet API and serve know, never from the hosts themselves (it must work at 10,000 hosts
// and through firewalls). Gather reads (gather.go), Evaluate decides (this file, pure: the
// same facts give the same answer), and the result prints as text or versioned JSON.
package status

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/report"
	"github.com/midobake/midobake/site"
)

// Version of the JSON output; a field's meaning never changes within a version.
const Version = 1

// Facts are what Gather read; what could not be read says why.
type Facts struct {
	// ZooKeeper: each ensemble server's answer to "srvr".
	Servers []Server
	// ZooKeeperError: no session with the ensemble, so no reports from it.
	ZooKeeperError string
	Reports        []midonet.Stored // from ZooKeeper
	// Serve: whether it was asked, and what it had.
	ServeAsked   bool
	ServeError   string
	ServeReports []midonet.Stored
	// The MidoNet API: its hosts, the cloud's tunnel zone and its members.
	APIError string
	Hosts    []midonet.Host
	Zone     *midonet.TunnelZone
	Members  []midonet.Member
	// Network: Eucalyptus's network configuration against the description's.
	Network Check
}

// Server is one ZooKeeper server as it answered.
type Server struct {
	Address string `json:"address"`
	Mode    string `json:"mode,omitempty"` // leader, follower, standalone
	Error   string `json:"error,omitempty"`
}

// Status is the answer: JSON version 1 (documented in the README).
type Status struct {
	Version   int    `json:"version"`
	Cloud     string `json:"cloud"`
	Converged bool   `json:"converged"`
	// Problems counts what keeps the cloud from being converged: every host problem and
	// every failed check.
	Problems int     `json:"problems"`
	Hosts    []Host  `json:"hosts"`
	Checks   []Check `json:"checks"`
}

// Host is one host's line: every host of the description, and every host MidoNet or a
// report knows that the description does not (Described false).
type Host struct {
	Name      string   `json:"name"`
	Described bool     `json:"described"`
	Roles     []string `json:"roles"`
	FirstBoot Boot     `json:"firstBoot"`
	// Site: current (the report's site data is this description's), stale, or unknown.
	Site string `json:"site"`
	// Midolman: alive, not-alive, not-registered, unknown (no API), or none (not run here).
	Midolman   string   `json:"midolman"`
	TunnelZone Member   `json:"tunnelZone"`
	Services   []Svc    `json:"services,omitempty"`
	Problems   []string `json:"problems"`
}

// Boot is the first boot as the host reported it.
type Boot struct {
	// State: done, running, waiting, failed; no-report; unknown (ZooKeeper could not be
	// read, and serve had none); untrusted (a report that is not the
	// host's own word: Why says what is wrong with it).
	State      string     `json:"state"`
	Step       string     `json:"step,omitempty"`
	Index      int        `json:"index,omitempty"`
	Total      int        `json:"total,omitempty"`
	WaitingFor string     `json:"waitingFor,omitempty"`
	Error      string     `json:"error,omitempty"`
	Since      *time.Time `json:"since,omitempty"`
	Updated    *time.Time `json:"updated,omitempty"`
	Source     string     `json:"source,omitempty"` // zookeeper or serve
	Why        string     `json:"why,omitempty"`
	Midobake   string     `json:"midobake,omitempty"`
}

// Member is the host's tunnel-zone membership: member (at Address), missing, other-address
// (a member at Address, not at Want), none (runs no Midolman), unknown (no API).
type Member struct {
	State   string `json:"state"`
	Address string `json:"address,omitempty"`
	Want    string `json:"want,omitempty"`
}

// Svc is an NSDB service of the host: ZooKeeper as its server answered status, Cassandra
// as the host's report says.
type Svc struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	State  string `json:"state"`
	Source string `json:"source"` // zookeeper (asked) or report
}

// Check is one of the cloud's checks.
type Check struct {
	Name    string `json:"name"`
	Checked bool   `json:"checked"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail"`
}

// Site is the site data status compares the hosts' reports with: the file as given, and the
// cloud read from it. A report's site data is current when its sha256 is the file's (the
// CLC's site data) or the site data rendered from it (a cloud.yaml given with -f); the
// latter costs a rendering, made only when a report needs it.
type Site struct {
	raw      string
	c        *cloud.Cloud
	rendered string
}

// NewSite is the site data in raw, read as c.
func NewSite(raw []byte, c *cloud.Cloud) *Site {
	return &Site{raw: site.Hash(raw), c: c}
}

// Current says whether a report's site data hash is this site data's.
func (s *Site) Current(hash string) bool {
	if hash == s.raw {
		return true
	}
	if s.rendered == "" {
		s.rendered = site.Hash(s.c.Marshal())
	}
	return hash == s.rendered
}

// Evaluate decides the cloud's status from the facts.
func Evaluate(c *cloud.Cloud, site *Site, f Facts) Status {
	st := Status{Version: Version, Cloud: c.Name, Hosts: []Host{}}
	reports := pickReports(f)
	// MidoNet's hosts, by id, name (also short) and address; the zone's members by host id.
	byName, byAddr := map[string]*midonet.Host{}, map[string]*midonet.Host{}
	for i := range f.Hosts {
		h := &f.Hosts[i]
		short, _, _ := strings.Cut(h.Name, ".")
		for _, k := range []string{h.Name, short} {
			if byName[k] == nil {
				byName[k] = h
			}
		}
		for _, a := range h.Addresses {
			if byAddr[a] == nil {
				byAddr[a] = h
			}
		}
	}
	memberAt := map[string]string{}
	for _, m := range f.Members {
		memberAt[m.HostID] = m.IPAddress
	}
	apiOK := f.APIError == ""
	mode := map[string]Server{} // by host: --zookeeper may name another port
	for _, s := range f.Servers {
		host, _, err := net.SplitHostPort(s.Address)
		if err != nil {
			host = s.Address
		}
		mode[host] = s
	}
	used := map[string]bool{} // MidoNet host ids on a described host's line

	for _, h := range c.Hosts {
		line := Host{Name: h.Name, Described: true, Roles: append([]string{}, h.Roles...), Problems: []string{}}
		line.FirstBoot, line.Site = boot(reports[h.Name], site)
		if line.FirstBoot.State == "no-report" && f.ZooKeeperError != "" {
			// Not read, rather than not there: the quorum check says why.
			line.FirstBoot.State = "unknown"
		}
		switch line.FirstBoot.State {
		case "unknown":
		case "no-report":
			line.Problems = append(line.Problems, "no first-boot report (not in ZooKeeper"+map[bool]string{true: " nor at serve", false: ""}[f.ServeAsked]+")")
		case "untrusted":
			line.Problems = append(line.Problems, "its report is not trusted: "+line.FirstBoot.Why)
		case report.Done:
		case report.Failed:
			line.Problems = append(line.Problems, fmt.Sprintf("first boot FAILED at step %s: %s", line.FirstBoot.Step, line.FirstBoot.Error))
		default:
			line.Problems = append(line.Problems, "first boot "+describeBoot(line.FirstBoot))
		}
		if line.Site == "stale" {
			line.Problems = append(line.Problems, "its site data is not this description's (rendered from another: re-run its hook with the new site data)")
		}
		// Midolman and the tunnel zone, for the hosts that run it.
		line.Midolman, line.TunnelZone = "none", Member{State: "none"}
		if c.RunsMidolman(h) {
			line.TunnelZone.Want = h.TunnelAddress
			mh := findHost(h, byName, byAddr)
			switch {
			case !apiOK:
				line.Midolman, line.TunnelZone.State = "unknown", "unknown"
			case mh == nil:
				line.Midolman, line.TunnelZone.State = "not-registered", "missing"
				line.Problems = append(line.Problems, "MidoNet does not know this host (its Midolman has not registered)")
			default:
				used[mh.ID] = true
				line.Midolman = map[bool]string{true: "alive", false: "not-alive"}[mh.Alive]
				if !mh.Alive {
					line.Problems = append(line.Problems, "Midolman is not alive in MidoNet")
				}
				switch at, ok := memberAt[mh.ID]; {
				case f.Zone == nil:
					line.TunnelZone.State = "missing"
					line.Problems = append(line.Problems, "not in tunnel zone "+c.Midonet.TunnelZone.Name+" (which does not exist)")
				case !ok:
					line.TunnelZone.State = "missing"
					line.Problems = append(line.Problems, "not a member of tunnel zone "+c.Midonet.TunnelZone.Name)
				case at != h.TunnelAddress:
					line.TunnelZone.State, line.TunnelZone.Address = "other-address", at
					line.Problems = append(line.Problems, fmt.Sprintf("member of tunnel zone %s at %s, not at its tunnel address %s", c.Midonet.TunnelZone.Name, at, h.TunnelAddress))
				default:
					line.TunnelZone.State, line.TunnelZone.Address = "member", at
				}
			}
		}
		// The NSDB services: ZooKeeper as its server answers, Cassandra as the host says.
		if h.Has(cloud.RoleZooKeeper) {
			s, asked := mode[h.Address]
			svc := Svc{Name: "zookeeper", Source: "zookeeper", OK: asked && s.Error == "", State: s.Mode}
			if !asked {
				svc.State = "not asked"
			} else if s.Error != "" {
				svc.State = s.Error
				line.Problems = append(line.Problems, "ZooKeeper does not serve: "+s.Error)
			}
			line.Services = append(line.Services, svc)
		}
		if h.Has(cloud.RoleCassandra) {
			svc := Svc{Name: "cassandra", Source: "report", State: "unknown (no report)"}
			if r, ok := reports[h.Name]; ok && r.Bad == "" {
				for _, s := range r.Report.Services {
					if s.Name == "cassandra" {
						svc.OK, svc.State = s.OK, s.State
					}
				}
				if !svc.OK && line.FirstBoot.State == report.Done {
					line.Problems = append(line.Problems, "Cassandra "+svc.State)
				}
			}
			line.Services = append(line.Services, svc)
		}
		st.Hosts = append(st.Hosts, line)
	}

	// Hosts the description does not name: from MidoNet and from reports.
	described := map[string]bool{}
	for _, h := range c.Hosts {
		described[h.Name] = true
	}
	extra := map[string]*Host{}
	for _, mh := range f.Hosts {
		if used[mh.ID] {
			continue
		}
		short, _, _ := strings.Cut(mh.Name, ".")
		if described[short] || described[mh.Name] {
			continue
		}
		line := &Host{Name: cloud.Printable(mh.Name, 80), Roles: []string{}, Problems: []string{}, Site: "unknown",
			FirstBoot: Boot{State: "no-report"}, Midolman: map[bool]string{true: "alive", false: "not-alive"}[mh.Alive],
			TunnelZone: Member{State: "missing"}}
		if at, ok := memberAt[mh.ID]; ok {
			line.TunnelZone = Member{State: "member", Address: at}
		}
		extra[short] = line
	}
	for name, r := range reports {
		if described[name] {
			continue
		}
		line := extra[name]
		if line == nil {
			line = &Host{Name: cloud.Printable(name, 80), Roles: []string{}, Problems: []string{}, Midolman: "unknown", TunnelZone: Member{State: "unknown"}}
			if apiOK {
				line.Midolman, line.TunnelZone.State = "not-registered", "missing"
			}
			extra[name] = line
		}
		line.FirstBoot, line.Site = boot(r, site)
		// A host that reports for this cloud and has not finished keeps the cloud from
		// converging, described or not (a late host the description on hand never named).
		switch line.FirstBoot.State {
		case report.Failed:
			line.Problems = append(line.Problems, fmt.Sprintf("first boot FAILED at step %s: %s", line.FirstBoot.Step, line.FirstBoot.Error))
		case report.Waiting, report.Running:
			line.Problems = append(line.Problems, "first boot "+describeBoot(line.FirstBoot))
		}
	}
	var names []string
	for n := range extra {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st.Hosts = append(st.Hosts, *extra[n])
	}

	st.Checks = []Check{quorum(f), apiCheck(f), eucanetd(c, f, byAddr, memberAt), f.Network}
	if f.ServeAsked {
		ch := Check{Name: "serve", Checked: true, OK: f.ServeError == "", Detail: fmt.Sprintf("%d reports", len(f.ServeReports))}
		if f.ServeError != "" {
			ch.Detail = f.ServeError
		}
		st.Checks = append(st.Checks, ch)
	}
	for _, h := range st.Hosts {
		st.Problems += len(h.Problems)
	}
	for _, ch := range st.Checks {
		if ch.Checked && !ch.OK {
			st.Problems++
		}
	}
	st.Converged = st.Problems == 0
	return st
}

// pickReports is each host's latest trusted report, from ZooKeeper or serve (serve's may be
// newer: a host that cannot reach ZooKeeper still reaches serve); an untrusted one only when
// there is no trusted one.
func pickReports(f Facts) map[string]midonet.Stored {
	out := map[string]midonet.Stored{}
	take := func(list []midonet.Stored, source string) {
		for _, s := range list {
			if old, had := out[s.Name]; had {
				trusted := old.Bad != "" && s.Bad == ""
				newer := old.Bad == "" && s.Bad == "" && s.Report.Updated.After(old.Report.Updated)
				if !trusted && !newer {
					continue
				}
			}
			s.Source = source
			out[s.Name] = s
		}
	}
	take(f.Reports, "zookeeper")
	take(f.ServeReports, "serve")
	return out
}

func boot(s midonet.Stored, site *Site) (Boot, string) {
	if s.Name == "" {
		return Boot{State: "no-report"}, "unknown"
	}
	if s.Bad != "" {
		return Boot{State: "untrusted", Why: cloud.Printable(s.Bad, 300), Source: s.Source}, "unknown"
	}
	r := s.Report
	since, updated := r.Since, r.Updated
	b := Boot{State: r.State, Step: cloud.Printable(r.Step, 40), Index: r.Index, Total: r.Total,
		WaitingFor: cloud.Printable(r.WaitingFor, 400), Error: cloud.Printable(r.Error, 400),
		Since: &since, Updated: &updated, Source: s.Source, Midobake: cloud.Printable(r.Midobake, 40)}
	if site.Current(r.SiteSHA256) {
		return b, "current"
	}
	return b, "stale"
}

func describeBoot(b Boot) string {
	s := fmt.Sprintf("at step %d of %d (%s)", b.Index, b.Total, b.Step)
	if b.State == report.Waiting {
		s += ", waiting for " + b.WaitingFor
	}
	if b.Since != nil {
		s += " since " + b.Since.UTC().Format(time.RFC3339)
	}
	return s
}

// findHost is MidoNet's record of a described host: by name, then by address (reports carry
// no host id).
func findHost(h cloud.Host, byName, byAddr map[string]*midonet.Host) *midonet.Host {
	if m := byName[h.Name]; m != nil {
		return m
	}
	for _, a := range []string{h.Address, h.TunnelAddress} {
		if m := byAddr[a]; m != nil {
			return m
		}
	}
	return nil
}

func quorum(f Facts) Check {
	ch := Check{Name: "zookeeper-quorum", Checked: true}
	serving, leader := 0, ""
	var down []string
	for _, s := range f.Servers {
		if s.Error == "" {
			serving++
			if s.Mode == "leader" || s.Mode == "standalone" {
				leader = s.Address
			}
		} else {
			down = append(down, s.Address)
		}
	}
	n := len(f.Servers)
	ch.OK = n > 0 && serving > n/2
	ch.Detail = fmt.Sprintf("%d of %d servers serving", serving, n)
	if leader != "" {
		ch.Detail += ", leader " + leader
	}
	if len(down) > 0 {
		ch.Detail += "; not serving: " + strings.Join(down, ", ")
	}
	if f.ZooKeeperError != "" {
		ch.OK = false
		ch.Detail += "; no session: " + f.ZooKeeperError
	}
	return ch
}

func apiCheck(f Facts) Check {
	if f.APIError != "" {
		return Check{Name: "midonet-api", Checked: true, Detail: f.APIError}
	}
	return Check{Name: "midonet-api", Checked: true, OK: true, Detail: fmt.Sprintf("%d hosts registered", len(f.Hosts))}
}

// eucanetd is eucanetd's precondition (check_mido_tunnelzone): the zone exists, its name is
// one eucanetd looks for, it has a member, and every CLC, NC and gateway MidoNet knows (by
// address) is a member.
func eucanetd(c *cloud.Cloud, f Facts, byAddr map[string]*midonet.Host, memberAt map[string]string) Check {
	ch := Check{Name: "eucanetd-tunnel-zone", Checked: f.APIError == ""}
	if !ch.Checked {
		ch.Detail = "no answer from the MidoNet API"
		return ch
	}
	name := c.Midonet.TunnelZone.Name
	named := false
	for _, w := range cloud.TunnelZoneNames {
		named = named || strings.Contains(name, w)
	}
	var missing []string
	for _, h := range c.Hosts {
		if !c.RunsMidolman(h) {
			continue
		}
		var mh *midonet.Host
		for _, a := range []string{h.Address, h.TunnelAddress} {
			if _, err := netip.ParseAddr(a); err == nil && mh == nil {
				mh = byAddr[a]
			}
		}
		if mh == nil {
			continue // MidoNet does not know it: eucanetd does not ask for it
		}
		if _, ok := memberAt[mh.ID]; !ok {
			missing = append(missing, h.Name)
		}
	}
	switch {
	case f.Zone == nil:
		ch.Detail = "tunnel zone " + name + " does not exist"
	case !named:
		ch.Detail = "eucanetd looks for a tunnel zone whose name contains one of " + strings.Join(cloud.TunnelZoneNames, ", ") + "; " + name + " does not"
	case len(f.Members) == 0:
		ch.Detail = "tunnel zone " + name + " has no member"
	case len(missing) > 0:
		ch.Detail = fmt.Sprintf("not members of tunnel zone %s, so eucanetd sets up no VPC networking: %s", name, strings.Join(missing, ", "))
	default:
		ch.OK = true
		ch.Detail = fmt.Sprintf("every CLC, NC and gateway MidoNet knows is a member of tunnel zone %s (%d members)", name, len(f.Members))
	}
	return ch
}
