package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/roles"
)

// The agent's steps: start Midolman once ZooKeeper serves, then give it its resource template
// and the heap file that goes with it.

func (r *run) describeMidolman() []string {
	return []string{
		fmt.Sprintf("wait for ZooKeeper (%s) and the NSDB settings in it (%s, written by the CLC's mn-conf set -t default)", strings.Join(r.zkClients(), ", "), roles.DefaultTemplateZNode),
		r.describeService(roles.UnitMidolman),
	}
}

// doMidolman starts Midolman once the cloud's NSDB settings are in ZooKeeper: Midolman
// reads them once, at start, so one started earlier would run without Cassandra for good.
func (r *run) doMidolman(ctx context.Context) (string, error) {
	if err := r.waitZooKeeper(ctx); err != nil {
		return "", err
	}
	addrs := r.zkClients()
	if err := r.wait(ctx, "the NSDB settings in ZooKeeper ("+roles.DefaultTemplateZNode+")", func(ctx context.Context) error {
		return retryable(nsdbSettingsIn(ctx, addrs, roles.DefaultTemplateZNode))
	}); err != nil {
		return "", err
	}
	if err := r.startService(ctx, roles.UnitMidolman); err != nil {
		return "", err
	}
	return "midolman started", nil
}

func (r *run) describeTemplate() []string {
	t := r.top.Template(r.host)
	return []string{fmt.Sprintf("wait for Midolman's host id (%s); mn-conf template-set -h local -t %s; install %s as %s; systemctl restart midolman if the template or the heap file changed", roles.HostIDPath, t.Name, roles.HeapFilePath(t), roles.MidolmanEnvPath)}
}

func (r *run) doTemplate(ctx context.Context) (string, error) {
	t := r.top.Template(r.host)
	heapFile := roles.HeapFilePath(t)
	// "-h local" is the id Midolman created: without one yet, mn-conf would make another.
	if _, err := r.waitHostID(ctx); err != nil {
		return "", err
	}
	if err := r.mnConf(ctx, nil, "template-set", "-h", "local", "-t", t.Name); err != nil {
		return "", err
	}
	heap, err := r.opts.Root.Read(heapFile)
	if err != nil {
		return "", err
	}
	if heap == nil {
		return "", fmt.Errorf("%s not found: is the midolman package installed?", heapFile)
	}
	if _, err := r.opts.Root.Write(roles.MidolmanEnvPath, heap, 0o644); err != nil {
		return "", err
	}
	r.state.Template = t.Name
	if err := r.startService(ctx, roles.UnitMidolman); err != nil {
		return "", err
	}
	return fmt.Sprintf("template %s, heap from %s", t.Name, heapFile), nil
}
