package diff

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// model is what a reviewer cares about in a cloud, keyed so that go-cmp pairs things by
// identity (hosts by name, gateways by Ip, repositories by ID) rather than by position.
type model struct {
	Size                 string
	TunnelZone           string
	TunnelZoneType       string
	CassandraClusterName string
	ZooKeeper            []string // the ensemble in myid order: order matters
	Cassandra            []string
	Hosts                map[string]hostModel
	Repos                map[string]repoModel
	Gateways             map[string]gatewayModel
	PublicIps            []string
}

// repoModel is a repository as a reviewer must see it: its URL without the password, whether
// its packages' signatures are checked, its key, and its credentials as numbered marks
// (cloud.Numbering: a change reads as one, nothing of either value shows).
type repoModel struct {
	URL            string
	SignatureCheck string
	Key            string
	Credentials    string
}

type hostModel struct {
	Profile       string
	Template      string
	Address       string
	TunnelAddress string
	MAC           string
}

type gatewayModel struct {
	Host             string
	ExternalCidr     string
	ExternalDevice   string
	ExternalIp       string
	ExternalRouterIp string
	BgpPeerIp        string
	BgpPeerAsn       string
	BgpAdRoutes      string
}

func summarize(c *cloud.Cloud, marks *cloud.Numbering) model {
	m := model{
		Size:                 c.Midonet.Size,
		TunnelZone:           c.Midonet.TunnelZone.Name,
		TunnelZoneType:       c.Midonet.TunnelZone.Type,
		CassandraClusterName: c.Midonet.CassandraClusterName,
		Hosts:                map[string]hostModel{},
		Repos:                map[string]repoModel{},
		Gateways:             map[string]gatewayModel{},
		PublicIps:            c.Network.PublicIps,
	}
	top := roles.Resolve(c)
	for _, h := range top.Ensemble {
		m.ZooKeeper = append(m.ZooKeeper, h.Name+"="+h.Address)
	}
	for _, h := range top.Cassandra {
		m.Cassandra = append(m.Cassandra, h.Name+"="+h.Address)
	}
	for _, h := range c.Hosts {
		template := "" // only hosts that run Midolman have one
		if top.RunsMidolman(h) {
			template = top.Template(h).Name
		}
		m.Hosts[h.Name] = hostModel{Profile: h.Profile(), Template: template, Address: h.Address, TunnelAddress: h.TunnelAddress, MAC: h.MAC}
	}
	for id, r := range roles.Repos(c) {
		rm := repoModel{URL: marks.Redact(cloud.WithoutPassword(r.BaseURL)), SignatureCheck: "on", Key: marks.Redact(cloud.WithoutPassword(r.GPGKey)), Credentials: "none"}
		if !r.GPGCheck {
			rm.SignatureCheck = "OFF"
		}
		if pw := cloud.Password(r.BaseURL); pw != "" {
			rm.Credentials = marks.Mark(pw)
		}
		if pw := cloud.Password(r.GPGKey); pw != "" {
			rm.Credentials += ", key " + marks.Mark(pw)
		}
		m.Repos[id] = rm
	}
	if c.Network.Mido != nil {
		for _, g := range c.Network.Mido.Gateways {
			host := ""
			for _, h := range c.Hosts {
				if h.Address == g.Ip {
					host = h.Name
				}
			}
			m.Gateways[g.Ip] = gatewayModel{host, g.ExternalCidr, g.ExternalDevice, g.ExternalIp, g.ExternalRouterIp, g.BgpPeerIp, g.BgpPeerAsn, strings.Join(g.BgpAdRoutes, ",")}
		}
	}
	return m
}

// Change is one change in meaning, structured for scripts (kind, which one, which field,
// old and new values as the review shows them) and as the line the text shows.
type Change struct {
	Kind        string `json:"kind"`              // see kinds
	Subject     string `json:"subject,omitempty"` // which host, repository, gateway or template
	Field       string `json:"field,omitempty"`   // which of its fields, when one changed
	Action      string `json:"action"`            // added, removed or changed
	Old         string `json:"old,omitempty"`
	New         string `json:"new,omitempty"`
	CannotApply string `json:"cannotApply,omitempty"` // a running cloud cannot take it: what to do
	Text        string `json:"text"`
}

// kinds name a change by the model's field and, for a repository, the field that changed.
var kinds = map[string]string{
	"Size": "size", "TunnelZone": "tunnel-zone", "TunnelZoneType": "tunnel-zone-type",
	"CassandraClusterName": "cassandra-cluster-name", "ZooKeeper": "zookeeper-ensemble",
	"Cassandra": "cassandra-seeds", "Hosts": "host", "Repos": "repository", "Gateways": "gateway",
	"PublicIps": "public-ips",
	// A repository's fields, each a kind of its own: what a reviewer must not miss.
	"Repos.URL": "repository-url", "Repos.SignatureCheck": "signature-check", "Repos.Key": "repository-key",
	"Repos.Credentials": "credentials",
}

// Summarize lists the changes in meaning between two clouds, sorted by their text; secrets
// show as marks of marks (a password change as REDACTED#1 -> REDACTED#2).
func Summarize(a, b *cloud.Cloud, marks *cloud.Numbering) []Change {
	var r reporter
	cmp.Equal(summarize(a, marks), summarize(b, marks), cmp.Reporter(&r))
	sortChanges(r.changes)
	return r.changes
}

