// Package support gathers what a support engineer asks for about one host of the cloud into
// one archive: midobake's state, report and log, the cloud services' journals and
// configuration, on the CLC MidoNet's own view, and the host's network, firewall, packages and
// time. Every item is bounded, redacted and listed in the archive's index; an item that cannot
// be gathered is recorded there and never fails the whole.
package support

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/midobake/midobake/cloud"
)

// Item is one thing a bundle gathers: a file under the root (Glob may name several), or a
// command's output, or a function's (MidoNet's API).
type Item struct {
	Name    string   // where it goes in the archive, under the bundle's directory
	File    string   // a file (or a glob of files) under the root
	Command []string // or a command, run with a deadline; the first that exists of Alternatives
	// Alternatives are other commands for the same thing (rpm -qa, else dpkg-query -W).
	Alternatives [][]string
	Func         func(ctx context.Context) ([]byte, error)
	// Source says where a Func's output comes from, in the index.
	Source string
	// Tail keeps the end of a long output (logs, journals), not its start.
	Tail bool
	// Max bounds what is kept of it (DefaultItemMax when zero).
	Max int
	// Why says what it is, in the index.
	Why string
}

// Entry is what the index says of one item.
type Entry struct {
	Name      string `json:"name"`
	Source    string `json:"source"`
	Status    string `json:"status"` // ok, missing, failed, left out
	Error     string `json:"error,omitempty"`
	ExitCode  int    `json:"exitCode,omitempty"`
	Bytes     int    `json:"bytes"`
	Truncated bool   `json:"truncated,omitempty"`
	Redacted  int    `json:"redacted"`
	Why       string `json:"why,omitempty"`
}

// Item outcomes.
const (
	StatusOK      = "ok"
	StatusMissing = "missing"
	StatusFailed  = "failed"
	StatusLeftOut = "left out"
)

// Bounds.
const (
	DefaultItemMax  = 4 << 20
	DefaultMaxTotal = 64 << 20
	MaxGlob         = 64 // files one glob may add
	CommandTimeout  = 30 * time.Second
)

// Options says where and how much to gather.
type Options struct {
	Root     string // file system root files are read under ("/")
	Host     string // names the bundle's directory
	MaxTotal int    // bound on the bundle's content, before compression
	Now      time.Time
	// Progress is told of each item as it starts (nil: nothing).
	Progress func(done, total int, name string)
}

// Index is the archive's index.json.
type Index struct {
	Host     string    `json:"host"`
	Taken    time.Time `json:"taken"`
	Root     string    `json:"root"`
	MaxTotal int       `json:"maxTotal"`
	Entries  []Entry   `json:"entries"`
}

// Write gathers items into a gzip tar archive on w and returns its index.
func Write(ctx context.Context, w io.Writer, items []Item, o Options) (Index, error) {
	if o.MaxTotal <= 0 {
		o.MaxTotal = DefaultMaxTotal
	}
	idx := Index{Host: o.Host, Taken: o.Now.UTC(), Root: o.Root, MaxTotal: o.MaxTotal}
	dir := "midobake-support-" + o.Host
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	put := func(name string, b []byte) error {
		return tw.WriteHeader(&tar.Header{Name: path.Join(dir, name), Mode: 0o600, Size: int64(len(b)), ModTime: o.Now, Typeflag: tar.TypeReg, Format: tar.FormatPAX})
	}
	total := 0
	for i, it := range items {
		if o.Progress != nil {
			o.Progress(i, len(items), it.Name)
		}
		for _, g := range gather(ctx, it, o.Root) {
			e := g.entry
			if g.data == nil {
				idx.Entries = append(idx.Entries, e)
				continue
			}
			limit := it.Max
			if limit == 0 {
				limit = DefaultItemMax
			}
			room := o.MaxTotal - total
			if len(g.data) > room && room < minKept {
				e.Status, e.Error = StatusLeftOut, fmt.Sprintf("the bundle reached its size bound (%d bytes)", o.MaxTotal)
				idx.Entries = append(idx.Entries, e)
				continue
			}
			text, n, cut := bounded(g.data, min(limit, room), it.Tail, e.Truncated)
			e.Redacted, e.Bytes, e.Truncated = n, len(text), e.Truncated || cut
			total += len(text)
			if err := put(e.Name, []byte(text)); err != nil {
				return idx, err
			}
			if _, err := io.WriteString(tw, text); err != nil {
				return idx, err
			}
			idx.Entries = append(idx.Entries, e)
		}
	}
	if o.Progress != nil {
		o.Progress(len(items), len(items), "index")
	}
	// The index, as JSON and as text; its sources and errors are redacted too (an error may
	// quote what it read).
	for i := range idx.Entries {
		idx.Entries[i].Error, _ = RedactText(idx.Entries[i].Error)
		idx.Entries[i].Source, _ = RedactText(idx.Entries[i].Source)
	}
	js, _ := json.MarshalIndent(idx, "", "  ")
	js = append(js, '\n')
	for _, f := range []struct {
		name string
		b    []byte
	}{{"index.json", js}, {"INDEX.txt", []byte(idx.Text())}} {
		name, b := f.name, f.b
		if err := put(name, b); err != nil {
			return idx, err
		}
		if _, err := tw.Write(b); err != nil {
			return idx, err
		}
	}
	if err := tw.Close(); err != nil {
		return idx, err
	}
	return idx, gz.Close()
}

