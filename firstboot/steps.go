package firstboot

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/generator/cloud"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/roles"
)

// buildSteps maps the plan's step names to their implementations, in the plan's order.
func (r *run) buildSteps() []step {
	impl := map[string]step{
		roles.StepIdentify:   {describe: r.describeIdentify, do: r.doIdentify},
		roles.StepZooKeeper:  {describe: r.describeZooKeeper, do: r.doZooKeeper},
		roles.StepCassandra:  {describe: r.describeCassandra, do: r.doCassandra},
		roles.StepAgentConf:  {describe: r.describeAgentConf, do: r.doAgentConf},
		roles.StepNSDBConfig: {describe: r.describeNSDBConfig, do: r.doNSDBConfig},
		roles.StepCluster:    {describe: r.describeCluster, do: r.doCluster},
		roles.StepMidolman:   {describe: r.describeMidolman, do: r.doMidolman},
		roles.StepTemplate:   {describe: r.describeTemplate, do: r.doTemplate},
		roles.StepUplink:     {describe: r.describeUplink, do: r.doUplink},
		roles.StepTunnelZone: {describe: r.describeTunnelZone, do: r.doTunnelZone},
		roles.StepNetwork:    {describe: r.describeNetwork, do: r.doNetwork},
	}
	var steps []step
	for _, name := range r.plan.Steps {
		s, ok := impl[name]
		if !ok {
			panic("firstboot: the plan names a step with no implementation: " + name)
		}
		s.name = name
		steps = append(steps, s)
	}
	return steps
}

// --- helpers -------------------------------------------------------------------------------

func (r *run) cmd(ctx context.Context, stdin []byte, name string, args ...string) error {
	_, err := r.opts.Runner.Run(ctx, stdin, name, args...)
	return err
}

// systemctl enables and starts a unit (both are no-ops when already so).
func (r *run) enableStart(ctx context.Context, unit string) error {
	if err := r.cmd(ctx, nil, "systemctl", "enable", unit); err != nil {
		return err
	}
	return r.cmd(ctx, nil, "systemctl", "start", unit)
}

// planContent is a file of the plan as the embedded templates render it: what the hook
// falls back to when the image or the user-data did not put the file in place.
func (r *run) planContent(path string) string {
	for _, f := range r.plan.Files {
		if f.Path == path {
			return string(f.Content)
		}
	}
	return ""
}

// editFile applies edit to a configuration file as found on the host (from the image or the
// user-data, with the operator's template overrides), or to the plan's version when absent,
// and writes it back if that changes it.
func (r *run) editFile(path string, edit func(string) string) (bool, error) {
	cur, err := r.opts.Root.Read(path)
	if err != nil {
		return false, err
	}
	if cur == nil {
		cur = []byte(r.planContent(path))
	}
	return r.opts.Root.Write(path, []byte(edit(string(cur))), 0o644)
}

func (r *run) zkHosts() string { return strings.Join(r.zkAddrsAt(roles.ZooKeeperPort), ",") }

func changed(path string, did bool) string {
	if did {
		return "wrote " + path
	}
	return path + " unchanged"
}

// zkAddrs are the ensemble's client addresses the hook connects to.
func (r *run) zkAddrs() []string { return r.zkAddrsAt(r.opts.ZooKeeperPort) }

func (r *run) zkAddrsAt(port int) []string {
	var out []string
	for _, h := range r.c.WithRole(cloud.RoleZooKeeper) {
		out = append(out, fmt.Sprintf("%s:%d", h.Address, port))
	}
	return out
}

// waitZooKeeper waits until some server of the ensemble serves clients.
func (r *run) waitZooKeeper(ctx context.Context) error {
	addrs := r.zkAddrs()
	return r.wait(ctx, "ZooKeeper ("+strings.Join(addrs, ", ")+")", func(ctx context.Context) error {
		var last error
		for _, a := range addrs {
			if last = zkServing(ctx, a); last == nil {
				return nil
			}
		}
		return retryable(last)
	})
}

