package emit

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
)

// TestDurabilityOrder: a render makes the whole new tree durable before the swap, and the
// swap durable after it (a power cut leaves the previous output or the complete new one):
// when the tree is synced every file is already written, nothing of the new tree is written
// after it, and the parent is synced after the swap.
func TestDurabilityOrder(t *testing.T) {
	c, rep := cloud.Load(cloud.ExampleName, cloud.Example())
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	tree, err := Render(c, cloud.Example(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	var events []string
	count := func(dir string) int {
		n := 0
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	saved := [3]any{syncFS, swap, syncDirs}
	defer func() {
		syncFS, swap, syncDirs = saved[0].(func(string) error), saved[1].(func(string, string) error), saved[2].(func(string) error)
	}()
	realSync, realSwap, realSyncDir := syncFS, swap, syncDirs
	syncFS = func(dir string) error {
		events = append(events, "sync tree ("+strconv.Itoa(count(dir))+" files)")
		return realSync(dir)
	}
	swap = func(a, b string) error { events = append(events, "swap"); return realSwap(a, b) }
	syncDirs = func(dir string) error {
		if dir == filepath.Dir(out) {
			events = append(events, "sync parent")
		}
		return realSyncDir(dir)
	}
	files := strconv.Itoa(tree.Len() + 1)   // and the marker
	if err := tree.Write(out); err != nil { // a new output: no swap, a rename
		t.Fatal(err)
	}
	if err := tree.Write(out); err != nil { // replacing it
		t.Fatal(err)
	}
	want := []string{"sync tree (" + files + " files)", "sync parent", "sync tree (" + files + " files)", "swap", "sync parent"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
