package cloud

import (
	"bytes"
	_ "embed"

	"gopkg.in/yaml.v3"
)

//go:embed example.yaml
var example []byte

// Example returns the embedded example cloud: the reference installation's topology (one CLC
// that is also the NSDB, two NCs, a UFS gateway with the 172.19.0.0/30 static uplink).
func Example() []byte { return bytes.Clone(example) }

// ExampleName is the file name diagnostics use for the embedded example.
const ExampleName = "example.yaml"

// Load decodes and validates a cloud description. When the report has no errors the returned
// Cloud is normalized (defaults filled in, the nsdb shorthand expanded) and ready to plan;
// otherwise it is nil. Warnings never stop a load; callers decide with Report.HasErrors.
func Load(file string, data []byte) (*Cloud, *Report) {
	c, pos, rep := parse(file, data)
	if len(rep.Diags) == 0 {
		v := &validator{c: c, pos: pos, report: rep}
		v.validate()
	}
	rep.sort()
	if rep.HasErrors(false) {
		return nil, rep
	}
	c.normalize()
	return c, rep
}

// Defaults applied by normalize; DESIGN.md's format v1 documents them.
const (
	DefaultRelease       = "5.2"
	DefaultSize          = "standard"
	DefaultTunnelZone    = "eucatz"
	DefaultTunnelType    = "gre"
	DefaultCassandraName = "midonet"
)

func (c *Cloud) normalize() {
	m := &c.Midonet
	setDefault(&m.Release, DefaultRelease)
	setDefault(&m.Size, DefaultSize)
	setDefault(&m.TunnelZone.Name, DefaultTunnelZone)
	setDefault(&m.TunnelZone.Type, DefaultTunnelType)
	setDefault(&m.CassandraClusterName, DefaultCassandraName)
	for i := range c.Hosts {
		h := &c.Hosts[i]
		h.Roles = expandRoles(h.Roles)
		setDefault(&h.TunnelAddress, h.Address)
	}
}

func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// Marshal writes the normalized cloud back as a description that Load accepts: this is the
// site data the first-boot hook reads, so every host sees exactly what was rendered.
func (c *Cloud) Marshal() []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		panic("cloud: marshal: " + err.Error()) // plain structs of strings cannot fail
	}
	enc.Close()
	return b.Bytes()
}
