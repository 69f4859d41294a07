package emit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/version"
	"github.com/midobake/midobake/roles"
)

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
	top := roles.Resolve(c)
	plans, err := roles.Plans(top, t)
	if err != nil {
		return nil, err
	}
	tree := NewTree()
	secrets := cloud.Secrets(c)
	add := func(path string, data []byte) {
		tree.Add(OutputFile{Path: path, Mode: modeFor(data, secrets), Data: data})
	}
	site := c.Marshal()
	for _, p := range plans {
		add("profiles/"+p.Profile+"/user-data.full.yaml", UserData(c, p, FullUserData, site))
		add("profiles/"+p.Profile+"/user-data.baked.yaml", UserData(c, p, BakedUserData, site))
	}
	for _, h := range c.Hosts {
		add("hosts/"+h.Name+"/meta-data", MetaData(c, h))
		tree.Add(OutputFile{Path: "hosts/" + h.Name + "/user-data", Link: "../../profiles/" + h.Profile() + "/user-data.full.yaml"})
	}
	add("eucalyptus/network.json", cloud.NetworkJSON(c))
	pk, err := packerFiles(top, plans, t, opts.PackerSource)
	if err != nil {
		return nil, err
	}
	for path, data := range pk {
		add(path, data)
	}
	tree.Add(manifest(tree, input))
	return tree, nil
}

func modeFor(data []byte, secrets []string) fs.FileMode {
	for _, s := range secrets {
		if s != "" && bytes.Contains(data, []byte(s)) {
			return 0o600
		}
	}
	return 0o644
}

// manifest lists every file with its sha256, the input's hash and the tool version. It has
// no timestamps: the same input must give the same bytes.
func manifest(t *Tree, input []byte) OutputFile {
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
	}{Tool: "midobake", Version: version.Version, InputSHA256: sha256Hex(input)}
	for _, p := range t.Paths() {
		f, _ := t.Get(p)
		if f.Link != "" {
			m.Files = append(m.Files, entry{Path: p, Link: f.Link})
			continue
		}
		m.Files = append(m.Files, entry{Path: p, SHA256: sha256Hex(f.Data), Mode: modeString(f.Mode)})
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return OutputFile{Path: "manifest.json", Mode: 0o644, Data: append(b, '\n')}
}

func modeString(m fs.FileMode) string { return fmt.Sprintf("%04o", m.Perm()) }
