// Package cloud owns the cloud description (format v1): its model, loading it from YAML with
// every field's source position kept, validating it, and normalizing it for the planners.
package cloud

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
)

// Role names as written in a cloud description.
const (
	RoleCLC       = "clc"
	RoleNC        = "nc"
	RoleUFS       = "ufs"
	RoleZooKeeper = "zookeeper"
	RoleCassandra = "cassandra"
	// RoleNSDB is shorthand for zookeeper and cassandra; normalization expands it.
	RoleNSDB = "nsdb"
)

// RoleOrder is the canonical order of roles in a profile name: the Eucalyptus component
// first, then the NSDB services, so that profile names read like "clc+cassandra+zookeeper".
var RoleOrder = []string{RoleCLC, RoleNC, RoleUFS, RoleCassandra, RoleZooKeeper}

// Cloud is a whole cloud description. Field tags name the YAML keys; the decoder rejects any
// key not listed here, so a typo is never silently ignored.
type Cloud struct {
	Version int     `yaml:"version" decode:"required"`
	Name    string  `yaml:"name" decode:"required"`
	OS      string  `yaml:"os" decode:"required"`
	Midonet Midonet `yaml:"midonet" decode:"required,section"`
	Hosts   []Host  `yaml:"hosts" decode:"required,section"`
	Network Network `yaml:"network" decode:"required,section"`
	// Firewall says what the hook does about firewalld (the Eucalyptus guide's host
	// preparation); absent: FirewallDisable.
	Firewall Firewall `yaml:"firewall,omitempty" decode:"section"`
	// Backup schedules backups of the cloud's ZooKeeper on one host; off unless it has a
	// schedule.
	Backup Backup `yaml:"backup,omitempty" decode:"section"`
}

// Backup is a schedule of "midobake backup" (a systemd timer) on one host.
type Backup struct {
	// Schedule is when: hourly, daily, weekly, monthly, or a systemd calendar expression
	// (OnCalendar=, like "*-*-* 02:30" or "Mon,Thu *-*-* 03:00"). Absent: no backups.
	Schedule string `yaml:"schedule,omitempty"`
	// Host runs the timer: the CLC (the default) or a ZooKeeper host.
	Host string `yaml:"host,omitempty"`
	// Directory holds the backups (absent: DefaultBackupDirectory); Keep is how many of the
	// newest are kept (absent: DefaultBackupKeep).
	Directory string `yaml:"directory,omitempty"`
	Keep      int    `yaml:"keep,omitempty"`
}

// Backup defaults and bounds.
const (
	DefaultBackupDirectory = "/var/lib/midobake/backups"
	DefaultBackupKeep      = 7
	MaxBackupKeep          = 1000
)

// BackupPlan is the cloud's backup schedule with its defaults filled in, and whether it has one.
func (c *Cloud) BackupPlan() (Backup, bool) {
	b := c.Backup
	if b.Schedule == "" {
		return b, false
	}
	if b.Host == "" {
		b.Host = c.CLC().Name
	}
	if b.Directory == "" {
		b.Directory = DefaultBackupDirectory
	}
	if b.Keep == 0 {
		b.Keep = DefaultBackupKeep
	}
	return b, true
}

// Firewall is what the hosts' firewall (firewalld on EL7) does for the cloud.
type Firewall struct {
	// Mode: FirewallDisable (the default, as the Eucalyptus 4.4 guide does) or FirewallKeep.
	Mode string `yaml:"mode,omitempty"`
	// AdminSources (keep only) may also reach ZooKeeper: where operators run status and
	// backups from. IPv4 addresses or CIDR blocks.
	AdminSources []string `yaml:"adminSources,omitempty,flow"`
}

// Firewall modes.
const (
	// FirewallDisable: the hook stops and disables firewalld, as the guide says.
	FirewallDisable = "disable"
	// FirewallKeep: firewalld stays; the hook opens exactly the ports each role needs to
	// exactly the cloud's hosts, and takes access away from hosts that left the cloud.
	FirewallKeep = "keep"
)

