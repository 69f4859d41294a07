package system

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadIsBounded: a file past MaxRead (a state.json grown by hand or by an attacker) is
// refused, not read into memory; a missing one is nil.
func TestReadIsBounded(t *testing.T) {
	root := Root(t.TempDir())
	big := filepath.Join(string(root), "var/lib/midobake/state.json")
	os.MkdirAll(filepath.Dir(big), 0o755)
	f, _ := os.Create(big)
	f.Truncate(MaxRead + 1)
	f.Close()
	if _, err := root.Read("/var/lib/midobake/state.json"); err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Errorf("a file over the bound: %v", err)
	}
	os.Truncate(big, MaxRead)
	if b, err := root.Read("/var/lib/midobake/state.json"); err != nil || len(b) != MaxRead {
		t.Errorf("a file at the bound: %d bytes, %v", len(b), err)
	}
	if b, err := root.Read("/nope"); b != nil || err != nil {
		t.Errorf("a missing file: %v %v", b, err)
	}
}
