package firstboot

import (
	"sort"
	"strings"
)

// The hook edits configuration files key by key rather than rewriting them: the files come
// from the image or the user-data, rendered with the operator's template overrides, and the
// hook must keep whatever else an operator put there while making sure of what it owns.

// setINI sets key = value in [section] of an INI file (midolman.conf, midonet.conf), adding
// the key, or the section, when missing.
func setINI(content, section, key, value string) string {
	lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
	if content == "" {
		lines = nil
	}
	want := key + " = " + value
	in, sectionAt := false, -1
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			if in { // end of our section without the key: add it there
				return strings.Join(insert(lines, i, want), "\n") + "\n"
			}
			in = t == "["+section+"]"
			if in {
				sectionAt = i
			}
			continue
		}
		if in {
			if k, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == key {
				lines[i] = want
				return strings.Join(lines, "\n") + "\n"
			}
		}
	}
	if sectionAt >= 0 {
		lines = append(lines, want)
	} else {
		lines = append(lines, "["+section+"]", want)
	}
	return strings.Join(lines, "\n") + "\n"
}

func insert(lines []string, at int, line string) []string {
	out := append([]string{}, lines[:at]...)
	out = append(out, line)
	return append(out, lines[at:]...)
}

// setProperties sets keys in a Java properties file (zoo.cfg) and removes the other keys
// that start with one of the owned prefixes (the ensemble's server.N lines).
func setProperties(content string, set map[string]string, ownedPrefixes ...string) string {
	var lines []string
	done := map[string]bool{}
	owned := func(k string) bool {
		for _, p := range ownedPrefixes {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
		t := strings.TrimSpace(l)
		k, _, isKV := strings.Cut(t, "=")
		k = strings.TrimSpace(k)
		switch {
		case !isKV || strings.HasPrefix(t, "#"):
			if l != "" || len(lines) > 0 {
				lines = append(lines, l)
			}
		case set[k] != "":
			if !done[k] {
				lines = append(lines, k+"="+set[k])
				done[k] = true
			}
		case owned(k):
			// dropped: not ours any more
		default:
			lines = append(lines, l)
		}
	}
	var missing []string
	for k := range set {
		if !done[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		lines = append(lines, k+"="+set[k])
	}
	return strings.Join(lines, "\n") + "\n"
}

// properties reads the keys of a Java properties file (as a template renders it) that keep
// says the hook owns.
func properties(content string, keep func(key string) bool) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(content, "\n") {
		t := strings.TrimSpace(l)
		k, v, isKV := strings.Cut(t, "=")
		if !isKV || strings.HasPrefix(t, "#") {
			continue
		}
		if k = strings.TrimSpace(k); keep(k) {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}
