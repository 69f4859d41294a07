package support

import (
	"regexp"
	"strings"

	"github.com/midobake/midobake/cloud"
)

// What a bundle gathers is read for secrets by position, never by looking for a secret's
// text: the description's (passwords in repository URLs, presigned URL signatures: cloud's
// finder, which every other midobake output uses too), and the value of any key that names a
// secret, in the forms the gathered files and commands write them: key=value (zoo.cfg, yum's
// .repo, shell), key: value (YAML, HOCON's key : value from mn-conf dump, HTTP headers),
// "key": "value" (JSON), and a YAML block under such a key. Hiding too much is the safe
// mistake: an unquoted value is hidden to the end of its line.

// Redacted replaces each secret.
const Redacted = "REDACTED"

// secretKeyRE: a key that names a secret (matched anywhere in the key: cluster.auth.keystone.
// admin_token, proxy_password, "secretKey").
var secretKeyRE = regexp.MustCompile(`(?i)pass(word|wd|phrase)?\b|passw|secret|token|credential|api[_-]?key|private[_-]?key|auth[_-]?key|authorization|cookie`)

// assignmentRE: a key, optionally quoted, then = or :, then the value's start.
var assignmentRE = regexp.MustCompile(`(["']?)([A-Za-z0-9_.\-]+)(["']?)[ \t]*[=:][ \t]*`)

var markRE = regexp.MustCompile(`REDACTED#[0-9]+`)

// RedactText hides every secret in s and says how many it hid.
func RedactText(s string) (string, int) {
	n := 0
	// URL passwords and signatures first: cloud's finder counts them by their marks.
	var marks cloud.Numbering
	s = marks.Redact(s)
	n += strings.Count(s, "REDACTED#")
	s = markRE.ReplaceAllString(s, Redacted)

	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for i := 0; i < len(lines); i++ {
		line, hid, block := redactLine(lines[i])
		b.WriteString(line)
		n += hid
		if !block {
			continue
		}
		// A YAML block under a secret key: every following line indented deeper is its value.
		indent := indentOf(lines[i])
		for i+1 < len(lines) && (strings.TrimSpace(lines[i+1]) == "" || indentOf(lines[i+1]) > indent) {
			i++
			if strings.TrimSpace(lines[i]) != "" {
				b.WriteString(lines[i][:indentOf(lines[i])] + Redacted + lineEnd(lines[i]))
				n++
			} else {
				b.WriteString(lines[i])
			}
		}
	}
	return b.String(), n
}

// redactLine hides the values of secret keys in one line; block says the line opens a YAML
// block (key: | or key: with nothing after it) whose lines are the secret.
func redactLine(line string) (out string, hid int, block bool) {
	body := strings.TrimRight(line, "\r\n")
	type span struct{ start, end int }
	var spans []span
	covered := 0 // hidden up to here: a key inside a hidden value is part of it
	for _, m := range assignmentRE.FindAllStringSubmatchIndex(body, -1) {
		key := body[m[4]:m[5]]
		if m[0] < covered || !secretKeyRE.MatchString(key) {
			continue
		}
		start := m[1]
		rest := body[start:]
		switch {
		case strings.TrimSpace(rest) == "" || rest == "|" || rest == ">" || strings.HasPrefix(rest, "|-") || strings.HasPrefix(rest, ">-"):
			if body[m[1]-1] == ':' || strings.HasSuffix(strings.TrimRight(body[:m[1]], " \t"), ":") {
				block = true
			}
			if strings.TrimSpace(rest) != "" {
				continue
			}
		case rest[0] == '"' || rest[0] == '\'':
			end := closingQuote(rest)
			if end > 1 {
				spans = append(spans, span{start + 1, start + end})
			}
			covered = start + end
		default:
			spans = append(spans, span{start, len(body)})
			covered = len(body)
		}
		if covered == len(body) {
			break // the rest of the line is hidden
		}
	}
	if len(spans) == 0 {
		return line, 0, block
	}
	// Spans are in order and apart: a key inside a hidden value was skipped.
	var b strings.Builder
	at := 0
	for _, sp := range spans {
		b.WriteString(body[at:sp.start])
		b.WriteString(Redacted)
		at = sp.end
	}
	b.WriteString(body[at:])
	return b.String() + lineEnd(line), len(spans), block
}

// closingQuote is the index of the quote that closes the quoted value rest starts with
// (backslash escapes skipped), or the end of rest when it is never closed.
func closingQuote(rest string) int {
	q := rest[0]
	for i := 1; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case q:
			return i
		}
	}
	return len(rest)
}

func indentOf(line string) int {
	return len(line) - len(strings.TrimLeft(line, " \t"))
}

func lineEnd(line string) string {
	body := strings.TrimRight(line, "\r\n")
	return line[len(body):]
}
