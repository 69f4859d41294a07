package cloud

// Kinds of diagnostics: one per rule, stable (scripts and CI annotations match them, and
// fixtures/invalid holds each to a file that produces it). Decoding problems come first, then
// the rules on the description.
const (
	KindSyntax                     Kind = "syntax"                         // the file is not YAML
	KindEmptyFile                  Kind = "empty-file"                     // the file is empty
	KindAlias                      Kind = "alias"                          // YAML aliases past their bounds
	KindUnknownKey                 Kind = "unknown-key"                    // a key the format does not have
	KindDuplicateKey               Kind = "duplicate-key"                  // the same key twice in one mapping
	KindWrongType                  Kind = "wrong-type"                     // a value of the wrong type (a list where a string belongs, ...)
	KindNonStringKey               Kind = "non-string-key"                 // a mapping key that is not a string
	KindMissingField               Kind = "missing-field"                  // a required field is absent or empty
	KindBadVersion                 Kind = "bad-version"                    // version is not 1
	KindBadChoice                  Kind = "bad-choice"                     // a value outside its allowed set (os, firewall.mode, tunnel zone type, ...)
	KindBadCloudName               Kind = "bad-cloud-name"                 // the cloud's name
	KindBadCassandraClusterName    Kind = "bad-cassandra-cluster-name"     // midonet.cassandraClusterName
	KindBadHeap                    Kind = "bad-heap"                       // midonet.clusterHeap is not a JVM heap size
	KindHeapTooSmall               Kind = "heap-too-small"                 // midonet.clusterHeap is below 256M
	KindNoMidobakeRepo             Kind = "no-midobake-repo"               // no repository for the midobake package (warning)
	KindUnknownRepository          Kind = "unknown-repository"             // a repository midobake does not know
	KindGpgcheckOff                Kind = "gpgcheck-off"                   // a repository with signature checks off (warning)
	KindNoGpgkey                   Kind = "no-gpgkey"                      // the midobake repository names no key (warning)
	KindBadUrl                     Kind = "bad-url"                        // a repository URL that is not usable
	KindUrlWithoutSlash            Kind = "url-without-slash"              // a repository URL that does not end in / (warning)
	KindBadAddress                 Kind = "bad-address"                    // not an IPv4 address
	KindReservedHostAddress        Kind = "reserved-host-address"          // a host address that no host can have (loopback, link-local, ...)
	KindNoHosts                    Kind = "no-hosts"                       // the cloud has no hosts
	KindDuplicateHost              Kind = "duplicate-host"                 // two hosts share a name, address or MAC
	KindBadHostName                Kind = "bad-host-name"                  // a host name that is not RFC 1123
	KindMacLikeHostName            Kind = "mac-like-host-name"             // a host name that reads as a MAC address
	KindDuplicateTunnelAddress     Kind = "duplicate-tunnel-address"       // two hosts tunnel from the same address
	KindBadMac                     Kind = "bad-mac"                        // not a MAC address
	KindUnusableMac                Kind = "unusable-mac"                   // a multicast, broadcast or all-zero MAC address
	KindBadInterfaceName           Kind = "bad-interface-name"             // not a network interface name Linux accepts
	KindTemplateUnused             Kind = "template-unused"                // a template for a host that runs no Midolman (warning)
	KindUplinkUnused               Kind = "uplink-unused"                  // an uplink for a host that is no static gateway (warning)
	KindUnknownPreflightCheck      Kind = "unknown-preflight-check"        // preflightIgnore names no check
	KindNoRoles                    Kind = "no-roles"                       // a host with no roles
	KindUnknownRole                Kind = "unknown-role"                   // a role midobake does not know
	KindDuplicateRole              Kind = "duplicate-role"                 // a role listed twice on one host
	KindBadSource                  Kind = "bad-source"                     // firewall.adminSources: not an address or CIDR
	KindAdminSourcesUnused         Kind = "admin-sources-unused"           // adminSources while the hook disables firewalld (warning)
	KindBadSchedule                Kind = "bad-schedule"                   // backup.schedule is not a calendar both systemd 219 and today's read
	KindBackupWithoutSchedule      Kind = "backup-without-schedule"        // a backup setting without a schedule
	KindUnknownBackupHost          Kind = "unknown-backup-host"            // backup.host names no host
	KindBackupHostRole             Kind = "backup-host-role"               // backup.host is neither the CLC nor a ZooKeeper host
	KindBadBackupDirectory         Kind = "bad-backup-directory"           // backup.directory is not an absolute clean path
	KindBadBackupKeep              Kind = "bad-backup-keep"                // backup.keep out of range
	KindNoClc                      Kind = "no-clc"                         // no host is the CLC
	KindSecondClc                  Kind = "second-clc"                     // more than one CLC
	KindNoZookeeper                Kind = "no-zookeeper"                   // no host runs ZooKeeper
	KindEvenEnsemble               Kind = "even-ensemble"                  // an even number of ZooKeeper hosts (warning)
	KindNoCassandra                Kind = "no-cassandra"                   // no host runs Cassandra
	KindNetworkMode                Kind = "network-mode"                   // network.Mode is not VPCMIDO
	KindBadDnsDomain               Kind = "bad-dns-domain"                 // network.InstanceDnsDomain is not a DNS domain
	KindBadMacPrefix               Kind = "bad-mac-prefix"                 // network.MacPrefix is not two hex pairs
	KindNotPermitted               Kind = "not-permitted"                  // a key Eucalyptus forbids in VPCMIDO mode
	KindLegacyGateway              Kind = "legacy-gateway"                 // the legacy single-gateway keys beside Gateways
	KindUnknownEucanetdHost        Kind = "unknown-eucanetd-host"          // Mido.EucanetdHost is no host of the cloud
	KindTooManyGateways            Kind = "too-many-gateways"              // more than 6 gateways
	KindDuplicateGateway           Kind = "duplicate-gateway"              // a gateway described twice
	KindGatewayNotAHost            Kind = "gateway-not-a-host"             // a gateway Ip that is no host's address
	KindBgpGatewayOnClc            Kind = "bgp-gateway-on-clc"             // a BGP gateway on the CLC
	KindGatewayNotUfs              Kind = "gateway-not-ufs"                // a gateway on a host that is not a ufs (warning)
	KindUplinkIsPrimary            Kind = "uplink-is-primary"              // ExternalDevice is the host's primary interface
	KindUplinkVethCreated          Kind = "uplink-veth-created"            // midobake creates the veth uplink ExternalDevice names (warning)
	KindBadCidr                    Kind = "bad-cidr"                       // not an IPv4 CIDR
	KindOutsideCidr                Kind = "outside-cidr"                   // an uplink address outside ExternalCidr
	KindNetworkOrBroadcast         Kind = "network-or-broadcast"           // an uplink address that is ExternalCidr's network or broadcast address
	KindBadBgpAsn                  Kind = "bad-bgp-asn"                    // not an AS number
	KindBgpIncomplete              Kind = "bgp-incomplete"                 // a BGP gateway without its peer settings
	KindBgpNoAdRoutes              Kind = "bgp-no-ad-routes"               // a BGP gateway that advertises nothing
	KindBgpWithoutAsn              Kind = "bgp-without-asn"                // BGP peer settings without Mido.BgpAsn
	KindRouterIpIsExternalIp       Kind = "router-ip-is-external-ip"       // ExternalRouterIp and ExternalIp are the same
	KindBadPublicIp                Kind = "bad-public-ip"                  // a public IP entry that is no address, range or CIDR
	KindPublicRangeReversed        Kind = "public-range-reversed"          // a public IP range that ends before it starts
	KindPublicIpNetworkOrBroadcast Kind = "public-ip-network-or-broadcast" // public IPs that include a BgpAdRoutes network or broadcast address
	KindPublicIpNotAdvertised      Kind = "public-ip-not-advertised"       // public IPs no gateway's BgpAdRoutes covers
	KindPublicIpReserved           Kind = "public-ip-reserved"             // public IPs that are loopback, multicast, ...
	KindPublicRangeEdge            Kind = "public-range-edge"              // a public range at .0 or .255 (warning)
	KindPublicIpIsHostAddress      Kind = "public-ip-is-host-address"      // public IPs that include a host's address
	KindPublicIpInUplink           Kind = "public-ip-in-uplink"            // public IPs in a gateway's uplink network
	KindPublicCidrWithBroadcast    Kind = "public-cidr-with-broadcast"     // a public CIDR that includes its network and broadcast addresses
	KindPublicIpOverlap            Kind = "public-ip-overlap"              // public IPs listed twice
)

