package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/roles"
)

// The MidoNet steps: the agents' ZooKeeper address (midonet-conf), the cloud-wide NSDB
// settings in mn-conf (mn-conf-default, on the CLC), and midonet-cluster (on the CLC).

func (r *run) zkHostsSetting() string {
	return strings.Join(r.top.ZooKeeperClients(roles.ZooKeeperPort), ",")
}

// midonetConfs are the MidoNet configuration files this profile has.
func (r *run) midonetConfs() []string {
	var out []string
	for _, p := range []string{roles.MidonetConfPath, roles.MidolmanConfPath} {
		if r.planContent(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

func (r *run) describeMidonetConf() []string {
	return []string{fmt.Sprintf("set zookeeper_hosts = %s in %s", r.zkHostsSetting(), strings.Join(r.midonetConfs(), " and "))}
}

func (r *run) doMidonetConf(ctx context.Context) (string, error) {
	var out []string
	for _, p := range r.midonetConfs() {
		did, err := r.editFile(p, func(s string) string { return setINI(s, "zookeeper", "zookeeper_hosts", r.zkHostsSetting()) })
		if err != nil {
			return "", err
		}
		out = append(out, changed(p, did))
	}
	return strings.Join(out, ", "), nil
}

func (r *run) describeNSDBConfig() []string {
	return []string{
		fmt.Sprintf("pipe %s into 'mn-conf set -t default' once ZooKeeper serves:", roles.NSDBConfPath),
		fmt.Sprintf("zookeeper_hosts %s, cassandra servers %s, REST API on %s", strings.Join(r.zkClients(), ","), strings.Join(r.top.CassandraServers(), ","), roles.RESTAPIAddress),
	}
}

func (r *run) doNSDBConfig(ctx context.Context) (string, error) {
	// The file as the user-data or the image wrote it (with any template override); the
	// embedded rendering only if it is missing.
	did, err := r.settingsFile(roles.NSDBConfPath)
	if err != nil {
		return "", err
	}
	conf, err := r.opts.Root.Read(roles.NSDBConfPath)
	if err != nil {
		return "", err
	}
	if err := r.waitZooKeeper(ctx); err != nil {
		return "", err
	}
	if err := r.mnConf(ctx, conf, "set", "-t", "default"); err != nil {
		return "", err
	}
	return changed(roles.NSDBConfPath, did) + ", default template set", nil
}

func (r *run) describeCluster() []string {
	return []string{fmt.Sprintf("wait for Cassandra (%s); %s", strings.Join(r.cassandraClients(), ", "), r.describeService(roles.UnitCluster))}
}

func (r *run) cassandraClients() []string { return r.top.CassandraClients(r.opts.CassandraPort) }

func (r *run) doCluster(ctx context.Context) (string, error) {
	addrs := r.cassandraClients()
	err := r.wait(ctx, "Cassandra ("+strings.Join(addrs, ", ")+")", func(ctx context.Context) error {
		var last error
		for _, a := range addrs {
			if last = tcpOpen(ctx, a); last == nil {
				return nil
			}
		}
		return retryable(last)
	})
	if err != nil {
		return "", err
	}
	if err := r.startService(ctx, roles.UnitCluster); err != nil {
		return "", err
	}
	return "midonet-cluster started", nil
}
