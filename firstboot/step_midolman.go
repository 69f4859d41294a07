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
	return []string{fmt.Sprintf("wait for ZooKeeper (%s); systemctl enable midolman; systemctl start midolman", strings.Join(r.zkClients(), ", "))}
}

func (r *run) doMidolman(ctx context.Context) (string, error) {
	if err := r.waitZooKeeper(ctx); err != nil {
		return "", err
	}
	if err := r.enableStart(ctx, roles.UnitMidolman); err != nil {
		return "", err
	}
	return "midolman started", nil
}

func (r *run) describeTemplate() []string {
	t := r.top.Template(r.host)
	return []string{fmt.Sprintf("mn-conf template-set -h local -t %s; install %s as %s; systemctl restart midolman", t.Name, roles.HeapFilePath(t), roles.MidolmanEnvPath)}
}

func (r *run) doTemplate(ctx context.Context) (string, error) {
	t := r.top.Template(r.host)
	heapFile := roles.HeapFilePath(t)
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
	// Restart even when the heap file was already in place: a run killed between writing
	// it and restarting would otherwise leave Midolman on the old heap for good.
	if err := r.cmd(ctx, nil, "systemctl", "restart", roles.UnitMidolman); err != nil {
		return "", err
	}
	return fmt.Sprintf("template %s, heap from %s, midolman restarted", t.Name, heapFile), nil
}
