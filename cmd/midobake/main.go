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
	"sync"

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
	name    string
	args    string
	summary string
	run     func(env *env, args []string) error
}

// env carries the process's streams so that tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"render", "[-f cloud.yaml] [-o out] [--templates DIR] [--strict] [--packer-source TYPE.NAME] [--site-url URL] [--max-user-data SIZE]", "render user-data, NoCloud seeds, Packer templates, network.json and a manifest", runRender},
		{"validate", "[-f cloud.yaml] [--strict] [-o text|json]", "check a cloud description and print its errors and warnings", runValidate},
		{"firstboot", "[--site FILE] [--site-ref FILE] [--host NAME] [--dry-run] [--list] [--step NAME] [--apply-network] [--timeout D] [--root DIR] [--api URL] [--zookeeper-port PORT] [--cassandra-port PORT] [--retry-max D] [--ignore ID,...]", "finish this host on its first start (run by cloud-init and midobake-firstboot.service)", runFirstboot},
		{"preflight", "[--site FILE] [--host NAME] [--ignore ID,...] [-o text|json] [--root DIR]", "check this host against what its roles need, before anything changes on it", runPreflight},
		{"enrol", "[--site FILE] [--once] [--interval D] [--remove NAME] [--api URL] [--zookeeper-port PORT]", "on the CLC: enrol every Midolman host in the tunnel zone whenever it comes (midobake-enrol.service)", runEnrol},
		{"status", "[-f cloud.yaml | --site FILE] [--zookeeper HOST:PORT,...] [--api URL] [--serve URL|none] [--site-ref FILE] [--wait] [--interval D] [--timeout D] [-o text|json]", "show the whole cloud: every host's first boot, Midolman, tunnel zone; converged or not", runStatus},
		{"backup", "[--site FILE] [--zookeeper HOST:PORT,...] -o FILE [--force] | --into DIR [--keep N] [--timeout D] [--format text|json]", "back up the cloud's ZooKeeper tree (MidoNet's topology) into one verified file", runBackup},
		{"restore", "[--site FILE] [--zookeeper HOST:PORT,...] [--replace] [--format text|json] FILE", "restore a backup into the cloud's ZooKeeper ensemble, verified first", runRestore},
		{"support", "[--site FILE] [--host NAME] [-o FILE] [--force] [--root DIR] [--api URL] [--max-size SIZE] [--format text|json]", "gather this host's state, logs and configuration into one redacted archive for support", runSupport},
		{"diff", "[--exit-code] [--stat] [-o text|json|markdown] [--color auto|always|never] [--templates DIR] [--old-templates DIR|REV:DIR] [--new-templates DIR|REV:DIR] [--packer-source TYPE.NAME] [--site-url URL] [--max-user-data SIZE] OLD NEW", "show what changes between two cloud descriptions (files or REV:PATH)", runDiff},
		{"templates", "list | dump DIR", "list or export the embedded templates, to override them with --templates", runTemplates},
		{"serve", "[-f cloud.yaml | --example] [--listen 127.0.0.1:8000] [--mode full|baked] [--templates DIR] [--site-url URL] [--max-user-data SIZE]", "serve NoCloud-net seeds to PXE-booted hosts", runServe},
		{"example", "[--hosts N [--seed S]]", "print the embedded example cloud description", runExample},
		{"completion", "bash|zsh|fish", "print a shell completion script (source <(midobake completion bash))", runCompletion},
		{"version", "[-o text|json]", "print midobake's version (json: with the commit)", runVersion},
	}
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
			for _, c := range commands() {
				if c.name == args[1] {
					return code(c.run(e, []string{"--help"}))
				}
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
	for _, c := range commands() {
		if c.name == args[0] {
			return code(c.run(e, args[1:]))
		}
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
		fmt.Fprintf(w, "%s\n      %s\n", strings.TrimRight(fmt.Sprintf("  midobake %-10s %s", c.name, c.args), " "), c.summary)
	}
	fmt.Fprint(w, "\nRun 'midobake help COMMAND' (or 'midobake COMMAND --help') for a command's flags. Exit status: 0 ok, 1 invalid input or failed run, 2 usage error.\n")
}

// argsOf is a command's arguments as its usage shows them: one string for the command list
// and the command's own help.
func argsOf(name string) string {
	for _, c := range commands() {
		if c.name == name {
			return c.args
		}
	}
	panic("no command " + name)
}

// helpOut is where a flag set's help goes when asked for (--help): the command's stdout.
var helpOut sync.Map // *flag.FlagSet -> io.Writer

// flags makes a command's flag set; parse errors print the command's usage.
func flags(e *env, name, summary string) *flag.FlagSet {
	args := argsOf(name)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	helpOut.Store(fs, e.stdout)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: midobake %s %s\n\n%s\n\nFlags:\n", name, args, summary)
		printFlags(out, fs)
	}
	return fs
}

// flagName is a flag as the help and the README write it: one dash for a letter (-f, -o),
// two for a word (--site), as kubectl and talosctl do; both are accepted.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagGiven says whether the command line set the flag (its default aside).
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// printFlags is flag.PrintDefaults with flagName's dashes.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		line := "  " + flagName(f.Name)
		if arg != "" {
			line += " " + arg
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		isString := false
		if g, ok := f.Value.(flag.Getter); ok {
			_, isString = g.Get().(string)
		}
		switch {
		case f.DefValue == "" || f.DefValue == "false" || f.DefValue == "0":
		case isString:
			line += fmt.Sprintf(" (default %q)", f.DefValue)
		default:
			line += " (default " + f.DefValue + ")"
		}
		fmt.Fprintln(w, line)
	})
}

// parse parses flags and rejects leftover arguments. Help asked for goes to stdout (it is
// the output), usage errors to stderr.
func parse(fs *flag.FlagSet, args []string, maxArgs int) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			if w, ok := helpOut.Load(fs); ok {
				fs.SetOutput(w.(io.Writer))
			}
		}
		if a == "--" {
			break
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > maxArgs {
		fmt.Fprintf(fs.Output(), "midobake %s: unexpected argument %q\n", fs.Name(), fs.Arg(maxArgs))
		fs.Usage()
		return errUsage
	}
	return nil
}

func runVersion(e *env, args []string) error {
	fs := flags(e, "version", "Print midobake's version; -o json adds the commit it was built from, for scripts.")
	format := fs.String("o", "text", "output `FORMAT`: text or json")
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
	default:
		fmt.Fprintf(e.stderr, "midobake version: -o %q: use text or json\n", *format)
		return errUsage
	}
	return nil
}
