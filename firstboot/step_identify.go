package firstboot

import (
	"context"
	"fmt"
)

func (r *run) describeIdentify() []string {
	return []string{fmt.Sprintf("this host is %s: address %s, tunnel address %s, profile %s", r.host.Name, r.host.Address, r.host.TunnelAddress, r.plan.Profile)}
}

func (r *run) doIdentify(ctx context.Context) (string, error) {
	return fmt.Sprintf("host %s, address %s, profile %s", r.host.Name, r.host.Address, r.plan.Profile), nil
}
