package diff

import (
	"fmt"
	"html"
	"strings"
)

// Markdown is the review as a pull-request comment, the way Terraform plans are posted: a
// table of the changes in meaning (those a running cloud cannot take first), the hosts whose
// files change, then each file's diff collapsed under its name (or, without diffs, a line
// per file).
func (r Result) Markdown(withDiffs bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### midobake diff %s → %s\n\n", code(r.Old), code(r.New))
	if !r.Changed() {
		b.WriteString("No changes.\n")
		return b.String()
	}
	var blocked []Change
	for _, c := range r.Summary {
		if c.CannotApply != "" {
			blocked = append(blocked, c)
		}
	}
	for _, c := range blocked {
		what, _, _ := strings.Cut(strings.ReplaceAll(c.Text, " -> ", " → "), " [CANNOT BE APPLIED")
		fmt.Fprintf(&b, "> [!CAUTION]\n> **Cannot be applied to a running cloud:** %s. %s\n\n", cell(what), cell(c.CannotApply))
	}
	if len(r.Summary) > 0 {
		b.WriteString("| kind | which | change |\n| --- | --- | --- |\n")
		for _, c := range r.Summary {
			which := c.Subject
			if c.Field != "" {
				which = strings.TrimSpace(which + " " + c.Field)
			}
			var change string
			switch c.Action {
			case "added":
				change = "added: " + cell(c.New)
			case "removed":
				change = "removed (was " + cell(c.Old) + ")"
			default:
				change = cell(c.Old) + " → " + cell(c.New)
			}
			if c.CannotApply != "" {
				change += " **(cannot be applied)**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(c.Kind), cell(which), change)
		}
		b.WriteString("\n")
	}
	if len(r.Hosts) > 0 {
		fmt.Fprintf(&b, "Hosts whose files change: %s\n\n", cell(strings.Join(r.Hosts, ", ")))
	}
	fmt.Fprintf(&b, "%d files changed:\n\n", len(r.Files))
	if !withDiffs {
		for _, f := range r.Files {
			fmt.Fprintf(&b, "- <code>%s</code> (%s +%d -%d)\n", html.EscapeString(f.Path), f.Status, f.Added, f.Removed)
		}
		return b.String()
	}
	for _, f := range r.Files {
		fence := strings.Repeat("`", max(3, longestRun(f.Diff, '`')+1))
		// Markdown is not read inside an HTML tag: the summary's name is HTML.
		fmt.Fprintf(&b, "<details><summary><code>%s</code> (%s +%d -%d)</summary>\n\n%sdiff\n%s", html.EscapeString(f.Path), f.Status, f.Added, f.Removed, fence, f.Diff)
		if !strings.HasSuffix(f.Diff, "\n") {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s\n\n</details>\n\n", fence)
	}
	return b.String()
}

// cell escapes text for a Markdown table cell or the middle of a line: no character of it
// can end the cell, open a tag or a link, or format anything (what only matters at the
// start of a line, # or +, never starts one here).
func cell(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case strings.ContainsRune("\\`*_[]|~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// code is s as inline code, escaped as a cell (inside backticks Markdown takes no escapes, so
// the text is escaped instead of quoted when it holds one).
func code(s string) string {
	if strings.ContainsAny(s, "`\n\r<>&|") {
		return cell(s)
	}
	return "`" + s + "`"
}

// longestRun is the longest run of c in s: a fence must be longer than any inside it.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
