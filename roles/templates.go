package roles

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/flosch/pongo2/v6"
)

//go:embed templates/*.tmpl
var embedded embed.FS

func init() {
	// These templates produce configuration files and scripts, not HTML: pongo2's default
	// HTML escaping would turn a "&" in a mirror URL into "&amp;".
	pongo2.SetAutoescape(false)
}

// Templates renders the embedded pongo2 templates, each replaceable by a file of the same
// name in an override directory. Each template is parsed once.
type Templates struct {
	dir    string // override directory, or ""
	set    *pongo2.TemplateSet
	mu     sync.Mutex
	parsed map[string]*pongo2.Template
	uses   map[string]templateUses
	// shownAs names dir in errors, when it is not what the user gave.
	shownAs string
}

// templateUses are the variables a template reads and those it binds itself.
type templateUses struct {
	refs  []reference
	bound map[string]bool
}

// TemplateError is a template that failed to parse or render, with where it came from.
type TemplateError struct {
	File      string // the override file's path, or "embedded:NAME"
	Line, Col int
	Err       string
}

func (e *TemplateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: template error: %s", e.File, e.Line, e.Col, e.Err)
	}
	return fmt.Sprintf("%s: template error: %s", e.File, e.Err)
}

// NewTemplates returns the embedded templates, overridden by files in dir when dir is not "".
// Every file in dir must be the name of an embedded template, so a misspelled override
// cannot be silently ignored.
func NewTemplates(dir string) (*Templates, error) {
	sub, _ := fs.Sub(embedded, "templates")
	loaders := []pongo2.TemplateLoader{pongo2.NewFSLoader(sub)}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("templates directory: %w", err)
		}
		known := map[string]bool{}
		for _, n := range TemplateNames() {
			known[n] = true
		}
		for _, e := range entries {
			if !known[e.Name()] {
				return nil, fmt.Errorf("%s: not the name of an embedded template (see 'midobake templates list')", filepath.Join(dir, e.Name()))
			}
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		loaders = append([]pongo2.TemplateLoader{pongo2.NewFSLoader(os.DirFS(abs))}, loaders...)
	}
	set := pongo2.NewSet("midobake", loaders...)
	set.Options.TrimBlocks = true
	set.Options.LStripBlocks = true
	// A template renders one file from the cloud's facts, nothing else: no tag reads another
	// file (ssi reads any path, /etc/shadow included) or recurses (include, extends, import,
	// macro), none makes the output depend on the clock or chance, and no filter pads a value
	// to a width the template chooses (a few characters would ask for gigabytes).
	for _, tag := range bannedTags {
		if err := set.BanTag(tag); err != nil {
			return nil, err
		}
	}
	for _, f := range bannedFilters {
		if err := set.BanFilter(f); err != nil {
			return nil, err
		}
	}
	return &Templates{dir: dir, set: set, parsed: map[string]*pongo2.Template{}, uses: map[string]templateUses{}}, nil
}

var (
	bannedTags    = []string{"ssi", "include", "import", "extends", "macro", "now", "lorem"}
	bannedFilters = []string{"center", "ljust", "rjust", "random"}
)

// MaxRendered bounds what one template may render: configuration files are kilobytes.
const MaxRendered = 4 << 20

// MaxTemplate bounds an override file: templates are a few KB.
const MaxTemplate = 1 << 20

// Overrides are the override files, by template name: what the hosts need to render as the
// render did (the hook renders the uplink, and takes the keys it owns from the plan).
func (t *Templates) Overrides() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, name := range TemplateNames() {
		p := t.override(name)
		if p == "" {
			continue
		}
		b, err := t.text(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out[name] = b
	}
	return out, nil
}

