// Package emit turns a validated cloud and its role plans into the output tree: cloud-init
// user-data per profile and per host, the Eucalyptus network configuration and a manifest.
// Everything is rendered in memory first, so a failure never leaves half an output behind.
package emit

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"sort"

	"github.com/midobake/midobake/site"
)

// OutputFile is one file of the output directory.
type OutputFile struct {
	Path string      // slash-separated, relative to the output directory
	Mode fs.FileMode // 0644, or 0600 when it carries a credential
	// Link, when set, makes the file a symbolic link to this path (relative to the file's
	// directory) instead of a copy: a host's seed is its profile's user-data, and copying it
	// would make the output grow with hosts times cloud size.
	Link string
	// The content, in up to three parts: head, site, tail. site, in a user-data, is the part
	// that carries the site data (or its reference) from its "content:" line to the end of
	// its value. It is the largest part of every user-data and the same in all of them, so a
	// render holds it once however many documents carry it, and the review diff shows it
	// once, as SiteDataPath, rather than once per document.
	head, site, tail []byte
}

// fileOf is a file of one piece.
func fileOf(path string, mode fs.FileMode, data []byte) OutputFile {
	return OutputFile{Path: path, Mode: mode, head: data}
}

// SiteDataPath is where the output keeps the site data: the file to publish for user-data
// rendered with --site-url, and the one place the review diff shows it.
const SiteDataPath = site.ServePath

// Bytes is the file's data (nothing for a link). A user-data's parts are joined into a new
// slice: to write or hash one, WriteTo and SHA256 do without.
func (f OutputFile) Bytes() []byte {
	if f.site == nil && f.tail == nil {
		return f.head
	}
	b := make([]byte, 0, f.Size())
	return append(append(append(b, f.head...), f.site...), f.tail...)
}

// Size is the length of the file's data.
func (f OutputFile) Size() int { return len(f.head) + len(f.site) + len(f.tail) }

// CarriesSite says whether the file is a user-data that carries the site data or its
// reference.
func (f OutputFile) CarriesSite() bool { return f.site != nil }

// WriteTo writes the file's data, part by part.
func (f OutputFile) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, part := range [][]byte{f.head, f.site, f.tail} {
		m, err := w.Write(part)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// SHA256 is the hex SHA-256 of the file's data.
func (f OutputFile) SHA256() string {
	h := sha256.New()
	f.WriteTo(h) // a hash's Write never fails
	return hex.EncodeToString(h.Sum(nil))
}

// Review is what the review diff compares: Content, with the site data replaced by a line
// that points at SiteDataPath.
func (f OutputFile) Review() []byte {
	if f.site == nil {
		return f.Content()
	}
	b := make([]byte, 0, len(f.head)+len(f.tail)+80)
	b = append(b, f.head...)
	b = append(b, "    content: (site data) # shown once, as "+SiteDataPath+"\n"...)
	return append(b, f.tail...)
}

// Content is what a reader of the file sees: its data, or for a link a line naming the target.
func (f OutputFile) Content() []byte {
	if f.Link != "" {
		return []byte("symlink to " + f.Link + "\n")
	}
	return f.Bytes()
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