// minKept: an item is cut to the room left in the bundle only if that room holds this much;
// else it is left out.
const minKept = 4 << 10

// bounded is data redacted and cut to at most limit bytes (its end with tail), in whole lines.
// It is cut before the redaction (a secret is never read past where its line was cut) and,
// as a redaction may lengthen it, again after. cut says data was cut already, where it was
// read: its first (tail) or last line is partial.
func bounded(data []byte, limit int, tail, cut bool) (string, int, bool) {
	if len(data) > limit {
		cut = true
		if tail {
			data = data[len(data)-limit:]
		} else {
			data = data[:limit]
		}
	}
	if cut {
		data = wholeLines(data, tail)
	}
	text, n := RedactText(string(data))
	if len(text) > limit {
		cut = true
		if tail {
			text = text[len(text)-limit:]
		} else {
			text = text[:limit]
		}
		text = string(wholeLines([]byte(text), tail))
	}
	return text, n, cut
}

// wholeLines drops the line a cut went through: the start of a tail, the end of a head. The
// redaction reads keys and URLs whole, and half of one (the end of a password whose key was
// cut off) would not be recognised.
func wholeLines(b []byte, tail bool) []byte {
	if tail {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return b[i+1:]
		}
		return nil
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[:i+1]
	}
	return nil
}

