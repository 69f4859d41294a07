package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/system"
)

// zookeeper: on an ensemble server, its zoo.cfg (the ensemble, autopurge) and myid; then
// start it and wait until it serves (the ensemble has quorum).
func init() {
	register(Step{Name: "zookeeper", Summary: "on a ZooKeeper host: myid, zoo.cfg (the ensemble, autopurge), start (a restart under the NSDB restart lock), wait for the quorum",
		RunsFor:  []string{cloud.RoleZooKeeper},
		Describe: describeZooKeeper, Check: checkZooKeeper, Do: doZooKeeper})
}

// checkZooKeeper: zoo.cfg has the ensemble and autopurge the plan says, and myid is this
// server's.
func checkZooKeeper(ctx context.Context, e *Env) Check {
	cur, err := e.opts.Root.Read(roles.ZooCfgPath)
	if err != nil {
		return unknown("cannot read %s: %v", roles.ZooCfgPath, err)
	}
	if cur == nil {
		return fails("%s is missing", roles.ZooCfgPath)
	}
	if setZooOwned(e, string(cur)) != string(cur) {
		return fails("%s does not have the ensemble and autopurge of the site data", roles.ZooCfgPath)
	}
	id := e.top.MyID(e.host)
	myid, err := e.opts.Root.Read(roles.ZooKeeperDataDir + "/myid")
	if err != nil {
		return unknown("cannot read myid: %v", err)
	}
	return holdsIf(string(myid) == fmt.Sprintf("%d\n", id),
		fmt.Sprintf("%s has the ensemble (%d servers); myid %d", roles.ZooCfgPath, len(e.top.Ensemble), id),
		fmt.Sprintf("%s/myid is not %d", roles.ZooKeeperDataDir, id))
}

// setZooOwned sets the zoo.cfg keys the hook owns, as the plan's rendering has them: the
// renderer and the hook cannot disagree on the ensemble or autopurge.
func setZooOwned(e *Env, s string) string {
	return setProperties(s, properties(e.planContent(roles.ZooCfgPath), zooOwned), zooOwnedPrefix)
}

// zooOwnedPrefix marks the zoo.cfg keys that name the ensemble: the hook owns all of them, so
// a server that left the ensemble loses its line.
const zooOwnedPrefix = "server."

// zooOwned reports whether the hook makes sure of a zoo.cfg key: the ensemble, where the data
// lives, the client port and autopurge. Other keys (timeouts, limits) stay as the file has them.
func zooOwned(key string) bool {
	return strings.HasPrefix(key, zooOwnedPrefix) || strings.HasPrefix(key, "autopurge.") || key == "dataDir" || key == "clientPort"
}

func describeZooKeeper(e *Env) []string {
	return []string{
		fmt.Sprintf("set the ensemble (%d servers), dataDir and autopurge in %s; write %s/myid = %d", len(e.top.Ensemble), roles.ZooCfgPath, roles.ZooKeeperDataDir, e.top.MyID(e.host)),
		fmt.Sprintf("link %s to %s unless it exists (where the ZooKeeper package looks for Java)", roles.JavaDefaultPath, roles.SystemJavaPath),
		e.describeService(roles.UnitZooKeeper),
		fmt.Sprintf("wait until this server serves clients at %s:%d (the ensemble has quorum)", e.host.Address, e.opts.ZooKeeperPort),
	}
}

func doZooKeeper(ctx context.Context, e *Env) (string, error) {
	cfg, err := e.editFile(roles.ZooCfgPath, func(s string) string { return setZooOwned(e, s) })
	if err != nil {
		return "", err
	}
	id := e.top.MyID(e.host)
	if _, err := e.opts.Root.Write(roles.ZooKeeperDataDir+"/myid", []byte(fmt.Sprintf("%d\n", id)), 0o644); err != nil {
		return "", err
	}
	if err := e.cmd(ctx, nil, "chown", "-R", "zookeeper:zookeeper", e.opts.Root.Path("/var/lib/zookeeper")); err != nil {
		return "", err
	}
	// MidoNet's NSDB guide: the misc repository's ZooKeeper runs /usr/java/default/bin/java.
	if _, err := e.opts.Root.Link(roles.JavaDefaultPath, roles.SystemJavaPath); err != nil {
		return "", err
	}
	if err := e.startService(ctx, roles.UnitZooKeeper); err != nil {
		return "", err
	}
	own := fmt.Sprintf("%s:%d", e.host.Address, e.opts.ZooKeeperPort)
	if err := e.wait(ctx, "ZooKeeper at "+own+" to serve", func(ctx context.Context) error {
		return system.Retryable(midonet.Serving(ctx, own))
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, myid %d, zookeeper serving", changed(roles.ZooCfgPath, cfg), id), nil
}
