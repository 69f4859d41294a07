package support

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
)

// Units whose journals since boot a bundle holds: the roles' services and midobake's own.
var Units = append(roles.ServiceUnits(), "midobake-firstboot", "midobake-uplink", "midobake-backup", "chronyd", "firewalld", "cloud-final")

// Files a bundle holds (globs allowed), with why: midobake's and the host's, then the roles'.
var Files = append([]roles.SupportFile{
	{Path: roles.StatePath, Why: "midobake: what the hook finished, what services started with"},
	{Path: roles.ReportPath, Why: "midobake: the hook's report of its last run"},
	{Path: roles.PreflightPath, Why: "midobake: the last preflight"},
	{Path: site.Path, Why: "midobake: the site data (the cloud description)"},
	{Path: site.RefPath, Why: "midobake: where the site data comes from"},
	{Path: roles.NetworkPath, Why: "midobake: Eucalyptus's network configuration"},
	{Path: "/etc/systemd/system/midobake-*", Why: "midobake: its units"},
	{Path: "/var/log/cloud-init-output.log", Why: "cloud-init: the first boot's output (the hook's log)"},
	{Path: "/etc/yum.repos.d/*.repo", Why: "the package repositories"},
	{Path: "/etc/chrony.conf", Why: "time sync"},
	{Path: "/etc/hosts", Why: "name resolution"},
	{Path: "/etc/resolv.conf", Why: "name resolution"},
}, roles.SupportFiles()...)

// Commands a bundle runs on every host.
var Commands = []Item{
	{Name: "host/uname.txt", Command: []string{"uname", "-a"}, Why: "the kernel"},
	{Name: "host/ip-addr.txt", Command: []string{"ip", "-d", "addr", "show"}, Why: "addresses"},
	{Name: "host/ip-link.txt", Command: []string{"ip", "-d", "-s", "link", "show"}, Why: "links and MTUs"},
	{Name: "host/ip-route.txt", Command: []string{"ip", "route", "show", "table", "all"}, Why: "routes"},
	{Name: "host/iptables-save.txt", Command: []string{"iptables-save"}, Why: "firewall rules"},
	{Name: "host/firewalld.txt", Command: []string{"firewall-cmd", "--list-all-zones"}, Why: "firewalld's zones"},
	{Name: "host/packages.txt", Command: []string{"rpm", "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE}.%{ARCH}\n"},
		Alternatives: [][]string{{"dpkg-query", "-W"}}, Why: "package versions"},
	{Name: "host/timedatectl.txt", Command: []string{"timedatectl"}, Why: "time sync"},
	{Name: "host/chronyc-tracking.txt", Command: []string{"chronyc", "tracking"}, Why: "time sync"},
	{Name: "host/systemctl-status.txt", Command: append([]string{"systemctl", "--no-pager", "--full", "status"}, append(append([]string{}, Units...), "midobake-backup.timer")...), Why: "the services"},
}

// Plan is what decides a host's items.
type Plan struct {
	// CLC: gather MidoNet's view (mn-conf dump, hosts, tunnel zones) too.
	CLC bool
	API *midonet.Client
}

// Items is everything a bundle of this host gathers, in the archive's order.
func Items(p Plan) []Item {
	var items []Item
	for _, f := range Files {
		items = append(items, Item{File: f.Path, Why: f.Why, Tail: f.Path == "/var/log/cloud-init-output.log"})
	}
	for _, u := range Units {
		items = append(items, Item{Name: "journal/" + u + ".txt", Command: []string{"journalctl", "--no-pager", "-b", "-o", "short-iso", "-u", u},
			Tail: true, Max: 8 << 20, Why: "its journal since boot"})
	}
	items = append(items, Commands...)
	if p.CLC {
		items = append(items,
			Item{Name: "midonet/mn-conf-dump.txt", Command: []string{"mn-conf", "dump"}, Why: "MidoNet's configuration in ZooKeeper"},
			Item{Name: "midonet/hosts.json", Func: func(ctx context.Context) ([]byte, error) {
				hosts, err := p.API.Hosts(ctx)
				return asJSON(hosts, err)
			}, Source: "GET " + p.API.Base() + "/hosts", Why: "MidoNet's hosts"},
			Item{Name: "midonet/tunnel-zones.json", Func: func(ctx context.Context) ([]byte, error) { return tunnelZones(ctx, p.API) },
				Source: "GET " + p.API.Base() + "/tunnel_zones (and each zone's hosts)", Why: "MidoNet's tunnel zones and their members"},
		)
	}
	return items
}

func asJSON(v any, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

func tunnelZones(ctx context.Context, api *midonet.Client) ([]byte, error) {
	zones, err := api.TunnelZones(ctx)
	if err != nil {
		return nil, err
	}
	type zone struct {
		midonet.TunnelZone
		Members []midonet.Member `json:"members"`
		Error   string           `json:"membersError,omitempty"`
	}
	var out []zone
	for _, z := range zones {
		members, err := api.Members(ctx, z.ID)
		e := ""
		if err != nil {
			e = fmt.Sprint(err)
		}
		out = append(out, zone{z, members, e})
	}
	return asJSON(out, nil)
}
