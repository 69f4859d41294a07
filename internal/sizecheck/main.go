// Command sizecheck holds the code to its sizes: no function over MaxFuncLines lines and no
// file over MaxFileLines (tests and generated files aside), so that each can be read whole.
// A function or file named in allowed.txt (left from before the rule) may not grow, and
// must leave the list once it fits: the list only shrinks. make lint runs it.
//
//	go run ./internal/sizecheck [-update] FILE.go...
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strconv"
	"strings"
)

const (
	MaxFuncLines = 60
	MaxFileLines = 400
)

//go:embed allowed.txt
var allowedText string

func main() {
	update := flag.Bool("update", false, "rewrite allowed.txt with today's offenders (only to shrink it: review the diff)")
	flag.Parse()
	sizes, err := measure(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "sizecheck:", err)
		os.Exit(2)
	}
	if *update {
		if err := os.WriteFile("internal/sizecheck/allowed.txt", []byte(format(sizes)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "sizecheck:", err)
			os.Exit(2)
		}
		return
	}
	problems := check(sizes, parseAllowed(allowedText))
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "sizecheck: %d problem(s): split what is too long (functions of at most %d lines, files of at most %d)\n", len(problems), MaxFuncLines, MaxFileLines)
		os.Exit(1)
	}
}

// An offender is a file or function past its limit: "path" or "path:Func" with its lines.
type offender struct {
	key   string
	lines int
	limit int
}

// measure finds the offenders among the files (tests and generated files aside).
func measure(files []string) ([]offender, error) {
	var out []offender
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if ast.IsGenerated(f) {
			continue
		}
		if n := fset.File(f.Pos()).LineCount(); n > MaxFileLines {
			out = append(out, offender{name, n, MaxFileLines})
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			if n > MaxFuncLines {
				out = append(out, offender{name + ":" + funcName(fd), n, MaxFuncLines})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// check compares today's offenders with the allowed ones.
func check(sizes []offender, allowed map[string]int) []string {
	var problems []string
	seen := map[string]bool{}
	for _, o := range sizes {
		seen[o.key] = true
		was, ok := allowed[o.key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: %d lines (at most %d)", o.key, o.lines, o.limit))
		case o.lines > was:
			problems = append(problems, fmt.Sprintf("%s: %d lines, was %d in allowed.txt (at most %d): it may only shrink", o.key, o.lines, was, o.limit))
		}
	}
	var gone []string
	for k := range allowed {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	for _, k := range gone {
		problems = append(problems, fmt.Sprintf("%s: fits now (or is gone): take it out of internal/sizecheck/allowed.txt", k))
	}
	return problems
}

func parseAllowed(text string) map[string]int {
	out := map[string]int{}
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, n, _ := strings.Cut(line, " ")
		lines, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil {
			panic("sizecheck: allowed.txt: " + line)
		}
		out[key] = lines
	}
	return out
}

func format(sizes []offender) string {
	var b strings.Builder
	b.WriteString("# Files and functions past their size from before the rule (internal/sizecheck): each may only\n# shrink, and leaves this list once it fits. PATH[:FUNC] LINES\n")
	for _, o := range sizes {
		fmt.Fprintf(&b, "%s %d\n", o.key, o.lines)
	}
	return b.String()
}
