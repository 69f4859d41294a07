package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/internal/synth"
)

// input is a loaded cloud description and where it came from.
type input struct {
	name string
	data []byte
}

// defaultCloudFile is what a command without -f reads, as make reads ./Makefile.
const defaultCloudFile = "cloud.yaml"

// exampleFile is how serve --example names the embedded example to readInput: a name no -f
// can give (it holds a NUL).
const exampleFile = "\x00example"

// readInput reads -f: a file, "-" for standard input; without -f ./cloud.yaml when it is
// there, else the embedded example, which is said on standard error: a command must not act
// on the example while the operator thinks it acts on their cloud.
func readInput(e *env, file string) (input, error) {
	switch file {
	case exampleFile:
		return input{name: cloud.ExampleName, data: cloud.Example()}, nil
	case "":
		if _, err := os.Lstat(defaultCloudFile); err == nil {
			return readInput(e, defaultCloudFile)
		}
		fmt.Fprintf(e.stderr, "midobake: no -f and no ./%s: using the embedded example cloud (midobake example prints it)\n", defaultCloudFile)
		return input{name: cloud.ExampleName, data: cloud.Example()}, nil
	case "-":
		data, err := cloud.ReadLimited(e.stdin)
		if err != nil {
			return input{}, fmt.Errorf("cannot read the cloud description: <stdin>: %w", err)
		}
		return input{name: "<stdin>", data: data}, nil
	}
	data, err := cloud.ReadFile(file)
	if err != nil {
		return input{}, fmt.Errorf("cannot read the cloud description: %w", err)
	}
	return input{name: file, data: data}, nil
}

// load reads, decodes and validates; it prints the report and fails on errors (on warnings
// too when strict).
func load(e *env, file string, strict bool) (*cloud.Cloud, input, error) {
	in, err := readInput(e, file)
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake: %v\n", err)
		return nil, in, failed{err.Error()}
	}
	fitMemory(len(in.data))
	c, rep := cloud.Load(in.name, in.data)
	fmt.Fprint(e.stderr, rep.Format(false))
	if rep.HasErrors(strict) {
		n := rep.Count()
		fmt.Fprintf(e.stderr, "midobake: %s: %d problem(s)%s\n", in.name, n, map[bool]string{true: " (--strict: warnings count)", false: ""}[strict])
		return nil, in, failed{"invalid cloud description"}
	}
	return c, in, nil
}

func runRender(e *env, args []string) error {
	fs := flags(e, "render",
		"Render per-profile and per-host cloud-init user-data, the Eucalyptus network configuration\nand a manifest into the output directory, atomically: on any error it is left as it was.")
	file := fs.String("f", "", "cloud description (`FILE`, - for stdin); default: ./cloud.yaml, else the embedded example")
	out := fs.String("out-dir", "out", "output `DIR`")
	fs.rename("o", "out-dir")
	strict := fs.Bool("strict", false, "treat warnings as errors")
	ro := addRenderFlags(fs, "render", true)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := ro.prepare(e); err != nil {
		return err
	}
	c, in, err := load(e, *file, *strict)
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake: nothing was written; %s is unchanged\n", *out)
		return err
	}
	prog := newProgress(e)
	prog.say("midobake: rendering %s (%d hosts)", cloud.Printable(c.Name, 60), len(c.Hosts))
	tree, err := ro.render(c, in.data)
	prog.done()
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake: %v\n", err)
		return err
	}
	tree.OnWrite = func(n, total int) { prog.count("writing files", n, total) }
	sizes := emit.UserDataSizes(tree)
	if err := checkSizes(e, sizes, ro.limit, ro.byReference()); err != nil {
		fmt.Fprintf(e.stderr, "midobake: nothing was written; %s is unchanged\n", *out)
		return err
	}
	var leftover *emit.CleanupError
	kept, err := tree.WriteKeeping(*out)
	prog.done()
	if errors.As(err, &leftover) {
		fmt.Fprintf(e.stderr, "midobake: warning: %v\n", err)
	} else if err != nil {
		fmt.Fprintf(e.stderr, "midobake: %v\n", err)
		return err
	}
	fmt.Fprintf(e.stdout, "rendered %s (%d hosts) into %s: %d files\n", c.Name, len(c.Hosts), *out, tree.Len())
	if len(kept) > 0 {
		shown := kept
		if len(shown) > 10 {
			shown = shown[:10]
		}
		fmt.Fprintf(e.stdout, "kept %d files of yours in %s (not midobake's): %s%s\n", len(kept), *out,
			cloud.Printable(strings.Join(shown, ", "), 600), map[bool]string{true: ", ...", false: ""}[len(kept) > 10])
	}
	printSizes(e, sizes)
	if ro.byReference() {
		fmt.Fprintf(e.stdout, "publish %s/%s at %s before the hosts boot\n", *out, emit.SiteDataPath, cloud.Printable(cloud.RedactURL(emit.SiteDataURL(ro.siteURL)), 300))
	}
	return nil
}

// parseMaxUserData reads --max-user-data; 0 when not given.
func parseMaxUserData(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return emit.ParseSize(s)
}

