package cloud

import (
	"strings"
	"unicode/utf8"
)

// The description's only secrets are passwords in repository URLs
// (scheme://user:password@host/..., as MidoNet Enterprise mirrors need). This file is the one
// place that finds them; everything that hides or protects them goes through it.

// passwordSpan finds the password of the first URL in s that carries one, as byte offsets
// [start, end) into s. The password runs from the first : after scheme:// (with no / before
// it: a : after a / is in the path) to the last @ of the URL, which ends at white space or a
// quote. A well-formed URL reads so as net/url reads it; a password with / or @ (percent-
// encoding forgotten, common in generated passwords) makes the URL unparsable and is hidden
// all the same. An @ in a path also ends it there: hiding too much is the safe mistake.
func passwordSpan(s string) (start, end int, ok bool) {
	for from := 0; ; {
		i := strings.Index(s[from:], "://")
		if i < 0 {
			return 0, 0, false
		}
		authStart := from + i + 3
		word := s[authStart:]
		if n := strings.IndexAny(word, " \t\r\n\"'`"); n >= 0 {
			word = word[:n]
		}
		if at := strings.LastIndex(word, "@"); at >= 0 {
			colon := strings.Index(word[:at], ":")
			if colon >= 0 && !strings.Contains(word[:colon], "/") {
				return authStart + colon + 1, authStart + at, true
			}
		}
		from = authStart
	}
}

// Password returns the password of a URL with credentials, or "".
func Password(rawURL string) string {
	if start, end, ok := passwordSpan(rawURL); ok {
		return rawURL[start:end]
	}
	return ""
}

// HasPassword reports whether the URL carries a password.
func HasPassword(rawURL string) bool {
	_, _, ok := passwordSpan(rawURL)
	return ok
}

// Redact replaces the password of every URL in s with REDACTED, by position, so that it never
// reaches a log, a diff or an error: http://USER:REDACTED@repo.midokura.com/.
func Redact(s string) string {
	var b strings.Builder
	for {
		start, end, ok := passwordSpan(s)
		if !ok {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:start])
		b.WriteString("REDACTED")
		s = s[end:]
	}
}

// RedactAt is Redact for a quoted source line with a column in it (1-based, in runes): the
// column moves with the text it pointed at, so a caret still lands under it.
func RedactAt(line string, col int) (string, int) {
	var b strings.Builder
	newCol := col
	consumed := 0 // runes of the original line before s
	for s := line; ; {
		start, end, ok := passwordSpan(s)
		if !ok {
			b.WriteString(s)
			return b.String(), newCol
		}
		b.WriteString(s[:start])
		b.WriteString("REDACTED")
		pwStart := consumed + utf8.RuneCountInString(s[:start])
		pwLen := utf8.RuneCountInString(s[start:end])
		switch {
		case col > pwStart+pwLen: // after the password: shift by the length difference
			newCol += len("REDACTED") - pwLen
		case col > pwStart: // inside it: point at its start
			newCol -= col - pwStart - 1
		}
		consumed += utf8.RuneCountInString(s[:end])
		s = s[end:]
	}
}

// Secrets returns the passwords in the description, which must never be printed and make any
// file that holds them private. Only mirrors carry credentials; the default repositories do not.
func Secrets(c *Cloud) []string {
	var out []string
	for _, id := range sortedKeys(c.Midonet.Repos) {
		r := c.Midonet.Repos[id]
		for _, u := range []string{r.BaseURL, r.GPGKey} {
			if p := Password(u); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
