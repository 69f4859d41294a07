package firstboot

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// firewall: EL7 ships firewalld running, which blocks ZooKeeper, Cassandra and the tunnels.
// By default the hook does what the Eucalyptus 4.4 guide does ("Disable FirewallD on RHEL 7");
// with firewall.mode: keep it leaves firewalld running and opens exactly the ports each role
// of this host needs to exactly the cloud's hosts, in ipsets of its own, and takes access
// away from hosts that left the cloud.
func init() {
	register(Step{Name: "firewall", Summary: "firewalld stopped and disabled, as the Eucalyptus guide says; with firewall.mode: keep, opened for exactly the cloud's hosts",
		Describe: describeFirewall, Check: checkFirewall, Do: doFirewall})
}

func describeFirewall(e *Env) []string {
	if e.c.FirewallMode() == cloud.FirewallDisable {
		return []string{fmt.Sprintf("if firewalld is installed: systemctl stop %s (and reset-failed: a start that failed is not a fault now); if it is enabled, systemctl --no-reload disable %s (as the Eucalyptus guide does; firewall.mode: keep keeps it)", roles.UnitFirewall, roles.UnitFirewall)}
	}
	lines := []string{"firewalld stays; open exactly what this host's roles need, to exactly the cloud's hosts (firewall-cmd --permanent, then --reload):"}
	for _, r := range firewallRules(e.top, e.host) {
		lines = append(lines, fmt.Sprintf("  %s from ipset %s: %s", strings.Join(r.Services, ", "), r.Set, strings.Join(r.Sources, " ")))
	}
	return append(lines, "  ipsets and rules of midobake that the cloud no longer needs are removed")
}

func checkFirewall(ctx context.Context, e *Env) Check {
	if e.c.FirewallMode() == cloud.FirewallDisable {
		switch {
		case !unitInstalled(e, roles.UnitFirewall):
			return holds("firewalld is not installed")
		case unitEnabled(ctx, e, roles.UnitFirewall):
			return fails("firewalld is enabled")
		}
		return holds("firewalld is disabled")
	}
	actions, err := firewallActions(ctx, e)
	switch {
	case err != nil:
		return unknown("%v", err)
	case len(actions) > 0:
		return fails("firewalld needs %d changes for the cloud's ports", len(actions))
	}
	return holds("firewalld opens exactly the cloud's ports")
}

func doFirewall(ctx context.Context, e *Env) (string, error) {
	if e.c.FirewallMode() == cloud.FirewallDisable {
		if !unitInstalled(e, roles.UnitFirewall) {
			return "firewalld is not installed: nothing to disable", nil
		}
		if err := e.cmd(ctx, nil, "systemctl", "stop", roles.UnitFirewall); err != nil {
			return "", err
		}
		// A firewalld whose start failed (it timed out on a slow boot) is off now, as meant:
		// it is not left among the failed units an operator is told to look at.
		if err := e.cmd(ctx, nil, "systemctl", "reset-failed", roles.UnitFirewall); err != nil {
			e.logf("firewall: systemctl reset-failed %s: %v", roles.UnitFirewall, err)
		}
		if !unitEnabled(ctx, e, roles.UnitFirewall) {
			return "firewalld stopped; it was not enabled (a golden image comes so)", nil
		}
		// Removing the links needs no reload of systemd (seconds on a busy boot): they only
		// matter at the next boot.
		if err := e.cmd(ctx, nil, "systemctl", "--no-reload", "disable", roles.UnitFirewall); err != nil {
			return "", err
		}
		return "firewalld stopped and disabled, as the Eucalyptus guide says (firewall.mode: keep keeps it and opens the cloud's ports)", nil
	}
	if out, err := e.opts.Runner.Run(ctx, nil, "firewall-cmd", "--state"); err != nil {
		return "", fmt.Errorf("firewall.mode is keep but firewalld is not running (%s): start it, or say firewall.mode: disable", strings.TrimSpace(string(out)))
	}
	actions, err := firewallActions(ctx, e)
	if err != nil {
		return "", err
	}
	if len(actions) == 0 {
		return "firewalld already opens exactly the cloud's ports", nil
	}
	for _, a := range actions {
		if err := e.cmd(ctx, nil, "firewall-cmd", a...); err != nil {
			return "", err
		}
		e.logf("  firewall-cmd %s", strings.Join(a, " "))
	}
	if err := e.cmd(ctx, nil, "firewall-cmd", "--reload"); err != nil {
		return "", err
	}
	return fmt.Sprintf("firewalld: %d changes, reloaded", len(actions)), nil
}

// fwRule is one opening: the services (port/protocol, or an IP protocol) a set of sources
// may reach on this host.
type fwRule struct {
	Set      string   // the ipset, named midobake-*
	Sources  []string // addresses or CIDR blocks, sorted
	Services []string // "2181/tcp", "6677/udp" or "gre"
}

