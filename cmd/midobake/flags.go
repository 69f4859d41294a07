package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/midobake/midobake/cloud"
)

// A command declares its flags once, in its handler, on a flagSet: the usage line of the
// command list, its --help and the shell completion are all read from that declaration
// (describe runs the handler up to its parse, which returns errDescribed).

// flagSet is a command's flags: Go's flag.FlagSet, with the command's help and its old
// spellings.
type flagSet struct {
	*flag.FlagSet
	e        *env
	help     string
	operands string            // what follows the flags: "OLD NEW", "FILE"
	renamed  map[string]string // an old spelling -> the flag that replaced it (hidden from help)
}

// errDescribed ends a handler that runs only to declare its flags (describe).
var errDescribed = errors.New("described")

// flags makes a command's flag set; parse errors print the command's usage.
func flags(e *env, name, help string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), e: e, help: help, renamed: map[string]string{}}
	if c, ok := commandNamed(name); ok {
		fs.operands = c.operands
	}
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: midobake %s\n\n%s\n\nFlags:\n", fs.usageLine(), help)
		fs.printFlags(out)
	}
	return fs
}

// describe is the command's flag set, as its handler declares it.
func describe(c command) *flagSet {
	var got *flagSet
	e := &env{stdout: io.Discard, stderr: io.Discard, stdin: strings.NewReader(""), getenv: func(string) string { return "" },
		described: func(fs *flagSet) { got = fs }}
	if err := c.run(e, nil); !errors.Is(err, errDescribed) || got == nil {
		panic("midobake: command " + c.name + " does not declare its flags before acting")
	}
	return got
}

// output declares -o/--output, the output format (the first of formats by default), as
// every command that has one names it; what says more of it, or is "".
func (fs *flagSet) output(what string, formats ...string) *string {
	v := &choice{value: formats[0], allowed: formats}
	usage := "output format, `" + strings.Join(formats, "|") + "`" + what
	fs.Var(v, "o", usage)
	fs.Var(v, "output", usage)
	return &v.value
}

// outputOrFile is -o for a command whose -o once named the file it writes (backup,
// support): a format word is the output format, anything else the old spelling of file,
// which still works and says so.
func (fs *flagSet) outputOrFile(file string, formats ...string) *string {
	format := fs.output("", formats...)
	target := fs.Lookup(file).Value
	old := oldOutput{fs.Lookup("o").Value.(*choice), func(s string) error {
		fmt.Fprintf(fs.e.stderr, "midobake %s: -o FILE is now %s FILE (-o is the output format, as in every command)\n", fs.Name(), flagName(file))
		return target.Set(s)
	}}
	fs.Lookup("o").Value = old
	fs.Lookup("output").Value = old
	return format
}

// oldOutput is -o that takes a format word, or a file name as its old spelling did.
type oldOutput struct {
	*choice
	file func(string) error
}

func (o oldOutput) Set(s string) error {
	if slices.Contains(o.allowed, s) {
		return o.choice.Set(s)
	}
	return o.file(s)
}

// rename keeps an old spelling working: it sets the flag that replaced it, says so on
// stderr, and is left out of the help.
func (fs *flagSet) rename(old, replacement string) {
	f := fs.Lookup(replacement)
	fs.renamed[old] = replacement
	fs.Var(noted{f.Value, func() {
		fmt.Fprintf(fs.e.stderr, "midobake %s: %s is now %s\n", fs.Name(), flagName(old), flagName(replacement))
	}}, old, "")
}

// given says whether the command line set the flag (its default aside).
func (fs *flagSet) given(name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		given = given || f.Name == name || fs.renamed[f.Name] == name
	})
	return given
}

// visible is the flags the help shows: a flag's aliases (-o and --output) once, old
// spellings not at all.
func (fs *flagSet) visible() []*flag.Flag {
	var out []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if _, old := fs.renamed[f.Name]; !old && !(f.Name == "output" && fs.Lookup("o") != nil) {
			out = append(out, f)
		}
	})
	return out
}

// usageLine is the command with its flags and operands, as the command list shows it.
func (fs *flagSet) usageLine() string {
	parts := []string{fs.Name()}
	for _, f := range fs.visible() {
		arg, _ := flag.UnquoteUsage(f)
		if arg == "" {
			parts = append(parts, "["+flagName(f.Name)+"]")
		} else {
			parts = append(parts, "["+flagName(f.Name)+" "+arg+"]")
		}
	}
	if fs.operands != "" {
		parts = append(parts, fs.operands)
	}
	return strings.Join(parts, " ")
}

// flagName is a flag as the help and the README write it: one dash for a letter (-f, -o),
// two for a word (--site), as kubectl and talosctl do; both are accepted.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// printFlags is flag.PrintDefaults with flagName's dashes, -o with its --output.
func (fs *flagSet) printFlags(w io.Writer) {
	for _, f := range fs.visible() {
		arg, usage := flag.UnquoteUsage(f)
		line := "  " + flagName(f.Name)
		if f.Name == "o" && fs.Lookup("output") != nil {
			line += ", --output"
		}
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
	}
}

// parse parses flags and rejects leftover arguments. Help asked for goes to stdout (it is
// the output), usage errors to stderr.
func parse(fs *flagSet, args []string, maxArgs int) error {
	if fs.e.described != nil {
		fs.e.described(fs)
		return errDescribed
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(fs.e.stdout)
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
		fmt.Fprintf(fs.Output(), "midobake %s: unexpected argument %q\n", fs.Name(), cloud.Printable(fs.Arg(maxArgs), 200))
		fs.Usage()
		return errUsage
	}
	return nil
}

// choice is a flag that takes one of a few words.
type choice struct {
	value   string
	allowed []string
}

func (c *choice) String() string { return c.value }
func (c *choice) Get() any       { return c.value }
func (c *choice) Set(s string) error {
	if !slices.Contains(c.allowed, s) {
		last := len(c.allowed) - 1
		return fmt.Errorf("use %s or %s", strings.Join(c.allowed[:last], ", "), c.allowed[last])
	}
	c.value = s
	return nil
}

// noted is an old spelling of a flag: it sets the new one, and says so.
type noted struct {
	flag.Value
	note func()
}

func (n noted) Set(s string) error {
	n.note()
	return n.Value.Set(s)
}

// IsBoolFlag lets an old spelling of a bool flag stand alone, as the flag does.
func (n noted) IsBoolFlag() bool {
	b, ok := n.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// duration declares a duration flag that takes only a positive value: a zero or negative
// pause or deadline would be a busy loop or a run that gives up at once.
func (fs *flagSet) duration(name string, value time.Duration, usage string) *time.Duration {
	d := &positive{value}
	fs.Var(d, name, usage)
	return &d.Duration
}

// positive is a duration flag refusing zero and negative values.
type positive struct{ time.Duration }

func (p *positive) Get() any { return p.Duration }
func (p *positive) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("give a positive duration (like 30s or 5m)")
	}
	p.Duration = d
	return nil
}
