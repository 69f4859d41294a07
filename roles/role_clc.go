package roles

import "github.com/midobake/midobake/cloud"

// clc: the cloud controller's MidoNet side: midonet-cluster (the REST API, on loopback only),
// the client, the NSDB settings for mn-conf, and the enrolment service that keeps the tunnel
// zone whole.
func init() {
	register(Role{Name: cloud.RoleCLC, In: func(p Plan) bool { return p.Has(cloud.RoleCLC) },
		Packages: []string{"midonet-cluster", "python-midonetclient", "midonet-tools"},
		Files: []FileSpec{
			{Template: "midonet.conf.tmpl", Path: MidonetConfPath},
			{Template: "mn-conf-default.conf.tmpl", Path: NSDBConfPath},
			{Template: "midobake-enrol.service.tmpl", Path: EnrolUnitPath},
		},
		Units: []string{UnitCluster, UnitEnrol},
		Needs: &Need{Share: "MidoNet API", MemoryMiB: 4096},
		Support: []SupportFile{{NSDBConfPath, "midobake: the NSDB settings for mn-conf"}, {MidonetConfPath, "MidoNet: midonet-cluster and mn-conf"},
			{ClusterEnvPath, "MidoNet: midonet-cluster's JVM"}},
		Listens: func(Topology) []Listen {
			// The REST API, on loopback only (its default authentication grants admin to all).
			return []Listen{{Port: RESTAPIPort, Proto: "tcp", Unit: UnitCluster}}
		},
	})
}