// Text is the index for a person: one line per item.
func (idx Index) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "midobake support bundle of host %s, taken %s (root %s, size bound %d bytes)\n\n",
		cloud.Printable(idx.Host, 80), idx.Taken.Format(time.RFC3339), cloud.Printable(idx.Root, 200), idx.MaxTotal)
	for _, e := range idx.Entries {
		line := fmt.Sprintf("%-9s %-48s %8d B", e.Status, e.Name, e.Bytes)
		if e.Redacted > 0 {
			line += fmt.Sprintf(", %d redacted", e.Redacted)
		}
		if e.Truncated {
			line += ", truncated"
		}
		if e.ExitCode != 0 {
			line += fmt.Sprintf(", exit %d", e.ExitCode)
		}
		line += "  <- " + cloud.Printable(e.Source, 200)
		if e.Error != "" {
			line += ": " + cloud.Printable(e.Error, 300)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// gathered is one result of an item: data (nil when there is none) and its index entry.
type gathered struct {
	data  []byte
	entry Entry
}

func gather(ctx context.Context, it Item, root string) []gathered {
	switch {
	case it.File != "":
		return gatherFiles(it, root)
	case it.Func != nil:
		e := Entry{Name: it.Name, Source: it.Source, Status: StatusOK, Why: it.Why}
		ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
		defer cancel()
		b, err := it.Func(ctx)
		if err != nil {
			e.Status, e.Error = StatusFailed, err.Error()
			return []gathered{{entry: e}}
		}
		return []gathered{{data: b, entry: e}}
	}
	return []gathered{gatherCommand(ctx, it)}
}

func gatherFiles(it Item, root string) []gathered {
	full := filepath.Join(root, it.File)
	matches := []string{full}
	if strings.ContainsAny(it.File, "*?[") {
		matches, _ = filepath.Glob(full)
		sort.Strings(matches)
		if len(matches) == 0 {
			return []gathered{{entry: Entry{Name: path.Join("files", it.File), Source: it.File, Status: StatusMissing, Error: "no file matches", Why: it.Why}}}
		}
		if len(matches) > MaxGlob {
			matches = matches[:MaxGlob]
		}
	}
	var out []gathered
	for _, m := range matches {
		rel := "/" + strings.TrimPrefix(strings.TrimPrefix(m, filepath.Clean(root)), "/")
		e := Entry{Name: path.Join("files", rel), Source: rel, Status: StatusOK, Why: it.Why}
		b, truncated, err := readBounded(m, it)
		switch {
		case errors.Is(err, os.ErrNotExist):
			e.Status, e.Error = StatusMissing, "no such file"
			out = append(out, gathered{entry: e})
			continue
		case err != nil:
			e.Status, e.Error = StatusFailed, err.Error()
			out = append(out, gathered{entry: e})
			continue
		}
		e.Truncated = truncated
		out = append(out, gathered{data: b, entry: e})
	}
	return out
}

// readBounded reads a regular file, at most its item's bound (the end of it for a log).
func readBounded(p string, it Item) ([]byte, bool, error) {
	limit := it.Max
	if limit == 0 {
		limit = DefaultItemMax
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if !st.Mode().IsRegular() {
		return nil, false, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	truncated := st.Size() > int64(limit)
	if truncated && it.Tail {
		if _, err := f.Seek(st.Size()-int64(limit), io.SeekStart); err != nil {
			return nil, false, err
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)))
	return b, truncated, err
}

func gatherCommand(ctx context.Context, it Item) gathered {
	cmds := append([][]string{it.Command}, it.Alternatives...)
	e := Entry{Name: it.Name, Source: strings.Join(it.Command, " "), Why: it.Why}
	var argv []string
	for _, c := range cmds {
		if _, err := exec.LookPath(c[0]); err == nil {
			argv = c
			break
		}
	}
	if argv == nil {
		var names []string
		for _, c := range cmds {
			names = append(names, c[0])
		}
		e.Status, e.Error = StatusMissing, "not installed: "+strings.Join(names, ", ")
		return gathered{entry: e}
	}
	e.Source = strings.Join(argv, " ")
	limit := it.Max
	if limit == 0 {
		limit = DefaultItemMax
	}
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	out := &boundedBuffer{max: limit, tail: it.Tail}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	e.Status, e.Truncated = StatusOK, out.cut
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		e.Status, e.Error = StatusFailed, fmt.Sprintf("did not finish within %s", CommandTimeout)
	case errors.As(err, &ee):
		e.ExitCode = ee.ExitCode() // its output says why; systemctl status exits 3 for a stopped unit
	case err != nil:
		e.Status, e.Error = StatusFailed, err.Error()
	}
	return gathered{data: out.Bytes(), entry: e}
}

// boundedBuffer keeps at most max bytes of what is written to it: the first, or with tail the
// last; cut says it dropped some. It holds its buffer rather than embedding one: an embedded
// bytes.Buffer's ReadFrom would let io.Copy (exec's copy of a command's output) fill it past
// its bound.
type boundedBuffer struct {
	buf  bytes.Buffer
	max  int
	tail bool
	cut  bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if !b.tail {
		if room := b.max - b.buf.Len(); room < len(p) {
			p, b.cut = p[:max(room, 0)], true
		}
		b.buf.Write(p)
		return n, nil
	}
	if len(p) >= b.max { // only its end can stay
		b.buf.Reset()
		p, b.cut = p[len(p)-b.max:], true
	}
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
		b.cut = true
	}
	return n, nil
}

// Bytes is what it kept (never nil: a command that printed nothing has an empty output).
func (b *boundedBuffer) Bytes() []byte { return append([]byte{}, b.buf.Bytes()...) }
