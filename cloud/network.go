package cloud

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// span is an inclusive range of IPv4 addresses, the common form of every PublicIps entry.
type span struct {
	lo, hi uint32
	path   Path
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addrOf(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}

func prefixSpan(p netip.Prefix) (lo, hi uint32) {
	lo = u32(p.Masked().Addr())
	return lo, lo | (1<<(32-p.Bits()) - 1)
}

func (s span) contains(u uint32) bool { return s.lo <= u && u <= s.hi }
func (s span) overlaps(o span) bool   { return s.lo <= o.hi && o.lo <= s.hi }

func (s span) String() string {
	if s.lo == s.hi {
		return addrOf(s.lo).String()
	}
	return addrOf(s.lo).String() + "-" + addrOf(s.hi).String()
}

// parsePrefix accepts an IPv4 CIDR; host bits may be set (Eucalyptus accepts that), the span
// is the whole network.
func parsePrefix(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, false
	}
	return p, true
}

// hasHosts reports whether the network has distinct network and broadcast addresses
// (/31 and /32 do not).
func hasHosts(p netip.Prefix) bool { return p.Bits() <= 30 }

func (v *validator) network() {
	n := v.c.Network
	if v.written("network.Mode") && n.Mode != "VPCMIDO" {
		v.errorf(KindNetworkMode, "network.Mode", "%q is not supported; midobake configures MidoNet clouds, so Mode must be VPCMIDO", n.Mode)
	}
	if v.written("network.InstanceDnsDomain") && !dnsDomainRE.MatchString(n.InstanceDnsDomain) {
		v.errorf(KindBadDnsDomain, "network.InstanceDnsDomain", "%q is not a DNS domain; use lower-case labels separated by dots", n.InstanceDnsDomain)
	}
	for i, s := range n.InstanceDnsServers {
		v.ipv4(Path("network.InstanceDnsServers").Index(i), s)
	}
	if v.written("network.MacPrefix") && !macPrefixRE.MatchString(strings.ToLower(n.MacPrefix)) {
		v.errorf(KindBadMacPrefix, "network.MacPrefix", "%q is not a MAC prefix; write two hex pairs like d0:0d", n.MacPrefix)
	}
	if v.written("network.PublicGateway") {
		v.ipv4("network.PublicGateway", n.PublicGateway)
	}
	for _, f := range []struct {
		set  bool
		name string
		why  string
	}{
		{n.PrivateIps != nil, "PrivateIps", "VPC instances take private addresses from their VPC subnets"},
		{n.Subnets != nil, "Subnets", "VPC subnets are created through the EC2 API"},
		{n.ManagedSubnet != nil, "ManagedSubnet", "it belongs to the MANAGED modes"},
		{n.Clusters != nil, "Clusters", "it belongs to EDGE mode"},
	} {
		if f.set {
			v.errorf(KindNotPermitted, Path("network").Key(f.name), "%s is not permitted in VPCMIDO mode: %s", f.name, f.why)
		}
	}
	if v.written("network") && len(n.PublicIps) == 0 {
		v.errorf(KindMissingField, "network.PublicIps", "PublicIps is required: list the public addresses or ranges (a.b.c.d-a.b.c.e) instances get")
	}
	if n.Mido == nil {
		if v.written("network") {
			v.errorf(KindMissingField, "network.Mido", "Mido is required in VPCMIDO mode: describe at least one gateway in Mido.Gateways")
		}
		v.publicIps(nil)
		return
	}
	v.mido(n.Mido)
}

func (v *validator) asn(path Path, s string) bool {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < 1 || n > 4294967295 {
		v.errorf(KindBadBgpAsn, path, "%q is not an AS number; use 1-4294967295", s)
		return false
	}
	return true
}