// FirewallModes are the values of firewall.mode.
var FirewallModes = []string{FirewallDisable, FirewallKeep}

// FirewallMode is the cloud's firewall mode, FirewallDisable unless it says otherwise.
func (c *Cloud) FirewallMode() string {
	if c.Firewall.Mode == "" {
		return FirewallDisable
	}
	return c.Firewall.Mode
}

// Midonet holds the cloud-wide MidoNet settings.
type Midonet struct {
	Release              string     `yaml:"release,omitempty"`
	Size                 string     `yaml:"size,omitempty"`
	TunnelZone           TunnelZone `yaml:"tunnelZone,omitempty" decode:"section"`
	CassandraClusterName string     `yaml:"cassandraClusterName,omitempty"`
	// ClusterHeap is midonet-cluster's JVM heap on the CLC (MAX_HEAP_SIZE, like 1024M or
	// 2G); absent: from the cloud's size (ClusterHeapFor).
	ClusterHeap string          `yaml:"clusterHeap,omitempty"`
	Repos       map[string]Repo `yaml:"repos,omitempty" decode:"section"`
}

// TunnelZone is the one MidoNet tunnel zone Eucalyptus uses.
type TunnelZone struct {
	Name string `yaml:"name,omitempty"`
	Type string `yaml:"type,omitempty"`
}

// Repo is a yum repository; any default repository can be replaced by a mirror. A mirror
// keeps the default's signing key unless it names its own: signature checks are on unless
// GPGCheck says false, explicitly.
type Repo struct {
	BaseURL  string `yaml:"baseurl" decode:"required,secret"`
	GPGKey   string `yaml:"gpgkey,omitempty" decode:"secret"`
	GPGCheck *bool  `yaml:"gpgcheck,omitempty"`
}

// ChecksSignatures says whether yum verifies the packages of this repository.
func (r Repo) ChecksSignatures() bool { return r.GPGCheck == nil || *r.GPGCheck }

// Host is one machine of the cloud.
type Host struct {
	Name             string   `yaml:"name" decode:"required"`
	Address          string   `yaml:"address" decode:"required"`
	TunnelAddress    string   `yaml:"tunnelAddress,omitempty"`
	MAC              string   `yaml:"mac,omitempty"`
	PrimaryInterface string   `yaml:"primaryInterface,omitempty"`
	Roles            []string `yaml:"roles,flow" decode:"required"`
	Template         string   `yaml:"template,omitempty"`
	// Uplink says what a static gateway's ExternalDevice is: UplinkVeth (default) for the
	// fake uplink midobake creates, UplinkNIC for a real interface wired to the router.
	Uplink string `yaml:"uplink,omitempty"`
	// PreflightIgnore turns the named preflight errors into warnings on this host (a lab VM
	// smaller than the guide's sizing, say), as --ignore does.
	PreflightIgnore []string `yaml:"preflightIgnore,omitempty,flow"`
}

// Uplink kinds of a static (non-BGP) gateway.
const (
	// UplinkVeth: MidoNet's "static setup" recipe: midobake creates the ExternalDevice as the
	// peer of veth0, on a bridge holding the router's address, and NATs the public range.
	UplinkVeth = "veth"
	// UplinkNIC: the ExternalDevice is a real interface, the router is a real router: the
	// host only keeps the link up with no address on it (MidoNet takes it whole).
	UplinkNIC = "nic"
)

// UplinkKinds are the values of a host's uplink.
var UplinkKinds = []string{UplinkVeth, UplinkNIC}

// UplinkKind is the host's uplink kind, UplinkVeth unless it says otherwise.
func (h Host) UplinkKind() string {
	if h.Uplink == "" {
		return UplinkVeth
	}
	return h.Uplink
}

