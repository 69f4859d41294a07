package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheck: a new offender, one that grew and one listed that fits now are each a problem;
// one that shrank or stayed is not.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	long := "package p\n\nfunc Long() {\n" + strings.Repeat("\tprintln()\n", MaxFuncLines) + "}\n\nfunc Short() {}\n"
	file := filepath.Join(dir, "p.go")
	if err := os.WriteFile(file, []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "p_test.go"), []byte(long), 0o644)
	sizes, err := measure([]string{file, filepath.Join(dir, "p_test.go")})
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 1 || sizes[0].key != file+":Long" || sizes[0].lines != MaxFuncLines+2 {
		t.Fatalf("measured %+v", sizes)
	}
	for _, tc := range []struct {
		allowed string
		want    string // "" for no problem
	}{
		{"", "at most 60"},
		{file + ":Long 61", "may only shrink"},
		{file + ":Long 62", ""},
		{file + ":Long 70", ""},
		{file + ":Long 62\n" + file + ":Gone 80", "take it out"},
	} {
		problems := check(sizes, parseAllowed(tc.allowed))
		if got := strings.Join(problems, "\n"); tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("allowed %q: problems %q, want %q", tc.allowed, got, tc.want)
		}
	}
}
