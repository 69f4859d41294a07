package cloud

import (
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// RepoMidobake is the repository of the midobake package (the hook on plain images): the
// only one with no public default.
const RepoMidobake = "midobake"

var (
	cloudNameRE = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)
	labelRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	macRE       = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)
	macPrefixRE = regexp.MustCompile(`^[0-9a-f]{2}:[0-9a-f]{2}$`)
	interfaceRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)
	// macLikeName is a host name serve would read as a MAC address (as PXE firmware and
	// pxelinux write one: dashes, optionally after 01-).
	macLikeName   = regexp.MustCompile(`^(?i)(01-)?[0-9a-f]{2}(-[0-9a-f]{2}){5}$`)
	clusterNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,48}$`)
	dnsDomainRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// validator checks the rules of the description; every finding names a field path, and the
// report resolves it to the line and column where that field was written.
type validator struct {
	c      *Cloud
	pos    positions
	report *Report

	// externalCidrs are the gateways' uplink networks, collected for the public IP checks.
	externalCidrs []span
}

func (v *validator) add(sev Severity, kind Kind, path Path, format string, args ...any) {
	v.report.add(Diagnostic{Severity: sev, Kind: kind, Path: path, Pos: v.pos.lookup(path), Message: fmt.Sprintf(format, args...)})
}

func (v *validator) errorf(kind Kind, path Path, format string, args ...any) {
	v.add(Error, kind, path, format, args...)
}

func (v *validator) warnf(kind Kind, path Path, format string, args ...any) {
	v.add(Warning, kind, path, format, args...)
}

// failed reports whether an error was already reported on a path matching: a rule that
// depends on that field cannot be judged, and its finding would be a knock-on of the error.
func (v *validator) failed(match func(Path) bool) bool {
	for _, d := range v.report.Diags {
		if d.Severity == Error && match(d.Path) {
			return true
		}
	}
	return false
}

func oneOf(s string, allowed []string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

func (v *validator) enum(path Path, value string, allowed []string) {
	if !oneOf(value, allowed) {
		v.errorf(KindBadChoice, path, "%q is not allowed; use one of: %s", value, strings.Join(allowed, ", "))
	}
}

// written reports whether the field appeared in the file (rules on optional fields apply only
// then; required ones were already reported by the decoder).
func (v *validator) written(path Path) bool {
	_, ok := v.pos[path]
	return ok
}

func (v *validator) validate() {
	c := v.c
	if v.written("version") && c.Version != 1 {
		v.errorf(KindBadVersion, "version", "version %d is not supported; this midobake reads version 1", c.Version)
	}
	if v.written("name") && !cloudNameRE.MatchString(c.Name) {
		v.errorf(KindBadCloudName, "name", "%q is not a valid cloud name; use 1-40 characters of a-z, 0-9 and -", c.Name)
	}
	if v.written("os") {
		v.enum("os", c.OS, []string{"el7"})
	}
	v.midonet()
	v.hosts()
	v.firewall()
	v.backup()
	v.network()
}

func (v *validator) midonet() {
	m := v.c.Midonet
	if v.written("midonet.release") {
		v.enum("midonet.release", m.Release, []string{"5.2"})
	}
	if v.written("midonet.size") {
		v.enum("midonet.size", m.Size, Sizes)
	}
	if v.written("midonet.tunnelZone.name") {
		v.enum("midonet.tunnelZone.name", m.TunnelZone.Name, TunnelZoneNames)
	}
	if v.written("midonet.tunnelZone.type") {
		v.enum("midonet.tunnelZone.type", m.TunnelZone.Type, TunnelZoneTypes)
	}
	if v.written("midonet.cassandraClusterName") && !clusterNameRE.MatchString(m.CassandraClusterName) {
		v.errorf(KindBadCassandraClusterName, "midonet.cassandraClusterName", "%q is not a valid Cassandra cluster name; use 1-48 characters of A-Z, a-z, 0-9, _ and -", m.CassandraClusterName)
	}
	if v.written("midonet.clusterHeap") {
		if n := heapMiB(m.ClusterHeap); n == 0 {
			v.errorf(KindBadHeap, "midonet.clusterHeap", "%q is not a JVM heap size; write megabytes or gigabytes like 1024M or 2G", m.ClusterHeap)
		} else if n < 256 {
			v.errorf(KindHeapTooSmall, "midonet.clusterHeap", "%s is too small for midonet-cluster; give it at least 256M", m.ClusterHeap)
		}
	}
	if _, ok := m.Repos[RepoMidobake]; !ok {
		where := Path("midonet.repos")
		if !v.written(where) {
			where = "midonet"
		}
		v.warnf(KindNoMidobakeRepo, where, "no repository is named for the midobake package, which the full user-data (plain images) installs: build it with make rpm, publish it, and name that repository in midonet.repos.%s (a mirror that carries it counts: name the mirror there too)", RepoMidobake)
	}
	for _, name := range sortedKeys(m.Repos) {
		path := Path("midonet.repos").Key(name)
		if !oneOf(name, RepoNames) {
			v.errorf(KindUnknownRepository, path, "unknown repository %q; the repositories are: %s", name, strings.Join(RepoNames, ", "))
			continue
		}
		r := m.Repos[name]
		if v.written(path.Key("baseurl")) {
			v.url(path.Key("baseurl"), r.BaseURL, true)
		}
		if v.written(path.Key("gpgkey")) {
			v.url(path.Key("gpgkey"), r.GPGKey, false)
		}
		switch {
		case !r.ChecksSignatures():
			v.warnf(KindGpgcheckOff, path.Key("gpgcheck"), "signature checks are off: yum installs the packages of %s unverified; sign them and set gpgkey instead", name)
		case name == RepoMidobake && r.GPGKey == "":
			v.warnf(KindNoGpgkey, path, "the midobake repository has no gpgkey: yum will take only packages signed by a key already imported on the host; name the key with gpgkey, or say gpgcheck: false (packages unverified)")
		}
	}
}

// url checks a repository URL. Credentials are allowed (MidoNet Enterprise mirrors need
// them) but never echoed back.
func (v *validator) url(path Path, raw string, dir bool) {
	u, err := url.Parse(raw)
	if err != nil || !oneOf(u.Scheme, []string{"http", "https", "file"}) || (u.Scheme != "file" && u.Host == "") || strings.ContainsAny(raw, " \t\n'\"`$\\") {
		v.errorf(KindBadUrl, path, "%q is not a usable URL; use http://, https:// or file:// with no spaces or quotes", RedactURL(raw))
		return
	}
	if dir && !strings.HasSuffix(u.Path, "/") {
		v.warnf(KindUrlWithoutSlash, path, "%q does not end in /; yum joins paths onto it", RedactURL(raw))
	}
}

