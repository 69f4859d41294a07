package roles

// midolman: MidoNet's agent, on every host that runs it (every CLC, NC and gateway: a fact of
// the cloud, Plan.Midolman); its resource template is set at first boot.
func init() {
	register(Role{Name: "midolman", In: func(p Plan) bool { return p.Midolman },
		Packages: []string{"midolman", "midonet-tools"},
		Files:    []FileSpec{{Template: "midolman.conf.tmpl", Path: MidolmanConfPath}},
		Units:    []string{UnitMidolman},
		Needs:    &Need{Share: "Midolman", MemoryMiB: 2048},
		Support:  []SupportFile{{MidolmanConfPath, "Midolman"}, {MidolmanEnvPath, "Midolman: its JVM"}, {HostIDPath, "MidoNet: this host's id"}},
		Listens: func(top Topology) []Listen {
			// The tunnels, between the agents' tunnel addresses: GRE, or VXLAN's UDP port.
			tunnel := Listen{Proto: "gre", Set: "tunnels", From: tunnelAddresses(top.Agents)}
			if top.Cloud.Midonet.TunnelZone.Type == "vxlan" {
				tunnel.Port, tunnel.Proto = VXLANPort, "udp"
			}
			return []Listen{tunnel}
		},
	})
}
