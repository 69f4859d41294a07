package firstboot

import (
	"context"
	"fmt"

	"github.com/midobake/midobake/roles"
)

// template: give Midolman its resource template (mn-conf template-set -h local) and the heap
// file that goes with it, restarting it when either changed.
func init() {
	register(Step{Name: "template", Summary: "on a Midolman host: its resource template (mn-conf template-set -h local -t ...) and heap file",
		RunsFor:  []string{"midolman"},
		Describe: describeTemplate, Check: checkTemplate, Do: doTemplate})
}

// checkTemplate: the heap file of the host's template is in place, and the template mn-conf
// was last given is the host's.
func checkTemplate(ctx context.Context, e *Env) Check {
	t := e.top.Template(e.host)
	heap, err := e.opts.Root.Read(roles.HeapFilePath(t))
	if err != nil {
		return unknown("cannot read %s: %v", roles.HeapFilePath(t), err)
	}
	env, err := e.opts.Root.Read(roles.MidolmanEnvPath)
	if err != nil {
		return unknown("cannot read %s: %v", roles.MidolmanEnvPath, err)
	}
	switch {
	case heap == nil || string(env) != string(heap):
		return fails("%s is not %s", roles.MidolmanEnvPath, roles.HeapFilePath(t))
	case e.state == nil || e.state.Template != t.Name:
		return fails("template %s was never set on this host", t.Name)
	}
	return holds("template %s, heap from %s", t.Name, roles.HeapFilePath(t))
}

func describeTemplate(e *Env) []string {
	t := e.top.Template(e.host)
	return []string{fmt.Sprintf("wait for Midolman's host id (%s); mn-conf template-set -h local -t %s; install %s as %s; systemctl restart midolman if the template or the heap file changed", roles.HostIDPath, t.Name, roles.HeapFilePath(t), roles.MidolmanEnvPath)}
}

func doTemplate(ctx context.Context, e *Env) (string, error) {
	t := e.top.Template(e.host)
	heapFile := roles.HeapFilePath(t)
	// "-h local" is the id Midolman created: without one yet, mn-conf would make another.
	if _, err := waitHostID(ctx, e); err != nil {
		return "", err
	}
	if err := e.mnConf(ctx, nil, "template-set", "-h", "local", "-t", t.Name); err != nil {
		return "", err
	}
	heap, err := e.opts.Root.Read(heapFile)
	if err != nil {
		return "", err
	}
	if heap == nil {
		return "", fmt.Errorf("%s not found: is the midolman package installed?", heapFile)
	}
	if _, err := e.opts.Root.Write(roles.MidolmanEnvPath, heap, 0o644); err != nil {
		return "", err
	}
	e.state.Template = t.Name
	if err := e.startService(ctx, roles.UnitMidolman); err != nil {
		return "", err
	}
	return fmt.Sprintf("template %s, heap from %s", t.Name, heapFile), nil
}