func (v *validator) mido(m *Mido) {
	for _, f := range []struct{ name, value string }{
		{"GatewayHost", m.GatewayHost}, {"GatewayIP", m.GatewayIP}, {"GatewayInterface", m.GatewayInterface},
		{"PublicNetworkCidr", m.PublicNetworkCidr}, {"PublicGatewayIP", m.PublicGatewayIP},
	} {
		if v.written(Path("network.Mido").Key(f.name)) {
			v.errorf(KindLegacyGateway, Path("network.Mido").Key(f.name), "%s is the legacy single-gateway format, which cannot be mixed with Gateways; describe each gateway in Mido.Gateways", f.name)
		}
	}
	bgp := v.written("network.Mido.BgpAsn")
	if bgp {
		bgp = v.asn("network.Mido.BgpAsn", m.BgpAsn)
	}
	if v.written("network.Mido.EucanetdHost") {
		if _, ok := v.c.Host(m.EucanetdHost); !ok && v.hostByAddress(m.EucanetdHost) < 0 {
			v.errorf(KindUnknownEucanetdHost, "network.Mido.EucanetdHost", "%q is neither the name nor the address of a host of this cloud", m.EucanetdHost)
		}
	}
	switch n := len(m.Gateways); {
	case n == 0:
		v.errorf(KindMissingField, "network.Mido.Gateways", "Gateways is required: VPCMIDO needs 1 to 6 gateways")
	case n > 6:
		v.errorf(KindTooManyGateways, "network.Mido.Gateways[6]", "%d gateways; Eucalyptus supports 1 to 6", n)
	}
	var routes []span
	seenIP := map[string]Path{}
	for i, g := range m.Gateways {
		p := Path("network.Mido.Gateways").Index(i)
		routes = append(routes, v.gateway(p, g, bgp, seenIP)...)
	}
	v.publicIps(routes)
}

func (v *validator) hostByAddress(addr string) int {
	for i, h := range v.c.Hosts {
		if h.Address == addr {
			return i
		}
	}
	return -1
}

