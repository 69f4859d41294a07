package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/roles"
)

// time: the time service enabled and running (the Eucalyptus guide's "Configure NTP"):
// ZooKeeper sessions and Cassandra's writes go wrong on hosts whose clocks drift apart.
func init() {
	register(Step{Name: "time", Summary: "the time service (chronyd) enabled and started",
		Describe: func(e *Env) []string {
			return []string{fmt.Sprintf("systemctl enable %s; systemctl start %s (the clock synchronized for ZooKeeper and Cassandra)", roles.UnitTime, roles.UnitTime)}
		},
		Check: func(ctx context.Context, e *Env) Check {
			if unitEnabled(ctx, e, roles.UnitTime) {
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

// unitEnabled says whether a unit is enabled for boot, as systemd itself says it
// ("systemctl is-enabled", which systemd 219 has): whatever links enabled it. Reading one
// target's wants links is not enough: firewalld before 0.4.3.3 was WantedBy=basic.target, and
// EL7 hosts upgraded since 7.0 keep basic.target.wants/firewalld.service. An alias name
// (Debian's chronyd for chrony) answers "alias" on today's systemd, which has it only while
// its unit is enabled.
func unitEnabled(ctx context.Context, e *Env, unit string) bool {
	out, _ := e.opts.Runner.Run(ctx, nil, "systemctl", "is-enabled", unit+".service")
	state, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	switch state {
	case "enabled", "enabled-runtime", "alias":
		return true
	}
	return false
}