// validHostName checks an RFC 1123 host name (lower case): nothing that a shell, a YAML
// document or a file path could misread can get through.
func validHostName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !labelRE.MatchString(label) {
			return false
		}
	}
	return true
}

func parseIPv4(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, false
	}
	return a, true
}

func (v *validator) ipv4(path Path, s string) (netip.Addr, bool) {
	a, ok := parseIPv4(s)
	if !ok {
		v.errorf(KindBadAddress, path, "%q is not an IPv4 address (like 10.111.5.10)", s)
	}
	return a, ok
}

// NormalizeMAC writes a MAC address as the site data and serve have it: lower case, with
// colons (52-54-00-00-05-1A reads as 52:54:00:00:05:1a). Anything else is left as it is.
func NormalizeMAC(s string) string {
	if len(s) != 17 || strings.Count(s, "-")+strings.Count(s, ":") != 5 {
		return s
	}
	return strings.ToLower(strings.ReplaceAll(s, "-", ":"))
}

// validInterface is a name Linux takes for a network interface: 1-15 characters, no "/",
// ":" or white space (the pattern's set), and neither "." nor "..".
func validInterface(s string) bool {
	return interfaceRE.MatchString(s) && s != "." && s != ".."
}

// unusableIPv4 says why an address can be no host's, or "": the ones no interface of a
// cloud host can have or that do not reach another host.
func unusableIPv4(a netip.Addr) string {
	b := a.As4()
	switch {
	case b[0] == 0:
		return "is in 0.0.0.0/8 (\"this network\"), which no host can have"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "is the limited broadcast address"
	case a.IsMulticast():
		return "is a multicast address (224.0.0.0/4)"
	case b[0] >= 240:
		return "is in the reserved 240.0.0.0/4"
	case a.IsLoopback():
		return "is a loopback address (127.0.0.0/8), which no other host reaches"
	case a.IsLinkLocalUnicast():
		return "is a link-local address (169.254.0.0/16), which does not reach beyond its link"
	}
	return ""
}

