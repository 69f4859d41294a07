package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// uplink: on a static gateway, the uplink script and its unit (applied at every boot).
func init() {
	register(Step{Name: "uplink", Summary: "on a static gateway: the uplink (veth pair, bridge, forwarding, routes, NAT) as a script and a unit that survive reboots",
		RunsFor:  []string{"midolman"},
		Describe: describeUplink, Check: checkUplink, Do: doUplink})
}

// checkUplink: the uplink script and unit are as the templates render them for this host.
func checkUplink(ctx context.Context, e *Env) Check {
	if why := uplinkSkip(e); why != "" {
		return holds("nothing to set up: %s", why)
	}
	script, unit, err := renderUplink(e)
	if err != nil {
		return unknown("%v", err)
	}
	for path, want := range map[string][]byte{roles.UplinkScriptPath: script, roles.UplinkUnitPath: unit} {
		got, err := e.opts.Root.Read(path)
		if err != nil {
			return unknown("cannot read %s: %v", path, err)
		}
		if string(got) != string(want) {
			return fails("%s is not the one the templates render", path)
		}
	}
	return holds("%s and %s in place", roles.UplinkScriptPath, roles.UplinkUnitPath)
}

// renderUplink renders the uplink script and its unit for this host.
func renderUplink(e *Env) (script, unit []byte, err error) {
	vars, err := uplinkVars(e)
	if err != nil {
		return nil, nil, err
	}
	cloudVars := roles.CloudVars(e.top)
	if script, err = e.opts.Templates.Render("uplink.tmpl", cloudVars, vars); err != nil {
		return nil, nil, err
	}
	unit, err = e.opts.Templates.Render("midobake-uplink.service.tmpl", cloudVars, vars)
	return script, unit, err
}

// uplinkSkip says why this host needs no static uplink, or "".
func uplinkSkip(e *Env) string {
	g := e.c.Gateway(e.host)
	switch {
	case g == nil:
		return e.host.Name + " is not a gateway"
	case e.c.Network.Mido.BgpAsn != "":
		return "BGP uplink: MidoNet peers with the router itself; nothing to set up on the host"
	}
	return ""
}

func uplinkVars(e *Env) (map[string]any, error) {
	g := e.c.Gateway(e.host)
	prefixes, err := e.c.PublicPrefixes()
	if err != nil {
		return nil, err
	}
	var cidrs []string
	for _, p := range prefixes {
		cidrs = append(cidrs, p.String())
	}
	_, bits, _ := strings.Cut(g.ExternalCidr, "/")
	return map[string]any{
		"host": e.host.Name, "gateway": g, "router_ip": g.ExternalRouterIp, "prefix_len": bits,
		"public_cidrs": cidrs, "uplink_script": roles.UplinkScriptPath,
		"kind": e.host.UplinkKind(), "out_dev": e.host.PrimaryInterface,
	}, nil
}

func describeUplink(e *Env) []string {
	if why := uplinkSkip(e); why != "" {
		return []string{"skip: " + why}
	}
	g := e.c.Gateway(e.host)
	_, bits, _ := strings.Cut(g.ExternalCidr, "/")
	what := fmt.Sprintf("uplink: %s: %s is a real interface: keep it up with no address (the router %s is real)", cloud.UplinkNIC, g.ExternalDevice, g.ExternalRouterIp)
	if e.host.UplinkKind() == cloud.UplinkVeth {
		out := e.host.PrimaryInterface
		if out == "" {
			out = "the default route's interface"
		}
		what = fmt.Sprintf("uplink: %s: veth0/%s, bridge uplinkbridge with %s/%s, ip_forward, routes, NAT out of %s and FORWARD rules for %s",
			cloud.UplinkVeth, g.ExternalDevice, g.ExternalRouterIp, bits, out, strings.Join(e.c.Network.PublicIps, ", "))
	}
	return []string{
		fmt.Sprintf("write %s and %s; %s", roles.UplinkScriptPath, roles.UplinkUnitPath, what),
		"systemctl daemon-reload; systemctl enable midobake-uplink; systemctl restart midobake-uplink (persists across reboots)",
	}
}

func doUplink(ctx context.Context, e *Env) (string, error) {
	if why := uplinkSkip(e); why != "" {
		return "skipped: " + why, nil
	}
	script, unit, err := renderUplink(e)
	if err != nil {
		return "", err
	}
	if _, err := e.opts.Root.Write(roles.UplinkScriptPath, script, 0o755); err != nil {
		return "", err
	}
	if _, err := e.opts.Root.Write(roles.UplinkUnitPath, unit, 0o644); err != nil {
		return "", err
	}
	for _, args := range [][]string{{"daemon-reload"}, {"enable", "midobake-uplink"}, {"restart", "midobake-uplink"}} {
		if err := e.cmd(ctx, nil, "systemctl", args...); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("static uplink (%s) on %s applied and enabled", e.host.UplinkKind(), e.c.Gateway(e.host).ExternalDevice), nil
}
