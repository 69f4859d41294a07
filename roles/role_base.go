package roles

// base: what every host of the cloud has: MidoNet's repositories, Java, the time service
// (the Eucalyptus guide's "Configure NTP": ZooKeeper and Cassandra need synchronized clocks),
// and the first-boot hook's unit.
func init() {
	register(Role{Name: "base", In: func(Plan) bool { return true },
		Repos:    []string{"midonet", "midonet-misc"},
		Packages: []string{"chrony"},
		Files:    []FileSpec{{Template: "midobake-firstboot.service.tmpl", Path: FirstBootUnitPath}},
	})
}
