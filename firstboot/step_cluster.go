package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/system"
)

// midonet-cluster: on the CLC, MidoNet's cluster (its REST API) once Cassandra answers.
func init() {
	register(Step{Name: "midonet-cluster", Order: 60,
		RunsOn:   func(p roles.Plan) bool { return p.Has(cloud.RoleCLC) },
		Describe: describeCluster, Do: doCluster,
		Check: func(ctx context.Context, e *Env) Check {
			return unknown("whether %s runs is systemd's to say", roles.UnitCluster)
		}})
}

func describeCluster(e *Env) []string {
	return []string{fmt.Sprintf("wait for Cassandra (%s); %s", strings.Join(cassandraClients(e), ", "), e.describeService(roles.UnitCluster))}
}

func cassandraClients(e *Env) []string { return e.top.CassandraClients(e.opts.CassandraPort) }

func doCluster(ctx context.Context, e *Env) (string, error) {
	addrs := cassandraClients(e)
	err := e.wait(ctx, "Cassandra ("+strings.Join(addrs, ", ")+")", func(ctx context.Context) error {
		var last error
		for _, a := range addrs {
			if last = midonet.TCPOpen(ctx, a); last == nil {
				return nil
			}
		}
		return system.Retryable(last)
	})
	if err != nil {
		return "", err
	}
	if err := e.startService(ctx, roles.UnitCluster); err != nil {
		return "", err
	}
	return "midonet-cluster started", nil
}
