package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/diff"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/roles"
)

// errTrouble is a diff with --exit-code that could not be made: exit 2, as diff(1) says
// trouble, so that 1 keeps meaning "changed".
type errTrouble struct{ error }

// errChanged is diff --exit-code's "the sides differ": not a failure of the diff.
var errChanged = failed{"differences found"}

func runDiff(e *env, args []string) (err error) {
	fs := flags(e, "diff",
		"Render two versions of a cloud description in memory and show what changes: a summary of\n"+
			"what changes in meaning, then a unified diff of every rendered file. OLD and NEW are files\n"+
			"or REV:PATH read from git (midobake diff origin/main:cloud.yaml cloud.yaml); each side may\n"+
			"bring its own template overrides (--old-templates origin/main:tpl --new-templates tpl).\n"+
			"Credentials in repository URLs are redacted.")
	exitCode := fs.Bool("exit-code", false, "exit 1 when anything differs, 0 when nothing does, 2 when the diff could\nnot be made (as diff(1) does; without it a failed diff exits 1)")
	stat := fs.Bool("stat", false, "print only the summary and a line per changed file")
	format := fs.output(": json is the summary by kind, for scripts; markdown a table and\ncollapsed diffs, for a pull-request comment", "text", "json", "markdown")
	color := fs.String("color", "auto", "colour the diff: `auto|always|never` (auto: on a terminal)")
	ro := addRenderFlags(fs, "diff", true)
	var sideTemplates [2]string
	fs.StringVar(&sideTemplates[0], "old-templates", "", "template overrides OLD is rendered with, `DIR|REV:DIR`: a directory, or one read from git\n(default: --templates)")
	fs.StringVar(&sideTemplates[1], "new-templates", "", "template overrides NEW is rendered with, `DIR|REV:DIR`: a directory, or one read from git\n(default: --templates)")
	if err := parse(fs, args, 2); err != nil {
		return err
	}
	defer func() {
		if *exitCode && err != nil && !errors.Is(err, errUsage) && !errors.Is(err, errChanged) {
			err = errTrouble{err}
		}
	}()
	if fs.NArg() != 2 {
		fmt.Fprintf(e.stderr, "midobake diff: want OLD and NEW, got %d arguments\n", fs.NArg())
		fs.Usage()
		return errUsage
	}
	if err := ro.prepare(e); err != nil {
		return err
	}
	var ins [2]input
	for i, arg := range fs.Args() {
		if ins[i], err = readSide(arg); err != nil {
			fmt.Fprintf(e.stderr, "midobake diff: %v\n", err)
			return err
		}
	}
	// The sides are decoded one after the other: the limit is fitted to the larger burst.
	fitMemory(max(len(ins[0].data), len(ins[1].data)))
	var sides [2]diff.Side
	for i, in := range ins {
		side, cleanup, err := renderSide(e, *ro, in, sideTemplates[i])
		if err != nil {
			return err
		}
		defer cleanup()
		sides[i] = side
	}
	r := diff.Compare(sides[0], sides[1])
	printDiff(e, r, *format, *stat, *color)
	if *exitCode && r.Changed() {
		return errChanged
	}
	return nil
}

// renderSide loads and renders one side, with its own template overrides when it names
// them; cleanup removes what reading them from git left.
func renderSide(e *env, side renderOptions, in input, templates string) (diff.Side, func(), error) {
	cleanup := func() {}
	c, rep := cloud.Load(in.name, in.data)
	if c == nil {
		fmt.Fprint(e.stderr, rep.Format(false))
		return diff.Side{}, cleanup, failed{"invalid cloud description"}
	}
	if templates != "" {
		t, clean, err := sideTemplatesFrom(templates)
		if err != nil {
			fmt.Fprintf(e.stderr, "midobake diff: %v\n", err)
			return diff.Side{}, cleanup, err
		}
		cleanup, side.templates = clean, t
	}
	tree, err := side.render(c, in.data)
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake diff: %v\n", err)
		return diff.Side{}, cleanup, err
	}
	sources, err := side.templates.Sources()
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake diff: %v\n", err)
		return diff.Side{}, cleanup, err
	}
	if err := checkSizes(e, emit.UserDataSizes(tree), side.limit, side.byReference()); err != nil {
		return diff.Side{}, cleanup, err
	}
	return diff.Side{Name: in.name, Cloud: c, Tree: tree, Templates: sources}, cleanup, nil
}

