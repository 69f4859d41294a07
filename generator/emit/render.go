package emit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/version"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
)

// Options tune a render.
type Options struct {
	Templates    *roles.Templates // nil: the embedded ones
	PackerSource string           // the Packer source the builds use; "": DefaultPackerSource
	// SiteURL, when set, is where the operator publishes SiteDataPath: every user-data then
	// carries this URL and the site data's SHA-256 instead of the data (see CheckSiteURL).
	SiteURL string
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
	if err := CheckSiteURL(opts.SiteURL); err != nil {
		return nil, err
	}
	top := roles.Resolve(c)
	plans, err := roles.Plans(top, t)
	if err != nil {
		return nil, err
	}
	tree := NewTree()
	secrets := cloud.Secrets(c)
	// The URL's own credentials and signature make a user-data private too.
	secrets = append(secrets, cloud.URLSecrets(opts.SiteURL)...)
	add := func(path string, data []byte) {
		tree.Add(fileOf(path, modeFor(secrets, data), data))
	}
	site := NewSite(c.Marshal(), SiteDataURL(opts.SiteURL))
	add(SiteDataPath, site.Data)
	for _, p := range plans {
		for _, kind := range []UserDataKind{FullUserData, BakedUserData} {
			doc := UserData(c, p, kind, site)
			doc.Path, doc.Mode = UserDataPath(p.Profile, kind), modeFor(secrets, doc.head, doc.site, doc.tail)
			tree.Add(doc)
		}
	}
	for _, h := range c.Hosts {
		add("hosts/"+h.Name+"/meta-data", MetaData(c, h))
		tree.Add(OutputFile{Path: "hosts/" + h.Name + "/user-data", Link: "../../" + UserDataPath(h.Profile(), FullUserData)})
	}
	add("eucalyptus/network.json", cloud.NetworkJSON(c))
	pk, err := packerFiles(top, plans, t, opts.PackerSource, input)
	if err != nil {
		return nil, err
	}
	for path, data := range pk {
		add(path, data)
	}
	sources, err := t.Sources()
	if err != nil {
		return nil, err
	}
	tree.Add(manifest(tree, input, site, sources))
	return tree, nil
}

// UserDataPath is where a profile's user-data of a kind is in the output.
func UserDataPath(profile string, kind UserDataKind) string {
	return "profiles/" + profile + "/user-data." + string(kind) + ".yaml"
}

// modeFor is 0600 for a file whose parts hold a secret, else 0644.
func modeFor(secrets []string, parts ...[]byte) fs.FileMode {
	for _, s := range secrets {
		for _, part := range parts {
			if s != "" && bytes.Contains(part, []byte(s)) {
				return 0o600
			}
		}
	}
	return 0o644
}

// manifest lists every file with its sha256, the input's hash, the tool version and the
// templates it was rendered with (built in or overridden, each by its sha256: a change to an
// override shows in review). It has no timestamps: the same input must give the same bytes.
func manifest(t *Tree, input []byte, siteData Site, templates []roles.TemplateSource) OutputFile {
	type entry struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256,omitempty"`
		Size   *int   `json:"size,omitempty"`
		Mode   string `json:"mode,omitempty"`
		Link   string `json:"link,omitempty"`
	}
	type siteEntry struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
		URL    string `json:"url,omitempty"` // "": the user-data carries it inline
	}
	m := struct {
		Tool        string                 `json:"tool"`
		Version     string                 `json:"version"`
		InputSHA256 string                 `json:"inputSha256"`
		Site        siteEntry              `json:"site"`
		Templates   []roles.TemplateSource `json:"templates"`
		Files       []entry                `json:"files"`
	}{Tool: "midobake", Version: version.Version, InputSHA256: sha256Hex(input),
		Site: siteEntry{Path: SiteDataPath, SHA256: site.Hash(siteData.Data), URL: cloud.RedactURL(siteData.URL)}, Templates: templates}
	for _, p := range t.Paths() {
		f, _ := t.Get(p)
		if f.Link != "" {
			m.Files = append(m.Files, entry{Path: p, Link: f.Link})
			continue
		}
		size := f.Size()
		m.Files = append(m.Files, entry{Path: p, SHA256: f.SHA256(), Size: &size, Mode: modeString(f.Mode)})
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return fileOf("manifest.json", 0o644, append(b, '\n'))
}

func modeString(m fs.FileMode) string { return fmt.Sprintf("%04o", m.Perm()) }
