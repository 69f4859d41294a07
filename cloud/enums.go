package cloud

// The description's enumerations, each defined once: validate checks against them, and the
// help texts, the docs and the packages that act on them (preflight, status, the roles) read
// them here.

// The cloud sizes (midonet.size): they select the Midolman templates and the cluster heap.
const (
	SizeStandard = "standard"
	SizeLarge    = "large"
)

// Allowed values, exported so that help texts and docs list the same sets the checks use.
var (
	TunnelZoneNames = []string{"eucatz", "euca-tz", "midotz", "mido-tz"} // exactly what eucanetd 4.4.2 looks for in the zone name (status checks it too)
	TunnelZoneTypes = []string{"gre", "vxlan"}
	Sizes           = []string{SizeStandard, SizeLarge}
	RepoNames       = []string{"midonet", "midonet-misc", "datastax", RepoMidobake}
	AllRoles        = []string{RoleCLC, RoleNC, RoleUFS, RoleZooKeeper, RoleCassandra, RoleNSDB}
)

// The IDs of the checks "midobake preflight" (and the hook, before it changes anything)
// runs, defined here once: the preflight package's table uses them, and a description may
// name them in preflightIgnore.
const (
	PreflightPackages      = "packages"
	PreflightSystemd       = "systemd"
	PreflightMemory        = "memory"
	PreflightDisk          = "disk"
	PreflightPorts         = "ports"
	PreflightTunnelAddress = "tunnel-address"
	PreflightTunnelMTU     = "tunnel-mtu"
	PreflightUplinkNIC     = "uplink-nic"
	PreflightOpenvswitch   = "openvswitch"
	PreflightClock         = "clock"
)

// PreflightChecks are the check IDs in the order preflight reports them.
var PreflightChecks = []string{PreflightPackages, PreflightSystemd, PreflightMemory, PreflightDisk, PreflightPorts,
	PreflightTunnelAddress, PreflightTunnelMTU, PreflightUplinkNIC, PreflightOpenvswitch, PreflightClock}
