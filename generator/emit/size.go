package emit

import (
	"fmt"
	"strconv"
	"strings"
)

// ProviderLimit is the most user-data a provider accepts, in bytes of the document as
// rendered (before any base64 the API asks for).
type ProviderLimit struct {
	Provider string
	Bytes    int
	Why      string
}

// ProviderLimits are the documented limits, smallest first.
var ProviderLimits = []ProviderLimit{
	{"EC2", 16 << 10, "16 KB of user-data, before base64"},
	{"OpenStack Nova", 49149, "65,535 bytes once base64-encoded"},
	{"Azure", 65535, "custom data of 64 KB"},
	{"GCE", 256 << 10, "256 KB a metadata value"},
}

// WarnUserDataSize is the size above which render warns: the smallest provider's limit.
var WarnUserDataSize = ProviderLimits[0].Bytes

// DocSize is the size of one user-data document of the output.
type DocSize struct {
	Path string
	Size int
}

// UserDataSizes lists every user-data document of a render (the profiles'; hosts' seeds are
// links to them), in path order.
func UserDataSizes(t *Tree) []DocSize {
	var out []DocSize
	for _, p := range t.Paths() {
		f, _ := t.Get(p)
		if f.Link == "" && strings.HasPrefix(p, "profiles/") && strings.Contains(p, "/user-data.") {
			out = append(out, DocSize{Path: p, Size: f.Size()})
		}
	}
	return out
}

// TooLargeFor names the providers that would refuse a document of this size.
func (d DocSize) TooLargeFor() []string {
	var out []string
	for _, l := range ProviderLimits {
		if d.Size > l.Bytes {
			out = append(out, fmt.Sprintf("%s (%s)", l.Provider, l.Why))
		}
	}
	return out
}

// HumanSize writes a size in bytes as people read it: 812 B, 5.9 KiB, 1.2 MiB.
func HumanSize(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// MaxSizeLimit bounds ParseSize: far above any provider's limit, far below overflow.
const MaxSizeLimit = 1 << 30

// sizeUnits are the suffixes ParseSize takes, in any case. KB and MB are binary, as the
// providers mean them ("user-data is limited to 16 KB": 16,384 bytes).
var sizeUnits = map[string]int{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20}

// ParseSize reads a size: bytes ("16384"), or with a unit in any case ("16KiB", "16kb",
// "16k", "1 MiB"; KB and MB are binary, as providers mean them).
func ParseSize(s string) (int, error) {
	trimmed := strings.TrimSpace(s)
	i := 0
	for i < len(trimmed) && trimmed[i] >= '0' && trimmed[i] <= '9' {
		i++
	}
	mult, unit := sizeUnits[strings.ToLower(strings.TrimSpace(trimmed[i:]))]
	n, err := strconv.ParseUint(trimmed[:i], 10, 32)
	if !unit || err != nil || n == 0 || int(n)*mult > MaxSizeLimit {
		return 0, fmt.Errorf("%q: want a size from 1 byte to 1 GiB: bytes (16384) or with a unit, KiB/KB/K or MiB/MB/M in any case (16KiB, 16kb; KB is 1024 bytes, as providers mean it)", s)
	}
	return int(n) * mult, nil
}
