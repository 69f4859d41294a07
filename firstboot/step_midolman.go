package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/system"
)

// midolman: start Midolman once the NSDB settings are in ZooKeeper.
func init() {
	register(Step{Name: "midolman", Summary: "on a Midolman host: Midolman started once the NSDB settings are in place",
		RunsFor:  []string{"midolman"},
		Describe: describeMidolman, Do: doMidolman,
		Check: func(ctx context.Context, e *Env) Check {
			return unknown("whether %s runs is systemd's to say", roles.UnitMidolman)
		}})
}

func describeMidolman(e *Env) []string {
	return []string{
		fmt.Sprintf("wait for ZooKeeper (%s) and the NSDB settings in it (%s, written by the CLC's mn-conf set -t default)", strings.Join(e.zkClients(), ", "), roles.DefaultTemplateZNode),
		e.describeService(roles.UnitMidolman),
	}
}

// doMidolman starts Midolman once the cloud's NSDB settings are in ZooKeeper: Midolman
// reads them once, at start, so one started earlier would run without Cassandra for good.
func doMidolman(ctx context.Context, e *Env) (string, error) {
	if err := e.waitZooKeeper(ctx); err != nil {
		return "", err
	}
	addrs := e.zkClients()
	if err := e.wait(ctx, "the NSDB settings in ZooKeeper ("+roles.DefaultTemplateZNode+")", func(ctx context.Context) error {
		return system.Retryable(midonet.NSDBSettingsIn(ctx, addrs, roles.DefaultTemplateZNode))
	}); err != nil {
		return "", err
	}
	if err := e.startService(ctx, roles.UnitMidolman); err != nil {
		return "", err
	}
	return "midolman started", nil
}
