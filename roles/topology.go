package roles

import (
	"fmt"

	"github.com/midobake/midobake/cloud"
)

// Topology is the role facts of a cloud, resolved once from its description: the ZooKeeper
// ensemble in myid order, the Cassandra nodes (every one a seed), and the hosts that run
// Midolman. The plans, the emitters, the first-boot hook and diff all read these facts here;
// none derives them again.
type Topology struct {
	Cloud     *cloud.Cloud
	Ensemble  []cloud.Host // ZooKeeper servers; a server's myid is its position + 1
	Cassandra []cloud.Host // Cassandra nodes, each listed as a seed
	Agents    []cloud.Host // hosts that run Midolman: every clc, nc and gateway
}

// Resolve works out the topology of a validated, normalized cloud.
func Resolve(c *cloud.Cloud) Topology {
	t := Topology{Cloud: c, Ensemble: c.WithRole(cloud.RoleZooKeeper), Cassandra: c.WithRole(cloud.RoleCassandra)}
	for _, h := range c.Hosts {
		if c.RunsMidolman(h) {
			t.Agents = append(t.Agents, h)
		}
	}
	return t
}

// ZooKeeperServers are the ensemble's addresses, in myid order.
func (t Topology) ZooKeeperServers() []string { return addresses(t.Ensemble, 0) }

// ZooKeeperClients are the ensemble's client endpoints (address:port).
func (t Topology) ZooKeeperClients(port int) []string { return addresses(t.Ensemble, port) }

// CassandraServers are the Cassandra nodes' addresses.
func (t Topology) CassandraServers() []string { return addresses(t.Cassandra, 0) }

// CassandraClients are the Cassandra nodes' native transport endpoints (address:port).
func (t Topology) CassandraClients(port int) []string { return addresses(t.Cassandra, port) }

// ReplicationFactor is MidoNet's Cassandra replication factor: every node, up to three.
func (t Topology) ReplicationFactor() int { return min(len(t.Cassandra), 3) }

// MyID is the host's ZooKeeper myid, 0 if it is not in the ensemble.
func (t Topology) MyID(h cloud.Host) int {
	for i, s := range t.Ensemble {
		if s.Name == h.Name {
			return i + 1
		}
	}
	return 0
}

// RunsMidolman reports whether the host is one of the agents.
func (t Topology) RunsMidolman(h cloud.Host) bool { return t.Cloud.RunsMidolman(h) }

// Template is the host's Midolman template.
func (t Topology) Template(h cloud.Host) cloud.AgentTemplate { return t.Cloud.Template(h) }

// HeapFilePath is the midolman-env.sh variant of the package that goes with a template: the
// JVM heap is sized separately from the template's flow tables.
func HeapFilePath(t cloud.AgentTemplate) string { return MidolmanEnvPath + "." + t.HeapFile }

func addresses(hosts []cloud.Host, port int) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if port == 0 {
			out = append(out, h.Address)
		} else {
			out = append(out, fmt.Sprintf("%s:%d", h.Address, port))
		}
	}
	return out
}
