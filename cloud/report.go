package cloud

import (
	"fmt"
	"sort"
	"strings"
)

// Severity separates what stops a render (errors) from what only deserves a look (warnings;
// fatal with --strict).
type Severity int

const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Kind classifies a diagnostic so that tests and tools can match it without parsing prose.
type Kind string

// Pos is a 1-based line and column in the source file; zero means unknown.
type Pos struct {
	Line, Col int
}

// Diagnostic is one error or warning about the cloud description.
type Diagnostic struct {
	Severity Severity
	Kind     Kind
	Path     Path // field path, e.g. hosts[2].address; "" for the whole file
	Pos      Pos
	Message  string
}

// Report collects the diagnostics for one source file.
type Report struct {
	File   string
	Source []byte
	Diags  []Diagnostic
	// Secrets are where the description's secrets stand in Source: quoted lines show
	// REDACTED there.
	Secrets []SecretSpan
	// Dropped counts the diagnostics past MaxKept, which are counted, not kept: a hostile
	// file must not make millions of them (DroppedErrors of them errors).
	Dropped, DroppedErrors int
}

// Count is how many problems were found, kept or not.
func (r *Report) Count() int { return len(r.Diags) + r.Dropped }

// HasErrors reports whether any diagnostic is an error (or, when strict, any at all).
func (r *Report) HasErrors(strict bool) bool {
	if r.DroppedErrors > 0 || strict && r.Dropped > 0 {
		return true
	}
	for _, d := range r.Diags {
		if d.Severity == Error || strict {
			return true
		}
	}
	return false
}

func (r *Report) add(d Diagnostic) {
	if len(r.Diags) >= MaxKept {
		r.Dropped++
		if d.Severity == Error {
			r.DroppedErrors++
		}
		return
	}
	r.Diags = append(r.Diags, d)
}

// sort orders diagnostics by position so output follows the file.
func (r *Report) sort() {
	sort.SliceStable(r.Diags, func(i, j int) bool {
		a, b := r.Diags[i].Pos, r.Diags[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Error makes a report with errors usable as a Go error.
func (r *Report) Error() string {
	return r.Format(false)
}

// Format renders every diagnostic the way compilers do, with the offending source line and a
// caret under the spot:
//
//	cloud.yaml:12:14: error: hosts[1].address: "10.1.1" is not an IPv4 address [bad-address]
//	    12 |     address: 10.1.1
//	       |              ^
//
// Everything quoted from the input is made printable (no control characters reach the
// terminal) and cut to a readable length, and at most MaxShown diagnostics are printed, with
// a count of the rest: a runaway file gets a report a person can read.
func (r *Report) Format(color bool) string {
	var b strings.Builder
	lines := strings.Split(string(r.Source), "\n")
	file := Printable(r.File, maxQuoted)
	for i, d := range r.Diags {
		if i == MaxShown {
			fmt.Fprintf(&b, "%s: ... and %d more problem(s) not shown\n", file, r.Count()-MaxShown)
			break
		}
		loc := file
		if d.Pos.Line > 0 {
			loc = fmt.Sprintf("%s:%d:%d", file, d.Pos.Line, d.Pos.Col)
		}
		field := ""
		if d.Path != "" {
			field = Printable(d.Path.String(), maxQuoted) + ": "
		}
		fmt.Fprintf(&b, "%s: %s: %s%s [%s]\n", loc, d.Severity, field, Printable(Redact(d.Message), maxMessage), d.Kind)
		if d.Pos.Line > 0 && d.Pos.Line <= len(lines) {
			line, col := redactSpans(strings.TrimRight(lines[d.Pos.Line-1], "\r"), d.Pos.Line, d.Pos.Col, r.Secrets)
			src, col := window(RedactAt(line, col))
			fmt.Fprintf(&b, "%6d | %s\n", d.Pos.Line, src)
			fmt.Fprintf(&b, "       | %s^\n", caretPad(src, col))
		}
	}
	return b.String()
}

// MaxShown is how many diagnostics Format prints; maxQuoted how many characters of a source
// line or file name it quotes, maxMessage of a message (which may quote a value).
const (
	MaxShown = 50
	// MaxKept bounds the diagnostics a report keeps; the rest are counted.
	MaxKept    = 1000
	maxQuoted  = 200
	maxMessage = 600
)

// window makes a source line printable and, if it is long, cuts it to the part around the
// column; it returns the line and the column within it.
func window(line string, col int) (string, int) {
	runes := []rune(line)
	start := 0
	if col > maxQuoted/2 && len(runes) > maxQuoted {
		start = col - maxQuoted/2
	}
	if start > len(runes) {
		start = len(runes)
	}
	out := Printable(string(runes[start:]), maxQuoted)
	if start > 0 {
		return "..." + out, col - start + 3
	}
	return out, col
}

// caretPad keeps tabs as tabs so the caret lands under the column in any terminal.
func caretPad(src string, col int) string {
	var b strings.Builder
	for i, r := range []rune(src) {
		if i >= col-1 {
			break
		}
		if r == '\t' {
			b.WriteRune('\t')
		} else {
			b.WriteRune(' ')
		}
	}
	return b.String()
}

// ReportJSON is a report for scripts and CI annotations (validate -o json), version 1: every
// problem with its file, line, column, severity, kind and field; messages redacted as in
// the text.
type ReportJSON struct {
	Version  int           `json:"version"`
	File     string        `json:"file"`
	Valid    bool          `json:"valid"`
	Errors   int           `json:"errors"`
	Warnings int           `json:"warnings"`
	Dropped  int           `json:"dropped"` // past MaxKept: counted, not listed
	Problems []ProblemJSON `json:"problems"`
}

// ProblemJSON is one diagnostic.
type ProblemJSON struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Kind     Kind   `json:"kind"`
	Field    string `json:"field"`
	Message  string `json:"message"`
}

// JSON is the report as ReportJSON; strict counts warnings against validity.
func (r *Report) JSON(strict bool) ReportJSON {
	out := ReportJSON{Version: 1, File: r.File, Valid: !r.HasErrors(strict), Dropped: r.Dropped, Problems: []ProblemJSON{}}
	out.Errors = r.DroppedErrors
	out.Warnings = r.Dropped - r.DroppedErrors
	for _, d := range r.Diags {
		if d.Severity == Error {
			out.Errors++
		} else {
			out.Warnings++
		}
		out.Problems = append(out.Problems, ProblemJSON{File: r.File, Line: d.Pos.Line, Column: d.Pos.Col,
			Severity: d.Severity.String(), Kind: d.Kind, Field: Redact(d.Path.String()), Message: Redact(d.Message)})
	}
	return out
}
