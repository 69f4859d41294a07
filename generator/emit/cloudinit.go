package emit

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/version"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
)

// UserDataKind is one of the two kinds of user-data a profile gets.
type UserDataKind string

// The kinds of user-data.
const (
	// FullUserData is for a plain image: it installs repositories, packages, configuration and
	// the hook, then runs the hook.
	FullUserData UserDataKind = "full"
	// BakedUserData is for a golden image baked by the Packer plugin: no packages, the site data,
	// the role configuration and the hook's invocation.
	BakedUserData UserDataKind = "baked"
)

// cloudConfig is the subset of cloud-init's #cloud-config that midobake writes. It is built as
// Go values and marshaled, never text-templated, so quoting is always right.
type cloudConfig struct {
	WriteFiles []writeFile `yaml:"write_files,omitempty"`
	Packages   []string    `yaml:"packages,omitempty"`
	Runcmd     []command   `yaml:"runcmd,omitempty"`
}

// command is one runcmd entry, an argv list (no shell), written in flow style to read like
// the command it is.
type command []string

// MarshalYAML writes the argv as [a, b, c].
func (c command) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, a := range c {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: a})
	}
	return n, nil
}

type writeFile struct {
	Path        string `yaml:"path"`
	Owner       string `yaml:"owner"`
	Permissions string `yaml:"permissions"` // a string: cloud-init's schema rejects integers
	Content     string `yaml:"content"`
	Defer       bool   `yaml:"defer,omitempty"`
}

// HookPackage is the RPM that carries the first-boot hook onto plain images.
const HookPackage = "midobake"

// firstBootCommand runs the hook from cloud-init's final stage.
var firstBootCommand = command{roles.HookPath, "firstboot", "--site", site.Path}

// placeDeferred puts the files staged under roles.DeferredDir in place, with the mode and
// owner cloud-init gave them, once the packages are installed (runcmd runs after cloud-init's
// package module on every release): the first that cannot be placed fails the command.
var placeDeferred = command{"sh", "-c", "cd " + roles.DeferredDir + " && for f in $(find . -type f | sort); do mkdir -p \"/${f%/*}\" && cp -p \"$f\" \"/$f\" || exit 1; done && rm -rf " + roles.DeferredDir}

// sitePlaceholder stands for the site data while a document is encoded; see UserData.
const sitePlaceholder = "MIDOBAKE-SITE-DATA-PLACEHOLDER"

// Site is the site data as the user-data carries it: inline, or with URL set, by reference
// (the URL and the data's SHA-256; the hook fetches and verifies it at first boot).
type Site struct {
	Data []byte
	URL  string // "": inline
	// block is the site file's content as a literal block, made once per render (NewSite)
	// and shared by every user-data; nil: made per document.
	block []byte
}

// NewSite is the site data as every user-data of one render carries it.
func NewSite(data []byte, url string) Site {
	s := Site{Data: data, URL: url}
	if url == "" {
		s.block, _ = literalBlock(data)
	}
	return s
}

// siteFile is the first file every user-data writes: the site data, or its reference.
func siteFile(s Site) writeFile {
	// 0600: the site data carries repository URLs, which may hold credentials (and so may
	// the URL it is published at).
	if s.URL == "" {
		return writeFile{Path: site.Path, Owner: "root:root", Permissions: "0600", Content: sitePlaceholder}
	}
	return writeFile{Path: site.RefPath, Owner: "root:root", Permissions: "0600", Content: string(site.MarshalRef(s.URL, s.Data))}
}

// literalBlock is the site file's content, the site data, as the literal block yaml.v3
// would write for it. The site data is the largest part of every user-data (the whole cloud)
// and the same in all of them: encoding it once per render instead of once per document made
// a render of 10,000 hosts twice as fast, and holding it once keeps the render's memory
// small. Site data that a literal block could not carry as is (not yaml.v3's own output) is
// encoded the slow way (ok false).
func literalBlock(site []byte) (block []byte, ok bool) {
	if !literalSafe(site) {
		return nil, false
	}
	var b bytes.Buffer
	b.Grow(len(site) + len(site)/8 + 16)
	b.WriteString("    content: |\n")
	for _, l := range bytes.SplitAfter(site, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if len(l) > 1 {
			b.WriteString("      ")
		}
		b.Write(l)
	}
	return b.Bytes(), true
}

// literalSafe: printable lines, a first line that does not start with a space, one final
// newline: a "|" block then holds the text exactly.
func literalSafe(s []byte) bool {
	if len(s) == 0 || s[0] == ' ' || s[len(s)-1] != '\n' || bytes.HasSuffix(s, []byte("\n\n")) {
		return false
	}
	for _, c := range s {
		if c < 0x20 && c != '\n' || c == 0x7f {
			return false
		}
	}
	return true
}