// Kinds lists every kind with what it is about, in the order above: validate --kinds prints it.
var Kinds = []struct {
	Kind  Kind
	About string
}{
	{KindSyntax, "the file is not YAML"},
	{KindEmptyFile, "the file is empty"},
	{KindAlias, "YAML aliases past their bounds"},
	{KindUnknownKey, "a key the format does not have"},
	{KindDuplicateKey, "the same key twice in one mapping"},
	{KindWrongType, "a value of the wrong type (a list where a string belongs, ...)"},
	{KindNonStringKey, "a mapping key that is not a string"},
	{KindMissingField, "a required field is absent or empty"},
	{KindBadVersion, "version is not 1"},
	{KindBadChoice, "a value outside its allowed set (os, firewall.mode, tunnel zone type, ...)"},
	{KindBadCloudName, "the cloud's name"},
	{KindBadCassandraClusterName, "midonet.cassandraClusterName"},
	{KindBadHeap, "midonet.clusterHeap is not a JVM heap size"},
	{KindHeapTooSmall, "midonet.clusterHeap is below 256M"},
	{KindNoMidobakeRepo, "no repository for the midobake package (warning)"},
	{KindUnknownRepository, "a repository midobake does not know"},
	{KindGpgcheckOff, "a repository with signature checks off (warning)"},
	{KindNoGpgkey, "the midobake repository names no key (warning)"},
	{KindBadUrl, "a repository URL that is not usable"},
	{KindUrlWithoutSlash, "a repository URL that does not end in / (warning)"},
	{KindBadAddress, "not an IPv4 address"},
	{KindReservedHostAddress, "a host address that no host can have (loopback, link-local, ...)"},
	{KindNoHosts, "the cloud has no hosts"},
	{KindDuplicateHost, "two hosts share a name, address or MAC"},
	{KindBadHostName, "a host name that is not RFC 1123"},
	{KindMacLikeHostName, "a host name that reads as a MAC address"},
	{KindDuplicateTunnelAddress, "two hosts tunnel from the same address"},
	{KindBadMac, "not a MAC address"},
	{KindUnusableMac, "a multicast, broadcast or all-zero MAC address"},
	{KindBadInterfaceName, "not a network interface name Linux accepts"},
	{KindTemplateUnused, "a template for a host that runs no Midolman (warning)"},
	{KindUplinkUnused, "an uplink for a host that is no static gateway (warning)"},
	{KindUnknownPreflightCheck, "preflightIgnore names no check"},
	{KindNoRoles, "a host with no roles"},
	{KindUnknownRole, "a role midobake does not know"},
	{KindDuplicateRole, "a role listed twice on one host"},
	{KindBadSource, "firewall.adminSources: not an address or CIDR"},
	{KindAdminSourcesUnused, "adminSources while the hook disables firewalld (warning)"},
	{KindBadSchedule, "backup.schedule is not a calendar both systemd 219 and today's read"},
	{KindBackupWithoutSchedule, "a backup setting without a schedule"},
	{KindUnknownBackupHost, "backup.host names no host"},
	{KindBackupHostRole, "backup.host is neither the CLC nor a ZooKeeper host"},
	{KindBadBackupDirectory, "backup.directory is not an absolute clean path"},
	{KindBadBackupKeep, "backup.keep out of range"},
	{KindNoClc, "no host is the CLC"},
	{KindSecondClc, "more than one CLC"},
	{KindNoZookeeper, "no host runs ZooKeeper"},
	{KindEvenEnsemble, "an even number of ZooKeeper hosts (warning)"},
	{KindNoCassandra, "no host runs Cassandra"},
	{KindNetworkMode, "network.Mode is not VPCMIDO"},
	{KindBadDnsDomain, "network.InstanceDnsDomain is not a DNS domain"},
	{KindBadMacPrefix, "network.MacPrefix is not two hex pairs"},
	{KindNotPermitted, "a key Eucalyptus forbids in VPCMIDO mode"},
	{KindLegacyGateway, "the legacy single-gateway keys beside Gateways"},
	{KindUnknownEucanetdHost, "Mido.EucanetdHost is no host of the cloud"},
	{KindTooManyGateways, "more than 6 gateways"},
	{KindDuplicateGateway, "a gateway described twice"},
	{KindGatewayNotAHost, "a gateway Ip that is no host's address"},
	{KindBgpGatewayOnClc, "a BGP gateway on the CLC"},
	{KindGatewayNotUfs, "a gateway on a host that is not a ufs (warning)"},
	{KindUplinkIsPrimary, "ExternalDevice is the host's primary interface"},
	{KindUplinkVethCreated, "midobake creates the veth uplink ExternalDevice names (warning)"},
	{KindBadCidr, "not an IPv4 CIDR"},
	{KindOutsideCidr, "an uplink address outside ExternalCidr"},
	{KindNetworkOrBroadcast, "an uplink address that is ExternalCidr's network or broadcast address"},
	{KindBadBgpAsn, "not an AS number"},
	{KindBgpIncomplete, "a BGP gateway without its peer settings"},
	{KindBgpNoAdRoutes, "a BGP gateway that advertises nothing"},
	{KindBgpWithoutAsn, "BGP peer settings without Mido.BgpAsn"},
	{KindRouterIpIsExternalIp, "ExternalRouterIp and ExternalIp are the same"},
	{KindBadPublicIp, "a public IP entry that is no address, range or CIDR"},
	{KindPublicRangeReversed, "a public IP range that ends before it starts"},
	{KindPublicIpNetworkOrBroadcast, "public IPs that include a BgpAdRoutes network or broadcast address"},
	{KindPublicIpNotAdvertised, "public IPs no gateway's BgpAdRoutes covers"},
	{KindPublicIpReserved, "public IPs that are loopback, multicast, ..."},
	{KindPublicRangeEdge, "a public range at .0 or .255 (warning)"},
	{KindPublicIpIsHostAddress, "public IPs that include a host's address"},
	{KindPublicIpInUplink, "public IPs in a gateway's uplink network"},
	{KindPublicCidrWithBroadcast, "a public CIDR that includes its network and broadcast addresses"},
	{KindPublicIpOverlap, "public IPs listed twice"},
}
