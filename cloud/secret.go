package cloud

import "strings"

// The description's only secrets are passwords in repository URLs
// (scheme://user:password@host/..., as MidoNet Enterprise mirrors need). This file is the one
// place that finds them; everything that hides or protects them goes through it.

// passwordSpan finds the password of the first URL in s that carries one, as byte offsets
// [start, end) into s. The authority ends at the first /, white space or quote; the password
// runs from the first : of the user information to its last @.
func passwordSpan(s string) (start, end int, ok bool) {
	for from := 0; ; {
		i := strings.Index(s[from:], "://")
		if i < 0 {
			return 0, 0, false
		}
		authStart := from + i + 3
		auth := s[authStart:]
		if n := strings.IndexAny(auth, "/ \t\r\n\"'`"); n >= 0 {
			auth = auth[:n]
		}
		if at := strings.LastIndex(auth, "@"); at >= 0 {
			if colon := strings.Index(auth[:at], ":"); colon >= 0 {
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
