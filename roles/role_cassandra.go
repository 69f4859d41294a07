package roles

import "github.com/midobake/midobake/cloud"

// cassandra: a node of the NSDB's Cassandra, from DataStax's repository (dsc22). The hook
// applies the settings file to the packaged cassandra.yaml; tmpfiles.d keeps its run
// directory across boots.
func init() {
	register(Role{Name: cloud.RoleCassandra, In: func(p Plan) bool { return p.Has(cloud.RoleCassandra) },
		Repos:    []string{"datastax"},
		Packages: []string{"dsc22"},
		Files: []FileSpec{
			{Template: "cassandra-settings.yaml.tmpl", Path: CassandraSettingsPath},
			{Template: "cassandra-tmpfiles.conf.tmpl", Path: CassandraTmpfilesPath},
		},
		Units: []string{UnitCassandra},
	})
}
