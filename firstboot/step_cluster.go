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

// midonet-cluster: on the CLC, MidoNet's cluster (its REST API) with its JVM heap sized for
// the cloud (the package leaves 2 GB on a host that also runs the Eucalyptus CLC), started
// once Cassandra answers.
func init() {
	register(Step{Name: "midonet-cluster", Summary: "on the CLC: midonet-cluster, with its JVM heap sized for the cloud",
		RunsFor:  []string{cloud.RoleCLC},
		Describe: describeCluster, Do: doCluster,
		Check: func(ctx context.Context, e *Env) Check {
			cur, err := e.opts.Root.Read(roles.ClusterEnvPath)
			if err != nil {
				return unknown("cannot read %s: %v", roles.ClusterEnvPath, err)
			}
			heap, _ := e.c.ClusterHeap()
			return holdsIf(cur != nil && setClusterHeap(e, string(cur)) == string(cur),
				fmt.Sprintf("%s gives midonet-cluster a heap of %s", roles.ClusterEnvPath, heap),
				fmt.Sprintf("%s does not give midonet-cluster a heap of %s", roles.ClusterEnvPath, heap))
		}})
}

func describeCluster(e *Env) []string {
	heap, young := e.c.ClusterHeap()
	return []string{
		fmt.Sprintf("set MAX_HEAP_SIZE=%s and HEAP_NEWSIZE=%s in %s", heap, young, roles.ClusterEnvPath),
		fmt.Sprintf("wait for Cassandra (%s); %s", strings.Join(cassandraClients(e), ", "), e.describeService(roles.UnitCluster)),
	}
}

// setClusterHeap sets the heap keys of midonet-cluster-env.sh, leaving the rest of it as the
// package wrote it.
func setClusterHeap(e *Env, s string) string {
	heap, young := e.c.ClusterHeap()
	return setProperties(s, map[string]string{"MAX_HEAP_SIZE": heap, "HEAP_NEWSIZE": young})
}

func cassandraClients(e *Env) []string { return e.top.CassandraClients(e.opts.CassandraPort) }

func doCluster(ctx context.Context, e *Env) (string, error) {
	cur, err := e.opts.Root.Read(roles.ClusterEnvPath)
	if err != nil {
		return "", err
	}
	if cur == nil {
		return "", fmt.Errorf("%s not found: is the midonet-cluster package installed?", roles.ClusterEnvPath)
	}
	if _, err := e.opts.Root.Write(roles.ClusterEnvPath, []byte(setClusterHeap(e, string(cur))), 0o644); err != nil {
		return "", err
	}
	addrs := cassandraClients(e)
	err = e.wait(ctx, "Cassandra ("+strings.Join(addrs, ", ")+")", func(ctx context.Context) error {
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
	heap, _ := e.c.ClusterHeap()
	return "midonet-cluster started with a heap of " + heap, nil
}
