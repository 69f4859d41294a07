// Package roles knows what each role of a MidoNet-on-Eucalyptus cloud needs — repositories,
// packages, configuration files, services, bake steps and first-boot steps — and turns a
// validated cloud into one Plan per profile. The cloud-init emitter, the Packer provisioner and
// the first-boot hook all execute these plans; none of them re-derives role logic.
package roles

import (
	"io/fs"
	"sort"
	"strings"

	"github.com/midobake/midobake/cloud"
)

// Repo is one yum repository as it will be written to /etc/yum.repos.d/<ID>.repo.
type Repo struct {
	ID       string
	Name     string
	BaseURL  string
	GPGKey   string // "" with GPGCheck: keys already imported into rpm's database
	GPGCheck bool
}

// DefaultRepos are MidoNet 5.2's public repositories (see the reference install guide). Their
// hosts are gone today, so every one of them can be replaced by a mirror in midonet.repos.
var DefaultRepos = map[string]Repo{
	"midonet": {ID: "midonet", Name: "MidoNet",
		BaseURL: "http://builds.midonet.org/midonet-5.2/stable/el7/", GPGKey: "https://builds.midonet.org/midorepo.key", GPGCheck: true},
	"midonet-misc": {ID: "midonet-misc", Name: "MidoNet 3rd Party Tools and Libraries",
		BaseURL: "http://builds.midonet.org/misc/stable/el7/", GPGKey: "https://builds.midonet.org/midorepo.key", GPGCheck: true},
	"datastax": {ID: "datastax", Name: "DataStax Repo for Apache Cassandra",
		BaseURL: "http://rpm.datastax.com/community", GPGKey: "https://rpm.datastax.com/rpm/repo_key", GPGCheck: true},
}

// Service unit names, in the order first boot starts them: the NSDB before anything that
// connects to it, the cluster before the agents that register with it.
const (
	UnitZooKeeper = "zookeeper"
	UnitCassandra = "cassandra"
	UnitCluster   = "midonet-cluster"
	UnitMidolman  = "midolman"
	UnitFirstBoot = "midobake-firstboot"
	// UnitEnrol, on the CLC, enrols every Midolman host in the tunnel zone whenever it comes.
	UnitEnrol = "midobake-enrol"
)

// Paths on the target host that the plans and the hook share.
const (
	SitePath = "/etc/midobake/cloud.yaml"
	// SiteRefPath holds, for a user-data rendered with --site-url, where to fetch the site
	// data and its SHA-256; the hook fetches and verifies it into SitePath.
	SiteRefPath           = "/etc/midobake/site.ref"
	NSDBConfPath          = "/etc/midobake/mn-conf-default.conf"
	NetworkPath           = "/etc/midobake/network.json"
	StatePath             = "/var/lib/midobake/state.json"
	HookPath              = "/usr/bin/midobake"
	FirstBootUnitPath     = "/etc/systemd/system/midobake-firstboot.service"
	EnrolUnitPath         = "/etc/systemd/system/midobake-enrol.service"
	MidolmanConfPath      = "/etc/midolman/midolman.conf"
	MidonetConfPath       = "/etc/midonet/midonet.conf"
	ZooCfgPath            = "/etc/zookeeper/zoo.cfg"
	ZooKeeperDataDir      = "/var/lib/zookeeper/data"
	CassandraYAMLPath     = "/etc/cassandra/conf/cassandra.yaml"
	CassandraSettingsPath = "/etc/midobake/cassandra-settings.yaml"
	CassandraTmpfilesPath = "/etc/tmpfiles.d/cassandra.conf"
	CassandraRunDir       = "/var/run/cassandra"
	// JavaDefaultPath is where the ZooKeeper package of MidoNet's misc repository looks for
	// Java (JAVA_HOME=/usr/java/default); the NSDB guide links it to the system's java.
	JavaDefaultPath  = "/usr/java/default/bin/java"
	SystemJavaPath   = "/usr/bin/java"
	MidolmanEnvPath  = "/etc/midolman/midolman-env.sh"
	HostIDPath       = "/etc/midonet_host_id.properties"
	UplinkScriptPath = "/usr/libexec/midobake/uplink"
	UplinkUnitPath   = "/etc/systemd/system/midobake-uplink.service"
	ZooKeeperPort    = 2181
	RESTAPIAddress   = "127.0.0.1:8080"
	// MidonetRootKey is where MidoNet keeps its state in ZooKeeper (root_key), and
	// DefaultTemplateZNode where mn-conf keeps the default template: it exists once the
	// CLC's first boot has run "mn-conf set -t default" (the NSDB settings).
	MidonetRootKey       = "/midonet"
	DefaultTemplateZNode = MidonetRootKey + "/config/templates/default"
)

