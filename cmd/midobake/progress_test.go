package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/internal/testenv"
)

// TestProgressOnATerminal: a long render shows how far it has come on a terminal (a line
// rewritten in place, cleared at the end), and nothing of it in a pipe.
func TestProgressOnATerminal(t *testing.T) {
	script := testenv.Need(t, "script", "apt-get install bsdutils")
	dir := t.TempDir()
	r := midobake(t, dir, "example", "--hosts", "2000")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(r.stdout), 0o644)
	// script gives the command a terminal; what it printed there comes back on stdout.
	cmd := exec.Command(script, "-qec", bin+" render -f big.yaml --out-dir out", "/dev/null")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	tty := string(out)
	for _, want := range []string{"\r\x1b[Kmidobake: rendering synth-2000 (2000 hosts)", "\r\x1b[Kmidobake: writing files 4017/4017", "rendered synth-2000 (2000 hosts)"} {
		if !strings.Contains(tty, want) {
			t.Errorf("the terminal did not show %q:\n%q", want, tty)
		}
	}
	if i, j := strings.LastIndex(tty, "writing files"), strings.LastIndex(tty, "\r\x1b[K"); j < i {
		t.Errorf("the progress line is not cleared at the end:\n%q", tty)
	}
	// In a pipe: the result, no progress.
	if r := midobake(t, dir, "render", "-f", "big.yaml", "--out-dir", "out2"); r.code != 0 || strings.Contains(r.stderr+r.stdout, "writing files") || strings.Contains(r.stderr, "\r") {
		t.Errorf("progress in a pipe: exit %d\n%q", r.code, r.stderr)
	}
}
