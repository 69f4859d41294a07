package roles

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/midobake/midobake/cloud"
)

// pongo2 renders a variable it does not know as an empty string: a misspelt one in an
// override ("dataDir={{ zookeeper_datadir }}") would give "dataDir=" and exit 0. pongo2 has
// no strict mode, so the templates are read here for the variables they use, and a render
// with a variable its layers do not define is an error naming the file, line and variable.

// reference is one use of a variable in a template: the name it starts with, where.
type reference struct {
	name      string
	line, col int
}

// usedVariables are the variables a template reads from its context, in order, and the
// names the template binds itself (for, set, with, cycle ... as), which it may use freely.
func usedVariables(src string) (refs []reference, bound map[string]bool) {
	bound = map[string]bool{"forloop": true}
	line, col := 1, 1
	advance := func(s string) {
		for _, r := range s {
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
	}
	inComment := false // inside {% comment %} ... {% endcomment %}
	for {
		i := strings.Index(src, "{")
		if i < 0 || i+1 >= len(src) {
			return refs, bound
		}
		advance(src[:i])
		src = src[i:]
		var end string
		switch src[1] {
		case '{':
			end = "}}"
		case '%':
			end = "%}"
		case '#':
			end = "#}"
		default:
			advance(src[:1])
			src = src[1:]
			continue
		}
		j := strings.Index(src[2:], end)
		if j < 0 {
			return refs, bound // pongo2 has said so already: the template did not parse
		}
		body, l, c := src[2:2+j], line, col+2
		switch {
		case src[1] == '%':
			words := strings.Fields(body)
			tag := ""
			if len(words) > 0 {
				tag = words[0]
			}
			switch {
			case inComment:
				inComment = tag != "endcomment"
			case tag == "comment":
				inComment = true
			default:
				refs = append(refs, tagReferences(tag, body, l, c, bound)...)
			}
		case src[1] == '{' && !inComment:
			refs = append(refs, expressionReferences(body, l, c, nil)...)
		}
		advance(src[:2+j+2])
		src = src[2+j+2:]
	}
}

// tagReferences are the variables a tag's arguments read; it records the names it binds.
func tagReferences(tag, body string, line, col int, bound map[string]bool) []reference {
	offset := strings.Index(body, tag) + len(tag)
	args := body[offset:]
	col += offset
	switch tag {
	case "for":
		// for x[, y] in EXPR [reversed] [sorted]
		in := indexWord(args, "in")
		if in < 0 {
			return nil
		}
		for _, name := range strings.Split(args[:in], ",") {
			bound[strings.TrimSpace(name)] = true
		}
		return expressionReferences(args[in+2:], line, col+in+2, map[string]bool{"reversed": true, "sorted": true})
	case "set":
		// set x = EXPR
		name, expr, ok := strings.Cut(args, "=")
		if !ok {
			return nil
		}
		bound[strings.TrimSpace(name)] = true
		return expressionReferences(expr, line, col+len(name)+1, nil)
	case "with":
		// with a=EXPR b=EXPR, or with EXPR as a
		if as := indexWord(args, "as"); as >= 0 {
			bound[strings.TrimSpace(args[as+2:])] = true
			return expressionReferences(args[:as], line, col, nil)
		}
		var refs []reference
		for _, pair := range strings.Fields(args) {
			if name, expr, ok := strings.Cut(pair, "="); ok {
				bound[name] = true
				refs = append(refs, expressionReferences(expr, line, col+strings.Index(args, pair)+len(name)+1, nil)...)
			}
		}
		return refs
	case "cycle":
		if as := indexWord(args, "as"); as >= 0 {
			name := strings.Fields(args[as+2:])
			if len(name) > 0 {
				bound[name[0]] = true
			}
			return expressionReferences(args[:as], line, col, nil)
		}
		return expressionReferences(args, line, col, nil)
	case "if", "elif", "ifequal", "ifnotequal", "ifchanged", "firstof", "widthratio":
		return expressionReferences(args, line, col, nil)
	}
	// Every other tag's arguments are names, not variables (filter, autoescape, block,
	// templatetag) or it has none (else, end...).
	return nil
}

// indexWord is where word stands alone in s, or -1.
func indexWord(s, word string) int {
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i:i+len(word)] == word && (i == 0 || !isIdent(rune(s[i-1]))) && (i+len(word) == len(s) || !isIdent(rune(s[i+len(word)]))) {
			return i
		}
	}
	return -1
}

func isIdent(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// expressionKeywords are pongo2's own words in an expression.
var expressionKeywords = map[string]bool{"in": true, "and": true, "or": true, "not": true, "true": true, "false": true, "as": true, "export": true}

// expressionReferences are the variables an expression reads: the names that start a
// variable path (not an attribute after ".", a filter after "|", a string or a number).
func expressionReferences(expr string, line, col int, extra map[string]bool) []reference {
	var refs []reference
	prev := rune(0) // the last character that was not a space
	for i := 0; i < len(expr); {
		r := rune(expr[i])
		switch {
		case r == '"' || r == '\'':
			j := i + 1
			for j < len(expr) && rune(expr[j]) != r {
				if expr[j] == '\\' {
					j++
				}
				j++
			}
			i, prev = j+1, r
			continue
		case r == '_' || unicode.IsLetter(r):
			j := i
			for j < len(expr) && isIdent(rune(expr[j])) {
				j++
			}
			name := expr[i:j]
			if prev != '.' && prev != '|' && !expressionKeywords[name] && !extra[name] {
				refs = append(refs, reference{name, line, col + i})
			}
			i, prev = j, 'a'
			continue
		case unicode.IsDigit(r):
			j := i
			for j < len(expr) && (isIdent(rune(expr[j])) || expr[j] == '.') {
				j++
			}
			i, prev = j, '0'
			continue
		case !unicode.IsSpace(r):
			prev = r
		}
		if r == '\n' {
			line, col = line+1, 1-(i+1)
		}
		i++
	}
	return refs
}

// undefined is the first variable a template reads that neither its context nor the
// template itself defines, as an error message, or "".
func undefined(refs []reference, bound map[string]bool, vars map[string]any) (reference, string) {
	for _, ref := range refs {
		if bound[ref.name] {
			continue
		}
		if _, ok := vars[ref.name]; ok {
			continue
		}
		known := make([]string, 0, len(vars))
		for k := range vars {
			known = append(known, k)
		}
		sort.Strings(known)
		msg := fmt.Sprintf("undefined variable %q", ref.name)
		if best := cloud.Closest(ref.name, known); best != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", best)
		}
		return ref, msg + "; the variables it may use: " + strings.Join(known, ", ")
	}
	return reference{}, ""
}
