package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/roles"
)

// zooOwnedPrefix marks the zoo.cfg keys that name the ensemble: the hook owns all of them, so
// a server that left the ensemble loses its line.
const zooOwnedPrefix = "server."

// zooOwned reports whether the hook makes sure of a zoo.cfg key: the ensemble, where the data
// lives, the client port and autopurge. Other keys (timeouts, limits) stay as the file has them.
func zooOwned(key string) bool {
	return strings.HasPrefix(key, zooOwnedPrefix) || strings.HasPrefix(key, "autopurge.") || key == "dataDir" || key == "clientPort"
}

func (r *run) describeZooKeeper() []string {
	return []string{
		fmt.Sprintf("set the ensemble (%d servers), dataDir and autopurge in %s; write %s/myid = %d", len(r.top.Ensemble), roles.ZooCfgPath, roles.ZooKeeperDataDir, r.top.MyID(r.host)),
		fmt.Sprintf("link %s to %s unless it exists (where the ZooKeeper package looks for Java)", roles.JavaDefaultPath, roles.SystemJavaPath),
		r.describeService(roles.UnitZooKeeper),
		fmt.Sprintf("wait until this server serves clients at %s:%d (the ensemble has quorum)", r.host.Address, r.opts.ZooKeeperPort),
	}
}

func (r *run) doZooKeeper(ctx context.Context) (string, error) {
	// The keys the hook makes sure of are the ones the zoo.cfg template sets: the renderer
	// and the hook cannot disagree on the ensemble or autopurge.
	owned := properties(r.planContent(roles.ZooCfgPath), zooOwned)
	cfg, err := r.editFile(roles.ZooCfgPath, func(s string) string {
		return setProperties(s, owned, zooOwnedPrefix)
	})
	if err != nil {
		return "", err
	}
	id := r.top.MyID(r.host)
	if _, err := r.opts.Root.Write(roles.ZooKeeperDataDir+"/myid", []byte(fmt.Sprintf("%d\n", id)), 0o644); err != nil {
		return "", err
	}
	if err := r.cmd(ctx, nil, "chown", "-R", "zookeeper:zookeeper", r.opts.Root.Path("/var/lib/zookeeper")); err != nil {
		return "", err
	}
	// MidoNet's NSDB guide: the misc repository's ZooKeeper runs /usr/java/default/bin/java.
	if _, err := r.opts.Root.Link(roles.JavaDefaultPath, roles.SystemJavaPath); err != nil {
		return "", err
	}
	if err := r.startService(ctx, roles.UnitZooKeeper); err != nil {
		return "", err
	}
	own := fmt.Sprintf("%s:%d", r.host.Address, r.opts.ZooKeeperPort)
	if err := r.wait(ctx, "ZooKeeper at "+own+" to serve", func(ctx context.Context) error {
		return retryable(zkServing(ctx, own))
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, myid %d, zookeeper serving", changed(roles.ZooCfgPath, cfg), id), nil
}
