package support

import (
	"io"
	"strings"
	"testing"
)

func TestRedactText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"password = s3cret\n", "password = REDACTED\n"},
		{"zookeeper_hosts = 10.0.0.1:2181\n", "zookeeper_hosts = 10.0.0.1:2181\n"},
		{`{"hostId": "x", "token": "abc\"def", "name": "n"}`, `{"hostId": "x", "token": "REDACTED", "name": "n"}`},
		{"baseurl=http://u:p%40ss@repo/el7/\n", "baseurl=http://u:REDACTED@repo/el7/\n"},
		{"keystone.admin_token : 'x y'\n", "keystone.admin_token : 'REDACTED'\n"},
		{"secret:\n  line one\n  line two\nnext: 1\n", "secret:\n  REDACTED\n  REDACTED\nnext: 1\n"},
		{"key: |\n  not secret\n", "key: |\n  not secret\n"},
		{"Authorization: Bearer abc\r\n", "Authorization: REDACTED\r\n"},
		{"proxy_password=\"unterminated\n", "proxy_password=\"REDACTED\n"},
		{"gpgkey=http://repo/key\n", "gpgkey=http://repo/key\n"},
		{"x?X-Amz-Signature=abcdef&a=1\n", "x?X-Amz-Signature=REDACTED&a=1\n"},
	} {
		got, _ := RedactText(c.in)
		if got != c.want {
			t.Errorf("RedactText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzRedactText: whatever surrounds it, the value of a secret key never survives.
func FuzzRedactText(f *testing.F) {
	f.Add("prefix ", "password", " = ", "hunter2-xyz", "\nsuffix")
	f.Add("{", `"token"`, ": ", `"abc-xyz"`, "}")
	f.Fuzz(func(t *testing.T, before, key, sep, value, after string) {
		if !secretKeyRE.MatchString(key) || !assignmentRE.MatchString(key+sep) || strings.ContainsAny(value, "\r\n\"'\\") ||
			len(value) < 6 || strings.TrimSpace(value) != value || strings.ContainsAny(before+after, "\r\n") {
			return
		}
		if m := assignmentRE.FindStringSubmatchIndex(key + sep); m == nil || m[0] != 0 || m[1] != len(key+sep) {
			return
		}
		if strings.Contains(before+after, value) || strings.Contains("REDACTED", value) {
			return
		}
		in := before + key + sep + value + after
		// Only when the key stands on its own: the one before it is not a key character.
		if before != "" && assignmentRE.MatchString(before[len(before)-1:]+"x=") && strings.Trim(before[len(before)-1:], "\"'") != "" {
			return
		}
		if got, _ := RedactText(in); strings.Contains(got, value) {
			t.Errorf("RedactText(%q) = %q keeps %q", in, got, value)
		}
	})
}

// BenchmarkRedactHostile: a line any local user can put in a journal (logger) is redacted in
// time linear in its length, however it repeats the shapes the redaction looks for.
func BenchmarkRedactHostile(b *testing.B) {
	for _, unit := range []string{"://", "a://b:c@", "password=\"", "token:", "a:b=", "password: |\n"} {
		in := strings.Repeat(unit, (1<<20)/len(unit))
		b.Run(strings.NewReplacer("/", "_", "\n", "", " ", "").Replace(unit), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				RedactText(in)
			}
		})
	}
}

// TestBoundedBuffer: a command's output is held to its bound as exec copies it (io.Copy, which
// prefers a ReaderFrom), its start or its end.
func TestBoundedBuffer(t *testing.T) {
	big := strings.Repeat("0123456789", 100_000) // 1 MB
	for _, tail := range []bool{false, true} {
		b := &boundedBuffer{max: 1000, tail: tail}
		if _, err := io.Copy(b, strings.NewReader(big)); err != nil {
			t.Fatal(err)
		}
		got := string(b.Bytes())
		want := big[:1000]
		if tail {
			want = big[len(big)-1000:]
		}
		if got != want || !b.cut || b.buf.Cap() > 64<<10 {
			t.Errorf("tail %v: kept %d bytes (capacity %d), cut %v", tail, len(got), b.buf.Cap(), b.cut)
		}
	}
	if b := (&boundedBuffer{max: 10}); b.Bytes() == nil {
		t.Error("an empty output is nil: the bundle would leave the item out")
	}
}