// TemplateNames lists the embedded templates, sorted.
func TemplateNames() []string {
	entries, _ := embedded.ReadDir("templates")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// Embedded returns an embedded template's source.
func Embedded(name string) ([]byte, error) {
	return embedded.ReadFile("templates/" + name)
}

// source names where a template comes from, for error messages.
func (t *Templates) source(name string) string {
	if p := t.override(name); p != "" {
		if t.shownAs != "" {
			return t.shownAs + "/" + name
		}
		return p
	}
	return "embedded:" + name
}

// override is the override file of a template, or "".
func (t *Templates) override(name string) string {
	if t.dir != "" {
		p := filepath.Join(t.dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// ShowAs names the override directory as the user gave it (REV:DIR read from git into a
// temporary directory) in errors.
func (t *Templates) ShowAs(name string) { t.shownAs = name }

// TemplateSource is which template an output was rendered with: built in, or an override,
// by its content's sha256.
type TemplateSource struct {
	Name   string `json:"name"`
	Source string `json:"source"` // "built-in" or "override"
	SHA256 string `json:"sha256"`
}

// Sources are every template's source, sorted by name: what the manifest records and diff
// compares.
func (t *Templates) Sources() ([]TemplateSource, error) {
	var out []TemplateSource
	for _, name := range TemplateNames() {
		src, err := t.text(name)
		if err != nil {
			return nil, &TemplateError{File: t.source(name), Err: err.Error()}
		}
		sum := sha256.Sum256(src)
		origin := "built-in"
		if t.override(name) != "" {
			origin = "override"
		}
		out = append(out, TemplateSource{Name: name, Source: origin, SHA256: hex.EncodeToString(sum[:])})
	}
	return out, nil
}

func (t *Templates) get(name string) (*pongo2.Template, templateUses, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tpl, ok := t.parsed[name]; ok {
		return tpl, t.uses[name], nil
	}
	tpl, err := t.set.FromFile(name)
	if err != nil {
		return nil, templateUses{}, t.wrap(name, err)
	}
	src, err := t.text(name)
	if err != nil {
		return nil, templateUses{}, &TemplateError{File: t.source(name), Err: err.Error()}
	}
	var u templateUses
	u.refs, u.bound = usedVariables(string(src))
	t.parsed[name], t.uses[name] = tpl, u
	return tpl, u, nil
}

// text is a template's source: the override's, or the embedded one.
func (t *Templates) text(name string) ([]byte, error) {
	p := t.override(name)
	if p == "" {
		return Embedded(name)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxTemplate+1))
	if err == nil && len(b) > MaxTemplate {
		err = fmt.Errorf("larger than %d bytes", MaxTemplate)
	}
	return b, err
}

func (t *Templates) wrap(name string, err error) error {
	var pe *pongo2.Error
	if errors.As(err, &pe) {
		msg := pe.Sender
		if pe.OrigError != nil {
			msg = pe.OrigError.Error()
		}
		return &TemplateError{File: t.source(name), Line: pe.Line, Col: pe.Column, Err: msg}
	}
	return &TemplateError{File: t.source(name), Err: err.Error()}
}

// Render executes a template with variables from layers of maps, later ones winning (the
// cloud's variables, then those of one file).
func (t *Templates) Render(name string, layers ...map[string]any) ([]byte, error) {
	tpl, uses, err := t.get(name)
	if err != nil {
		return nil, err
	}
	vars := pongo2.Context{}
	for _, layer := range layers {
		for k, v := range layer {
			vars[k] = v
		}
	}
	if ref, why := undefined(uses.refs, uses.bound, vars); why != "" {
		return nil, &TemplateError{File: t.source(name), Line: ref.line, Col: ref.col, Err: why}
	}
	var b bytes.Buffer
	if err := tpl.ExecuteWriter(vars, &b); err != nil {
		return nil, t.wrap(name, err)
	}
	if b.Len() > MaxRendered {
		return nil, &TemplateError{File: t.source(name), Err: fmt.Sprintf("renders %d bytes, more than %d MiB: a runaway loop?", b.Len(), MaxRendered>>20)}
	}
	return b.Bytes(), nil
}