// hostAddress checks that an address is one a host can have and others can reach.
func (v *validator) hostAddress(path Path, a netip.Addr) bool {
	if why := unusableIPv4(a); why != "" {
		v.errorf(KindReservedHostAddress, path, "%s %s; use the address of the host's interface", a, why)
		return false
	}
	return true
}

func (v *validator) hosts() {
	c := v.c
	if v.written("hosts") && len(c.Hosts) == 0 {
		v.errorf(KindNoHosts, "hosts", "the cloud has no hosts; list at least the CLC and the NSDB")
	}
	names, addrs, tunnels, macs := map[string]Path{}, map[string]Path{}, map[string]Path{}, map[string]Path{}
	unique := func(seen map[string]Path, what, value string, path Path) {
		if first, dup := seen[value]; dup {
			v.errorf(KindDuplicateHost, path, "%s %q is already used at %s; each host needs its own", what, value, first)
			return
		}
		seen[value] = path
	}
	// A Midolman host that names no tunnel address tunnels from its address: another host's
	// tunnelAddress must not take it (two members of the zone at one address break both).
	implicitTunnels := map[string]int{}
	for i, h := range c.Hosts {
		if h.TunnelAddress == "" && h.Address != "" && c.RunsMidolman(h) {
			if _, seen := implicitTunnels[h.Address]; !seen {
				implicitTunnels[h.Address] = i
			}
		}
	}
	for i, h := range c.Hosts {
		p := Path("hosts").Index(i)
		if v.written(p.Key("name")) && !validHostName(h.Name) {
			v.errorf(KindBadHostName, p.Key("name"), "%q is not an RFC 1123 host name; use lower-case labels of a-z, 0-9 and - separated by dots", h.Name)
		} else if macLikeName.MatchString(h.Name) {
			v.errorf(KindMacLikeHostName, p.Key("name"), "%q reads as a MAC address, which serve also finds hosts by (a request for it would get the seed of the host with that MAC); name the host otherwise", h.Name)
		} else if h.Name != "" {
			unique(names, "host name", h.Name, p.Key("name"))
		}
		if v.written(p.Key("address")) {
			if a, ok := v.ipv4(p.Key("address"), h.Address); ok && v.hostAddress(p.Key("address"), a) {
				unique(addrs, "address", h.Address, p.Key("address"))
			}
		}
		if v.written(p.Key("tunnelAddress")) {
			if a, ok := v.ipv4(p.Key("tunnelAddress"), h.TunnelAddress); ok && v.hostAddress(p.Key("tunnelAddress"), a) {
				if j, taken := implicitTunnels[h.TunnelAddress]; taken && j != i && c.RunsMidolman(h) {
					v.errorf(KindDuplicateTunnelAddress, p.Key("tunnelAddress"), "tunnel address %q is the tunnel address of host %q (%s: it names no tunnelAddress, so it tunnels from its address); each host needs its own", h.TunnelAddress, c.Hosts[j].Name, Path("hosts").Index(j).Key("address"))
				} else {
					unique(tunnels, "tunnel address", h.TunnelAddress, p.Key("tunnelAddress"))
				}
			}
		}
		if v.written(p.Key("mac")) {
			// As firmware, DHCP logs and switches write it: any case, colons or dashes.
			mac := NormalizeMAC(h.MAC)
			if !macRE.MatchString(mac) {
				v.errorf(KindBadMac, p.Key("mac"), "%q is not a MAC address; write six hex pairs separated by colons or dashes (52:54:00:00:05:10)", h.MAC)
			} else if first, _ := strconv.ParseUint(mac[:2], 16, 8); first&1 == 1 || mac == "00:00:00:00:00:00" {
				v.errorf(KindUnusableMac, p.Key("mac"), "%s is a multicast, broadcast or all-zero MAC address, which no NIC has; use the host's own", h.MAC)
			} else {
				unique(macs, "MAC", mac, p.Key("mac"))
			}
		}
		if v.written(p.Key("primaryInterface")) && !validInterface(h.PrimaryInterface) {
			v.errorf(KindBadInterfaceName, p.Key("primaryInterface"), "%q is not a network interface name; use 1-15 characters of A-Z, a-z, 0-9, _, . and - (not . or .., which Linux refuses)", h.PrimaryInterface)
		}
		if v.written(p.Key("template")) {
			v.enum(p.Key("template"), h.Template, TemplateNames())
			if len(h.Roles) > 0 && !v.c.RunsMidolman(h) {
				v.warnf(KindTemplateUnused, p.Key("template"), "host %q runs no Midolman (it is neither clc, nc nor a gateway), so its template is not used", h.Name)
			}
		}
		if v.written(p.Key("uplink")) {
			v.enum(p.Key("uplink"), h.Uplink, UplinkKinds)
			if v.c.Gateway(h) == nil || v.c.Network.Mido.BgpAsn != "" {
				v.warnf(KindUplinkUnused, p.Key("uplink"), "host %q is no static (non-BGP) gateway, so its uplink is not used", h.Name)
			}
		}
		for j, id := range h.PreflightIgnore {
			if !oneOf(id, PreflightChecks) {
				v.errorf(KindUnknownPreflightCheck, p.Key("preflightIgnore").Index(j), "unknown preflight check %q; the checks are: %s", id, strings.Join(PreflightChecks, ", "))
			}
		}
		if v.written(p.Key("roles")) && len(h.Roles) == 0 {
			v.errorf(KindNoRoles, p.Key("roles"), "host %q has no roles; give it at least one of: %s", h.Name, strings.Join(AllRoles, ", "))
		}
		seenRole := map[string]bool{}
		for j, r := range h.Roles {
			rp := p.Key("roles").Index(j)
			if !oneOf(r, AllRoles) {
				v.errorf(KindUnknownRole, rp, "unknown role %q; the roles are: %s", r, strings.Join(AllRoles, ", "))
			} else if seenRole[r] {
				v.errorf(KindDuplicateRole, rp, "role %q is listed twice", r)
			}
			seenRole[r] = true
		}
	}
	v.roleCounts()
}

