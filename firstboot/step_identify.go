package firstboot

import (
	"context"
	"fmt"
)

// identify: which host of the site data this one is (found by name or address before the
// steps run; this step records it).
func init() {
	register(Step{Name: "identify", Summary: "which host of the description this is (its name, then its addresses)",
		Describe: describeIdentify, Do: doIdentify,
		Check: func(ctx context.Context, e *Env) Check {
			return holds("this host is %s (profile %s)", e.host.Name, e.plan.Profile)
		}})
}

func describeIdentify(e *Env) []string {
	return []string{fmt.Sprintf("this host is %s: address %s, tunnel address %s, profile %s", e.host.Name, e.host.Address, e.host.TunnelAddress, e.plan.Profile)}
}

func doIdentify(ctx context.Context, e *Env) (string, error) {
	return fmt.Sprintf("host %s, address %s, profile %s", e.host.Name, e.host.Address, e.plan.Profile), nil
}