// printDiff prints the result in the format asked for.
func printDiff(e *env, r diff.Result, format string, stat bool, color string) {
	switch {
	case format == "json":
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
	case format == "markdown":
		fmt.Fprint(e.stdout, r.Markdown(!stat))
	case stat:
		fmt.Fprint(e.stdout, r.Stat())
	default:
		fmt.Fprint(e.stdout, r.Text(useColor(color, e)))
	}
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
	data, err = gitOutput(cloud.MaxInputSize, cloud.ErrTooLarge, "show", "--end-of-options", rev+":"+path)
	if err != nil {
		return input{}, fmt.Errorf("%s: %w", cloud.Printable(arg, 300), err)
	}
	return input{name: arg, data: data}, nil
}

// sideTemplatesFrom loads one side's template overrides: a directory, or REV:DIR, whose
// files are read from git (each bounded, only the names of templates) into a temporary
// directory that cleanup removes.
func sideTemplatesFrom(arg string) (*roles.Templates, func(), error) {
	nothing := func() {}
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		t, err := roles.NewTemplates(arg)
		return t, nothing, err
	}
	rev, dir, ok := strings.Cut(arg, ":")
	if !ok || rev == "" {
		return nil, nothing, fmt.Errorf("templates %s: not a directory, nor REV:DIR", cloud.Printable(arg, 300))
	}
	dir = strings.TrimSuffix(dir, "/")
	treeish := rev + ":" + dir
	names, err := gitOutput(roles.MaxTemplate, errTemplateTooLarge, "ls-tree", "--name-only", "-z", "--end-of-options", treeish)
	if err != nil {
		return nil, nothing, fmt.Errorf("templates %s: %w", cloud.Printable(arg, 300), err)
	}
	known := map[string]bool{}
	for _, n := range roles.TemplateNames() {
		known[n] = true
	}
	var files []string
	for _, name := range strings.Split(strings.TrimSuffix(string(names), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		if !known[name] {
			return nil, nothing, fmt.Errorf("%s/%s: not the name of an embedded template (see 'midobake templates list')", cloud.Printable(arg, 300), cloud.Printable(name, 100))
		}
		files = append(files, name)
	}
	tmp, err := os.MkdirTemp("", "midobake-templates-")
	if err != nil {
		return nil, nothing, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	for _, name := range files {
		data, err := gitOutput(roles.MaxTemplate, errTemplateTooLarge, "cat-file", "blob", "--end-of-options", treeish+"/"+name)
		if err == nil {
			err = os.WriteFile(filepath.Join(tmp, name), data, 0o600)
		}
		if err != nil {
			cleanup()
			return nil, nothing, fmt.Errorf("%s/%s: %w", cloud.Printable(arg, 300), name, err)
		}
	}
	t, err := roles.NewTemplates(tmp)
	if err != nil {
		cleanup()
		return nil, nothing, err
	}
	t.ShowAs(strings.TrimSuffix(arg, "/"))
	return t, cleanup, nil
}

// errTemplateTooLarge is a template in git past what an override may be.
var errTemplateTooLarge = fmt.Errorf("larger than %d KiB, the most a template override may be", roles.MaxTemplate>>10)

// gitOutput runs git and returns its output, at most limit bytes (more is tooLarge).
func gitOutput(limit int64, tooLarge error, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command("git", args...)
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	data, rerr := io.ReadAll(io.LimitReader(stdout, limit+1))
	if rerr == nil && int64(len(data)) > limit {
		rerr = tooLarge
	}
	if rerr != nil {
		cmd.Process.Kill()
	}
	werr := cmd.Wait()
	switch {
	case rerr != nil:
		return nil, rerr
	case werr != nil:
		return nil, fmt.Errorf("git %s: %s", args[0], cloud.Printable(strings.TrimSpace(stderr.String()), 300))
	}
	return data, nil
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
	return isTerminal(f)
}
