package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// uplinkSkip says why this host needs no static uplink, or "".
func (r *run) uplinkSkip() string {
	g := r.c.Gateway(r.host)
	switch {
	case g == nil:
		return r.host.Name + " is not a gateway"
	case r.c.Network.Mido.BgpAsn != "":
		return "BGP uplink: MidoNet peers with the router itself; nothing to set up on the host"
	}
	return ""
}

func (r *run) uplinkVars() (map[string]any, error) {
	g := r.c.Gateway(r.host)
	prefixes, err := r.c.PublicPrefixes()
	if err != nil {
		return nil, err
	}
	var cidrs []string
	for _, p := range prefixes {
		cidrs = append(cidrs, p.String())
	}
	_, bits, _ := strings.Cut(g.ExternalCidr, "/")
	return map[string]any{
		"host": r.host.Name, "gateway": g, "router_ip": g.ExternalRouterIp, "prefix_len": bits,
		"public_cidrs": cidrs, "uplink_script": roles.UplinkScriptPath,
		"kind": r.host.UplinkKind(), "out_dev": r.host.PrimaryInterface,
	}, nil
}

func (r *run) describeUplink() []string {
	if why := r.uplinkSkip(); why != "" {
		return []string{"skip: " + why}
	}
	g := r.c.Gateway(r.host)
	_, bits, _ := strings.Cut(g.ExternalCidr, "/")
	what := fmt.Sprintf("uplink: %s: %s is a real interface: keep it up with no address (the router %s is real)", cloud.UplinkNIC, g.ExternalDevice, g.ExternalRouterIp)
	if r.host.UplinkKind() == cloud.UplinkVeth {
		out := r.host.PrimaryInterface
		if out == "" {
			out = "the default route's interface"
		}
		what = fmt.Sprintf("uplink: %s: veth0/%s, bridge uplinkbridge with %s/%s, ip_forward, routes, NAT out of %s and FORWARD rules for %s",
			cloud.UplinkVeth, g.ExternalDevice, g.ExternalRouterIp, bits, out, strings.Join(r.c.Network.PublicIps, ", "))
	}
	return []string{
		fmt.Sprintf("write %s and %s; %s", roles.UplinkScriptPath, roles.UplinkUnitPath, what),
		"systemctl daemon-reload; systemctl enable midobake-uplink; systemctl restart midobake-uplink (persists across reboots)",
	}
}

func (r *run) doUplink(ctx context.Context) (string, error) {
	if why := r.uplinkSkip(); why != "" {
		return "skipped: " + why, nil
	}
	vars, err := r.uplinkVars()
	if err != nil {
		return "", err
	}
	cloudVars := roles.CloudVars(r.top)
	script, err := r.opts.Templates.Render("uplink.tmpl", cloudVars, vars)
	if err != nil {
		return "", err
	}
	unit, err := r.opts.Templates.Render("midobake-uplink.service.tmpl", cloudVars, vars)
	if err != nil {
		return "", err
	}
	if _, err := r.opts.Root.Write(roles.UplinkScriptPath, script, 0o755); err != nil {
		return "", err
	}
	if _, err := r.opts.Root.Write(roles.UplinkUnitPath, unit, 0o644); err != nil {
		return "", err
	}
	for _, args := range [][]string{{"daemon-reload"}, {"enable", "midobake-uplink"}, {"restart", "midobake-uplink"}} {
		if err := r.cmd(ctx, nil, "systemctl", args...); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("static uplink (%s) on %s applied and enabled", r.host.UplinkKind(), r.c.Gateway(r.host).ExternalDevice), nil
}
