package roles

// midolman: MidoNet's agent, on every host that runs it (every CLC, NC and gateway: a fact of
// the cloud, Plan.Midolman); its resource template is set at first boot.
func init() {
	register(Role{Name: "midolman", In: func(p Plan) bool { return p.Midolman },
		Packages: []string{"midolman", "midonet-tools"},
		Files:    []FileSpec{{Template: "midolman.conf.tmpl", Path: MidolmanConfPath}},
		Units:    []string{UnitMidolman},
	})
}
