package roles

import "github.com/midobake/midobake/cloud"

// nsdbNeed is an NSDB host's sizing, whether it runs ZooKeeper, Cassandra or both: 4 GB,
// and 30 GB under /var/lib for their data.
var nsdbNeed = Need{Share: "NSDB", MemoryMiB: 4096, DiskGB: 30, DiskPath: "/var/lib", DiskFor: "ZooKeeper's and Cassandra's data"}

// zookeeper: a server of the ensemble (the NSDB's coordination half), with autopurge.
// nmap-ncat: the four-letter-word checks of the NSDB guide.
func init() {
	register(Role{Name: cloud.RoleZooKeeper, In: func(p Plan) bool { return p.Has(cloud.RoleZooKeeper) },
		Packages: []string{"zookeeper", "nmap-ncat"},
		Files:    []FileSpec{{Template: "zoo.cfg.tmpl", Path: ZooCfgPath}},
		Units:    []string{UnitZooKeeper},
		Needs:    &nsdbNeed,
		Support:  []SupportFile{{ZooCfgPath, "ZooKeeper"}, {ZooKeeperDataDir + "/myid", "ZooKeeper: this server's id"}},
		Listens: func(top Topology) []Listen {
			// Its clients: every Midolman host, the CLC (midonet-cluster, mn-conf, status,
			// backups), the ensemble itself, and where operators reach it from.
			clients := append(append(append(addresses(top.Agents, 0), addresses(clcs(top), 0)...),
				addresses(top.Ensemble, 0)...), top.Cloud.Firewall.AdminSources...)
			peers := addresses(top.Ensemble, 0)
			return []Listen{
				{Port: ZooKeeperPort, Proto: "tcp", Unit: UnitZooKeeper, Set: "zookeeper-clients", From: clients},
				{Port: ZooKeeperPeerPort, Proto: "tcp", Unit: UnitZooKeeper, Set: "zookeeper-peers", From: peers},
				{Port: ZooKeeperElectionPort, Proto: "tcp", Unit: UnitZooKeeper, Set: "zookeeper-peers", From: peers},
			}
		},
	})
}