// mnConf runs mn-conf, retrying while it loses its ZooKeeper connection (exit status 3,
// its bootstrap timeout is one second).
func (r *run) mnConf(ctx context.Context, stdin []byte, args ...string) error {
	return r.wait(ctx, "mn-conf "+strings.Join(args, " "), func(ctx context.Context) error {
		err := r.cmd(ctx, stdin, "mn-conf", args...)
		if err != nil && exitCode(err) == 3 {
			return retryable(fmt.Errorf("ZooKeeper connection lost (exit 3)"))
		}
		return err
	})
}

// --- identify ------------------------------------------------------------------------------

func (r *run) describeIdentify() []string {
	return []string{fmt.Sprintf("this host is %s: address %s, tunnel address %s, profile %s", r.host.Name, r.host.Address, r.host.TunnelAddress, r.plan.Profile)}
}

func (r *run) doIdentify(ctx context.Context) (string, error) {
	return fmt.Sprintf("host %s, address %s, profile %s", r.host.Name, r.host.Address, r.plan.Profile), nil
}

// --- ZooKeeper -----------------------------------------------------------------------------

// myid is the host's 1-based position in the ensemble, as zoo.cfg's server.N lines number it.
func (r *run) myid() int {
	for i, h := range r.c.WithRole(cloud.RoleZooKeeper) {
		if h.Name == r.host.Name {
			return i + 1
		}
	}
	return 0
}

func (r *run) describeZooKeeper() []string {
	return []string{
		fmt.Sprintf("set the ensemble (%d servers), dataDir and autopurge in %s; write %s/myid = %d", len(r.zkAddrs()), roles.ZooCfg, roles.ZooKeeperData, r.myid()),
		"systemctl enable zookeeper; systemctl start zookeeper",
		fmt.Sprintf("wait until this server serves clients at %s:%d (the ensemble has quorum)", r.host.Address, r.opts.ZooKeeperPort),
	}
}

func (r *run) doZooKeeper(ctx context.Context) (string, error) {
	var servers []string
	for _, h := range r.c.WithRole(cloud.RoleZooKeeper) {
		servers = append(servers, h.Address)
	}
	cfg, err := r.editFile(roles.ZooCfg, func(s string) string {
		return setProperties(s, zooSettings(servers, roles.ZooKeeperData, roles.ZooKeeperPort), "server.")
	})
	if err != nil {
		return "", err
	}
	id := r.myid()
	if _, err := r.opts.Root.Write(roles.ZooKeeperData+"/myid", []byte(fmt.Sprintf("%d\n", id)), 0o644); err != nil {
		return "", err
	}
	if err := r.cmd(ctx, nil, "chown", "-R", "zookeeper:zookeeper", r.opts.Root.Path("/var/lib/zookeeper")); err != nil {
		return "", err
	}
	if err := r.enableStart(ctx, roles.UnitZooKeeper); err != nil {
		return "", err
	}
	own := fmt.Sprintf("%s:%d", r.host.Address, r.opts.ZooKeeperPort)
	if err := r.wait(ctx, "ZooKeeper at "+own+" to serve", func(ctx context.Context) error {
		return retryable(zkServing(ctx, own))
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, myid %d, zookeeper serving", changed(roles.ZooCfg, cfg), id), nil
}

// --- Cassandra -----------------------------------------------------------------------------

var reSeeds = regexp.MustCompile(`(?m)^(\s*-?\s*)seeds:.*$`)

func (r *run) seeds() string {
	var s []string
	for _, h := range r.c.WithRole(cloud.RoleCassandra) {
		s = append(s, h.Address)
	}
	return strings.Join(s, ",")
}

func (r *run) describeCassandra() []string {
	return []string{
		fmt.Sprintf("apply %s (cluster_name '%s', seeds \"%s\") and listen_address, rpc_address %s to %s", roles.CassandraConf, r.c.Midonet.CassandraClusterName, r.seeds(), r.host.Address, roles.CassandraYAML),
		"systemctl enable cassandra; systemctl start cassandra (the cluster name is final before the first start)",
	}
}

// cassandraSettings reads the settings to apply, in order: the file the user-data or the
// image wrote (an overridden template may add keys), else the plan's rendering, then this
// host's addresses.
func (r *run) cassandraSettings() ([][2]string, error) {
	src, err := r.opts.Root.Read(roles.CassandraConf)
	if err != nil {
		return nil, err
	}
	if src == nil {
		src = []byte(r.planContent(roles.CassandraConf))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", roles.CassandraConf, err)
	}
	var out [][2]string
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			v, err := yaml.Marshal(m.Content[i+1])
			if err != nil {
				return nil, err
			}
			out = append(out, [2]string{m.Content[i].Value, strings.TrimSpace(string(v))})
		}
	} else if len(doc.Content) > 0 {
		return nil, fmt.Errorf("%s: not a mapping of cassandra.yaml keys", roles.CassandraConf)
	}
	return append(out, [2]string{"listen_address", r.host.Address}, [2]string{"rpc_address", r.host.Address}), nil
}

