// Package diff compares two renders of a cloud description for code review: what changed in
// meaning (hosts, roles, templates, ZooKeeper membership, repositories, gateways), computed
// with go-cmp on a summary of each model, and what changed in every rendered file, as unified
// diffs. Credentials never appear in either.
package diff

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/aymanbagabas/go-udiff"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/roles"
)

// Side is one version of the cloud: where it came from, its model and its render.
type Side struct {
	Name      string // a file path or REV:PATH
	Cloud     *cloud.Cloud
	Tree      *emit.Tree
	Templates []roles.TemplateSource // what the side was rendered with
}

// Status of a file between the two sides.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// FileChange is one rendered file that differs.
type FileChange struct {
	Path    string `json:"path"`
	Status  string `json:"status"`
	Added   int    `json:"linesAdded"`
	Removed int    `json:"linesRemoved"`
	Diff    string `json:"diff"`
}

// Result is the whole comparison.
type Result struct {
	Version int          `json:"version"` // of this JSON: 1
	Old     string       `json:"old"`
	New     string       `json:"new"`
	Summary []Change     `json:"summary"`
	Hosts   []string     `json:"hostsWithChangedFiles"`
	Files   []FileChange `json:"files"`
}

// Changed reports whether anything differs.
func (r Result) Changed() bool { return len(r.Files) > 0 || len(r.Summary) > 0 }

// Compare compares two sides.
func Compare(oldSide, newSide Side) Result {
	// Passwords live only in repository URLs: they are hidden where they stand (never by
	// searching for their text, which would mangle unrelated text that happens to match
	// and, by what it replaced, give a short password away).
	// Each distinct secret gets its own mark (REDACTED#1, REDACTED#2): a changed password
	// reads as a change, an unchanged one as the same.
	marks := &cloud.Numbering{}
	redact := marks.Redact
	r := Result{Version: 1, Old: oldSide.Name, New: newSide.Name, Summary: Summarize(oldSide.Cloud, newSide.Cloud, marks)}
	r.Summary = append(r.Summary, templateChanges(oldSide.Templates, newSide.Templates)...)
	sortChanges(r.Summary)
	paths := map[string]bool{}
	for _, p := range oldSide.Tree.Paths() {
		paths[p] = true
	}
	for _, p := range newSide.Tree.Paths() {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	hosts, changed := map[string]bool{}, map[string]bool{}
	for _, p := range sorted {
		if p == "manifest.json" {
			continue // its hashes change with everything else; the files themselves say how
		}
		a, inOld := oldSide.Tree.Get(p)
		b, inNew := newSide.Tree.Get(p)
		if inOld && inNew && string(a.Review()) == string(b.Review()) {
			continue
		}
		fc := FileChange{Path: p, Status: Changed}
		switch {
		case !inOld:
			fc.Status = Added
		case !inNew:
			fc.Status = Removed
		}
		oldLabel, newLabel := "a/"+p, "b/"+p
		if !inOld {
			oldLabel = "/dev/null"
		}
		if !inNew {
			newLabel = "/dev/null"
		}
		fc.Diff = redact(udiff.Unified(oldLabel, newLabel, string(a.Review()), string(b.Review())))
		for _, line := range strings.Split(fc.Diff, "\n") {
			switch {
			case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
			case strings.HasPrefix(line, "+"):
				fc.Added++
			case strings.HasPrefix(line, "-"):
				fc.Removed++
			}
		}
		r.Files = append(r.Files, fc)
		changed[p] = true
	}
	// A host's files change when its own do, or the profile user-data its seed links to, or
	// the site data that user-data carries (shown once, as its own file).
	for _, side := range []Side{oldSide, newSide} {
		for _, p := range side.Tree.Paths() {
			rest, ok := strings.CutPrefix(p, "hosts/")
			if !ok {
				continue
			}
			f, _ := side.Tree.Get(p)
			target, _ := side.Tree.Get(path.Join(path.Dir(p), f.Link))
			carriesSite := target.CarriesSite() && changed[emit.SiteDataPath]
			if changed[p] || f.Link != "" && (changed[target.Path] || carriesSite) {
				hosts[strings.SplitN(rest, "/", 2)[0]] = true
			}
		}
	}
	for h := range hosts {
		r.Hosts = append(r.Hosts, h)
	}
	sort.Strings(r.Hosts)
	return r
}

// Stat is the short form: the summary and one line per changed file.
func (r Result) Stat() string {
	var b strings.Builder
	r.writeSummary(&b)
	for _, f := range r.Files {
		fmt.Fprintf(&b, " %-56s | %s +%d -%d\n", f.Path, f.Status, f.Added, f.Removed)
	}
	fmt.Fprintf(&b, " %d files changed\n", len(r.Files))
	return b.String()
}

func (r Result) writeSummary(b *strings.Builder) {
	fmt.Fprintf(b, "midobake diff %s %s\n", r.Old, r.New)
	if !r.Changed() {
		b.WriteString("no changes\n")
		return
	}
	for _, c := range r.Summary {
		fmt.Fprintf(b, "  * %s\n", c.Text)
	}
	if len(r.Hosts) > 0 {
		fmt.Fprintf(b, "  * hosts whose files change: %s\n", strings.Join(r.Hosts, ", "))
	}
}

// Text is the full form: the summary, then a unified diff per changed file, coloured for a
// terminal when color is set.
func (r Result) Text(color bool) string {
	var b strings.Builder
	r.writeSummary(&b)
	for _, f := range r.Files {
		fmt.Fprintf(&b, "\n%s %s (%s)\n", paint(color, bold, "diff --midobake"), paint(color, bold, f.Path), f.Status)
		for _, line := range strings.SplitAfter(f.Diff, "\n") {
			switch {
			case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
				b.WriteString(paint(color, bold, line))
			case strings.HasPrefix(line, "+"):
				b.WriteString(paint(color, green, line))
			case strings.HasPrefix(line, "-"):
				b.WriteString(paint(color, red, line))
			case strings.HasPrefix(line, "@@"):
				b.WriteString(paint(color, cyan, line))
			default:
				b.WriteString(line)
			}
		}
	}
	return b.String()
}

const (
	bold  = "\x1b[1m"
	red   = "\x1b[31m"
	green = "\x1b[32m"
	cyan  = "\x1b[36m"
	reset = "\x1b[0m"
)

func paint(on bool, code, s string) string {
	if !on || s == "" {
		return s
	}
	body, nl := strings.CutSuffix(s, "\n")
	out := code + body + reset
	if nl {
		out += "\n"
	}
	return out
}
