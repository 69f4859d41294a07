package testenv

import (
	"debug/elf"
	"fmt"
	"strconv"
	"strings"
)

// EL7Glibc is the newest glibc symbol version a binary that runs on EL7 may need.
const EL7Glibc = "2.17"

// RunsOnEL7 says why the ELF binary at path would not start on EL7 (CentOS/RHEL 7, glibc
// 2.17), or "" when it would: an x86-64 executable, statically linked or needing no glibc
// symbol version newer than 2.17.
func RunsOnEL7(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		return fmt.Sprintf("%s is for %s, not x86-64", path, f.Machine), nil
	}
	dynamic := false
	for _, p := range f.Progs {
		dynamic = dynamic || p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC
	}
	if !dynamic {
		return "", nil
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	var newer []string
	seen := map[string]bool{}
	for _, s := range syms {
		v, ok := strings.CutPrefix(s.Version, "GLIBC_")
		if ok && versionAfter(v, EL7Glibc) && !seen[s.Version] {
			seen[s.Version] = true
			newer = append(newer, s.Version+" ("+s.Name+")")
		}
	}
	if len(newer) > 0 {
		return fmt.Sprintf("%s is dynamically linked and needs %s, newer than EL7's glibc %s", path, strings.Join(newer, ", "), EL7Glibc), nil
	}
	return "", nil
}

// versionAfter compares dotted numeric versions.
func versionAfter(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x > y
		}
	}
	return false
}
