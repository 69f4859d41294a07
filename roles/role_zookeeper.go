package roles

import "github.com/midobake/midobake/cloud"

// zookeeper: a server of the ensemble (the NSDB's coordination half), with autopurge.
// nmap-ncat: the four-letter-word checks of the NSDB guide.
func init() {
	register(Role{Name: cloud.RoleZooKeeper, In: func(p Plan) bool { return p.Has(cloud.RoleZooKeeper) },
		Packages: []string{"zookeeper", "nmap-ncat"},
		Files:    []FileSpec{{Template: "zoo.cfg.tmpl", Path: ZooCfgPath}},
		Units:    []string{UnitZooKeeper},
	})
}