// checkSizes warns about every user-data that some provider would refuse and, with a limit,
// fails on the first one above it.
func checkSizes(e *env, sizes []emit.DocSize, limit int, byReference bool) error {
	hint := "; render with --site-url to carry the site data by reference"
	if byReference {
		hint = ""
	}
	for _, d := range sizes {
		if limit > 0 && d.Size > limit {
			fmt.Fprintf(e.stderr, "midobake: %s is %d bytes (%s), over --max-user-data %d bytes (%s)%s\n",
				d.Path, d.Size, emit.HumanSize(d.Size), limit, emit.HumanSize(limit), hint)
			return failed{"user-data too large"}
		}
	}
	// One warning per set of providers the documents are too large for, not one per
	// document: eight lines saying the same thing hide the one that differs.
	type group struct {
		count   int
		largest emit.DocSize
	}
	groups := map[string]*group{}
	var order []string
	for _, d := range sizes {
		if d.Size <= emit.WarnUserDataSize {
			continue
		}
		key := strings.Join(d.TooLargeFor(), ", ")
		g := groups[key]
		if g == nil {
			g = &group{}
			groups[key] = g
			order = append(order, key)
		}
		g.count++
		if d.Size > g.largest.Size {
			g.largest = d
		}
	}
	for _, key := range order {
		g := groups[key]
		if g.count == 1 {
			fmt.Fprintf(e.stderr, "midobake: warning: %s is %d bytes (%s), too large for %s%s\n",
				g.largest.Path, g.largest.Size, emit.HumanSize(g.largest.Size), key, hint)
			continue
		}
		fmt.Fprintf(e.stderr, "midobake: warning: %d user-data documents are too large for %s, the largest %s at %d bytes (%s)%s\n",
			g.count, key, g.largest.Path, g.largest.Size, emit.HumanSize(g.largest.Size), hint)
	}
	return nil
}

// printSizes lists every user-data's size: what a provider will be asked to take.
func printSizes(e *env, sizes []emit.DocSize) {
	w := 0
	for _, d := range sizes {
		w = max(w, len(d.Path))
	}
	fmt.Fprintln(e.stdout, "user-data sizes:")
	for _, d := range sizes {
		fmt.Fprintf(e.stdout, "  %-*s %9s\n", w, d.Path, emit.HumanSize(d.Size))
	}
}

func runValidate(e *env, args []string) error {
	fs := flags(e, "validate",
		"Check a cloud description and print its errors and warnings with file:line:col and field.")
	file := fs.String("f", "", "cloud description (`FILE`, - for stdin); default: ./cloud.yaml, else the embedded example")
	strict := fs.Bool("strict", false, "treat warnings as errors")
	output := fs.output(": json has every problem with file, line, column, kind and field, for CI annotations", "text", "json")
	kinds := fs.Bool("kinds", false, "list the kinds of problem validate reports (one per rule, stable: scripts match them)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *kinds {
		return printKinds(e, *output)
	}
	switch *output {
	case "text":
	case "json":
		in, err := readInput(e, *file)
		if err != nil {
			fmt.Fprintf(e.stderr, "midobake: %v\n", err)
			return failed{err.Error()}
		}
		fitMemory(len(in.data))
		_, rep := cloud.Load(in.name, in.data)
		out := rep.JSON(*strict)
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
		if !out.Valid {
			return failed{"invalid cloud description"}
		}
		return nil
	}
	c, in, err := load(e, *file, *strict)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: cloud %s is valid (%d hosts)\n", in.name, c.Name, len(c.Hosts))
	return nil
}

func runExample(e *env, args []string) error {
	fs := flags(e, "example", "Print the embedded example cloud description (the reference install's topology),\n"+
		"or with --hosts a valid synthetic cloud of N hosts (3 NSDB, a CLC, up to 6 gateways, NCs) for trying scale.")
	hosts := fs.Int("hosts", 0, "make a synthetic cloud of `N` hosts (at least 8)")
	seed := fs.Int64("seed", 1, "`SEED` of the synthetic cloud (same N and seed, same bytes)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *hosts != 0 && (*hosts < 8 || *hosts > synth.MaxHosts) {
		fmt.Fprintf(e.stderr, "midobake example: --hosts %d: use 8 to %d hosts\n", *hosts, synth.MaxHosts)
		return errUsage
	}
	if *hosts > 0 {
		_, err := e.stdout.Write(synth.Cloud(*hosts, *seed))
		return err
	}
	_, err := e.stdout.Write(cloud.Example())
	return err
}

// printKinds lists every kind of diagnostic and what it is about.
func printKinds(e *env, output string) error {
	if output == "json" {
		type kind struct {
			Kind  cloud.Kind `json:"kind"`
			About string     `json:"about"`
		}
		list := make([]kind, 0, len(cloud.Kinds))
		for _, k := range cloud.Kinds {
			list = append(list, kind{k.Kind, k.About})
		}
		b, _ := json.MarshalIndent(list, "", "  ")
		_, err := fmt.Fprintf(e.stdout, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	for _, k := range cloud.Kinds {
		fmt.Fprintf(tw, "%s\t%s\n", k.Kind, k.About)
	}
	return tw.Flush()
}