// firewallSetPrefix marks what the hook owns in firewalld: it removes what it no longer needs
// and leaves everything else alone.
const firewallSetPrefix = "midobake-"

// firewallRules is what this host's roles need open, and to whom: their Listens (the role
// files say which ports, and who may connect), one rule per source set, by set name.
func firewallRules(top roles.Topology, h cloud.Host) []fwRule {
	bySet := map[string]*fwRule{}
	for _, l := range roles.HostListens(top, h) {
		if l.Set == "" {
			continue // nothing beyond the host connects
		}
		r := bySet[l.Set]
		if r == nil {
			seen := map[string]bool{}
			var src []string
			for _, s := range l.From {
				if !seen[s] {
					seen[s] = true
					src = append(src, s)
				}
			}
			sort.Strings(src)
			r = &fwRule{Set: firewallSetPrefix + l.Set, Sources: src}
			bySet[l.Set] = r
		}
		r.Services = append(r.Services, l.Service())
	}
	rules := make([]fwRule, 0, len(bySet))
	for _, r := range bySet {
		rules = append(rules, *r)
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].Set < rules[j].Set })
	return rules
}

// richRule is the rule firewalld lists for one service of a rule, in the form
// "firewall-cmd --list-rich-rules" prints it.
func richRule(set, service string) string {
	if port, proto, ok := strings.Cut(service, "/"); ok {
		return fmt.Sprintf(`rule family="ipv4" source ipset="%s" port port="%s" protocol="%s" accept`, set, port, proto)
	}
	return fmt.Sprintf(`rule family="ipv4" source ipset="%s" protocol value="%s" accept`, set, service)
}

// firewallActions reads firewalld's permanent configuration and says what to change, as
// firewall-cmd arguments, in an order firewalld accepts: sets made and filled, rules added,
// stale rules removed, then stale sets deleted.
func firewallActions(ctx context.Context, e *Env) ([][]string, error) {
	query := func(args ...string) ([]string, error) {
		out, err := e.opts.Runner.Run(ctx, nil, "firewall-cmd", append([]string{"--permanent"}, args...)...)
		if err != nil {
			return nil, err
		}
		var lines []string
		for _, l := range strings.Split(string(out), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		return lines, nil
	}
	sets, err := query("--get-ipsets")
	if err != nil {
		return nil, err
	}
	if len(sets) == 1 {
		sets = strings.Fields(sets[0]) // one line, space-separated
	}
	entries := map[string][]string{}
	for _, s := range sets {
		if strings.HasPrefix(s, firewallSetPrefix) {
			if entries[s], err = query("--ipset="+s, "--get-entries"); err != nil {
				return nil, err
			}
		}
	}
	rules, err := query("--list-rich-rules")
	if err != nil {
		return nil, err
	}
	return planFirewall(firewallRules(e.top, e.host), entries, rules), nil
}

// planFirewall compares what is wanted with what firewalld has (midobake's sets and their
// entries; every rich rule) and returns the changes.
func planFirewall(want []fwRule, have map[string][]string, rules []string) [][]string {
	var add, remove, drop [][]string
	wanted := map[string]bool{}
	wantRule := map[string]bool{}
	for _, r := range want {
		wanted[r.Set] = true
		cur, exists := have[r.Set]
		if !exists {
			add = append(add, []string{"--permanent", "--new-ipset=" + r.Set, "--type=hash:net"})
		}
		in := map[string]bool{}
		for _, x := range cur {
			in[x] = true
		}
		keep := map[string]bool{}
		for _, s := range r.Sources {
			keep[s] = true
			if !in[s] {
				add = append(add, []string{"--permanent", "--ipset=" + r.Set, "--add-entry=" + s})
			}
		}
		for _, x := range cur {
			if !keep[x] {
				add = append(add, []string{"--permanent", "--ipset=" + r.Set, "--remove-entry=" + x})
			}
		}
		for _, svc := range r.Services {
			wantRule[richRule(r.Set, svc)] = true
		}
	}
	present := map[string]bool{}
	for _, rule := range rules {
		present[rule] = true
		if strings.Contains(rule, `ipset="`+firewallSetPrefix) && !wantRule[rule] {
			remove = append(remove, []string{"--permanent", "--remove-rich-rule=" + rule})
		}
	}
	var missing []string
	for rule := range wantRule {
		if !present[rule] {
			missing = append(missing, rule)
		}
	}
	sort.Strings(missing)
	for _, rule := range missing {
		add = append(add, []string{"--permanent", "--add-rich-rule=" + rule})
	}
	var stale []string
	for s := range have {
		if !wanted[s] {
			stale = append(stale, s)
		}
	}
	sort.Strings(stale)
	for _, s := range stale {
		drop = append(drop, []string{"--permanent", "--delete-ipset=" + s})
	}
	return append(append(add, remove...), drop...)
}
