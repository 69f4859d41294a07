package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/internal/testenv"
)

// TestCompletionBash: the real bash, with the script sourced, completes commands, a
// command's flags (as its help has them) and the shells of completion.
func TestCompletionBash(t *testing.T) {
	bash := testenv.Need(t, "bash", "apt-get install bash")
	dir := t.TempDir()
	r := midobake(t, dir, "completion", "bash")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	script := filepath.Join(dir, "midobake.bash")
	os.WriteFile(script, []byte(r.stdout), 0o644)
	for line, want := range map[string]string{
		"midobake sta":           "status",
		"midobake status --wa":   "--wait",
		"midobake status --zo":   "--zookeeper",
		"midobake validate -":    "--kinds --strict -f -o",
		"midobake completion f":  "fish",
		"midobake help ser":      "serve",
		"midobake render --site": "--site-url",
	} {
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		cmd := exec.Command(bash, "-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); _midobake; echo "${COMPREPLY[*]}"`, "bash", script)
		cmd.Args = append(cmd.Args, words...)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("%q completes to %q (%v), want %q", line, strings.TrimSpace(string(out)), err, want)
		}
	}
}

// TestCompletionZshFish: the zsh and fish scripts are valid for the real shells, and fish
// completes with it.
func TestCompletionZshFish(t *testing.T) {
	dir := t.TempDir()
	zsh := testenv.Need(t, "zsh", "apt-get install zsh")
	fish := testenv.Need(t, "fish", "apt-get install fish")
	for shell, check := range map[string][]string{"zsh": {zsh, "-n"}, "fish": {fish, "--no-execute"}} {
		r := midobake(t, dir, "completion", shell)
		if r.code != 0 {
			t.Fatal(r.stderr)
		}
		file := filepath.Join(dir, "midobake."+shell)
		os.WriteFile(file, []byte(r.stdout), 0o644)
		if out, err := exec.Command(check[0], append(check[1:], file)...).CombinedOutput(); err != nil {
			t.Errorf("%s rejects its completion script: %v\n%s", shell, err, out)
		}
	}
	out, err := exec.Command(fish, "-c", "source "+filepath.Join(dir, "midobake.fish")+"; complete -C 'midobake status --wa'; complete -C 'midobake sta'").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--wait") || !strings.Contains(string(out), "status\tshow the whole cloud") {
		t.Errorf("fish completes:\n%s (%v)", out, err)
	}
	// zsh: the function loads, with compinit, and registers itself.
	out, err = exec.Command(zsh, "-f", "-c", "autoload -U compinit && compinit -u -D && source "+filepath.Join(dir, "midobake.zsh")+" && print -r -- ${_comps[midobake]}").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "_midobake" {
		t.Errorf("zsh: %s (%v)", out, err)
	}
	if r := midobake(t, dir, "completion", "tcsh"); r.code != 2 {
		t.Errorf("completion tcsh: exit %d", r.code)
	}
}