// doCassandra sets the keys Cassandra needs before its first start in the packaged
// cassandra.yaml, leaving the rest as the package wrote it.
func (r *run) doCassandra(ctx context.Context) (string, error) {
	old, err := r.opts.Root.Read(roles.CassandraYAML)
	if err != nil {
		return "", err
	}
	if old == nil {
		return "", fmt.Errorf("%s not found: is the dsc22 package installed?", roles.CassandraYAML)
	}
	settings, err := r.cassandraSettings()
	if err != nil {
		return "", err
	}
	s := string(old)
	for _, kv := range settings {
		if kv[0] == "seeds" {
			if reSeeds.MatchString(s) {
				s = reSeeds.ReplaceAllLiteralString(s, reSeeds.FindStringSubmatch(s)[1]+"seeds: "+kv[1])
			} else {
				s += "seed_provider:\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n    parameters:\n      - seeds: " + kv[1] + "\n"
			}
			continue
		}
		// A top-level key, set where it is (commented out or not) or added at the end.
		re := regexp.MustCompile(`(?m)^(#\s?)?` + regexp.QuoteMeta(kv[0]) + `:.*$`)
		line := kv[0] + ": " + kv[1]
		if loc := re.FindStringIndex(s); loc != nil {
			s = s[:loc[0]] + line + s[loc[1]:]
		} else {
			s = strings.TrimSuffix(s, "\n") + "\n" + line + "\n"
		}
	}
	did, err := r.opts.Root.Write(roles.CassandraYAML, []byte(s), 0o644)
	if err != nil {
		return "", err
	}
	if err := r.enableStart(ctx, roles.UnitCassandra); err != nil {
		return "", err
	}
	return changed(roles.CassandraYAML, did) + ", cassandra started", nil
}

// --- MidoNet configuration -----------------------------------------------------------------