// IdentityPaths are what a golden image must not carry: each clone must create its own
// MidoNet host ID, ZooKeeper identity, Cassandra state, cloud-init instance, machine ID and
// SSH host keys on first boot; nor the logs of the bake's own boot under cloud-init (the
// build machine's name, addresses and host key fingerprints). Globs are expanded on the target.
var IdentityPaths = []string{
	HostIDPath,
	"/etc/midolman/host_uuid.properties",
	ZooKeeperDataDir + "/myid",
	ZooKeeperDataDir + "/version-2",
	"/var/lib/cassandra/*",
	"/var/db/midolman",
	"/var/lib/cloud/instance",
	"/var/lib/cloud/instances",
	"/var/lib/cloud/sem",
	"/var/lib/cloud/data",
	"/var/log/cloud-init.log",
	"/var/log/cloud-init-output.log",
	StatePath,
	"/etc/ssh/ssh_host_*",
}

// File is a file a plan writes on the target.
type File struct {
	Path    string
	Mode    fs.FileMode // permission bits: 0644, or 0600 when it holds a credential
	Owner   string      // user:group
	Content []byte
	// Defer writes the file after packages are installed: the package owns the path (its
	// directory, its user, or a config file rpm would otherwise set aside as .rpmsave).
	Defer bool
}

// Step names a first-boot step. Names are recorded in the hook's state file, so they never
// change.
type Step string

// The first-boot steps, in the order they run. A plan lists the ones its roles need; the hook
// implements each.
const (
	StepIdentify    Step = "identify"
	StepZooKeeper        = "zookeeper"
	StepCassandra        = "cassandra"
	StepMidonetConf      = "midonet-conf"
	StepNSDBConfig       = "mn-conf-default"
	StepCluster          = "midonet-cluster"
	StepMidolman         = "midolman"
	StepTemplate         = "template"
	StepUplink           = "uplink"
	StepAnnounce         = "announce"
	StepTunnelZone       = "tunnel-zone"
	StepNetwork          = "network-config"
)

// Plan is everything one profile (a set of roles shared by some hosts) needs. Nothing in it
// depends on which host of the profile it runs on: that is resolved at first boot.
type Plan struct {
	Profile  string
	Roles    []string
	Hosts    []string // the hosts of this profile, in description order
	Repos    []Repo
	Packages []string // installed in one transaction
	Files    []File   // host-independent configuration, sorted by path
	Units    []string // services the bake disables and first boot enables, in start order
	Steps    []Step   // first-boot steps, in order
}