// Network is the Eucalyptus 4.4 network configuration, keys as Eucalyptus spells them.
// Fields Eucalyptus knows but VPCMIDO forbids are kept so that using them is reported as such
// rather than as an unknown key.
type Network struct {
	Mode               string   `yaml:"Mode" json:"Mode" decode:"required"`
	InstanceDnsDomain  string   `yaml:"InstanceDnsDomain,omitempty" json:"InstanceDnsDomain,omitempty"`
	InstanceDnsServers []string `yaml:"InstanceDnsServers,omitempty" json:"InstanceDnsServers,omitempty"`
	MacPrefix          string   `yaml:"MacPrefix,omitempty" json:"MacPrefix,omitempty"`
	PublicGateway      string   `yaml:"PublicGateway,omitempty" json:"PublicGateway,omitempty"`
	PublicIps          []string `yaml:"PublicIps,omitempty" json:"PublicIps,omitempty"`
	Mido               *Mido    `yaml:"Mido,omitempty" json:"Mido,omitempty" decode:"section"`

	PrivateIps    *NotPermitted `yaml:"PrivateIps,omitempty" json:"-"`
	Subnets       *NotPermitted `yaml:"Subnets,omitempty" json:"-"`
	ManagedSubnet *NotPermitted `yaml:"ManagedSubnet,omitempty" json:"-"`
	Clusters      *NotPermitted `yaml:"Clusters,omitempty" json:"-"`
}

// Mido is the MidoNet part of the Eucalyptus network configuration.
type Mido struct {
	BgpAsn       string    `yaml:"BgpAsn,omitempty" json:"BgpAsn,omitempty" decode:"number"`
	Gateways     []Gateway `yaml:"Gateways,omitempty" json:"Gateways,omitempty" decode:"section"`
	EucanetdHost string    `yaml:"EucanetdHost,omitempty" json:"EucanetdHost,omitempty"`

	// Legacy single-gateway fields of Eucalyptus 4.2; not allowed with Gateways.
	GatewayHost       string `yaml:"GatewayHost,omitempty" json:"-"`
	GatewayIP         string `yaml:"GatewayIP,omitempty" json:"-"`
	GatewayInterface  string `yaml:"GatewayInterface,omitempty" json:"-"`
	PublicNetworkCidr string `yaml:"PublicNetworkCidr,omitempty" json:"-"`
	PublicGatewayIP   string `yaml:"PublicGatewayIP,omitempty" json:"-"`
}

// Gateway is one MidoNet gateway (a host with an external uplink).
type Gateway struct {
	Ip               string   `yaml:"Ip" json:"Ip" decode:"required"`
	ExternalCidr     string   `yaml:"ExternalCidr" json:"ExternalCidr" decode:"required"`
	ExternalDevice   string   `yaml:"ExternalDevice" json:"ExternalDevice" decode:"required"`
	ExternalIp       string   `yaml:"ExternalIp" json:"ExternalIp" decode:"required"`
	ExternalRouterIp string   `yaml:"ExternalRouterIp,omitempty" json:"ExternalRouterIp,omitempty"`
	BgpPeerIp        string   `yaml:"BgpPeerIp,omitempty" json:"BgpPeerIp,omitempty"`
	BgpPeerAsn       string   `yaml:"BgpPeerAsn,omitempty" json:"BgpPeerAsn,omitempty" decode:"number"`
	BgpAdRoutes      []string `yaml:"BgpAdRoutes,omitempty" json:"BgpAdRoutes,omitempty"`
}

// NotPermitted marks a key Eucalyptus knows but VPCMIDO mode forbids: its value is never
// read, only its presence reported.
type NotPermitted struct{}

