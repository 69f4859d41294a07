package roles

// base: what every host of the cloud has: MidoNet's repositories, Java, and the first-boot
// hook's unit.
func init() {
	register(Role{Name: "base", In: func(Plan) bool { return true },
		Repos: []string{"midonet", "midonet-misc"},
		Files: []FileSpec{{Template: "midobake-firstboot.service.tmpl", Path: FirstBootUnitPath}},
	})
}