// UserData renders a profile's user-data in the given mode, its site part (the site data or
// its reference, from its "content:" line to the end of its value) held apart: see
// OutputFile. Path and Mode are the caller's to set.
func UserData(c *cloud.Cloud, plan roles.Plan, kind UserDataKind, site Site) OutputFile {
	// Both kinds carry the role configuration: it is small, and writing it at boot keeps a
	// golden image current with the description and the operator's templates it was
	// rendered with, where the image may be older.
	cc := cloudConfig{WriteFiles: []writeFile{siteFile(site)}}
	for _, f := range plan.Files {
		w := writeFile{Path: f.Path, Owner: f.Owner, Permissions: fmt.Sprintf("%04o", f.Mode), Content: string(f.Content), Defer: f.Defer}
		if kind == FullUserData && f.Defer {
			// A plain image installs its packages in cloud-init's final stage. cloud-init
			// before 21.4 (EL7 ships 19.4) ignores defer and writes every file at init, before
			// them: staged, the file goes in place after them (placeDeferred), on every
			// cloud-init, without counting on the package to keep an existing file.
			w.Path, w.Defer = roles.DeferredDir+f.Path, false
		}
		cc.WriteFiles = append(cc.WriteFiles, w)
	}
	switch kind {
	case FullUserData:
		cc.Packages = append(append([]string{}, plan.Packages...), HookPackage)
		cc.Runcmd = []command{
			placeDeferred,
			{"systemctl", "daemon-reload"},
			{"systemctl", "enable", roles.UnitFirstBoot + ".service"},
			firstBootCommand,
		}
	case BakedUserData:
		cc.Runcmd = []command{firstBootCommand}
	default:
		panic("emit: unknown user-data kind " + kind)
	}
	var b bytes.Buffer
	by := ""
	if site.URL != "" {
		by = ", site data by reference"
	}
	fmt.Fprintf(&b, "#cloud-config\n# midobake %s: cloud %s, profile %s (%s user-data%s, hosts: %s)\n",
		version.Version, c.Name, plan.Profile, kind, by, joinComma(plan.Hosts))
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cc); err != nil {
		panic("emit: marshal cloud-config: " + err.Error()) // strings and lists cannot fail
	}
	enc.Close()
	encoded := b.Bytes()
	if site.URL != "" {
		return splitAtSite(encoded, encoded)
	}
	block, ok := site.block, site.block != nil
	if !ok {
		block, ok = literalBlock(site.Data)
	}
	const line = "    content: " + sitePlaceholder + "\n"
	if i := bytes.Index(encoded, []byte(line)); ok && i >= 0 {
		return OutputFile{head: encoded[:i:i], site: block, tail: encoded[i+len(line):]}
	}
	return splitAtSite(encoded, slowUserData(encoded, cc, site.Data))
}

// splitAtSite holds doc's site part apart. withPlaceholder is the same document with a
// one-line placeholder in its place: it shares doc's text before and after that part.
func splitAtSite(withPlaceholder, doc []byte) OutputFile {
	at := bytes.Index(withPlaceholder, []byte("    content: "))
	if at < 0 {
		return OutputFile{head: doc}
	}
	rest := withPlaceholder[at:]
	next := bytes.Index(rest, []byte("\n  - ")) // the next file of write_files
	if next < 0 {
		next = bytes.Index(rest, []byte("\n"+"packages:"))
	}
	if next < 0 {
		next = bytes.Index(rest, []byte("\nruncmd:"))
	}
	if next < 0 {
		return OutputFile{head: doc}
	}
	suffix := rest[next+1:]
	if !bytes.HasPrefix(doc, withPlaceholder[:at]) || !bytes.HasSuffix(doc, suffix) {
		return OutputFile{head: doc}
	}
	end := len(doc) - len(suffix)
	return OutputFile{head: doc[:at:at], site: doc[at:end:end], tail: doc[end:]}
}

// slowUserData encodes the document again with the site data in place.
func slowUserData(withPlaceholder []byte, cc cloudConfig, site []byte) []byte {
	header, _, _ := bytes.Cut(withPlaceholder, []byte("write_files:"))
	cc.WriteFiles[0].Content = string(site)
	var b bytes.Buffer
	b.Write(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cc); err != nil {
		panic("emit: marshal cloud-config: " + err.Error())
	}
	enc.Close()
	return b.Bytes()
}

// MetaData is a host's NoCloud meta-data. The instance ID is stable for a host of a cloud,
// so re-serving the same seed never makes cloud-init treat the host as a new instance.
func MetaData(c *cloud.Cloud, h cloud.Host) []byte {
	return fmt.Appendf(nil, "instance-id: %s\nlocal-hostname: %s\n", yaml11String("iid-"+c.Name+"-"+h.Name), yaml11String(h.Name))
}

// yaml11String writes a name ([a-z0-9-], as validated) as a YAML scalar that every reader,
// PyYAML's YAML 1.1 included (cloud-init's), reads back as that string: plain when it cannot
// be read as anything else, quoted when it starts with a digit (123, 0777, 1e3, 0x1f read as
// numbers) or is a YAML 1.1 boolean or null word (no, on, y, null).
func yaml11String(s string) string {
	switch strings.ToLower(s) {
	case "", "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~":
		return strconv.Quote(s)
	}
	if s[0] >= '0' && s[0] <= '9' || strings.ContainsAny(s, ":#'\"{}[],&*!|>%@`\\ \t") {
		return strconv.Quote(s)
	}
	return s
}

// joinComma lists names, abbreviated past eight so a header line stays a line.
func joinComma(s []string) string {
	if len(s) > 8 {
		return joinComma(s[:3]) + fmt.Sprintf(", ... (%d hosts)", len(s))
	}
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x)
	}
	return b.String()
}
