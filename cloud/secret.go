package cloud

import (
	"strconv"
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
	// Every URL that starts in one word ends where the word does, at the same last @: both
	// are found once per word, so that a word of many "://" is read once, not once for each.
	wordEnd, lastAt := -1, -1
	for from := 0; ; {
		i := strings.Index(s[from:], "://")
		if i < 0 {
			return 0, 0, false
		}
		authStart := from + i + 3
		if authStart > wordEnd {
			wordEnd = len(s)
			if n := strings.IndexAny(s[authStart:], " \t\r\n\"'`"); n >= 0 {
				wordEnd = authStart + n
			}
			lastAt = authStart + strings.LastIndex(s[authStart:wordEnd], "@")
		}
		word := s[authStart:wordEnd]
		if lastAt < authStart {
			from = wordEnd // no @ in the rest of this word: no URL in it has a password
			continue
		}
		if at := lastAt - authStart; at >= 0 {
			colon := strings.Index(word[:at], ":")
			if colon >= 0 && !strings.Contains(word[:colon], "/") && !portThenPath(word[colon+1:at]) {
				return authStart + colon + 1, authStart + at, true
			}
		}
		from = authStart
	}
}

// valuePasswordSpan is passwordSpan for a value that is one URL and nothing else (a
// repository's baseurl, --site-url): its password runs to the URL's last @ whatever it holds
// (spaces, quotes, backquotes: such a URL is invalid, and the report that says so must not
// show it).
func valuePasswordSpan(v string) (start, end int, ok bool) {
	i := strings.Index(v, "://")
	if i < 0 {
		return 0, 0, false
	}
	auth := i + 3
	at := strings.LastIndex(v[auth:], "@")
	if at < 0 {
		return 0, 0, false
	}
	colon := strings.Index(v[auth:auth+at], ":")
	if colon < 0 || strings.Contains(v[auth:auth+colon], "/") || portThenPath(v[auth+colon+1:auth+at]) {
		return 0, 0, false
	}
	return auth + colon + 1, auth + at, true
}

// portThenPath says whether what follows the first : of an authority up to the last @ reads
// as a port and then a path (http://h:8080/a@b: the @ is in the path, and there is no
// password), as net/url reads it; a password starting with digits then a / reads so too,
// and is then no password of that URL's either.
func portThenPath(s string) bool {
	port, _, slash := strings.Cut(s, "/")
	if !slash || port == "" || len(port) > 5 {
		return false
	}
	n := 0
	for _, r := range port {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n >= 1 && n <= 65535
}

// Password returns the password of a URL with credentials, or "".
func Password(rawURL string) string {
	if start, end, ok := valuePasswordSpan(rawURL); ok {
		return rawURL[start:end]
	}
	return ""
}

// HasPassword reports whether the URL carries a password.
func HasPassword(rawURL string) bool {
	_, _, ok := valuePasswordSpan(rawURL)
	return ok
}

// RedactURL is Redact for a value that is one URL: http://USER:REDACTED@host/, whatever
// the password holds.
func RedactURL(rawURL string) string {
	if start, end, ok := valuePasswordSpan(rawURL); ok {
		rawURL = rawURL[:start] + "REDACTED" + rawURL[end:]
	}
	return redactSignatures(rawURL)
}

// SecretSpan is where a secret stands in the source: line, and the 1-based columns (in
// runes) from its first to past its last character. Reports quote source lines with every
// span on them replaced, by position: what the secret holds does not matter.
type SecretSpan struct {
	Line, Col, End int
}

// secretSpan finds the password of a URL scalar in its source line: exactly, when the line
// holds the value verbatim at the node's column (a plain or quoted scalar without escapes);
// else the rest of the line from the node's column, hiding too much rather than too little.
func secretSpan(value string, line string, nodeLine, nodeCol int, quoted bool) (SecretSpan, bool) {
	start, end, ok := valuePasswordSpan(value)
	if !ok {
		return SecretSpan{}, false
	}
	runes := []rune(line)
	col := nodeCol
	if quoted {
		col++ // past the opening quote
	}
	v := []rune(value)
	if col-1 >= 0 && col-1+len(v) <= len(runes) && string(runes[col-1:col-1+len(v)]) == value {
		return SecretSpan{Line: nodeLine, Col: col + utf8.RuneCountInString(value[:start]), End: col + utf8.RuneCountInString(value[:end])}, true
	}
	return SecretSpan{Line: nodeLine, Col: nodeCol, End: len(runes) + 1}, true
}

// redactSpans replaces the spans on one source line (line number n) with REDACTED, moving
// col (1-based, in runes) with the text it pointed at.
func redactSpans(line string, n, col int, spans []SecretSpan) (string, int) {
	runes := []rune(line)
	var on []SecretSpan
	for _, sp := range spans {
		if sp.Line == n && sp.Col >= 1 && sp.Col <= sp.End && sp.End-1 <= len(runes) {
			on = append(on, sp)
		}
	}
	// Right to left, so that earlier columns stay where they are.
	for i := 1; i < len(on); i++ {
		for j := i; j > 0 && on[j].Col > on[j-1].Col; j-- {
			on[j], on[j-1] = on[j-1], on[j]
		}
	}
	newCol := col
	for _, sp := range on {
		runes = append(append(append([]rune{}, runes[:sp.Col-1]...), []rune("REDACTED")...), runes[sp.End-1:]...)
		switch {
		case col >= sp.End:
			newCol += len("REDACTED") - (sp.End - sp.Col)
		case col > sp.Col:
			newCol = sp.Col
		}
	}
	return string(runes), newCol
}

// Redact replaces the password of every URL in s with REDACTED, by position, so that it never
// reaches a log, a diff or an error: http://USER:REDACTED@repo.midokura.com/; and the
// signature parameters of presigned URLs (?X-Amz-Signature=REDACTED).
func Redact(s string) string {
	var b strings.Builder
	for {
		start, end, ok := passwordSpan(s)
		if !ok {
			b.WriteString(s)
			return redactSignatures(b.String())
		}
		b.WriteString(s[:start])
		b.WriteString("REDACTED")
		s = s[end:]
	}
}

// signatureParams are the query parameters of presigned and shared-access URLs that grant
// access by themselves (S3, GCS, Azure SAS, and plain tokens), lower case.
var signatureParams = map[string]bool{
	"x-amz-signature": true, "x-amz-credential": true, "x-amz-security-token": true,
	"x-goog-signature": true, "x-goog-credential": true, "signature": true, "sig": true,
	"token": true, "access_token": true, "x-ms-signature": true,
}

// signatureSpans finds the values of signature parameters in s: after ? or &, a parameter
// name of signatureParams, =, then the value up to &, #, white space or a quote.
func signatureSpans(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); i++ {
		if s[i] != '?' && s[i] != '&' {
			continue
		}
		eq := strings.IndexByte(s[i+1:], '=')
		if eq < 0 {
			break
		}
		name := s[i+1 : i+1+eq]
		if strings.ContainsAny(name, "&?# \t\n\"'`") || !signatureParams[strings.ToLower(name)] {
			continue
		}
		start := i + 1 + eq + 1
		end := start
		for end < len(s) && !strings.ContainsRune("&# \t\r\n\"'`", rune(s[end])) {
			end++
		}
		if end > start {
			out = append(out, [2]int{start, end})
		}
		i = end - 1
	}
	return out
}

