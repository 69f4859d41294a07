package firstboot

import (
	"strings"

	"github.com/midobake/midobake/cloud"
)

// Enrolment decides, without talking to anyone, what it takes for the tunnel zone to hold
// every agent at its tunnel address: the tunnel-zone step fetches MidoNet's hosts and the
// zone's members, asks planEnrolment, and carries out the answer.

// enrolAction puts one host into the tunnel zone at its tunnel address.
type enrolAction struct {
	Host    string // the cloud's name for it
	HostID  string // MidoNet's host id
	Address string // the tunnel address
	// Replace: the host is a member at another address, which is removed first (MidoNet
	// cannot change a member's address in place).
	Replace bool
}

// enrolment is the answer: what to do, what is already right, and what must wait.
type enrolment struct {
	Actions  []enrolAction
	Enrolled []string // members at the right address already
	Pending  []string // not registered in MidoNet, or not alive: enrolled on a later pass
}

// planEnrolment pairs each agent of the cloud with MidoNet's record of it (by name, short or
// qualified, else by one of its addresses) and compares with the zone's members.
func planEnrolment(agents []cloud.Host, registered []midoHost, members []member) enrolment {
	memberIP := map[string]string{}
	for _, m := range members {
		memberIP[m.HostID] = m.IPAddress
	}
	byKey := indexHosts(registered)
	var out enrolment
	for _, h := range agents {
		mh := byKey.find(h)
		if mh == nil || !mh.Alive {
			out.Pending = append(out.Pending, h.Name)
			continue
		}
		ip, isMember := memberIP[mh.ID]
		if isMember && ip == h.TunnelAddress {
			out.Enrolled = append(out.Enrolled, h.Name)
			continue
		}
		out.Actions = append(out.Actions, enrolAction{Host: h.Name, HostID: mh.ID, Address: h.TunnelAddress, Replace: isMember})
	}
	return out
}

// hostIndex finds MidoNet's host for a cloud host. A map keeps enrolment linear in the number
// of hosts; the first registration of a key wins.
type hostIndex map[string]*midoHost

func indexHosts(hosts []midoHost) hostIndex {
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

func (idx hostIndex) find(h cloud.Host) *midoHost {
	for _, k := range []string{"name:" + h.Name, "addr:" + h.Address, "addr:" + h.TunnelAddress} {
		if m, ok := idx[k]; ok {
			return m
		}
	}
	return nil
}