func (r *run) agentConfs() []string {
	var out []string
	for _, p := range []string{roles.MidonetConf, roles.MidolmanConf} {
		if r.planContent(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

func (r *run) describeAgentConf() []string {
	return []string{fmt.Sprintf("set zookeeper_hosts = %s in %s", r.zkHosts(), strings.Join(r.agentConfs(), " and "))}
}

func (r *run) doAgentConf(ctx context.Context) (string, error) {
	var out []string
	for _, p := range r.agentConfs() {
		did, err := r.editFile(p, func(s string) string { return setINI(s, "zookeeper", "zookeeper_hosts", r.zkHosts()) })
		if err != nil {
			return "", err
		}
		out = append(out, changed(p, did))
	}
	return strings.Join(out, ", "), nil
}

func (r *run) describeNSDBConfig() []string {
	return []string{
		fmt.Sprintf("pipe %s into 'mn-conf set -t default' once ZooKeeper serves:", roles.NSDBConfPath),
		fmt.Sprintf("zookeeper_hosts %s, cassandra servers %s, REST API on %s", strings.Join(r.zkAddrs(), ","), r.seeds(), roles.RESTAPIAddress),
	}
}

func (r *run) doNSDBConfig(ctx context.Context) (string, error) {
	// The file as the user-data or the image wrote it (with any template override); the
	// embedded rendering only if it is missing.
	did, err := r.editFile(roles.NSDBConfPath, func(s string) string { return s })
	if err != nil {
		return "", err
	}
	conf, err := r.opts.Root.Read(roles.NSDBConfPath)
	if err != nil {
		return "", err
	}
	if err := r.waitZooKeeper(ctx); err != nil {
		return "", err
	}
	if err := r.mnConf(ctx, conf, "set", "-t", "default"); err != nil {
		return "", err
	}
	return changed(roles.NSDBConfPath, did) + ", default template set", nil
}

func (r *run) cassandraAddrs() []string {
	var out []string
	for _, h := range r.c.WithRole(cloud.RoleCassandra) {
		out = append(out, fmt.Sprintf("%s:%d", h.Address, r.opts.CassandraPort))
	}
	return out
}

func (r *run) describeCluster() []string {
	return []string{fmt.Sprintf("wait for Cassandra (%s); systemctl enable midonet-cluster; systemctl start midonet-cluster", strings.Join(r.cassandraAddrs(), ", "))}
}

func (r *run) doCluster(ctx context.Context) (string, error) {
	addrs := r.cassandraAddrs()
	err := r.wait(ctx, "Cassandra ("+strings.Join(addrs, ", ")+")", func(ctx context.Context) error {
		var last error
		for _, a := range addrs {
			if last = tcpOpen(ctx, a); last == nil {
				return nil
			}
		}
		return retryable(last)
	})
	if err != nil {
		return "", err
	}
	if err := r.enableStart(ctx, roles.UnitCluster); err != nil {
		return "", err
	}
	return "midonet-cluster started", nil
}

// --- Midolman ------------------------------------------------------------------------------

func (r *run) describeMidolman() []string {
	return []string{fmt.Sprintf("wait for ZooKeeper (%s); systemctl enable midolman; systemctl start midolman", strings.Join(r.zkAddrs(), ", "))}
}

func (r *run) doMidolman(ctx context.Context) (string, error) {
	if err := r.waitZooKeeper(ctx); err != nil {
		return "", err
	}
	if err := r.enableStart(ctx, roles.UnitMidolman); err != nil {
		return "", err
	}
	return "midolman started", nil
}

// heapFile is the midolman-env.sh variant that matches a template: the JVM heap is sized
// separately from the template's flow tables.
func heapFile(template string) string {
	kind, size := "compute", "medium"
	if strings.Contains(template, "gateway") {
		kind = "gateway"
	}
	if strings.HasSuffix(template, "-large") {
		size = "large"
	}
	return roles.MidolmanEnv + "." + kind + "." + size
}

func (r *run) describeTemplate() []string {
	t := r.c.Template(r.host)
	return []string{fmt.Sprintf("mn-conf template-set -h local -t %s; install %s as %s; systemctl restart midolman", t, heapFile(t), roles.MidolmanEnv)}
}

func (r *run) doTemplate(ctx context.Context) (string, error) {
	t := r.c.Template(r.host)
	if err := r.mnConf(ctx, nil, "template-set", "-h", "local", "-t", t); err != nil {
		return "", err
	}
	heap, err := r.opts.Root.Read(heapFile(t))
	if err != nil {
		return "", err
	}
	if heap == nil {
		return "", fmt.Errorf("%s not found: is the midolman package installed?", heapFile(t))
	}
	if _, err := r.opts.Root.Write(roles.MidolmanEnv, heap, 0o644); err != nil {
		return "", err
	}
	// Restart even when the heap file was already in place: a run killed between writing
	// it and restarting would otherwise leave Midolman on the old heap for good.
	if err := r.cmd(ctx, nil, "systemctl", "restart", roles.UnitMidolman); err != nil {
		return "", err
	}
	return fmt.Sprintf("template %s, heap from %s, midolman restarted", t, heapFile(t)), nil
}

// --- gateway uplink ------------------------------------------------------------------------

func (r *run) uplinkSkip() string {
	g := r.c.Gateway(r.host)
	switch {
	case g == nil:
		return r.host.Name + " is not a gateway"
	case r.c.Network.Mido.BgpAsn != "":
		return "BGP uplink: MidoNet peers with the router itself; nothing to set up on the host"
	}
	return ""
}

func (r *run) uplinkVars() map[string]any {
	g := r.c.Gateway(r.host)
	var cidrs []string
	for _, p := range r.c.PublicPrefixes() {
		cidrs = append(cidrs, p.String())
	}
	_, bits, _ := strings.Cut(g.ExternalCidr, "/")
	return map[string]any{
		"host": r.host.Name, "gateway": g, "router_ip": g.ExternalRouterIp, "prefix_len": bits,
		"public_cidrs": cidrs, "uplink_script": roles.UplinkScript,
	}
}

func (r *run) describeUplink() []string {
	if why := r.uplinkSkip(); why != "" {
		return []string{"skip: " + why}
	}
	g := r.c.Gateway(r.host)
	return []string{
		fmt.Sprintf("write %s and %s: veth0/%s, bridge uplinkbridge with %s/%s, ip_forward, routes, NAT and FORWARD rules for %s",
			roles.UplinkScript, roles.UplinkUnit, g.ExternalDevice, g.ExternalRouterIp, r.uplinkVars()["prefix_len"], strings.Join(r.c.Network.PublicIps, ", ")),
		"systemctl daemon-reload; systemctl enable midobake-uplink; systemctl restart midobake-uplink (persists across reboots)",
	}
}

func (r *run) doUplink(ctx context.Context) (string, error) {
	if why := r.uplinkSkip(); why != "" {
		return "skipped: " + why, nil
	}
	vars := r.uplinkVars()
	cloudVars := roles.CloudVars(r.c)
	script, err := r.opts.Templates.Render("uplink.tmpl", cloudVars, vars)
	if err != nil {
		return "", err
	}
	unit, err := r.opts.Templates.Render("midobake-uplink.service.tmpl", cloudVars, vars)
	if err != nil {
		return "", err
	}
	if _, err := r.opts.Root.Write(roles.UplinkScript, script, 0o755); err != nil {
		return "", err
	}
	if _, err := r.opts.Root.Write(roles.UplinkUnit, unit, 0o644); err != nil {
		return "", err
	}
	for _, args := range [][]string{{"daemon-reload"}, {"enable", "midobake-uplink"}, {"restart", "midobake-uplink"}} {
		if err := r.cmd(ctx, nil, "systemctl", args...); err != nil {
			return "", err
		}
	}
	return "static uplink on " + r.c.Gateway(r.host).ExternalDevice + " applied and enabled", nil
}

// --- tunnel zone ---------------------------------------------------------------------------

// agentHosts are the hosts eucanetd needs in the tunnel zone: every host that runs Midolman.
func (r *run) agentHosts() []cloud.Host {
	var out []cloud.Host
	for _, h := range r.c.Hosts {
		if h.RunsMidolman(r.c.Gateway(h) != nil) {
			out = append(out, h)
		}
	}
	return out
}

func (r *run) describeTunnelZone() []string {
	tz := r.c.Midonet.TunnelZone
	lines := []string{fmt.Sprintf("through %s: create tunnel zone %s (%s) if missing; enroll each host once MidoNet reports it alive:", r.opts.API, tz.Name, tz.Type)}
	for _, h := range r.agentHosts() {
		lines = append(lines, fmt.Sprintf("  %s with tunnel address %s", h.Name, h.TunnelAddress))
	}
	return lines
}

// hostIndex finds MidoNet's host for a cloud host: by name (short or qualified), else by
// one of its addresses. A map keeps enrolment linear in the number of hosts.
type hostIndex map[string]*midoHost

func indexHosts(hosts []midoHost) hostIndex {
	idx := hostIndex{}
	for i := range hosts {
		m := &hosts[i]
		short, _, _ := strings.Cut(m.Name, ".")
		for _, k := range append([]string{"name:" + m.Name, "name:" + short}, prefixed("addr:", m.Addresses)...) {
			if _, taken := idx[k]; !taken {
				idx[k] = m
			}
		}
	}
	return idx
}

func prefixed(p string, s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = p + x
	}
	return out
}

func (idx hostIndex) find(h cloud.Host) *midoHost {
	for _, k := range []string{"name:" + h.Name, "addr:" + h.Address, "addr:" + h.TunnelAddress} {
		if m, ok := idx[k]; ok {
			return m
		}
	}
	return nil
}

func (r *run) doTunnelZone(ctx context.Context) (string, error) {
	want := r.c.Midonet.TunnelZone
	var zone tunnelZone
	err := r.wait(ctx, "MidoNet API to list tunnel zones", func(ctx context.Context) error {
		zones, err := r.api.tunnelZones(ctx)
		if err != nil {
			return err
		}
		for _, z := range zones {
			if z.Name == want.Name {
				zone = z
				return nil
			}
		}
		status, err := r.api.createTunnelZone(ctx, tunnelZone{Name: want.Name, Type: want.Type})
		if err != nil && status != 409 { // 409: created meanwhile; list again
			return err
		}
		return retryable(fmt.Errorf("tunnel zone %s created; listing it", want.Name))
	})
	if err != nil {
		return "", err
	}
	if zone.Type != want.Type {
		return "", fmt.Errorf("tunnel zone %s exists with type %s but the cloud says %s; MidoNet cannot change a zone's type: fix it by hand", zone.Name, zone.Type, want.Type)
	}
	enrolled := map[string]bool{}
	err = r.wait(ctx, "every host to register with MidoNet and join tunnel zone "+want.Name, func(ctx context.Context) error {
		hosts, err := r.api.hosts(ctx)
		if err != nil {
			return err
		}
		members, err := r.api.members(ctx, zone.ID)
		if err != nil {
			return err
		}
		memberIP := map[string]string{}
		for _, m := range members {
			memberIP[m.HostID] = m.IPAddress
		}
		byKey := indexHosts(hosts)
		var pending []string
		for _, h := range r.agentHosts() {
			mh := byKey.find(h)
			if mh == nil || !mh.Alive {
				pending = append(pending, h.Name)
				continue
			}
			ip, isMember := memberIP[mh.ID]
			if isMember && ip == h.TunnelAddress {
				enrolled[h.Name] = true
				continue
			}
			if isMember { // enrolled with an old tunnel address
				if _, err := r.api.removeMember(ctx, zone.ID, mh.ID); err != nil {
					return err
				}
			}
			status, err := r.api.addMember(ctx, zone.ID, member{HostID: mh.ID, IPAddress: h.TunnelAddress})
			if err != nil && status != 409 {
				return err
			}
			r.logf("  enrolled %s (%s) in %s with %s", h.Name, mh.ID, want.Name, h.TunnelAddress)
			enrolled[h.Name] = true
		}
		if len(pending) > 0 {
			return retryable(fmt.Errorf("not yet registered and alive in MidoNet: %s", strings.Join(pending, ", ")))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("tunnel zone %s (%s) has all %d hosts", want.Name, want.Type, len(enrolled)), nil
}

// --- Eucalyptus network configuration ------------------------------------------------------

func (r *run) describeNetwork() []string {
	return []string{fmt.Sprintf("write %s for: euctl cloud.network.network_configuration=@%s", roles.NetworkPath, roles.NetworkPath)}
}

func (r *run) doNetwork(ctx context.Context) (string, error) {
	did, err := r.opts.Root.Write(roles.NetworkPath, emit.NetworkJSON(r.c), 0o644)
	if err != nil {
		return "", err
	}
	return changed(roles.NetworkPath, did) + "; apply it with: euctl cloud.network.network_configuration=@" + roles.NetworkPath, nil
}
