package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// mn-conf-default: on the CLC, the cloud-wide NSDB settings (ZooKeeper, Cassandra, the REST
// API on loopback) into mn-conf's default template, which every Midolman reads at start.
func init() {
	register(Step{Name: "mn-conf-default", Summary: "on the CLC: mn-conf set -t default (ZooKeeper, Cassandra, the REST API on 127.0.0.1:8080), retried while ZooKeeper drops the connection",
		RunsFor:  []string{cloud.RoleCLC},
		Describe: describeNSDBConfig, Do: doNSDBConfig,
		Check: func(ctx context.Context, e *Env) Check {
			return unknown("the default template is in ZooKeeper (%s)", roles.DefaultTemplateZNode)
		}})
}

func describeNSDBConfig(e *Env) []string {
	return []string{
		fmt.Sprintf("pipe %s into 'mn-conf set -t default' once ZooKeeper serves:", roles.NSDBConfPath),
		fmt.Sprintf("zookeeper_hosts %s, cassandra servers %s, REST API on %s", strings.Join(e.zkClients(), ","), strings.Join(e.top.CassandraServers(), ","), roles.RESTAPIAddress),
	}
}

func doNSDBConfig(ctx context.Context, e *Env) (string, error) {
	// The file as the user-data or the image wrote it (with any template override); the
	// embedded rendering only if it is missing.
	did, err := e.settingsFile(roles.NSDBConfPath)
	if err != nil {
		return "", err
	}
	conf, err := e.opts.Root.Read(roles.NSDBConfPath)
	if err != nil {
		return "", err
	}
	if err := e.waitZooKeeper(ctx); err != nil {
		return "", err
	}
	if err := e.mnConf(ctx, conf, "set", "-t", "default"); err != nil {
		return "", err
	}
	return changed(roles.NSDBConfPath, did) + ", default template set", nil
}