// Has reports whether the host has the role (after normalization).
func (h Host) Has(role string) bool {
	for _, r := range h.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// RunsMidolman reports whether the host runs the MidoNet agent: every clc and nc does, and so
// does every gateway. This is the one place that decides it; it also holds before
// normalization (validation asks it of hosts whose roles are not expanded yet).
func (c *Cloud) RunsMidolman(h Host) bool {
	return c.Gateway(h) != nil || slices.Contains(h.Roles, RoleCLC) || slices.Contains(h.Roles, RoleNC)
}

// Gateway returns the gateway whose Ip is the host's address, or nil.
func (c *Cloud) Gateway(h Host) *Gateway {
	if c.Network.Mido == nil {
		return nil
	}
	for i := range c.Network.Mido.Gateways {
		if c.Network.Mido.Gateways[i].Ip == h.Address {
			return &c.Network.Mido.Gateways[i]
		}
	}
	return nil
}

// WithRole returns the hosts that have the role, in the order of the description. That order
// is meaningful: ZooKeeper myids are positions in it.
func (c *Cloud) WithRole(role string) []Host {
	var out []Host
	for _, h := range c.Hosts {
		if h.Has(role) {
			out = append(out, h)
		}
	}
	return out
}

// CLC returns the cloud controller host (validation guarantees exactly one).
func (c *Cloud) CLC() Host {
	return c.WithRole(RoleCLC)[0]
}

// Host returns the host of that name.
func (c *Cloud) Host(name string) (Host, bool) {
	for _, h := range c.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// AgentTemplate is one of MidoNet's Midolman resource templates (mn-conf template-set) and
// the JVM heap file of the midolman package that goes with it.
type AgentTemplate struct {
	Name     string
	Gateway  bool   // sized for a gateway's flow tables rather than a compute host's
	Size     string // the cloud size (midonet.size) that selects it; "" if only by override
	HeapFile string // suffix of /etc/midolman/midolman-env.sh.<HeapFile> in the package
}

// AgentTemplates is the one table of templates: what a host may name in its template field,
// which one the cloud size selects, and the heap file each uses.
var AgentTemplates = []AgentTemplate{
	{Name: "default", Size: SizeStandard, HeapFile: "compute.medium"},
	{Name: "agent-compute-medium", HeapFile: "compute.medium"},
	{Name: "agent-compute-large", Size: SizeLarge, HeapFile: "compute.large"},
	{Name: "agent-gateway-medium", Gateway: true, Size: SizeStandard, HeapFile: "gateway.medium"},
	{Name: "agent-gateway-large", Gateway: true, Size: SizeLarge, HeapFile: "gateway.large"},
}

// TemplateNames are the template names a host may use, sorted.
func TemplateNames() []string {
	var out []string
	for _, t := range AgentTemplates {
		out = append(out, t.Name)
	}
	sort.Strings(out)
	return out
}

// Template is the Midolman resource template for the host: its own override, else the one the
// cloud size and the host's kind (gateway or compute) select.
func (c *Cloud) Template(h Host) AgentTemplate {
	gateway := c.Gateway(h) != nil
	for _, t := range AgentTemplates {
		if h.Template != "" && t.Name == h.Template || h.Template == "" && t.Gateway == gateway && t.Size == c.Midonet.Size {
			return t
		}
	}
	panic("cloud: no template for host " + h.Name + ": the description was not validated")
}

// ClusterHeap is midonet-cluster's JVM heap and its young generation on the CLC: the
// description's clusterHeap, else the cloud size's (the package leaves 2048M on a host that
// also runs the Eucalyptus CLC and often the NSDB). The young generation is half the heap,
// as the package's defaults have it.
func (c *Cloud) ClusterHeap() (heap, newSize string) {
	heap = c.Midonet.ClusterHeap
	if heap == "" {
		heap = map[string]string{SizeStandard: "1024M", SizeLarge: "2048M"}[c.Midonet.Size]
	}
	n := heapMiB(heap)
	if n == 0 {
		return heap, ""
	}
	return heap, fmt.Sprintf("%dM", n/2)
}

// heapMiB reads a JVM heap size (512M, 2G) in MiB; 0 if it is not one.
func heapMiB(s string) int {
	m := heapRE.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	if m[2] == "G" {
		n *= 1024
	}
	return n
}

var heapRE = regexp.MustCompile(`^([1-9][0-9]{0,5})([MG])$`)

// Profile names the host's image profile: its roles in canonical order joined by "+".
// Hosts with the same roles share one image and one user-data.
func (h Host) Profile() string {
	name := ""
	for _, r := range RoleOrder {
		if h.Has(r) {
			if name != "" {
				name += "+"
			}
			name += r
		}
	}
	return name
}
