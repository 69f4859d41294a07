package emit

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/midobake/midobake/generator/cloud"
	"github.com/midobake/midobake/roles"
)

// Version is the tool's version, recorded in every output. Set at build time with
// -ldflags "-X github.com/midobake/midobake/generator/emit.Version=...".
var Version = "0.1.0"

// Options tune a render.
type Options struct {
	Templates    *roles.Templates // nil: the embedded ones
	PackerSource string           // the Packer source the builds use; "": DefaultPackerSource
}

// Render renders everything for a validated cloud. input is the description as read, whose
// hash the manifest records.
func Render(c *cloud.Cloud, input []byte, opts Options) (*Tree, error) {
	t := opts.Templates
	if t == nil {
		var err error
		if t, err = roles.NewTemplates(""); err != nil {
			return nil, err
		}
	}
	if opts.PackerSource == "" {
		opts.PackerSource = DefaultPackerSource
	}
	if err := CheckPackerSource(opts.PackerSource); err != nil {
		return nil, err
	}
	plans, err := roles.Plans(c, t)
	if err != nil {
		return nil, err
	}
	tree := NewTree()
	secrets := Secrets(c)
	add := func(path string, data []byte) {
		tree.Add(File{Path: path, Mode: modeFor(data, secrets), Data: data})
	}
	site := c.Marshal()
	for _, p := range plans {
		add("profiles/"+p.Profile+"/user-data.full.yaml", UserData(c, p, ModeFull, site))
		add("profiles/"+p.Profile+"/user-data.baked.yaml", UserData(c, p, ModeBaked, site))
	}
	for _, h := range c.Hosts {
		add("hosts/"+h.Name+"/meta-data", MetaData(c, h))
		tree.Add(File{Path: "hosts/" + h.Name + "/user-data", Link: "../../profiles/" + h.Profile() + "/user-data.full.yaml"})
	}
	add("eucalyptus/network.json", NetworkJSON(c))
	pk, err := packerFiles(c, plans, t, opts.PackerSource)
	if err != nil {
		return nil, err
	}
	for path, data := range pk {
		add(path, data)
	}
	tree.Add(manifest(tree, input))
	return tree, nil
}

// NetworkJSON is the Eucalyptus 4.4 network configuration, for
// "euctl cloud.network.network_configuration=@network.json". 4.4 reads JSON only and rejects
// keys it does not know, so only its own keys are written.
func NetworkJSON(c *cloud.Cloud) []byte {
	b, err := json.MarshalIndent(c.Network, "", "  ")
	if err != nil {
		panic("emit: marshal network: " + err.Error())
	}
	return append(b, '\n')
}

// Secrets returns the credentials in the description (passwords of repository URLs), which
// must never be printed and make any file that holds them private.
func Secrets(c *cloud.Cloud) []string {
	var out []string
	for _, r := range roles.Repos(c) {
		for _, u := range []string{r.BaseURL, r.GPGKey} {
			if red := cloud.Redact(u); red != u {
				out = append(out, secretOf(u))
			}
		}
	}
	return out
}

// secretOf extracts the password of scheme://user:password@host/...
func secretOf(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	host := strings.SplitN(rest, "/", 2)[0]
	cred := host[:strings.LastIndex(host, "@")]
	_, pass, _ := strings.Cut(cred, ":")
	return pass
}

func modeFor(data []byte, secrets []string) uint32 {
	for _, s := range secrets {
		if s != "" && bytes.Contains(data, []byte(s)) {
			return 0o600
		}
	}
	return 0o644
}

// manifest lists every file with its sha256, the input's hash and the tool version. It has
// no timestamps: the same input must give the same bytes.
func manifest(t *Tree, input []byte) File {
	type entry struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256,omitempty"`
		Mode   string `json:"mode,omitempty"`
		Link   string `json:"link,omitempty"`
	}
	m := struct {
		Tool        string  `json:"tool"`
		Version     string  `json:"version"`
		InputSHA256 string  `json:"inputSha256"`
		Files       []entry `json:"files"`
	}{Tool: "midobake", Version: Version, InputSHA256: sha256Hex(input)}
	for _, p := range t.Paths() {
		f, _ := t.Get(p)
		if f.Link != "" {
			m.Files = append(m.Files, entry{Path: p, Link: f.Link})
			continue
		}
		m.Files = append(m.Files, entry{Path: p, SHA256: sha256Hex(f.Data), Mode: modeString(f.Mode)})
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return File{Path: "manifest.json", Mode: 0o644, Data: append(b, '\n')}
}

func modeString(m uint32) string {
	if m == 0o600 {
		return "0600"
	}
	return "0644"
}
