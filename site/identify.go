package site

import (
	"fmt"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/system"
)

// Identify finds this host in the site data: by host name (short or fully qualified), else by
// one of its addresses. Several matches, or none, are errors an operator must resolve; a
// wrong guess would give the host another host's ZooKeeper myid or uplink.
func Identify(c *cloud.Cloud, id system.Identity) (cloud.Host, string, error) {
	name, err := id.Hostname()
	if err != nil {
		return cloud.Host{}, "", fmt.Errorf("reading the host name: %w", err)
	}
	short, _, _ := strings.Cut(name, ".")
	var byName []cloud.Host
	for _, h := range c.Hosts {
		if h.Name == name || h.Name == short {
			byName = append(byName, h)
		}
	}
	if len(byName) == 1 {
		return byName[0], fmt.Sprintf("host name %q", name), nil
	}
	addrs, err := id.Addresses()
	if err != nil {
		return cloud.Host{}, "", fmt.Errorf("reading the host's addresses: %w", err)
	}
	var byAddr []cloud.Host
	var which []string
	for _, h := range c.Hosts {
		for _, a := range addrs {
			if a.String() == h.Address || a.String() == h.TunnelAddress {
				byAddr = append(byAddr, h)
				which = append(which, a.String())
				break
			}
		}
	}
	switch len(byAddr) {
	case 1:
		return byAddr[0], fmt.Sprintf("address %s", which[0]), nil
	case 0:
		var list []string
		for _, a := range addrs {
			list = append(list, a.String())
		}
		return cloud.Host{}, "", fmt.Errorf("this machine (host name %q, addresses %s) is none of the cloud's hosts; set the host name or pass --host NAME", name, strings.Join(list, ", "))
	default:
		var names []string
		for _, h := range byAddr {
			names = append(names, h.Name)
		}
		return cloud.Host{}, "", fmt.Errorf("this machine's addresses match several hosts (%s); pass --host NAME", strings.Join(names, ", "))
	}
}

// FindHost is the host a command runs for: the one --host names, else this machine as
// Identify finds it.
func FindHost(c *cloud.Cloud, name string, id system.Identity) (cloud.Host, error) {
	if name != "" {
		h, ok := c.Host(name)
		if !ok {
			return cloud.Host{}, fmt.Errorf("--host %s: no host of that name in the site data", cloud.Printable(name, 80))
		}
		return h, nil
	}
	h, _, err := Identify(c, id)
	if err != nil {
		return cloud.Host{}, fmt.Errorf("identify: %w", err)
	}
	return h, nil
}
