package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// midonet-conf: the ZooKeeper ensemble in midonet.conf (the CLC's cluster) and midolman.conf
// (every agent), key by key: the rest of each file stays as the image or an override has it.
func init() {
	register(Step{Name: "midonet-conf", Summary: "zookeeper_hosts in midolman.conf and midonet.conf",
		RunsFor:  []string{cloud.RoleCLC, "midolman"},
		Describe: describeMidonetConf, Check: checkMidonetConf, Do: doMidonetConf})
}

func checkMidonetConf(ctx context.Context, e *Env) Check {
	for _, p := range midonetConfs(e) {
		cur, err := e.opts.Root.Read(p)
		if err != nil {
			return unknown("cannot read %s: %v", p, err)
		}
		if cur == nil {
			return fails("%s is missing", p)
		}
		if setINI(string(cur), "zookeeper", "zookeeper_hosts", zkHostsSetting(e)) != string(cur) {
			return fails("%s does not name the ensemble %s", p, zkHostsSetting(e))
		}
	}
	return holds("zookeeper_hosts = %s in %s", zkHostsSetting(e), strings.Join(midonetConfs(e), " and "))
}

func zkHostsSetting(e *Env) string {
	return strings.Join(e.top.ZooKeeperClients(roles.ZooKeeperPort), ",")
}

// midonetConfs are the MidoNet configuration files this profile has.
func midonetConfs(e *Env) []string {
	var out []string
	for _, p := range []string{roles.MidonetConfPath, roles.MidolmanConfPath} {
		if e.planContent(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

func describeMidonetConf(e *Env) []string {
	return []string{fmt.Sprintf("set zookeeper_hosts = %s in %s", zkHostsSetting(e), strings.Join(midonetConfs(e), " and "))}
}

func doMidonetConf(ctx context.Context, e *Env) (string, error) {
	var out []string
	for _, p := range midonetConfs(e) {
		did, err := e.editFile(p, func(s string) string { return setINI(s, "zookeeper", "zookeeper_hosts", zkHostsSetting(e)) })
		if err != nil {
			return "", err
		}
		out = append(out, changed(p, did))
	}
	return strings.Join(out, ", "), nil
}
