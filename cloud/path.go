package cloud

import (
	"strconv"
	"strings"
)

// Path is a field path in a cloud description, as diagnostics print it: hosts[2].address,
// network.Mido.Gateways[0].Ip. It is built with Key and Index, never by formatting strings,
// and compared segment by segment, so that hosts[1] is not taken for a prefix of hosts[10].
// The empty Path is the whole file.
type Path string

// Key is the path of a mapping key under p.
func (p Path) Key(k string) Path {
	if p == "" {
		return Path(k)
	}
	return p + "." + Path(k)
}

// Index is the path of a list item under p.
func (p Path) Index(i int) Path { return p + "[" + Path(strconv.Itoa(i)) + "]" }

// HasPrefix reports whether p is q or lies inside q. Every path lies inside the whole file.
func (p Path) HasPrefix(q Path) bool {
	if q == "" || p == q {
		return true
	}
	rest, ok := strings.CutPrefix(string(p), string(q))
	return ok && (rest[0] == '.' || rest[0] == '[')
}

// Parent is the path p lies directly in ("" for a top-level key and for the whole file).
func (p Path) Parent() Path {
	i := strings.LastIndexAny(string(p), ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func (p Path) String() string { return string(p) }
