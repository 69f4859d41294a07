// Package roles knows what each role of a MidoNet-on-Eucalyptus cloud needs — repositories,
// packages, configuration files, services, bake steps and first-boot steps — and turns a
// validated cloud into one Plan per profile. The cloud-init emitter, the Packer provisioner and
// the first-boot hook all execute these plans; none of them re-derives role logic.
package roles

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/site"
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

// Service unit names (unitOrder, role.go, is the order first boot starts them in).
const (
	UnitZooKeeper = "zookeeper"
	UnitCassandra = "cassandra"
	UnitCluster   = "midonet-cluster"
	UnitMidolman  = "midolman"
	UnitFirstBoot = "midobake-firstboot"
	// UnitEnrol, on the CLC, enrols every Midolman host in the tunnel zone whenever it comes.
	UnitEnrol = "midobake-enrol"
	// UnitTime keeps the clock synchronized (chrony's daemon on EL7): ZooKeeper and
	// Cassandra need synchronized clocks. Enabled in images (nothing host-specific).
	UnitTime = "chronyd"
	// UnitFirewall is EL7's firewall, which blocks ZooKeeper, Cassandra and the tunnels.
	UnitFirewall = "firewalld"
)

// Paths on the target host that the plans and the hook share.
const (

	// DeferredDir holds, on a plain image, the files that must land after its packages (see
	// File.Defer) until cloud-init's final stage has installed them: the full user-data
	// writes them here and puts them in place before the hook runs.
	DeferredDir = "/var/lib/midobake/deferred"
	// TemplatesPath holds the template overrides of the render (midobake render --templates):
	// the hook renders with them, as the render did.
	TemplatesPath = "/etc/midobake/templates"
	NSDBConfPath  = "/etc/midobake/mn-conf-default.conf"
	NetworkPath   = "/etc/midobake/network.json"
	StatePath     = "/var/lib/midobake/state.json"
	// PreflightPath is the report of the hook's last preflight.
	PreflightPath = "/var/lib/midobake/preflight.json"
	// ReportPath is the hook's report of its run (package report), as it publishes it.
	ReportPath            = "/var/lib/midobake/report.json"
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
	JavaDefaultPath = "/usr/java/default/bin/java"
	SystemJavaPath  = "/usr/bin/java"
	MidolmanEnvPath = "/etc/midolman/midolman-env.sh"
	// ClusterEnvPath is midonet-cluster's JVM settings (MAX_HEAP_SIZE, HEAP_NEWSIZE), as its
	// package installs them.
	ClusterEnvPath   = "/etc/midonet-cluster/midonet-cluster-env.sh"
	HostIDPath       = "/etc/midonet_host_id.properties"
	UplinkScriptPath = "/usr/libexec/midobake/uplink"
	UplinkUnitPath   = "/etc/systemd/system/midobake-uplink.service"
	// BackupServicePath and BackupTimerPath: the description's backup schedule, on the one
	// host that takes the backups.
	BackupServicePath = "/etc/systemd/system/midobake-backup.service"
	BackupTimerPath   = "/etc/systemd/system/midobake-backup.timer"
	BackupTimer       = "midobake-backup.timer"
	// The ports the roles' services listen on (their Listens say who may connect).
	ZooKeeperPort         = 2181
	ZooKeeperPeerPort     = 2888
	ZooKeeperElectionPort = 3888
	CassandraStoragePort  = 7000
	CassandraJMXPort      = 7199
	CassandraCQLPort      = 9042
	RESTAPIPort           = 8080
	VXLANPort             = 6677 // MidoNet's VXLAN tunnels (UDP)
	RESTAPIAddress        = "127.0.0.1:8080"
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
	ReportPath, // a report names its host and its boot
	PreflightPath,
	"/etc/ssh/ssh_host_*",
}

// File is a file a plan writes on the target.
type File struct {
	Path    string
	Mode    fs.FileMode // permission bits: 0644, or 0600 when it holds a credential
	Owner   string      // user:group
	Content []byte
	// Defer writes the file after packages are installed: the package owns the path (its
	// directory, its user, or a config file rpm would otherwise set aside as .rpmsave, or
	// replace when it is not %config(noreplace)).
	Defer bool
}

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
	// Midolman: some host of the profile runs the Midolman agent (a profile of only NSDB
	// roles runs none, unless a host is a gateway).
	Midolman bool
	OS       OS
	// Firewall is the cloud's firewall mode (cloud.FirewallDisable or FirewallKeep).
	Firewall string
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
	os    OS
	repos map[string]Repo
	files map[string]File
	// overrides are the paths of the template overrides on the hosts: every profile's.
	overrides []string
}

