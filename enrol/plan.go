// Package enrol keeps the tunnel zone holding every Midolman host at its tunnel address: the
// CLC's tunnel-zone step makes the zone and runs one pass, and "midobake enrol"
// (midobake-enrol.service on the CLC) runs passes for as long as the cloud lives.
package enrol

import (
	"fmt"
	"slices"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
)

// Enrolment decides, without talking to anyone, what it takes for the tunnel zone to hold
// every agent at its tunnel address: a pass (the CLC's tunnel-zone step, then "midobake enrol"
// on the CLC, continuously) fetches MidoNet's hosts, the zone's members and the hosts'
// announcements, asks Decide, and carries out the answer.

// Action puts one host into the tunnel zone at its tunnel address.
type Action struct {
	Host    string // the cloud's name for it
	HostID  string // MidoNet's host id
	Address string // the tunnel address
	// Replace: the host is a member at another address, which is removed first (MidoNet
	// cannot change a member's address in place).
	Replace bool
}

// Plan is the answer: what to do, what is already right, what must wait, and what is
// refused.
type Plan struct {
	Actions  []Action
	Enrolled []string          // members at the right address already
	Pending  []string          // not registered in MidoNet, or not alive: enrolled on a later pass
	Refused  []midonet.Refusal // announcements the CLC does not believe; looked at again every pass
}

// Decide decides for every host that announced itself (what a host says of itself:
// its MidoNet host id and tunnel address) and for every agent of the CLC's description that
// did not (paired with MidoNet's record of it by name, short or qualified, else by one of its
// addresses), comparing with the zone's members.
//
// An announcement is accepted only if MidoNet knows its host id; if no other MidoNet host
// carries its name; if its tunnel address is one of that host's own addresses as MidoNet
// reports them (a host MidoNet lists no addresses for cannot prove any); and if no other host is a member at, or was accepted with, that address.
// Whoever can write to ZooKeeper controls MidoNet anyway: these checks stop mistakes and
// lies that would move another host's tunnels, not an attacker who owns the NSDB.
func Decide(agents []cloud.Host, anns []midonet.Announcement, registered []midonet.Host, members []midonet.Member) Plan {
	memberIP := map[string]string{}
	ipHolder := map[string]string{} // tunnel address -> host id that is a member at it, or was accepted with it
	for _, m := range members {
		memberIP[m.HostID] = m.IPAddress
		ipHolder[m.IPAddress] = m.HostID
	}
	byKey := indexHosts(registered)
	byID := map[string]*midonet.Host{}
	for i := range registered {
		if _, dup := byID[registered[i].ID]; !dup {
			byID[registered[i].ID] = &registered[i]
		}
	}
	var out Plan
	decide := func(name string, mh *midonet.Host, address string) {
		ip, isMember := memberIP[mh.ID]
		switch {
		case !mh.Alive:
			out.Pending = append(out.Pending, name)
		case isMember && ip == address:
			out.Enrolled = append(out.Enrolled, name)
		default:
			out.Actions = append(out.Actions, Action{Host: name, HostID: mh.ID, Address: address, Replace: isMember})
		}
	}
	announced := map[string]bool{}
	for _, a := range anns {
		announced[a.Name] = true
		mh := byID[a.HostID]
		if mh == nil {
			out.Refused = append(out.Refused, midonet.Refusal{Name: a.Name, Why: fmt.Sprintf("host id %s is not known to MidoNet", a.HostID)})
			continue
		}
		if other := byKey["name:"+a.Name]; other != nil && other.ID != a.HostID {
			out.Refused = append(out.Refused, midonet.Refusal{Name: a.Name, Why: fmt.Sprintf("the name is MidoNet host %s's, not %s's", other.ID, a.HostID)})
			continue
		}
		if len(mh.Addresses) == 0 {
			out.Refused = append(out.Refused, midonet.Refusal{Name: a.Name, Why: fmt.Sprintf("MidoNet lists no addresses for host %s, so its tunnel address %s cannot be proven its own", a.HostID, a.TunnelAddress)})
			continue
		}
		if !slices.Contains(mh.Addresses, a.TunnelAddress) {
			out.Refused = append(out.Refused, midonet.Refusal{Name: a.Name, Why: fmt.Sprintf("tunnel address %s is not one of host %s's addresses (%s)", a.TunnelAddress, a.HostID, strings.Join(mh.Addresses, ", "))})
			continue
		}
		if holder, taken := ipHolder[a.TunnelAddress]; taken && holder != a.HostID {
			out.Refused = append(out.Refused, midonet.Refusal{Name: a.Name, Why: fmt.Sprintf("tunnel address %s is host %s's", a.TunnelAddress, holder)})
			continue
		}
		ipHolder[a.TunnelAddress] = a.HostID
		decide(a.Name, mh, a.TunnelAddress)
	}
	for _, h := range agents {
		if announced[h.Name] {
			continue
		}
		mh := byKey.find(h)
		if mh == nil {
			out.Pending = append(out.Pending, h.Name)
			continue
		}
		decide(h.Name, mh, h.TunnelAddress)
	}
	for i := range out.Refused {
		out.Refused[i].Name = cloud.Printable(out.Refused[i].Name, 80)
		out.Refused[i].Why = cloud.Printable(out.Refused[i].Why, 400)
	}
	return out
}

// hostIndex finds MidoNet's host for a cloud host. A map keeps enrolment linear in the number
// of hosts; the first registration of a key wins.
type hostIndex map[string]*midonet.Host

func indexHosts(hosts []midonet.Host) hostIndex {
	idx := hostIndex{}
	for i := range hosts {
		m := &hosts[i]
		short, _, _ := strings.Cut(m.Name, ".")
		keys := []string{"name:" + m.Name, "name:" + short}
		for _, a := range m.Addresses {
			keys = append(keys, "addr:"+a)
		}
		for _, k := range keys {
			if _, taken := idx[k]; !taken {
				idx[k] = m
			}
		}
	}
	return idx
}

func (idx hostIndex) find(h cloud.Host) *midonet.Host {
	for _, k := range []string{"name:" + h.Name, "addr:" + h.Address, "addr:" + h.TunnelAddress} {
		if m, ok := idx[k]; ok {
			return m
		}
	}
	return nil
}