// firewall checks what the hook does about the hosts' firewall.
func (v *validator) firewall() {
	f := v.c.Firewall
	if v.written("firewall.mode") {
		v.enum("firewall.mode", f.Mode, FirewallModes)
	}
	for i, s := range f.AdminSources {
		p := Path("firewall.adminSources").Index(i)
		pfx, err := netip.ParsePrefix(s)
		if _, ok := parseIPv4(s); !ok && (err != nil || !pfx.Addr().Is4()) {
			v.errorf(KindBadSource, p, "%q is not an IPv4 address or CIDR block (like 10.111.5.0/24)", s)
		}
	}
	if len(f.AdminSources) > 0 && v.c.FirewallMode() != FirewallKeep {
		v.warnf(KindAdminSourcesUnused, "firewall.adminSources", "the hook disables firewalld (firewall.mode is %s), so adminSources are not used; say mode: %s to keep the firewall", v.c.FirewallMode(), FirewallKeep)
	}
}

// backupDirRE is what a backup directory may be made of: it is written into a unit's command.
var backupDirRE = regexp.MustCompile(`^(/[A-Za-z0-9._-]+)+$`)

// backup checks the backup schedule: when, on which host, where, how many.
func (v *validator) backup() {
	b := v.c.Backup
	if v.written("backup.schedule") {
		if why := calendarProblem(b.Schedule); why != "" {
			v.errorf(KindBadSchedule, "backup.schedule", "%q is not a schedule (%s); use %s, or a systemd calendar expression like \"*-*-* 02:30\" or \"Mon,Thu *-*-* 03:00\"",
				Printable(b.Schedule, 80), why, strings.Join(CalendarShorthands, ", "))
		}
	} else {
		for _, f := range []string{"host", "directory", "keep"} {
			if v.written(Path("backup").Key(f)) {
				v.errorf(KindBackupWithoutSchedule, Path("backup").Key(f), "a backup %s without a schedule: say when backups are taken (like schedule: daily), or remove the backup section", f)
				return
			}
		}
	}
	if v.written("backup.host") {
		h, ok := v.c.Host(b.Host)
		switch {
		case !ok:
			v.errorf(KindUnknownBackupHost, "backup.host", "no host is named %q; name the CLC or a ZooKeeper host (absent: the CLC)", Printable(b.Host, 80))
		case !h.Has(RoleCLC) && !h.Has(RoleZooKeeper):
			v.errorf(KindBackupHostRole, "backup.host", "host %q is neither the CLC nor a ZooKeeper host; backups run where the site data and the ensemble are", b.Host)
		}
	}
	if v.written("backup.directory") {
		d := b.Directory
		if !backupDirRE.MatchString(d) || path.Clean(d) != d || strings.Contains(d, "/../") || strings.HasSuffix(d, "/..") || strings.Contains(d, "/./") {
			v.errorf(KindBadBackupDirectory, "backup.directory", "%q is not a directory midobake writes backups to; use an absolute, clean path of letters, digits and . _ - (like %s)", Printable(d, 120), DefaultBackupDirectory)
		}
	}
	if v.written("backup.keep") && (b.Keep < 1 || b.Keep > MaxBackupKeep) {
		v.errorf(KindBadBackupKeep, "backup.keep", "keep %d: keep from 1 to %d of the newest backups (absent: %d)", b.Keep, MaxBackupKeep, DefaultBackupKeep)
	}
}

