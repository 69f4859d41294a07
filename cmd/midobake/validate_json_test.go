package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/testenv"
)

// TestValidateJSON: validate -o json lists every problem with file, line, column, severity,
// kind and field (for CI annotations), exits 1 when invalid and 0 when valid, and shows no
// secret: a password in a repository URL next to a problem on the same line.
func TestValidateJSON(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "fixtures/valid/ha-large.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), `gpgkey: "http://mirror.prod.example/keys/midorepo.key"}`, `gpgkey: "http://mirror.prod.example/keys/midorepo.key", gpgcheck: maybe}`, 1)
	if bad == string(src) {
		t.Fatal("the fixture's midonet mirror line changed")
	}
	os.WriteFile(filepath.Join(dir, "cloud.yaml"), []byte(bad), 0o644)
	r := midobake(t, dir, "validate", "-f", "cloud.yaml", "-o", "json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "s3cr3t-token") {
		t.Fatalf("the password reached the output:\n%s", r.stdout)
	}
	testenv.Golden(t, filepath.Join(testenv.RepoRoot(t), "fixtures/golden/validate-json/invalid.json"), []byte(r.stdout))
	var rep cloud.ReportJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Valid || rep.Errors == 0 || len(rep.Problems) == 0 {
		t.Fatalf("%v %+v", err, rep)
	}
	for _, p := range rep.Problems {
		if p.File != "cloud.yaml" || p.Line == 0 || p.Column == 0 || p.Kind == "" || p.Severity == "" {
			t.Errorf("problem without its place or kind: %+v", p)
		}
	}
	r = midobake(t, dir, "validate", "-f", filepath.Join(testenv.RepoRoot(t), "fixtures/valid/example.yaml"), "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"valid": true`) {
		t.Errorf("a valid cloud: exit %d\n%s", r.code, r.stdout)
	}
	if r := midobake(t, dir, "validate", "-o", "yaml"); r.code != 2 {
		t.Errorf("-o yaml: exit %d", r.code)
	}
}