func redactSignatures(s string) string {
	spans := signatureSpans(s)
	for i := len(spans) - 1; i >= 0; i-- {
		s = s[:spans[i][0]] + "REDACTED" + s[spans[i][1]:]
	}
	return s
}

// URLSecrets are what a URL value carries that grants access: its password and the values
// of its signature parameters. A file that holds any of them is private.
func URLSecrets(rawURL string) []string {
	var out []string
	if p := Password(rawURL); p != "" {
		out = append(out, p)
	}
	for _, sp := range signatureSpans(rawURL) {
		out = append(out, rawURL[sp[0]:sp[1]])
	}
	return out
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

// Numbering gives each distinct secret of a review its own mark, REDACTED#1, REDACTED#2, in
// the order they are met: a changed password reads as a change (REDACTED#1 -> REDACTED#2)
// and an unchanged one as the same, while the marks say nothing else about the secrets.
type Numbering struct {
	marks map[string]int
}

// Mark is the mark of one secret value.
func (n *Numbering) Mark(secret string) string {
	if n.marks == nil {
		n.marks = map[string]int{}
	}
	k, ok := n.marks[secret]
	if !ok {
		k = len(n.marks) + 1
		n.marks[secret] = k
	}
	return "REDACTED#" + strconv.Itoa(k)
}

// Redact is cloud.Redact with numbered marks: passwords and signatures are found by
// position, as there.
func (n *Numbering) Redact(s string) string {
	var b strings.Builder
	for {
		start, end, ok := passwordSpan(s)
		if !ok {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:start])
		b.WriteString(n.Mark(s[start:end]))
		s = s[end:]
	}
	out := b.String()
	spans := signatureSpans(out)
	for i := len(spans) - 1; i >= 0; i-- {
		out = out[:spans[i][0]] + n.Mark(out[spans[i][0]:spans[i][1]]) + out[spans[i][1]:]
	}
	return out
}

// WithoutPassword is a URL value without its password (http://user@host/...), found by
// position as Password finds it; a URL without one is returned as it is.
func WithoutPassword(rawURL string) string {
	start, end, ok := valuePasswordSpan(rawURL)
	if !ok {
		return rawURL
	}
	return rawURL[:start-1] + rawURL[end:]
}
