package roles

import (
	"fmt"
	"io/fs"
	"sort"
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
