package emit

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/midobake/midobake/cloud"
)

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// TestReRenderLinksUnchanged: replacing an output links the files that did not change from
// the previous one (the same inode, nothing written) and writes the rest; a file someone
// else also links to is written anew, so that their link keeps the old file and never
// shares the new output's.
func TestReRenderLinksUnchanged(t *testing.T) {
	c, rep := cloud.Load(cloud.ExampleName, cloud.Example())
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	tree, err := Render(c, cloud.Example(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := tree.Write(out); err != nil {
		t.Fatal(err)
	}
	unchanged := filepath.Join(out, "hosts/node1/meta-data")
	shared := filepath.Join(out, "hosts/node2/meta-data")
	changed := filepath.Join(out, "eucalyptus/network.json")
	userLink := filepath.Join(t.TempDir(), "published-meta-data")
	if err := os.Link(shared, userLink); err != nil {
		t.Fatal(err)
	}
	before := map[string]uint64{unchanged: inode(t, unchanged), shared: inode(t, shared), changed: inode(t, changed)}

	// Another description: its network configuration changes, the hosts' meta-data do not.
	next := strings.Replace(string(cloud.Example()), "10.116.150.254", "10.116.150.250", 1)
	c2, rep := cloud.Load(cloud.ExampleName, []byte(next))
	if c2 == nil {
		t.Fatal(rep.Format(false))
	}
	tree2, err := Render(c2, []byte(next), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tree2.Write(out); err != nil {
		t.Fatal(err)
	}
	if inode(t, unchanged) != before[unchanged] {
		t.Error("an unchanged file was written again, not linked from the previous output")
	}
	if inode(t, shared) == before[shared] {
		t.Error("a file another name links to was linked into the new output")
	}
	if inode(t, changed) == before[changed] {
		t.Error("a changed file kept the previous output's inode")
	}
	for path, f := range tree2.files {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(path)))
		if err != nil {
			t.Fatal(err)
		}
		if f.Link == "" && string(got) != string(f.Content()) {
			t.Errorf("%s is not the new render's", path)
		}
	}
	if b, _ := os.ReadFile(userLink); len(b) == 0 {
		t.Error("the user's link lost its file")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".out.*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
