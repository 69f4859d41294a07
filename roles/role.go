package roles

import (
	"fmt"
	"io/fs"
	"sort"

	"github.com/midobake/midobake/cloud"
)

// Role is what one role needs on a host, declared in one file (role_*.go): the repositories,
// packages, configuration files (each from its template) and services. Adding a role is one
// file plus its templates; its first-boot steps declare themselves in firstboot.
type Role struct {
	Name string
	// In says whether a profile has the role: from its roles in the description, or from a
	// fact of the cloud (every CLC, NC and gateway runs the Midolman agent).
	In       func(p Plan) bool
	Repos    []string
	Packages []string
	Files    []FileSpec
	Units    []string
	// Listens is what its services listen on and who may connect, in this cloud: the
	// firewall step opens each to its sources, preflight checks each port is free or held by
	// its unit. Nil: it listens on nothing of its own.
	Listens func(top Topology) []Listen
	// Support are the files of the role a support bundle takes, with why (its units'
	// journals it takes too).
	Support []SupportFile
	// Needs is what the role needs of its host (the Eucalyptus MidoNet guide's sizing), which
	// preflight checks; nil: nothing of its own.
	Needs *Need
}

// Need is a role's share of its host's memory and disk. Roles that name the same Share
// (ZooKeeper and Cassandra: one NSDB host) count it once.
type Need struct {
	Share     string // what the sizing is of: "Midolman", "NSDB", "MidoNet API"
	MemoryMiB int
	// DiskGB is needed in the file system of DiskPath, for DiskFor.
	DiskGB   int
	DiskPath string
	DiskFor  string
}

// HostNeeds is what the host's roles need, each share once, in the role table's order.
func HostNeeds(top Topology, h cloud.Host) []Need {
	p := hostPlan(top, h)
	p.Midolman = top.RunsMidolman(h)
	var out []Need
	seen := map[string]bool{}
	for _, role := range allRoles {
		if role.Needs != nil && role.In(p) && !seen[role.Needs.Share] {
			seen[role.Needs.Share] = true
			out = append(out, *role.Needs)
		}
	}
	return out
}

// PlanHasAny reports whether the plan has any of the named roles (the names of the role
// table: clc, zookeeper, cassandra, midolman, ...), by the roles' own In: what a first-boot
// step runs for is said by role name, and decided here. No names: every plan.
func PlanHasAny(p Plan, names ...string) bool {
	if len(names) == 0 {
		return true
	}
	for _, n := range names {
		r, ok := roleNamed(n)
		if !ok {
			panic("roles: no role named " + n)
		}
		if r.In(p) {
			return true
		}
	}
	return false
}

// RoleNamed says whether the role table has a role of that name.
func RoleNamed(name string) bool { _, ok := roleNamed(name); return ok }

func roleNamed(name string) (Role, bool) {
	for _, r := range allRoles {
		if r.Name == name {
			return r, true
		}
	}
	return Role{}, false
}

// SupportFile is a file (a glob allowed) a support bundle takes, and why.
type SupportFile struct{ Path, Why string }

// SupportFiles are every role's support files, in role order: a bundle takes them on any
// host (a file that is not there is recorded as such).
func SupportFiles() []SupportFile {
	var out []SupportFile
	for _, role := range allRoles {
		out = append(out, role.Support...)
	}
	return out
}

// ServiceUnits are every role's units, in start order.
func ServiceUnits() []string { return append([]string{}, unitOrder...) }

// Listen is one thing a role's service listens on.
type Listen struct {
	Port  int    // 0 for an IP protocol (gre)
	Proto string // tcp, udp or gre
	Unit  string // the unit that holds the port ("" when no unit of the host does: the tunnels)
	// Set names the firewall's source set (midobake-SET) of those who may connect; "" when
	// nothing beyond the host connects (a loopback API, JMX), so the firewall opens nothing.
	Set string
	// From is who may connect, by address (the cloud's hosts of a kind, and the
	// description's firewall.adminSources where operators reach it from).
	From []string
}

// Service is the firewall's name for it: "2181/tcp", or the protocol ("gre").
func (l Listen) Service() string {
	if l.Port == 0 {
		return l.Proto
	}
	return fmt.Sprintf("%d/%s", l.Port, l.Proto)
}

// HostListens is what the services of a host's roles listen on, in role order. Unlike the
// packages (a profile's, installed on every host of it), it is the host's own: a UFS that is
// no gateway has Midolman installed with its profile, and runs no agent.
func HostListens(top Topology, h cloud.Host) []Listen {
	p := hostPlan(top, h)
	p.Midolman = top.RunsMidolman(h)
	var out []Listen
	for _, role := range allRoles {
		if role.Listens != nil && role.In(p) {
			out = append(out, role.Listens(top)...)
		}
	}
	return out
}

// tunnelAddresses are the hosts' tunnel addresses.
func tunnelAddresses(hosts []cloud.Host) []string {
	out := make([]string, 0, len(hosts))
	for _, x := range hosts {
		out = append(out, x.TunnelAddress)
	}
	return out
}

// clcs are the cloud's CLC hosts.
func clcs(top Topology) []cloud.Host {
	var out []cloud.Host
	for _, x := range top.Cloud.Hosts {
		if x.Has(cloud.RoleCLC) {
			out = append(out, x)
		}
	}
	return out
}

// FileSpec is a configuration file a role writes, and the template it comes from.
type FileSpec struct {
	Template string
	Path     string
	Mode     fs.FileMode // 0644 when zero
	// Check says what is wrong with the rendered file (its line, or 0, and why), when the
	// service that reads it would refuse it: a template override cannot make a host that
	// fails at its first start.
	Check func(content []byte) (line int, why string)
}

// unitOrder is the order first boot starts services in: the NSDB before anything that
// connects to it, the cluster before the agents that register with it.
var unitOrder = []string{UnitZooKeeper, UnitCassandra, UnitCluster, UnitMidolman, UnitEnrol}

var allRoles []Role

// register adds a role; a duplicate name or an unknown unit is a programming error.
func register(r Role) {
	for _, o := range allRoles {
		if o.Name == r.Name {
			panic("roles: two roles named " + r.Name)
		}
	}
	for _, u := range r.Units {
		if unitRank(u) < 0 {
			panic(fmt.Sprintf("roles: role %s starts unit %s, which unitOrder does not place", r.Name, u))
		}
	}
	allRoles = append(allRoles, r)
	sort.Slice(allRoles, func(i, j int) bool { return allRoles[i].Name < allRoles[j].Name })
}

func unitRank(u string) int {
	for i, x := range unitOrder {
		if x == u {
			return i
		}
	}
	return -1
}

// Roles is every role, by name.
func Roles() []Role { return append([]Role(nil), allRoles...) }
