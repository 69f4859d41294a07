package emit

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/midobake/midobake/cloud"
)

// eucalyptusKeys are the keys Eucalyptus 4.4's network configuration parser knows; it
// rejects any other.
var eucalyptusKeys = map[string]map[string]bool{
	"": {"Mode": true, "InstanceDnsDomain": true, "InstanceDnsServers": true, "MacPrefix": true, "Mido": true,
		"PublicGateway": true, "PublicIps": true, "PrivateIps": true, "Subnets": true, "ManagedSubnet": true, "Clusters": true},
	"Mido": {"BgpAsn": true, "Gateways": true, "EucanetdHost": true, "GatewayHost": true, "GatewayIP": true,
		"GatewayInterface": true, "PublicNetworkCidr": true, "PublicGatewayIP": true},
	"Gateways": {"Ip": true, "ExternalCidr": true, "ExternalDevice": true, "ExternalIp": true, "ExternalRouterIp": true,
		"BgpPeerIp": true, "BgpPeerAsn": true, "BgpAdRoutes": true},
}

// TestNetworkJSON: the JSON carries exactly the validated network configuration, in keys
// Eucalyptus 4.4 knows, with strings where it expects strings.
func TestNetworkJSON(t *testing.T) {
	for name, f := range validFixtures(t) {
		data := cloud.NetworkJSON(f.cloud)
		var back cloud.Network
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(f.cloud.Network, back, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: network.json loses or changes data:\n%s", name, diff)
		}
		var raw map[string]any
		json.Unmarshal(data, &raw)
		checkKeys(t, name, "", raw)
	}
}

func checkKeys(t *testing.T, fixture, section string, m map[string]any) {
	for k, v := range m {
		if !eucalyptusKeys[section][k] {
			t.Errorf("%s: key %q in %q is not one Eucalyptus 4.4 knows", fixture, k, section)
		}
		switch v := v.(type) {
		case map[string]any:
			checkKeys(t, fixture, k, v)
		case []any:
			for _, item := range v {
				if sub, ok := item.(map[string]any); ok {
					checkKeys(t, fixture, k, sub)
				}
			}
		case float64, bool:
			t.Errorf("%s: %s.%s is %T; Eucalyptus expects strings", fixture, section, k, v)
		}
	}
}
