package cloud

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvalidFixtures runs every bad cloud description under fixtures/invalid. Each starts
// with "# expect: KIND PATH LINE:COL": the load must fail with a diagnostic of that kind, at
// that field path and position, and every diagnostic must carry a position.
func TestInvalidFixtures(t *testing.T) {
	files, err := filepath.Glob("../fixtures/invalid/*.yaml")
	if err != nil || len(files) < 40 {
		t.Fatalf("want at least 40 invalid fixtures, found %d (%v)", len(files), err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			var kind, path string
			var line, col int
			if n, err := fmt.Sscanf(first, "# expect: %s %s %d:%d", &kind, &path, &line, &col); n != 4 {
				t.Fatalf("first line %q is not '# expect: KIND PATH LINE:COL' (%v)", first, err)
			}
			if path == "-" {
				path = ""
			}
			c, rep := Load(file, data)
			if c != nil || !rep.HasErrors(false) {
				t.Fatalf("loaded without errors; want %s at %s", kind, path)
			}
			for _, d := range rep.Diags {
				if d.Pos.Line == 0 || d.Pos.Col == 0 {
					t.Errorf("diagnostic without a position: %+v", d)
				}
			}
			for _, d := range rep.Diags {
				if d.Severity == Error && string(d.Kind) == kind && d.Path == Path(path) && d.Pos == (Pos{line, col}) {
					return
				}
			}
			t.Errorf("no error %s at %s %d:%d; got:\n%s", kind, path, line, col, rep.Format(false))
		})
	}
}

// TestWarningFixtures: each description under fixtures/warning starts with
// "# expect-warning: KIND PATH LINE:COL" and loads with that warning there (and no error).
func TestWarningFixtures(t *testing.T) {
	files, err := filepath.Glob("../fixtures/warning/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no warning fixtures (%v)", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			kind, path, pos, data := expectation(t, file, "# expect-warning:")
			_, rep := Load(file, data)
			if rep.HasErrors(false) {
				t.Fatalf("errors; want only warnings:\n%s", rep.Format(false))
			}
			for _, d := range rep.Diags {
				if d.Severity == Warning && string(d.Kind) == kind && d.Path == Path(path) && d.Pos == pos {
					return
				}
			}
			t.Errorf("no warning %s at %s %d:%d; got:\n%s", kind, path, pos.Line, pos.Col, rep.Format(false))
		})
	}
}

// TestEveryKindHasAFixture: every kind of diagnostic is the expectation of at least one
// fixture (an error's under fixtures/invalid, a warning's under fixtures/warning), and every
// fixture expects a kind that exists: a new rule comes with the file that shows it.
func TestEveryKindHasAFixture(t *testing.T) {
	shown := map[string]string{}
	for dir, header := range map[string]string{"invalid": "# expect:", "warning": "# expect-warning:"} {
		files, _ := filepath.Glob("../fixtures/" + dir + "/*.yaml")
		for _, file := range files {
			kind, _, _, _ := expectation(t, file, header)
			shown[kind] = file
		}
	}
	known := map[string]bool{}
	for _, k := range Kinds {
		if known[string(k.Kind)] {
			t.Errorf("kind %s is listed twice", k.Kind)
		}
		known[string(k.Kind)] = true
		if shown[string(k.Kind)] == "" {
			t.Errorf("no fixture produces kind %s (%s): add one under fixtures/invalid or fixtures/warning", k.Kind, k.About)
		}
	}
	for kind, file := range shown {
		if !known[kind] {
			t.Errorf("%s expects kind %s, which is not in cloud.Kinds", file, kind)
		}
	}
}

// expectation reads a fixture's first line: header KIND PATH LINE:COL ("-" for no path).
func expectation(t *testing.T, file, header string) (kind, path string, pos Pos, data []byte) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	rest, ok := strings.CutPrefix(first, header)
	if n, err := fmt.Sscanf(rest, " %s %s %d:%d", &kind, &path, &pos.Line, &pos.Col); !ok || n != 4 {
		t.Fatalf("%s: first line %q is not '%s KIND PATH LINE:COL' (%v)", file, first, header, err)
	}
	if path == "-" {
		path = ""
	}
	return kind, path, pos, data
}