func newRenderContext(top Topology, t *Templates) (*renderContext, error) {
	rc := &renderContext{top: top, os: ForOS(top.Cloud.OS), repos: Repos(top.Cloud), files: map[string]File{}}
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
		path := rc.os.RepoPath(id)
		if err := add(rc.os.RepoTemplate, path, mode, map[string]any{"repo": r}); err != nil {
			return nil, err
		}
		// The package manager needs the repositories before it installs anything.
		f := rc.files[path]
		f.Defer = false
		rc.files[path] = f
	}
	overrides, err := t.Overrides()
	if err != nil {
		return nil, err
	}
	for name, content := range overrides {
		if strings.HasPrefix(name, "packer-") {
			continue // Packer's templates are rendered where render runs, never on a host
		}
		p := path.Join(TemplatesPath, name)
		rc.files[p] = File{Path: p, Mode: 0o644, Owner: "root:root", Content: content}
		rc.overrides = append(rc.overrides, p)
	}
	sort.Strings(rc.overrides)
	for _, role := range allRoles {
		for _, f := range role.Files {
			mode := f.Mode
			if mode == 0 {
				mode = 0o644
			}
			if _, done := rc.files[f.Path]; done {
				continue
			}
			if err := add(f.Template, f.Path, mode, nil); err != nil {
				return nil, err
			}
			if f.Check != nil {
				if line, why := f.Check(rc.files[f.Path].Content); why != "" {
					return nil, &TemplateError{File: t.source(f.Template), Line: line, Col: 1, Err: f.Path + ": " + why}
				}
			}
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
		"rest_api_port":      RESTAPIPort,
		"zookeeper_data_dir": ZooKeeperDataDir,
		"midonet_root_key":   MidonetRootKey,
		"cassandra_run_dir":  CassandraRunDir,
		"zookeeper_port":     ZooKeeperPort,
		"site_path":          site.Path,
		"site_ref_path":      site.RefPath,
		"hook_path":          HookPath,
		"tunnel_zone_name":   c.Midonet.TunnelZone.Name,
		"tunnel_zone_type":   c.Midonet.TunnelZone.Type,
	}
}

// BackupUnits renders the backup schedule's service and timer, for the host b names.
func BackupUnits(top Topology, t *Templates, b cloud.Backup) (service, timer []byte, err error) {
	vars := map[string]any{"backup_host": b.Host, "backup_schedule": b.Schedule, "backup_dir": b.Directory, "backup_keep": b.Keep}
	cloudVars := CloudVars(top)
	if service, err = t.Render("midobake-backup.service.tmpl", cloudVars, vars); err != nil {
		return nil, nil, err
	}
	timer, err = t.Render("midobake-backup.timer.tmpl", cloudVars, vars)
	return service, timer, err
}

// plan gathers what the profile's roles need.
func (rc *renderContext) plan(profile string, hosts []cloud.Host) Plan {
	p := Plan{Profile: profile, Roles: hosts[0].Roles, OS: rc.os, Firewall: rc.top.Cloud.FirewallMode()}
	for _, h := range hosts {
		p.Hosts = append(p.Hosts, h.Name)
		p.Midolman = p.Midolman || rc.top.RunsMidolman(h)
	}
	repos, files, units := map[string]bool{}, map[string]bool{}, map[string]bool{}
	// The full user-data installs the hook as a package; operators publish it in their own
	// repository, which the description names.
	if _, ok := rc.repos["midobake"]; ok {
		repos["midobake"] = true
	}
	for _, role := range allRoles {
		if !role.In(p) {
			continue
		}
		for _, r := range role.Repos {
			repos[r] = true
		}
		for _, f := range role.Files {
			files[f.Path] = true
		}
		for _, u := range role.Units {
			units[u] = true
		}
	}
	for _, o := range rc.overrides {
		files[o] = true
	}
	for _, id := range sortedKeys(repos) {
		p.Repos = append(p.Repos, rc.repos[id])
		files[rc.os.RepoPath(id)] = true
	}
	p.Packages = packagesOf(p)
	for _, path := range sortedKeys(files) {
		p.Files = append(p.Files, rc.files[path])
	}
	for u := range units {
		p.Units = append(p.Units, u)
	}
	sort.Slice(p.Units, func(i, j int) bool { return unitRank(p.Units[i]) < unitRank(p.Units[j]) })
	return p
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// packagesOf is what a plan's roles install, sorted: their packages and the JRE.
func packagesOf(p Plan) []string {
	pkgs := map[string]bool{p.OS.Java: true}
	for _, role := range allRoles {
		if role.In(p) {
			for _, x := range role.Packages {
				pkgs[x] = true
			}
		}
	}
	return sortedKeys(pkgs)
}

// HostPackages is what the plan of a host's profile installs (Plan.Packages), without
// rendering anything: what preflight checks is installed.
func HostPackages(top Topology, h cloud.Host) []string { return packagesOf(hostPlan(top, h)) }

// hostPlan is the part of a host's profile's plan that says which roles it has, without
// rendering anything.
func hostPlan(top Topology, h cloud.Host) Plan {
	p := Plan{Profile: h.Profile(), Roles: h.Roles, OS: ForOS(top.Cloud.OS)}
	for _, x := range top.Cloud.Hosts {
		if x.Profile() == p.Profile {
			p.Midolman = p.Midolman || top.RunsMidolman(x)
		}
	}
	return p
}
