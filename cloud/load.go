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
	c, d, rep := parse(file, data)
	pos := d.pos
	if decoded := len(rep.Diags); rep.Count() == 0 {
		(&validator{c: c, pos: pos, report: rep}).validate()
	} else if !d.anySection(rep.Diags) {
		// Check the rules too, so one run shows every problem, but leave out what a decoding
		// error already explains: a rule on the same field, inside it, or about the whole
		// it belongs to (a host list with a mistyped roles field has "no clc").
		v := &validator{c: c, pos: pos, report: &Report{}}
		v.validate()
		hostsBroken := relatedToAny("hosts", rep.Diags[:decoded])
		known := append([]Diagnostic{}, rep.Diags[:decoded]...)
		for p := range d.misspelled {
			known = append(known, Diagnostic{Path: p})
		}
		for _, d := range v.report.Diags {
			// A gateway is matched to a host by address; with a host undecoded, that match
			// cannot be judged.
			if !relatedToAny(d.Path, known) && !(hostsBroken && matchesGatewayToHost(d.Kind)) {
				rep.add(d)
			}
		}
		rep.Dropped += v.report.Dropped
		rep.DroppedErrors += v.report.DroppedErrors
	}
	rep.sort()
	if rep.HasErrors(false) {
		return nil, rep
	}
	c.normalize()
	return c, rep
}

// anySection reports whether a diagnostic is about a whole section (the file, a host, a
// gateway, ...; see fieldInfo.section) rather than a field in it: rules about a section that
// could not be decoded would misfire, so they wait for the next run.
func (d *decoder) anySection(diags []Diagnostic) bool {
	for _, diag := range diags {
		if diag.Kind == KindSyntax || diag.Kind == KindAlias || diag.Path == "" || d.sections[diag.Path] {
			return true
		}
	}
	return false
}

// relatedToAny reports whether path is one of the diagnostics' paths, inside one, or one of
// their ancestors.
func relatedToAny(path Path, diags []Diagnostic) bool {
	for _, d := range diags {
		if path.HasPrefix(d.Path) || d.Path.HasPrefix(path) {
			return true
		}
	}
	return false
}

// Defaults applied by normalize; DESIGN.md's format v1 documents them.
const (
	DefaultRelease       = "5.2"
	DefaultSize          = SizeStandard
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
		h.MAC = NormalizeMAC(h.MAC)
	}
}

func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// Marshal writes the normalized cloud back as a description that Load accepts: this is the
// site data the first-boot hook reads, so every host sees exactly what was rendered.
//
// The hosts are encoded in batches and spliced in: yaml.v3's emitter keeps every event of a
// document until the document ends, so one Encode of 10,000 hosts held some 40 MiB of events
// and spent most of a render's CPU growing that slice. The bytes are the same as one Encode
// (yaml.v3 here never folds lines, so a batch's indentation does not change its text;
// TestMarshalBatchedIsOneEncode holds it to that).
func (c *Cloud) Marshal() []byte {
	if len(c.Hosts) <= marshalBatch {
		return encodeYAML(c)
	}
	rest := *c
	rest.Hosts = nil
	doc := encodeYAML(&rest)
	const empty = "\nhosts: []\n"
	at := bytes.Index(doc, []byte(empty))
	if at < 0 {
		panic("cloud: marshal: no hosts line in " + string(doc[:min(len(doc), 200)]))
	}
	var b bytes.Buffer
	b.Grow(len(doc) + len(c.Hosts)*160)
	b.Write(doc[:at])
	b.WriteString("\nhosts:\n")
	for i := 0; i < len(c.Hosts); i += marshalBatch {
		batch := encodeYAML(c.Hosts[i:min(i+marshalBatch, len(c.Hosts))])
		// A top-level sequence, indented as the value of "hosts:": two spaces before every
		// line that has text (yaml.v3 writes empty lines of a block scalar without any).
		for _, line := range bytes.SplitAfter(batch, []byte("\n")) {
			if len(line) > 1 {
				b.WriteString("  ")
			}
			b.Write(line)
		}
	}
	b.Write(doc[at+len(empty):])
	return b.Bytes()
}

// marshalBatch is how many hosts Marshal encodes at once.
const marshalBatch = 256

func encodeYAML(v any) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		panic("cloud: marshal: " + err.Error()) // plain structs of strings cannot fail
	}
	enc.Close()
	return b.Bytes()
}

// matchesGatewayToHost says whether a rule of that kind judges a gateway by the host at its
// address.
func matchesGatewayToHost(k Kind) bool {
	return k == KindGatewayNotAHost || k == KindBgpGatewayOnClc || k == KindGatewayNotUfs
}
