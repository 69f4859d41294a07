package firstboot

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// network-config: on the CLC, Eucalyptus's network configuration as JSON for euctl.
func init() {
	register(Step{Name: "network-config", Summary: "on the CLC: /etc/midobake/network.json, Eucalyptus's network configuration for euctl",
		RunsFor:  []string{cloud.RoleCLC},
		Describe: describeNetwork, Do: doNetwork,
		Check: func(ctx context.Context, e *Env) Check {
			got, err := e.opts.Root.Read(roles.NetworkPath)
			if err != nil {
				return unknown("cannot read %s: %v", roles.NetworkPath, err)
			}
			return holdsIf(string(got) == string(cloud.NetworkJSON(e.c)),
				roles.NetworkPath+" is the site data's network configuration",
				roles.NetworkPath+" is not the site data's network configuration")
		}})
}

func describeNetwork(e *Env) []string {
	return []string{fmt.Sprintf("write %s for: euctl %s=@%s", roles.NetworkPath, networkProperty, roles.NetworkPath)}
}

func doNetwork(ctx context.Context, e *Env) (string, error) {
	did, err := e.opts.Root.Write(roles.NetworkPath, cloud.NetworkJSON(e.c), 0o644)
	if err != nil {
		return "", err
	}
	return changed(roles.NetworkPath, did) + "; once Eucalyptus is registered, apply it with: midobake firstboot --apply-network (or euctl " + networkProperty + "=@" + roles.NetworkPath + ")", nil
}

// networkProperty is the Eucalyptus property that holds the network configuration.
const networkProperty = "cloud.network.network_configuration"

func describeApplyNetwork(e *Env) string {
	return fmt.Sprintf("apply-network: euctl %s=@%s unless euctl -n %s already shows it; read it back and check it", networkProperty, roles.NetworkPath, networkProperty)
}

// applyNetwork gives Eucalyptus the network configuration unless it has it already (the same
// JSON, whatever its formatting), then reads it back: a value Eucalyptus changed or refused
// quietly is an error.
func applyNetwork(ctx context.Context, e *Env) (string, error) {
	want := cloud.NetworkJSON(e.c)
	if _, err := e.opts.Root.Write(roles.NetworkPath, want, 0o644); err != nil {
		return "", err
	}
	current, err := e.opts.Runner.Run(ctx, nil, "euctl", "-n", networkProperty)
	if err != nil {
		return "", fmt.Errorf("cannot read %s with euctl (are Eucalyptus's tools installed and the cloud registered?): %w", networkProperty, err)
	}
	if sameJSON(current, want) {
		return "Eucalyptus already has this network configuration", nil
	}
	if _, err := e.opts.Runner.Run(ctx, nil, "euctl", networkProperty+"=@"+e.opts.Root.Path(roles.NetworkPath)); err != nil {
		return "", err
	}
	applied, err := e.opts.Runner.Run(ctx, nil, "euctl", "-n", networkProperty)
	if err != nil {
		return "", err
	}
	if !sameJSON(applied, want) {
		return "", fmt.Errorf("euctl accepted %s, but %s now reads %q", roles.NetworkPath, networkProperty, truncate(strings.TrimSpace(string(applied)), 200))
	}
	return "network configuration applied and read back: " + networkProperty + " matches " + roles.NetworkPath, nil
}

// sameJSON compares two JSON documents by value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