func sortChanges(cs []Change) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Text < cs[j].Text })
}

// reporter turns go-cmp's differences into review lines.
type reporter struct {
	path    cmp.Path
	changes []Change
	seen    map[string]bool
}

func (r *reporter) PushStep(ps cmp.PathStep) { r.path = append(r.path, ps) }
func (r *reporter) PopStep()                 { r.path = r.path[:len(r.path)-1] }

func (r *reporter) Report(rs cmp.Result) {
	if rs.Equal() {
		return
	}
	p := r.path
	// go-cmp reports slices element by element; a list is described whole, once.
	for i, s := range p {
		if _, ok := s.(cmp.SliceIndex); ok {
			p = p[:i]
			break
		}
	}
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if key := p.GoString(); !r.seen[key] {
		r.seen[key] = true
		vx, vy := p.Last().Values()
		r.changes = append(r.changes, describe(p, vx, vy))
	}
}

func describe(p cmp.Path, vx, vy reflect.Value) Change {
	var parts, fields []string
	var c Change
	for _, s := range p[1:] {
		switch s := s.(type) {
		case cmp.StructField:
			parts = append(parts, label(s.Name()))
			fields = append(fields, s.Name())
		case cmp.MapIndex:
			parts = append(parts, fmt.Sprint(s.Key()))
			c.Subject = fmt.Sprint(s.Key())
		}
	}
	c.Kind = kinds[fields[0]]
	if len(fields) > 1 {
		c.Field = label(fields[len(fields)-1])
		if k, ok := kinds[fields[0]+"."+fields[len(fields)-1]]; ok {
			c.Kind = k
		}
	}
	what := strings.Join(parts, " ")
	switch {
	case !vx.IsValid():
		c.Action, c.New = "added", show(vy)
		c.Text = fmt.Sprintf("%s: added (%s)", what, c.New)
		return c
	case !vy.IsValid():
		c.Action, c.Old = "removed", show(vx)
		c.Text = fmt.Sprintf("%s: removed (was %s)", what, c.Old)
		return c
	}
	c.Action, c.Old, c.New = "changed", show(vx), show(vy)
	c.Text = fmt.Sprintf("%s: %s -> %s", what, c.Old, c.New)
	if field, ok := p.Last().(cmp.StructField); ok {
		if how, ok := cannotApply[field.Name()]; ok {
			c.CannotApply = fmt.Sprintf(how, c.Old)
			c.Text += " [CANNOT BE APPLIED to a running cloud: " + c.CannotApply + "]"
		}
	}
	return c
}

// cannotApply are the changes a running cloud cannot take, with what the operator must do:
// the words the hook and the enrolment stop with.
var cannotApply = map[string]string{
	"TunnelZoneType":       "MidoNet cannot change a zone's type (it was %s): fix it by hand, or keep the type",
	"CassandraClusterName": "Cassandra keeps its cluster name from its first start and will not start with another: keep %s in midonet.cassandraClusterName, or wipe /var/lib/cassandra on every NSDB host (losing what Cassandra holds) and run again",
}

// labels name the model's fields as a reviewer reads them.
var labels = map[string]string{
	"Size": "size", "TunnelZone": "tunnel zone", "ZooKeeper": "ZooKeeper ensemble", "Cassandra": "Cassandra seeds",
	"Hosts": "host", "Repos": "repository", "Gateways": "gateway", "PublicIps": "PublicIps",
	"TunnelAddress": "tunnelAddress", "MAC": "mac", "TunnelZoneType": "tunnel zone type",
	"CassandraClusterName": "Cassandra cluster name", "SignatureCheck": "signature checking (gpgcheck)",
	"Key": "gpgkey", "Credentials": "credentials", "URL": "baseurl",
}

func label(field string) string {
	if l, ok := labels[field]; ok {
		return l
	}
	return strings.ToLower(field[:1]) + field[1:]
}

func show(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Slice:
		var s []string
		for i := 0; i < v.Len(); i++ {
			s = append(s, fmt.Sprint(v.Index(i).Interface()))
		}
		return "[" + strings.Join(s, ", ") + "]"
	case reflect.Struct:
		var s []string
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if f := fmt.Sprint(v.Field(i).Interface()); f != "" {
				s = append(s, label(t.Field(i).Name)+" "+f)
			}
		}
		return strings.Join(s, ", ")
	case reflect.String:
		if v.String() == "" {
			return `""`
		}
	}
	return fmt.Sprint(v.Interface())
}

// templateChanges are the templates one side renders with and the other does not: an
// override added, removed or edited (by its sha256; the files it renders show how).
func templateChanges(a, b []roles.TemplateSource) []Change {
	show := func(t roles.TemplateSource) string {
		if t.Source == "built-in" {
			return "built-in"
		}
		return "override sha256 " + t.SHA256[:min(12, len(t.SHA256))]
	}
	old := map[string]roles.TemplateSource{}
	for _, t := range a {
		old[t.Name] = t
	}
	var changes []Change
	for _, t := range b {
		o, ok := old[t.Name]
		if ok && show(o) != show(t) {
			changes = append(changes, Change{Kind: "template", Subject: t.Name, Action: "changed", Old: show(o), New: show(t),
				Text: fmt.Sprintf("template %s: %s -> %s", t.Name, show(o), show(t))})
		}
	}
	return changes
}
