// Command midobake turns one description of a Eucalyptus cloud into everything needed to
// stand up its MidoNet network layer. This package only parses flags and prints; the work is
// in generator/, roles/ and firstboot/.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/version"
)

// Exit codes, as DESIGN.md promises them to scripts.
const (
	exitOK     = 0
	exitFailed = 1 // invalid input or a failed run
	exitUsage  = 2
)

// errUsage marks a usage error; the message has been printed with the command's help.
var errUsage = errors.New("usage error")

// failed is an error whose message has already been printed in full (a diagnostics report).
type failed struct{ msg string }

func (f failed) Error() string { return f.msg }

type command struct {
	name string
	// operands are what follows the flags in its usage ("OLD NEW"); the flags are read from
	// the handler's own declaration (flags.go).
	operands string
	summary  string
	run      func(e *env, args []string) error
}

// env carries the process's streams so that tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// described, when set, receives the command's flag set at its parse, which then returns
	// errDescribed: the handler ran only to declare its flags.
	described func(*flagSet)
}

func commands() []command {
	return []command{
		{"render", "", "render user-data, NoCloud seeds, Packer templates, network.json and a manifest", runRender},
		{"validate", "", "check a cloud description and print its errors and warnings", runValidate},
		{"firstboot", "", "finish this host on its first start (run by cloud-init and midobake-firstboot.service)", runFirstboot},
		{"preflight", "", "check this host against what its roles need, before anything changes on it", runPreflight},
		{"enrol", "", "on the CLC: enrol every Midolman host in the tunnel zone whenever it comes (midobake-enrol.service)", runEnrol},
		{"status", "", "show the whole cloud: every host's first boot, Midolman, tunnel zone; converged or not", runStatus},
		{"backup", "", "back up the cloud's ZooKeeper tree (MidoNet's topology) into one verified file", runBackup},
		{"restore", "FILE", "restore a backup into the cloud's ZooKeeper ensemble, verified first", runRestore},
		{"support", "", "gather this host's state, logs and configuration into one redacted archive for support", runSupport},
		{"diff", "OLD NEW", "show what changes between two cloud descriptions (files or REV:PATH)", runDiff},
		{"templates", "list | dump DIR", "list or export the embedded templates, to override them with --templates", runTemplates},
		{"serve", "", "serve NoCloud-net seeds to PXE-booted hosts", runServe},
		{"example", "", "print the embedded example cloud description", runExample},
		{"completion", "bash|zsh|fish", "print a shell completion script (source <(midobake completion bash))", runCompletion},
		{"version", "", "print midobake's version (json: with the commit)", runVersion},
	}
}

// commandNamed is the command of that name.
func commandNamed(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func main() {
	os.Exit(run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:]))
}

func run(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "help":
		// "midobake help COMMAND" is "midobake COMMAND --help", as with kubectl and git.
		if len(args) == 2 {
			if c, ok := commandNamed(args[1]); ok {
				return code(c.run(e, []string{"--help"}))
			}
			fmt.Fprintf(e.stderr, "midobake help: unknown command %q\n\n", cloud.Printable(args[1], 80))
			usage(e.stderr)
			return exitUsage
		}
		usage(e.stdout)
		return exitOK
	case "-h", "--help":
		usage(e.stdout)
		return exitOK
	case "--version", "-version":
		return code(runVersion(e, nil))
	}
	if c, ok := commandNamed(args[0]); ok {
		return code(c.run(e, args[1:]))
	}
	fmt.Fprintf(e.stderr, "midobake: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func code(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, new(errTrouble)):
		return exitUsage // diff --exit-code: trouble, as diff(1) says it
	}
	return exitFailed
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "midobake %s: MidoNet for Eucalyptus VPCMIDO clouds, from one cloud description.\n\nUsage:\n", version.Version)
	for _, c := range commands() {
		line := describe(c).usageLine()
		name, rest, _ := strings.Cut(line, " ")
		fmt.Fprintf(w, "%s\n      %s\n", strings.TrimRight(fmt.Sprintf("  midobake %-10s %s", name, rest), " "), c.summary)
	}
	fmt.Fprint(w, "\nRun 'midobake help COMMAND' (or 'midobake COMMAND --help') for a command's flags. Exit status: 0 ok, 1 invalid input or failed run, 2 usage error.\n")
}

func runVersion(e *env, args []string) error {
	fs := flags(e, "version", "Print midobake's version; -o json adds the commit it was built from, for scripts.")
	format := fs.output(": json adds the commit it was built from", "text", "json")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	switch *format {
	case "text":
		fmt.Fprintf(e.stdout, "midobake %s\n", version.Version)
	case "json":
		v := struct {
			Version string `json:"version"`
			Commit  string `json:"commit"` // "" when built outside a git checkout
			Dirty   bool   `json:"dirty,omitempty"`
			Go      string `json:"go"`
		}{Version: version.Version, Go: runtime.Version()}
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					v.Commit = s.Value
				case "vcs.modified":
					v.Dirty = s.Value == "true"
				}
			}
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
	}
	return nil
}
