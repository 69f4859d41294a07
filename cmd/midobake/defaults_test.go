package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/testenv"
)

// TestWithoutFReadsTheCloudHere: validate and render without -f read ./cloud.yaml when it is
// there (as make reads ./Makefile), not the embedded example; with none they use the example
// and say so on stderr.
func TestWithoutFReadsTheCloudHere(t *testing.T) {
	dir := t.TempDir()
	mine := strings.Replace(string(cloud.Example()), "name: euca-lab", "name: my-cloud", 1)
	os.WriteFile(filepath.Join(dir, "cloud.yaml"), []byte(mine), 0o644)
	r := midobake(t, dir, "validate")
	if r.code != 0 || !strings.Contains(r.stdout, "cloud.yaml: cloud my-cloud is valid") || strings.Contains(r.stderr, "embedded example") {
		t.Errorf("validate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := midobake(t, dir, "render", "--out-dir", "out"); r.code != 0 || !strings.Contains(r.stdout, "rendered my-cloud") {
		t.Errorf("render: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	empty := t.TempDir()
	r = midobake(t, empty, "validate")
	if r.code != 0 || !strings.Contains(r.stderr, "no -f and no ./cloud.yaml: using the embedded example cloud") {
		t.Errorf("no cloud.yaml: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestServeNeverServesTheExampleUnasked: serve without -f and without ./cloud.yaml refuses
// (it would hand the example's seeds to whatever PXE-boots); --example asks for it; with a
// cloud.yaml here it serves that.
func TestServeNeverServesTheExampleUnasked(t *testing.T) {
	empty := t.TempDir()
	r := midobake(t, empty, "serve", "--listen", "127.0.0.1:0")
	if r.code != 2 || !strings.Contains(r.stderr, "serve never serves the embedded example unless --example says so") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if r := midobake(t, empty, "serve", "--example", "-f", "x.yaml"); r.code != 2 {
		t.Errorf("--example with -f: exit %d: %s", r.code, r.stderr)
	}
	dir := t.TempDir()
	mine := strings.Replace(string(cloud.Example()), "name: euca-lab", "name: my-cloud", 1)
	os.WriteFile(filepath.Join(dir, "cloud.yaml"), []byte(mine), 0o644)
	port := testenv.FreePort(t)
	cmd, stderr := startServeIn(t, dir, "--listen", fmt.Sprintf("127.0.0.1:%d", port))
	_ = cmd
	if !strings.Contains(stderr.String(), "cloud my-cloud") {
		t.Errorf("serve did not serve ./cloud.yaml: %s", stderr.String())
	}
}

// TestDiffRendersAsRenderDoes: diff takes render's output options and means the same by them.
// With --site-url the user-data it renders carry a reference (the CLC's 7.2 KiB, not 8.4
// KiB with the site data inline), so a limit of 8 KiB that render --site-url meets, diff
// --site-url meets too, and both fail without --site-url.
func TestDiffRendersAsRenderDoes(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.yaml")
	os.WriteFile(old, cloud.Example(), 0o644)
	changed := filepath.Join(dir, "new.yaml")
	os.WriteFile(changed, []byte(strings.Replace(string(cloud.Example()), "size: standard", "size: large", 1)), 0o644)
	url := "https://deploy.example.com/clouds/prod/"
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--max-user-data", "8KiB", "--site-url", url}, 0},
		{[]string{"--max-user-data", "8KiB"}, 1},
	} {
		r := midobake(t, dir, append([]string{"render", "-f", changed, "--out-dir", "out"}, tc.args...)...)
		d := midobake(t, dir, append(append([]string{"diff"}, tc.args...), old, changed)...)
		if r.code != tc.code || d.code != tc.code {
			t.Errorf("%v: render exit %d, diff exit %d, want %d\n%s%s", tc.args, r.code, d.code, tc.code, r.stderr, d.stderr)
		}
	}
}
