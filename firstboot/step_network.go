package firstboot

import (
	"context"
	"fmt"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

func (r *run) describeNetwork() []string {
	return []string{fmt.Sprintf("write %s for: euctl cloud.network.network_configuration=@%s", roles.NetworkPath, roles.NetworkPath)}
}

func (r *run) doNetwork(ctx context.Context) (string, error) {
	did, err := r.opts.Root.Write(roles.NetworkPath, cloud.NetworkJSON(r.c), 0o644)
	if err != nil {
		return "", err
	}
	return changed(roles.NetworkPath, did) + "; apply it with: euctl cloud.network.network_configuration=@" + roles.NetworkPath, nil
}
