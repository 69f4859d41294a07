// Package emit turns a validated cloud and its role plans into the output tree: cloud-init
// user-data per profile and per host, the Eucalyptus network configuration and a manifest.
// Everything is rendered in memory first, so a failure never leaves half an output behind.
package emit

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"sort"
)

// OutputFile is one file of the output directory.
type OutputFile struct {
	Path string      // slash-separated, relative to the output directory
	Mode fs.FileMode // 0644, or 0600 when it carries a credential
	Data []byte
	// Link, when set, makes the file a symbolic link to this path (relative to the file's
	// directory) instead of a copy: a host's seed is its profile's user-data, and copying it
	// would make the output grow with hosts times cloud size.
	Link string
	// SiteSpan, in a user-data, is where the site data (or its reference) stands: the review
	// diff shows it once, as SiteDataPath, rather than once per document.
	SiteSpan [2]int
}

// SiteDataPath is where the output keeps the site data: the file to publish for user-data
// rendered with --site-url, and the one place the review diff shows it.
const SiteDataPath = "site/cloud.yaml"

// Review is what the review diff compares: Content, with the site data replaced by a line
// that points at SiteDataPath.
func (f OutputFile) Review() []byte {
	if f.SiteSpan[1] <= f.SiteSpan[0] || f.SiteSpan[1] > len(f.Data) {
		return f.Content()
	}
	var b []byte
	b = append(b, f.Data[:f.SiteSpan[0]]...)
	b = append(b, "    content: (site data) # shown once, as "+SiteDataPath+"\n"...)
	return append(b, f.Data[f.SiteSpan[1]:]...)
}

// Content is what a reader of the file sees: its data, or for a link a line naming the target.
func (f OutputFile) Content() []byte {
	if f.Link != "" {
		return []byte("symlink to " + f.Link + "\n")
	}
	return f.Data
}

// Tree is a rendered output, keyed by path.
type Tree struct {
	files map[string]OutputFile
	// OnWrite, when set, is told as the files are handed to the writers (n of total): a
	// progress line for long renders.
	OnWrite func(n, total int)
}

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{files: map[string]OutputFile{}} }

// Add puts a file into the tree, replacing one of the same path.
func (t *Tree) Add(f OutputFile) { t.files[f.Path] = f }

// Get returns the file at path.
func (t *Tree) Get(path string) (OutputFile, bool) {
	f, ok := t.files[path]
	return f, ok
}

// Paths returns every path, sorted: the order output is written and listed in.
func (t *Tree) Paths() []string {
	paths := make([]string, 0, len(t.files))
	for p := range t.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Len is the number of files.
func (t *Tree) Len() int { return len(t.files) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