// roleCounts checks the shape of the cloud: one CLC (midonet-cluster and its API live there),
// at least one ZooKeeper and one Cassandra.
func (v *validator) roleCounts() {
	if len(v.c.Hosts) == 0 {
		return
	}
	count := map[string]int{}
	for _, h := range v.c.Hosts {
		for _, r := range expandRoles(h.Roles) {
			count[r]++
		}
	}
	switch {
	case count[RoleCLC] == 0:
		v.errorf(KindNoClc, "hosts", "no host has the clc role; exactly one host must be the cloud controller")
	case count[RoleCLC] > 1:
		for i, h := range v.c.Hosts {
			if h.Has(RoleCLC) && i != v.firstWith(RoleCLC) {
				v.errorf(KindSecondClc, Path("hosts").Index(i).Key("roles"), "host %q is a second clc; exactly one host may be the cloud controller (MidoNet's API runs there)", h.Name)
			}
		}
	}
	if count[RoleZooKeeper] == 0 {
		v.errorf(KindNoZookeeper, "hosts", "no host runs ZooKeeper; give at least one host the zookeeper (or nsdb) role")
	} else if count[RoleZooKeeper]%2 == 0 {
		v.warnf(KindEvenEnsemble, "hosts", "%d ZooKeeper hosts: an even ensemble tolerates no more failures than one host fewer; use an odd number", count[RoleZooKeeper])
	}
	if count[RoleCassandra] == 0 {
		v.errorf(KindNoCassandra, "hosts", "no host runs Cassandra; give at least one host the cassandra (or nsdb) role")
	}
}

func (v *validator) firstWith(role string) int {
	for i, h := range v.c.Hosts {
		if h.Has(role) {
			return i
		}
	}
	return -1
}

// expandRoles replaces the nsdb shorthand and drops duplicates, keeping the canonical order.
func expandRoles(roles []string) []string {
	has := map[string]bool{}
	for _, r := range roles {
		if r == RoleNSDB {
			has[RoleZooKeeper], has[RoleCassandra] = true, true
		} else {
			has[r] = true
		}
	}
	var out []string
	for _, r := range RoleOrder {
		if has[r] {
			out = append(out, r)
		}
	}
	return out
}