// gateway checks one gateway and returns its BGP advertised routes.
func (v *validator) gateway(p Path, g Gateway, bgp bool, seenIP map[string]Path) []span {
	if v.written(p.Key("Ip")) {
		if _, ok := v.ipv4(p.Key("Ip"), g.Ip); ok {
			if first, dup := seenIP[g.Ip]; dup {
				v.errorf(KindDuplicateGateway, p.Key("Ip"), "gateway %s is already described at %s", g.Ip, first)
			}
			seenIP[g.Ip] = p.Key("Ip")
			// With a host address already in error, "no host has this address" may only be
			// that error again.
			anyAddressFailed := func() bool {
				return v.failed(func(p Path) bool { return p.HasPrefix("hosts") && strings.HasSuffix(string(p), ".address") })
			}
			if i := v.hostByAddress(g.Ip); i < 0 && len(v.c.Hosts) > 0 && !anyAddressFailed() {
				v.errorf(KindGatewayNotAHost, p.Key("Ip"), "%s is not the address of any host; a gateway Ip must be the address of a host in hosts (usually the UFS)", g.Ip)
			} else if i >= 0 {
				h := v.c.Hosts[i]
				if bgp && h.Has(RoleCLC) {
					v.errorf(KindBgpGatewayOnClc, p.Key("Ip"), "gateway %s is host %q, the CLC: a BGP gateway cannot be on the CLC (eucanetd's network namespaces and Midolman's BGP daemon collide there); make a UFS or another host the gateway", g.Ip, h.Name)
				} else if !h.Has(RoleUFS) && !v.failed(func(q Path) bool { return q.HasPrefix(Path("hosts").Index(i).Key("roles")) }) {
					v.warnf(KindGatewayNotUfs, p.Key("Ip"), "gateway %s is host %q, which is not a ufs; Eucalyptus recommends the UFS as the MidoNet gateway", g.Ip, h.Name)
				}
				if h.PrimaryInterface != "" && h.PrimaryInterface == g.ExternalDevice {
					v.errorf(KindUplinkIsPrimary, p.Key("ExternalDevice"), "%q is the primary interface of host %q; MidoNet takes exclusive use of the ExternalDevice and the host would lose its connectivity: use a dedicated interface", g.ExternalDevice, h.Name)
				} else if !bgp && h.Uplink == "" && !strings.HasPrefix(g.ExternalDevice, "veth") {
					v.warnf(KindUplinkVethCreated, p.Key("ExternalDevice"), "midobake will create %q on host %q as the peer of veth0 (the fake uplink of MidoNet's static setup, with the router's address on a local bridge); if %s is a real interface wired to the router, say uplink: %s on the host", g.ExternalDevice, h.Name, g.ExternalDevice, UplinkNIC)
				}
			}
		}
	}
	if v.written(p.Key("ExternalDevice")) && !validInterface(g.ExternalDevice) {
		v.errorf(KindBadInterfaceName, p.Key("ExternalDevice"), "%q is not a network interface name; use 1-15 characters of A-Z, a-z, 0-9, _, . and - (not . or .., which Linux refuses)", g.ExternalDevice)
	}
	cidr, cidrOK := netip.Prefix{}, false
	if v.written(p.Key("ExternalCidr")) {
		if cidr, cidrOK = parsePrefix(g.ExternalCidr); !cidrOK {
			v.errorf(KindBadCidr, p.Key("ExternalCidr"), "%q is not an IPv4 CIDR (like 172.19.0.0/30)", g.ExternalCidr)
		}
	}
	inCIDR := func(field, value string) {
		path := p.Key(field)
		a, ok := v.ipv4(path, value)
		if !ok || !cidrOK {
			return
		}
		if !cidr.Contains(a) {
			v.errorf(KindOutsideCidr, path, "%s is outside ExternalCidr %s; it must lie within it", a, cidr)
			return
		}
		lo, hi := prefixSpan(cidr)
		if hasHosts(cidr) && (u32(a) == lo || u32(a) == hi) {
			v.errorf(KindNetworkOrBroadcast, path, "%s is the network or broadcast address of ExternalCidr %s; use one of %s-%s", a, cidr, addrOf(lo+1), addrOf(hi-1))
		}
	}
	if v.written(p.Key("ExternalIp")) {
		inCIDR("ExternalIp", g.ExternalIp)
	}
	if bgp {
		for _, f := range []struct{ name, value string }{{"BgpPeerIp", g.BgpPeerIp}, {"BgpPeerAsn", g.BgpPeerAsn}} {
			if f.value == "" {
				v.errorf(KindBgpIncomplete, p.Key(f.name), "%s is required for every gateway when Mido.BgpAsn is set", f.name)
			}
		}
		if g.BgpPeerIp != "" {
			inCIDR("BgpPeerIp", g.BgpPeerIp)
		}
		if g.BgpPeerAsn != "" {
			v.asn(p.Key("BgpPeerAsn"), g.BgpPeerAsn)
		}
		if len(g.BgpAdRoutes) == 0 {
			v.errorf(KindBgpNoAdRoutes, p.Key("BgpAdRoutes"), "at least one BgpAdRoutes entry is required when Mido.BgpAsn is set: the public networks this gateway advertises")
		}
	} else {
		for _, f := range []struct {
			name string
			set  bool
		}{{"BgpPeerIp", g.BgpPeerIp != ""}, {"BgpPeerAsn", g.BgpPeerAsn != ""}, {"BgpAdRoutes", len(g.BgpAdRoutes) > 0}} {
			if f.set {
				v.errorf(KindBgpWithoutAsn, p.Key(f.name), "%s needs Mido.BgpAsn; set BgpAsn for a BGP uplink, or use ExternalRouterIp for a static one", f.name)
			}
		}
		if g.ExternalRouterIp == "" {
			if v.written(p) {
				v.errorf(KindMissingField, p.Key("ExternalRouterIp"), "ExternalRouterIp is required for a static (non-BGP) uplink: the router address on ExternalCidr")
			}
		} else {
			inCIDR("ExternalRouterIp", g.ExternalRouterIp)
			if g.ExternalRouterIp == g.ExternalIp {
				v.errorf(KindRouterIpIsExternalIp, p.Key("ExternalRouterIp"), "ExternalRouterIp and ExternalIp are both %s; they are the two ends of the uplink", g.ExternalIp)
			}
		}
	}
	var routes []span
	for i, r := range g.BgpAdRoutes {
		path := p.Key("BgpAdRoutes").Index(i)
		pr, ok := parsePrefix(r)
		if !ok {
			v.errorf(KindBadCidr, path, "%q is not an IPv4 CIDR", r)
			continue
		}
		lo, hi := prefixSpan(pr)
		routes = append(routes, span{lo, hi, path})
	}
	if cidrOK {
		lo, hi := prefixSpan(cidr)
		v.externalCidrs = append(v.externalCidrs, span{lo, hi, p.Key("ExternalCidr")})
	}
	return routes
}

