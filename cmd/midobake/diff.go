package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/diff"
	"github.com/midobake/midobake/generator/emit"
)

func runDiff(e *env, args []string) error {
	fs := flags(e, "diff",
		"Render two versions of a cloud description in memory and show what changes: a summary of\n"+
			"what changes in meaning, then a unified diff of every rendered file. OLD and NEW are files\n"+
			"or REV:PATH read from git (midobake diff origin/main:cloud.yaml cloud.yaml).\n"+
			"Credentials in repository URLs are redacted.")
	exitCode := fs.Bool("exit-code", false, "exit 1 when anything differs, like git diff")
	stat := fs.Bool("stat", false, "print only the summary and a line per changed file")
	format := fs.String("o", "text", "output `FORMAT`: text or json")
	color := fs.String("color", "auto", "colour the diff: auto (on a terminal), always or never")
	ro := addRenderFlags(fs, "diff", true)
	if err := parse(fs, args, 2); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(e.stderr, "midobake diff: want OLD and NEW, got %d arguments\n", fs.NArg())
		fs.Usage()
		return errUsage
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(e.stderr, "midobake diff: -o %q: use text or json\n", *format)
		return errUsage
	}
	if err := ro.prepare(e); err != nil {
		return err
	}
	var sides [2]diff.Side
	for i, arg := range fs.Args() {
		in, err := readSide(arg)
		if err != nil {
			fmt.Fprintf(e.stderr, "midobake diff: %v\n", err)
			return err
		}
		c, rep := cloud.Load(in.name, in.data)
		if c == nil {
			fmt.Fprint(e.stderr, rep.Format(false))
			return failed{"invalid cloud description"}
		}
		tree, err := ro.render(c, in.data)
		if err != nil {
			fmt.Fprintf(e.stderr, "midobake diff: %v\n", err)
			return err
		}
		if err := checkSizes(e, emit.UserDataSizes(tree), ro.limit, ro.byReference()); err != nil {
			return err
		}
		sides[i] = diff.Side{Name: in.name, Cloud: c, Tree: tree}
	}
	r := diff.Compare(sides[0], sides[1])
	switch {
	case *format == "json":
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
	case *stat:
		fmt.Fprint(e.stdout, r.Stat())
	default:
		fmt.Fprint(e.stdout, r.Text(useColor(*color, e)))
	}
	if *exitCode && r.Changed() {
		return failed{"differences found"}
	}
	return nil
}

// readSide reads a file, or REV:PATH through git show; either is bounded by
// cloud.MaxInputSize.
func readSide(arg string) (input, error) {
	data, err := cloud.ReadFile(arg)
	if err == nil {
		return input{name: arg, data: data}, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return input{}, fmt.Errorf("cannot read %s", cloud.Printable(err.Error(), 300))
	}
	rev, path, ok := strings.Cut(arg, ":")
	if !ok || rev == "" || path == "" {
		return input{}, fmt.Errorf("cannot read %s", cloud.Printable(err.Error(), 300))
	}
	// --end-of-options: a REV that starts with "-" is a revision, never an option of git's.
	var stderr bytes.Buffer
	cmd := exec.Command("git", "show", "--end-of-options", rev+":"+path)
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return input{}, err
	}
	if err := cmd.Start(); err != nil {
		return input{}, fmt.Errorf("%s: git: %w", cloud.Printable(arg, 300), err)
	}
	data, rerr := cloud.ReadLimited(stdout)
	if rerr != nil {
		cmd.Process.Kill()
	}
	werr := cmd.Wait()
	switch {
	case rerr != nil:
		return input{}, fmt.Errorf("%s: %w", cloud.Printable(arg, 300), rerr)
	case werr != nil:
		return input{}, fmt.Errorf("%s: git show: %s", cloud.Printable(arg, 300), cloud.Printable(strings.TrimSpace(stderr.String()), 300))
	}
	return input{name: arg, data: data}, nil
}

func useColor(mode string, e *env) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	f, ok := e.stdout.(*os.File)
	if !ok || e.getenv("NO_COLOR") != "" {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
