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