// parsePublicIP reads one PublicIps entry: an address, a range a-b, or a CIDR. What is wrong
// with an entry comes back as a diagnostic kind and message, for the validator to report and
// for PublicPrefixes to return.
func parsePublicIP(s string) (span, Kind, string) {
	if lo, hi, isRange := strings.Cut(s, "-"); isRange {
		a, okA := parseIPv4(strings.TrimSpace(lo))
		b, okB := parseIPv4(strings.TrimSpace(hi))
		if !okA || !okB {
			return span{}, KindBadPublicIp, fmt.Sprintf("%q is not an IPv4 range; write first-last like 10.116.150.1-10.116.150.254", s)
		}
		if u32(a) > u32(b) {
			return span{}, KindPublicRangeReversed, fmt.Sprintf("range %q ends before it starts; write the lower address first (%s-%s)", s, b, a)
		}
		return span{lo: u32(a), hi: u32(b)}, "", ""
	}
	if strings.Contains(s, "/") {
		p, ok := parsePrefix(s)
		if !ok {
			return span{}, KindBadPublicIp, fmt.Sprintf("%q is not an IPv4 CIDR", s)
		}
		lo, hi := prefixSpan(p)
		if hasHosts(p) {
			return span{}, KindPublicCidrWithBroadcast, fmt.Sprintf("%s includes its network address %s and broadcast address %s, which cannot be public IPs; write the range %s-%s", s, addrOf(lo), addrOf(hi), addrOf(lo+1), addrOf(hi-1))
		}
		return span{lo: lo, hi: hi}, "", ""
	}
	a, ok := parseIPv4(s)
	if !ok {
		return span{}, KindBadPublicIp, fmt.Sprintf("%q is not an IPv4 address, range (a-b) or CIDR", s)
	}
	return span{lo: u32(a), hi: u32(a)}, "", ""
}

// publicIps checks the public addresses: well formed, ordered, not a network or broadcast
// address, disjoint from each other, from host addresses and from the uplink networks, and
// (with BGP) inside the advertised routes. Eucalyptus documents most of these but checks none.
func (v *validator) publicIps(routes []span) {
	var spans []span
	for i, s := range v.c.Network.PublicIps {
		sp, kind, problem := parsePublicIP(s)
		sp.path = Path("network.PublicIps").Index(i)
		if problem != "" {
			v.errorf(kind, sp.path, "%s", problem)
			continue
		}
		spans = append(spans, sp)
	}
	v.publicOverlaps(spans)
	hostAddrs := v.hostAddresses()
	for _, a := range spans {
		for _, r := range routes {
			if r.hi-r.lo >= 3 && (a.contains(r.lo) || a.contains(r.hi)) {
				v.errorf(KindPublicIpNetworkOrBroadcast, a.path, "%s includes the network or broadcast address of BgpAdRoutes %s (%s)", a, r, r.path)
			}
		}
		if len(routes) > 0 && !v.insideAny(a, routes) {
			v.errorf(KindPublicIpNotAdvertised, a.path, "%s is not inside any gateway's BgpAdRoutes; the gateways would not advertise it", a)
		}
		if why := unusableSpan(a); why != "" {
			v.errorf(KindPublicIpReserved, a.path, "%s %s: such addresses cannot be public IPs", a, why)
			continue
		}
		if len(routes) == 0 && (a.lo&0xff == 0 || a.hi&0xff == 255) {
			v.warnf(KindPublicRangeEdge, a.path, "%s starts at a .0 or ends at a .255 address, which is the network or broadcast address of a /24; make sure the upstream network is larger", a)
		}
		// The host addresses inside a, found in the sorted list: one span's check costs a
		// search, not a pass over every host.
		first := sort.Search(len(hostAddrs), func(i int) bool { return hostAddrs[i].addr >= a.lo })
		var inside []hostAddr
		for i := first; i < len(hostAddrs) && hostAddrs[i].addr <= a.hi; i++ {
			inside = append(inside, hostAddrs[i])
		}
		if len(inside) > 0 {
			h := inside[0]
			more := ""
			if len(inside) > 1 {
				more = fmt.Sprintf(" and %d more host addresses", len(inside)-1)
			}
			v.errorf(KindPublicIpIsHostAddress, a.path, "%s includes %s, the %s of host %q (hosts[%d])%s; public IPs must not be host addresses", a, h.text, h.field, v.c.Hosts[h.host].Name, h.host, more)
		}
		for _, c := range v.externalCidrs {
			if a.overlaps(c) {
				v.errorf(KindPublicIpInUplink, a.path, "%s overlaps the gateway uplink network at %s; public IPs must lie outside every ExternalCidr", a, c.path)
			}
		}
	}
}

