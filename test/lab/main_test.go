package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	binDir   string // holds the midobake binary built for the lab
	repoRoot string // the module's root directory
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "midobake-lab-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	if repoRoot, err = filepath.Abs("../.."); err != nil {
		panic(err)
	}
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "midobake"), "../../cmd/midobake").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
