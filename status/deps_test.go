package status

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStatusReadsOnly: status, a read-only command, depends on no template engine and no
// emitter, seed server or hook: the reports are the report package's, serve's wire for them
// and the site data's hash the site package's.
func TestStatusReadsOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, not := range []string{"github.com/flosch/pongo2", "/generator/", "/seed", "/firstboot", "/roles"} {
			if strings.Contains(pkg, not) {
				t.Errorf("status depends on %s", pkg)
			}
		}
	}
}
