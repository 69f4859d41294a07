package firstboot

import (
	"context"
	"fmt"
	"os"

	"github.com/midobake/midobake/roles"
)

// time: the time service enabled and running (the Eucalyptus guide's "Configure NTP"):
// ZooKeeper sessions and Cassandra's writes go wrong on hosts whose clocks drift apart.
func init() {
	register(Step{Name: "time", Order: 14, RunsOn: always,
		Describe: func(e *Env) []string {
			return []string{fmt.Sprintf("systemctl enable %s; systemctl start %s (the clock synchronized for ZooKeeper and Cassandra)", roles.UnitTime, roles.UnitTime)}
		},
		Check: func(ctx context.Context, e *Env) Check {
			if unitEnabled(e, roles.UnitTime) {
				return holds("%s is enabled", roles.UnitTime)
			}
			return fails("%s is not enabled", roles.UnitTime)
		},
		Do: func(ctx context.Context, e *Env) (string, error) {
			if !unitInstalled(e, roles.UnitTime) {
				return "", fmt.Errorf("%s.service is not installed: is the chrony package?", roles.UnitTime)
			}
			if err := e.enableStart(ctx, roles.UnitTime); err != nil {
				return "", err
			}
			return roles.UnitTime + " enabled and started", nil
		}})
}

// unitDirs are where systemd finds unit files, as EL7 and Debian lay them out.
var unitDirs = []string{"/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

// unitInstalled says whether a unit file (or an alias of one) is on the host.
func unitInstalled(e *Env, unit string) bool {
	for _, d := range unitDirs {
		if b, _ := e.opts.Root.Lstat(d + "/" + unit + ".service"); b {
			return true
		}
	}
	return false
}

// unitEnabled says whether a unit is enabled for boot, from the links "systemctl enable"
// makes: a target's wants link, or the alias link a unit with Alias= gets (Debian's chrony
// is enabled as chrony.service with the alias chronyd.service).
func unitEnabled(e *Env, unit string) bool {
	if ok, _ := e.opts.Root.Lstat("/etc/systemd/system/multi-user.target.wants/" + unit + ".service"); ok {
		return true
	}
	_, err := os.Readlink(e.opts.Root.Path("/etc/systemd/system/" + unit + ".service"))
	return err == nil // an alias link; a unit file of the operator's there is not one
}