// publicOverlaps reports every public IP span that overlaps one listed before it, once,
// naming one it overlaps: sorted by start, a span overlaps an earlier one exactly when it
// starts before the furthest end so far. Pairwise, n spans could make n² reports.
func (v *validator) publicOverlaps(spans []span) {
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return spans[order[i]].lo < spans[order[j]].lo })
	furthest := -1 // index of the span reaching furthest so far
	for _, i := range order {
		a := spans[i]
		if furthest >= 0 && a.lo <= spans[furthest].hi {
			b := spans[furthest]
			if i < furthest { // name the one listed first as the one overlapped
				a, b = b, a
			}
			v.errorf(KindPublicIpOverlap, a.path, "%s overlaps %s at %s; each public IP may be listed once", a, b, b.path)
		}
		if furthest < 0 || a.hi > spans[furthest].hi {
			furthest = i
		}
	}
}

// hostAddr is a host's address or tunnel address, for finding those inside a span.
type hostAddr struct {
	addr  uint32
	text  string
	field string
	host  int
}

// hostAddresses are the hosts' addresses and tunnel addresses, sorted.
func (v *validator) hostAddresses() []hostAddr {
	var out []hostAddr
	for i, h := range v.c.Hosts {
		for _, f := range []struct{ name, value string }{{"address", h.Address}, {"tunnelAddress", h.TunnelAddress}} {
			if addr, ok := parseIPv4(f.value); ok {
				out = append(out, hostAddr{addr: u32(addr), text: addr.String(), field: f.name, host: i})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].addr < out[j].addr })
	return out
}

func (v *validator) insideAny(a span, routes []span) bool {
	for _, r := range routes {
		if r.lo <= a.lo && a.hi <= r.hi {
			return true
		}
	}
	return false
}

// PublicPrefixes returns the public IPs as the smallest list of CIDR blocks that covers them
// exactly, in order: routes and firewall rules on a gateway are written per block. Only a
// cloud that failed validation has an entry it cannot read.
func (c *Cloud) PublicPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range c.Network.PublicIps {
		sp, _, problem := parsePublicIP(s)
		if problem != "" {
			return nil, fmt.Errorf("network.PublicIps[%d]: %s", i, problem)
		}
		out = append(out, spanPrefixes(sp.lo, sp.hi)...)
	}
	return out, nil
}

// spanPrefixes splits lo..hi into aligned CIDR blocks, largest first.
func spanPrefixes(lo, hi uint32) []netip.Prefix {
	var out []netip.Prefix
	for cur := uint64(lo); cur <= uint64(hi); {
		bits := 32
		for bits > 0 {
			size := uint64(1) << (32 - (bits - 1))
			if cur%size != 0 || cur+size-1 > uint64(hi) {
				break
			}
			bits--
		}
		out = append(out, netip.PrefixFrom(addrOf(uint32(cur)), bits))
		cur += uint64(1) << (32 - bits)
	}
	return out
}

// NetworkJSON is the Eucalyptus 4.4 network configuration, for
// "euctl cloud.network.network_configuration=@network.json". 4.4 reads JSON only and rejects
// keys it does not know, so only its own keys are written.
func NetworkJSON(c *Cloud) []byte {
	b, err := json.MarshalIndent(c.Network, "", "  ")
	if err != nil {
		panic("cloud: marshal network: " + err.Error()) // strings and lists cannot fail
	}
	return append(b, '\n')
}

// unusableSpan says why a range of public IPs holds addresses no instance can have, or "".
func unusableSpan(a span) string {
	for _, r := range []struct {
		lo, hi uint32
		why    string
	}{
		{0x00000000, 0x00ffffff, "includes 0.0.0.0/8"},
		{0x7f000000, 0x7fffffff, "includes loopback addresses (127.0.0.0/8)"},
		{0xe0000000, 0xefffffff, "includes multicast addresses (224.0.0.0/4)"},
		{0xf0000000, 0xffffffff, "includes reserved or broadcast addresses (240.0.0.0/4, 255.255.255.255)"},
	} {
		if a.lo <= r.hi && a.hi >= r.lo {
			return r.why
		}
	}
	return ""
}
