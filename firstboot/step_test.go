package firstboot

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

const fourProfiles = `version: 1
name: t
os: el7
midonet: {}
hosts:
  - {name: nsdb1, address: 10.0.0.1, roles: [nsdb]}
  - {name: clc1, address: 10.0.0.2, roles: [clc]}
  - {name: nc1, address: 10.0.0.3, tunnelAddress: 10.1.0.3, roles: [nc]}
  - {name: gw1, address: 10.0.0.4, roles: [ufs]}
network:
  Mode: VPCMIDO
  PublicIps: [10.116.150.1-10.116.150.10]
  Mido:
    Gateways:
      - {Ip: 10.0.0.4, ExternalCidr: 172.19.0.0/30, ExternalDevice: veth1, ExternalIp: 172.19.0.2, ExternalRouterIp: 172.19.0.1}
`

// TestStepsPerProfile: the steps each profile runs at first boot, in order, derived from the
// steps' own RunsFor and stepOrder.
func TestStepsPerProfile(t *testing.T) {
	c, rep := cloud.Load("t.yaml", []byte(fourProfiles))
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	tpl, err := roles.NewTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := roles.Plans(roles.Resolve(c), tpl)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cassandra+zookeeper": "identify firewall time zookeeper cassandra backup-schedule",
		"clc":                 "identify firewall time midonet-conf mn-conf-default midonet-cluster midolman template uplink announce tunnel-zone network-config backup-schedule",
		"nc":                  "identify firewall time midonet-conf midolman template uplink announce",
		"ufs":                 "identify firewall time midonet-conf midolman template uplink announce",
	}
	got := map[string]string{}
	for _, p := range plans {
		var names []string
		for _, s := range StepsFor(p) {
			names = append(names, string(s.Name))
		}
		got[p.Profile] = strings.Join(names, " ")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps per profile (-want +got):\n%s", diff)
	}
}

// TestRegisterRefusesDuplicates: a step whose name is taken, that stepOrder does not place,
// or that lacks a part, is refused when the hook starts, not discovered on a host.
func TestRegisterRefusesDuplicates(t *testing.T) {
	saved := registry
	defer func() { registry = saved }()
	registry = map[StepName]Step{}
	nop := Step{Name: "identify", Summary: "a step", Describe: func(*Env) []string { return nil },
		Check: func(context.Context, *Env) Check { return Check{} }, Do: func(context.Context, *Env) (string, error) { return "", nil }}
	register(nop)
	for name, s := range map[string]Step{
		"same name":         nop,
		"no place in order": func() Step { s := nop; s.Name = "b"; return s }(),
		"no check":          func() Step { s := nop; s.Name, s.Check = "firewall", nil; return s }(),
		"no summary":        func() Step { s := nop; s.Name, s.Summary = "time", ""; return s }(),
		"an unknown role":   func() Step { s := nop; s.Name, s.RunsFor = "zookeeper", []string{"nsdb2"}; return s }(),
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: registered", name)
				}
			}()
			register(s)
		}()
	}
}

// TestEveryStepHasItsPlace: stepOrder names every registered step once, and nothing else.
func TestEveryStepHasItsPlace(t *testing.T) {
	if len(AllSteps()) != len(stepOrder) || len(registry) != len(stepOrder) {
		t.Errorf("%d steps registered, %d placed in stepOrder", len(registry), len(stepOrder))
	}
	seen := map[StepName]bool{}
	for _, n := range stepOrder {
		if seen[n] {
			t.Errorf("%s twice in stepOrder", n)
		}
		seen[n] = true
	}
}
