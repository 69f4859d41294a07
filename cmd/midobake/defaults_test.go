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
	if r := midobake(t, dir, "render", "-o", "out"); r.code != 0 || !strings.Contains(r.stdout, "rendered my-cloud") {
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
