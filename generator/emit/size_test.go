package emit

import (
	"strings"
	"testing"
)

// TestParseSizeUnits: sizes as operators write them (providers' "16 KB" is 16,384 bytes);
// anything else is refused with what is allowed.
func TestParseSizeUnits(t *testing.T) {
	for in, want := range map[string]int{"16384": 16384, "16KiB": 16384, "16kb": 16384, "16 KB": 16384, "16k": 16384, "1MiB": 1 << 20, "1mb": 1 << 20, "2 M": 2 << 20, "512b": 512} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "kb", "16 GB", "16kbit", "-1k", "0", "2048MiB", "1.5k", "16 k b"} {
		if _, err := ParseSize(in); err == nil || !strings.Contains(err.Error(), "KiB/KB/K or MiB/MB/M in any case") {
			t.Errorf("ParseSize(%q): %v", in, err)
		}
	}
}
