package cloud

import "testing"

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
