package cloud

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxInputSize is the most midobake reads of any one input (a cloud description, site data,
// a side of a diff): a 10,000-host cloud is about 1.1 MiB. Past it an input is refused
// before it is parsed, so /dev/zero or a runaway file ends in a clear error, not in memory
// exhaustion.
const MaxInputSize = 16 << 20

// ErrTooLarge is the error of an input over MaxInputSize.
var ErrTooLarge = fmt.Errorf("larger than %d MiB, the most midobake reads (a 10,000-host cloud is about 1.1 MiB)", MaxInputSize>>20)

// ReadLimited reads r to its end, refusing more than MaxInputSize bytes.
func ReadLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxInputSize {
		return nil, ErrTooLarge
	}
	return data, nil
}

// ReadFile reads a named file with ReadLimited.
func ReadFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := ReadLimited(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return data, nil
}

// Printable makes text from an input safe to echo on a terminal or into a log: control
// characters (escape sequences, newlines that would forge a line) and bidirectional controls
// (which reorder what a reader sees, "Trojan Source") become visible \x and \u escapes,
// invalid UTF-8 too, and past max runes the text is cut with an ellipsis.
func Printable(s string, max int) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n == max {
			b.WriteString("...")
			break
		}
		n++
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteRune(r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