// Has reports whether the plan's profile includes the role.
func (p Plan) Has(role string) bool {
	for _, r := range p.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Repos resolves the repositories the cloud uses: defaults, replaced by the description's
// mirrors. A mirror keeps the default's signing key unless it names its own, and checks
// signatures unless it says gpgcheck: false. The midobake repository exists only when the
// description names one.
func Repos(c *cloud.Cloud) map[string]Repo {
	out := map[string]Repo{}
	for id, r := range DefaultRepos {
		out[id] = r
	}
	for id, r := range c.Midonet.Repos {
		def, ok := DefaultRepos[id]
		if !ok {
			def.Name = "midobake first-boot hook"
		}
		key := r.GPGKey
		if key == "" {
			key = def.GPGKey
		}
		out[id] = Repo{ID: id, Name: def.Name, BaseURL: r.BaseURL, GPGKey: key, GPGCheck: r.ChecksSignatures()}
	}
	return out
}

// Plans makes one plan per profile, sorted by profile name.
func Plans(top Topology, t *Templates) ([]Plan, error) {
	c := top.Cloud
	byProfile := map[string][]cloud.Host{}
	for _, h := range c.Hosts {
		byProfile[h.Profile()] = append(byProfile[h.Profile()], h)
	}
	profiles := make([]string, 0, len(byProfile))
	for p := range byProfile {
		profiles = append(profiles, p)
	}
	sort.Strings(profiles)
	shared, err := newRenderContext(top, t)
	if err != nil {
		return nil, err
	}
	plans := make([]Plan, 0, len(profiles))
	for _, p := range profiles {
		plans = append(plans, shared.plan(p, byProfile[p]))
	}
	return plans, nil
}

// renderContext renders each cloud-level file once; profiles then share the results.
type renderContext struct {
	top   Topology
	t     *Templates
	repos map[string]Repo
	files map[string]File
}

func newRenderContext(top Topology, t *Templates) (*renderContext, error) {
	rc := &renderContext{top: top, t: t, repos: Repos(top.Cloud), files: map[string]File{}}
	vars := CloudVars(top)
	add := func(tmpl, path string, mode fs.FileMode, extra map[string]any) error {
		content, err := t.Render(tmpl, vars, extra)
		if err != nil {
			return err
		}
		rc.files[path] = File{Path: path, Mode: mode, Owner: "root:root", Content: content, Defer: true}
		return nil
	}
	for _, id := range sortedRepoIDs(rc.repos) {
		r := rc.repos[id]
		mode := fs.FileMode(0o644)
		if cloud.HasPassword(r.BaseURL) || cloud.HasPassword(r.GPGKey) {
			mode = 0o600
		}
		if err := add("repo.tmpl", "/etc/yum.repos.d/"+id+".repo", mode, map[string]any{"repo": r}); err != nil {
			return nil, err
		}
		// yum needs the repositories before it installs anything.
		f := rc.files["/etc/yum.repos.d/"+id+".repo"]
		f.Defer = false
		rc.files[f.Path] = f
	}
	for _, f := range []struct{ tmpl, path string }{
		{"midolman.conf.tmpl", MidolmanConfPath},
		{"midonet.conf.tmpl", MidonetConfPath},
		{"zoo.cfg.tmpl", ZooCfgPath},
		{"mn-conf-default.conf.tmpl", NSDBConfPath},
		{"cassandra-settings.yaml.tmpl", CassandraSettingsPath},
		{"cassandra-tmpfiles.conf.tmpl", CassandraTmpfilesPath},
		{"midobake-firstboot.service.tmpl", FirstBootUnitPath},
		{"midobake-enrol.service.tmpl", EnrolUnitPath},
	} {
		if err := add(f.tmpl, f.path, 0o644, nil); err != nil {
			return nil, err
		}
	}
	return rc, nil
}

func sortedRepoIDs(m map[string]Repo) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// CloudVars are the template variables every file may use.
func CloudVars(top Topology) map[string]any {
	c := top.Cloud
	return map[string]any{
		"cloud":              c.Name,
		"zookeeper_hosts":    strings.Join(top.ZooKeeperClients(ZooKeeperPort), ","),
		"zookeeper_servers":  top.ZooKeeperServers(),
		"cassandra_servers":  strings.Join(top.CassandraServers(), ","),
		"cassandra_seeds":    top.CassandraServers(),
		"cassandra_cluster":  c.Midonet.CassandraClusterName,
		"replication_factor": top.ReplicationFactor(),
		"rest_api_host":      "127.0.0.1",
		"rest_api_port":      8080,
		"zookeeper_data_dir": ZooKeeperDataDir,
		"midonet_root_key":   MidonetRootKey,
		"cassandra_run_dir":  CassandraRunDir,
		"zookeeper_port":     ZooKeeperPort,
		"site_path":          SitePath,
		"site_ref_path":      SiteRefPath,
		"hook_path":          HookPath,
		"tunnel_zone_name":   c.Midonet.TunnelZone.Name,
		"tunnel_zone_type":   c.Midonet.TunnelZone.Type,
	}
}

func (rc *renderContext) plan(profile string, hosts []cloud.Host) Plan {
	p := Plan{Profile: profile, Roles: hosts[0].Roles}
	for _, h := range hosts {
		p.Hosts = append(p.Hosts, h.Name)
	}
	midolman := false // a profile of only NSDB roles runs none, unless a host is a gateway
	for _, h := range hosts {
		midolman = midolman || rc.top.RunsMidolman(h)
	}
	repos := []string{"midonet", "midonet-misc"}
	if p.Has(cloud.RoleCassandra) {
		repos = append(repos, "datastax")
	}
	// The full user-data installs the hook as a package; operators publish it in their
	// own repository, which the description names.
	if _, ok := rc.repos["midobake"]; ok {
		repos = append(repos, "midobake")
	}
	sort.Strings(repos)
	for _, id := range repos {
		p.Repos = append(p.Repos, rc.repos[id])
	}

	pkgs := map[string]bool{"java-1.8.0-openjdk-headless": true}
	files := []string{FirstBootUnitPath}
	for _, id := range repos {
		files = append(files, "/etc/yum.repos.d/"+id+".repo")
	}
	p.Steps = []Step{StepIdentify}
	if p.Has(cloud.RoleZooKeeper) {
		pkgs["zookeeper"], pkgs["nmap-ncat"] = true, true
		files = append(files, ZooCfgPath)
		p.Units = append(p.Units, UnitZooKeeper)
		p.Steps = append(p.Steps, StepZooKeeper)
	}
	if p.Has(cloud.RoleCassandra) {
		pkgs["dsc22"] = true
		files = append(files, CassandraSettingsPath, CassandraTmpfilesPath)
		p.Units = append(p.Units, UnitCassandra)
		p.Steps = append(p.Steps, StepCassandra)
	}
	if p.Has(cloud.RoleCLC) || midolman {
		pkgs["midonet-tools"] = true
		p.Steps = append(p.Steps, StepMidonetConf)
	}
	if p.Has(cloud.RoleCLC) {
		pkgs["midonet-cluster"], pkgs["python-midonetclient"] = true, true
		files = append(files, MidonetConfPath, NSDBConfPath)
		p.Units = append(p.Units, UnitCluster)
		p.Steps = append(p.Steps, StepNSDBConfig, StepCluster)
	}
	if midolman {
		pkgs["midolman"] = true
		files = append(files, MidolmanConfPath)
		p.Units = append(p.Units, UnitMidolman)
		p.Steps = append(p.Steps, StepMidolman, StepTemplate, StepUplink, StepAnnounce)
	}
	if p.Has(cloud.RoleCLC) {
		files = append(files, EnrolUnitPath)
		p.Units = append(p.Units, UnitEnrol)
		p.Steps = append(p.Steps, StepTunnelZone, StepNetwork)
	}
	for name := range pkgs {
		p.Packages = append(p.Packages, name)
	}
	sort.Strings(p.Packages)
	sort.Strings(files)
	for _, path := range files {
		p.Files = append(p.Files, rc.files[path])
	}
	return p
}
