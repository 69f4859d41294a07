package cloud

import (
	"strings"
	"testing"
)

// TestPrintable: what an input can hold that would change what a reader of a log or a
// terminal sees is escaped; ordinary text, tabs and non-Latin letters are left as they are.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"node1":                       "node1",
		"euca\x1b[2J-lab":             `euca\x1b[2J-lab`,
		"a\nforged: line":             `a\x0aforged: line`,
		"user\u202egnp.exe":           `user\u202egnp.exe`, // right-to-left override
		"x\u2066y\u2069z\u200e\u061c": `x\u2066y\u2069z\u200e\u061c`,
		"tab\there, ünïcode, 東京":      "tab\there, ünïcode, 東京",
		"bad \xff byte":               `bad \xff byte`,
		"line\u2028sep":               `line\u2028sep`,
	} {
		if got := Printable(in, 100); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Printable("abcdef", 3); got != "abc..." {
		t.Errorf("cut: %q", got)
	}
}

// TestRedactByPosition: a password is found by where it stands in a URL, whatever it holds;
// a presigned URL's signature parameters too; nothing else is touched.
func TestRedactByPosition(t *testing.T) {
	for in, want := range map[string]string{
		"http://ops:pa ss@mirror/el7/":      "http://ops:REDACTED@mirror/el7/",
		"http://ops:a b\"c'd`e@mirror/el7/": "http://ops:REDACTED@mirror/el7/",
		"http://ops:p@ss:w/rd@mirror/el7/":  "http://ops:REDACTED@mirror/el7/",
		"http://mirror:8080/el7/":           "http://mirror:8080/el7/",
		"https://b.s3.example/c.yaml?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKID%2F1&X-Amz-Signature=abc123": "https://b.s3.example/c.yaml?X-Amz-Algorithm=AWS4&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED",
		"https://a.blob.example/c?sv=2020&sig=Zm9v%3D&se=2026":                                              "https://a.blob.example/c?sv=2020&sig=REDACTED&se=2026",
		"https://u:pw@h/c?token=t0k#frag":                                                                   "https://u:REDACTED@h/c?token=REDACTED#frag",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Redact("see http://h:8080/a@b and http://u:p@ss@h/"); got != "see http://h:8080/a@b and http://u:REDACTED@h/" {
		t.Errorf("Redact: %q", got)
	}
	text := `fetching https://b.s3.example/c.yaml?X-Amz-Signature=abc123 failed; also http://ops:pw@m/`
	if got := Redact(text); got != `fetching https://b.s3.example/c.yaml?X-Amz-Signature=REDACTED failed; also http://ops:REDACTED@m/` {
		t.Errorf("Redact: %q", got)
	}
	if got := URLSecrets("https://u:pw@h/c?X-Amz-Signature=s1&sig=s2"); len(got) != 3 || got[0] != "pw" || got[1] != "s1" || got[2] != "s2" {
		t.Errorf("URLSecrets: %q", got)
	}
}

// TestMACInAnyCase: a MAC as firmware or a switch writes it (upper case, dashes) is accepted
// and normalized; the same MAC written two ways is one MAC, used twice.
func TestMACInAnyCase(t *testing.T) {
	src := strings.Replace(string(Example()), `mac: "52:54:00:00:05:21"`, `mac: "52-54-00-00-05-2A"`, 1)
	c, rep := Load("mac.yaml", []byte(src))
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	h, _ := c.Host("node1")
	if h.MAC != "52:54:00:00:05:2a" {
		t.Errorf("mac %q", h.MAC)
	}
	dup := strings.Replace(src, `mac: "52:54:00:00:05:22"`, `mac: "52:54:00:00:05:2a"`, 1)
	if c, rep := Load("dup.yaml", []byte(dup)); c != nil || !strings.Contains(rep.Format(false), `MAC "52:54:00:00:05:2a" is already used`) {
		t.Errorf("the same MAC written two ways:\n%s", rep.Format(false))
	}
}
