package cloud

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// positions maps a field path ("hosts[2].address") to where its value was written, so that a
// rule checked on the decoded model can still point at the line and column.
type positions map[Path]Pos

// lookup returns the position of the path or of its nearest written ancestor (a missing
// field is reported where its parent is).
func (p positions) lookup(path Path) Pos {
	for {
		if pos, ok := p[path]; ok {
			return pos
		}
		if path == "" {
			return Pos{}
		}
		path = path.Parent()
	}
}

// decoder walks a yaml.v3 node tree into Go values strictly: unknown keys, duplicate keys and
// wrong types are errors with positions, and every field's position is recorded. yaml.v3's own
// Decode gives neither columns nor field paths, and KnownFields does not apply to nodes.
type decoder struct {
	report *Report
	pos    positions
	// misspelled are the paths an unknown key was taken for a typo of ("did you mean"):
	// rules about them would only repeat the typo.
	misspelled map[Path]bool
	// sections are the paths of the model's sections (fields tagged decode:"section", and
	// the items of such lists): when one cannot be decoded, its rules wait for the next run.
	sections map[Path]bool
	// via is the alias the node being decoded was reached through, if any.
	via *yaml.Node
	// aliases counts the aliases followed, and expanded the nodes decoded through them:
	// both are bounded, so that a few kilobytes of anchors cannot expand into millions of
	// values ("billion laughs").
	aliases, expanded int
	aliasBound        bool // the bound was passed: no alias is followed any more
	srcLines          []string
}

// Bounds of alias expansion: a description uses a few anchors (a mirror's key, a role
// list); anything past these is refused where the alias stands.
const (
	MaxAliases       = 1000
	MaxAliasExpanded = 100000
)

func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// secret records where a URL scalar's password stands in the source (its own line, not an
// alias's), so that reports never quote it.
func (d *decoder) secret(n *yaml.Node) {
	lines := d.lines()
	if n.Line < 1 || n.Line > len(lines) {
		return
	}
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	if sp, ok := secretSpan(n.Value, strings.TrimRight(lines[n.Line-1], "\r"), n.Line, n.Column, quoted); ok {
		d.report.Secrets = append(d.report.Secrets, sp)
	}
}

// lines are the source's lines, split once.
func (d *decoder) lines() []string {
	if d.srcLines == nil {
		d.srcLines = strings.Split(string(d.report.Source), "\n")
	}
	return d.srcLines
}

func (d *decoder) errorf(kind Kind, path Path, n *yaml.Node, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if d.via != nil {
		msg += fmt.Sprintf(" (in the value of alias *%s, anchored at line %d)", d.via.Value, d.via.Alias.Line)
	}
	d.report.add(Diagnostic{Severity: Error, Kind: kind, Path: path, Pos: d.at(n), Message: msg})
}

// at is where a node's problems are reported: the node, or the alias it is reached through.
func (d *decoder) at(n *yaml.Node) Pos {
	if d.via != nil {
		return nodePos(d.via)
	}
	return nodePos(n)
}

// describe names what a node holds, for "expected X, found Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int":
			return fmt.Sprintf("the number %s", n.Value)
		case "!!float":
			return fmt.Sprintf("the number %s", n.Value)
		case "!!bool":
			return fmt.Sprintf("the boolean %s", n.Value)
		}
		return fmt.Sprintf("%q (%s)", n.Value, n.ShortTag())
	}
	return "an unsupported YAML node"
}

func expected(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(expected(t.Elem()), "a "), "an ") + "s"
	case reflect.Pointer:
		return expected(t.Elem())
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

// fieldInfo is a struct field as the decoder sees it, from its yaml and decode tags
// (decode:"required,section,number").
type fieldInfo struct {
	key      string
	index    int
	required bool
	number   bool // a string that may be written as a number (ASNs)
	section  bool // a part of the description the rules cannot judge without (and its items)
	secret   bool // a URL that may carry a password: its place in the source is recorded
}

func fieldsOf(t reflect.Type) []fieldInfo {
	if cached, ok := fieldCache.Load(t); ok {
		return cached.([]fieldInfo)
	}
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		key, _, _ := strings.Cut(tag, ",")
		opts := strings.Split(f.Tag.Get("decode"), ",")
		out = append(out, fieldInfo{key: key, index: i,
			required: slices.Contains(opts, "required"), number: slices.Contains(opts, "number"), section: slices.Contains(opts, "section"),
			secret: slices.Contains(opts, "secret")})
	}
	fieldCache.Store(t, out)
	return out
}

// fieldCache holds fieldsOf by type: a description of 10,000 hosts decodes the same few
// structs tens of thousands of times.
var fieldCache sync.Map

// decode fills v from n. It returns false when the value could not be decoded at all.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path Path, f fieldInfo) {
	if n.Kind == yaml.AliasNode {
		d.aliases++
		if d.aliasBound {
			return
		}
		if d.aliases > MaxAliases {
			d.aliasBound = true
			d.errorf(KindAlias, path, n, "more than %d aliases: a description this large is written out, not expanded from anchors", MaxAliases)
			return
		}
		// What is wrong under an alias is wrong where the alias is used: report it there.
		if d.via == nil {
			d.via = n
			defer func() { d.via = nil }()
		}
		n = n.Alias
	}
	if d.via != nil {
		if d.expanded++; d.aliasBound || d.expanded > MaxAliasExpanded {
			if !d.aliasBound {
				d.aliasBound = true
				d.errorf(KindAlias, path, n, "the aliases expand to more than %d values: a description this large is written out, not expanded from anchors", MaxAliasExpanded)
			}
			return
		}
	}
	d.pos[path] = d.at(n)
	if f.section {
		d.sections[path] = true
	}
	number := f.number
	t := v.Type()
	if t == reflect.TypeOf(&NotPermitted{}) {
		v.Set(reflect.ValueOf(&NotPermitted{}))
		return
	}
	switch t.Kind() {
	case reflect.String:
		tag := n.ShortTag()
		if n.Kind == yaml.ScalarNode && f.secret {
			d.secret(n) // wherever it stands, whatever else is wrong with it
		}
		if n.Kind == yaml.ScalarNode && (tag == "!!str" || number && tag == "!!int") {
			v.SetString(n.Value)
			return
		}
		d.errorf(KindWrongType, path, n, "expected %s, found %s", expected(t), describe(n))
	case reflect.Int:
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
			i, err := strconv.Atoi(n.Value)
			if err == nil {
				v.SetInt(int64(i))
				return
			}
		}
		d.errorf(KindWrongType, path, n, "expected %s, found %s", expected(t), describe(n))
	case reflect.Bool:
		// YAML 1.2's booleans only: "no" or "off" is a string here, and an error, rather
		// than a silent false.
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" && (n.Value == "true" || n.Value == "false") {
			v.SetBool(n.Value == "true")
			return
		}
		d.errorf(KindWrongType, path, n, "expected %s, found %s", expected(t), describe(n))
	case reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
			return
		}
		p := reflect.New(t.Elem())
		d.decode(n, p.Elem(), path, f)
		v.Set(p)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(KindWrongType, path, n, "expected %s, found %s", expected(t), describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), path.Index(i), f)
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorf(KindWrongType, path, n, "expected %s, found %s", expected(t), describe(n))
			return
		}
		m := reflect.MakeMap(t)
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if !d.key(k, path, seen) {
				continue
			}
			e := reflect.New(t.Elem()).Elem()
			d.decode(val, e, path.Key(k.Value), fieldInfo{number: number})
			m.SetMapIndex(reflect.ValueOf(k.Value), e)
		}
		v.Set(m)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	default:
		panic("cloud: unsupported field type " + t.String())
	}
}

// key checks one mapping key: a plain string, not seen before in this mapping.
func (d *decoder) key(k *yaml.Node, path Path, seen map[string]*yaml.Node) bool {
	if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
		d.errorf(KindNonStringKey, path, k, "a key must be a string, found %s", describe(k))
		return false
	}
	if first, dup := seen[k.Value]; dup {
		d.errorf(KindDuplicateKey, path.Key(k.Value), k, "key %q is already defined at line %d; each key may appear once", k.Value, first.Line)
		return false
	}
	seen[k.Value] = k
	return true
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path Path) {
	fields := fieldsOf(v.Type())
	for _, f := range fields {
		if f.section {
			d.sections[path.Key(f.key)] = true
		}
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(KindWrongType, path, n, "expected a mapping, found %s", describe(n))
		return
	}
	byKey := map[string]fieldInfo{}
	var allowed []string
	for _, f := range fields {
		byKey[f.key] = f
		allowed = append(allowed, f.key)
	}
	seen := map[string]*yaml.Node{}
	misspelled := map[string]bool{} // required keys an unknown key looks like a typo of
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.key(k, path, seen) {
			continue
		}
		f, ok := byKey[k.Value]
		if !ok {
			best := Closest(k.Value, allowed)
			hint := ""
			if best != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", best)
				misspelled[best] = true
				d.misspelled[path.Key(best)] = true
			}
			d.errorf(KindUnknownKey, path.Key(k.Value), k, "unknown key %q%s; allowed here: %s", k.Value, hint, strings.Join(allowed, ", "))
			continue
		}
		d.decode(val, v.Field(f.index), path.Key(k.Value), f)
		if (val.Kind == yaml.MappingNode || val.Kind == yaml.SequenceNode) && val.Style&yaml.FlowStyle == 0 {
			// A problem with a whole section (something it lacks) points at its key, not
			// at whatever value happens to come first in it.
			d.pos[path.Key(k.Value)] = d.at(k)
		}
	}
	for _, f := range fields {
		if f.required && seen[f.key] == nil && !misspelled[f.key] {
			d.errorf(KindMissingField, path.Key(f.key), n, "required field %q is missing", f.key)
		}
	}
}

// Closest proposes the allowed name nearest to a misspelled one (at most two edits), or "":
// the "did you mean" of a key, a check's name or a template's variable.
func Closest(key string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		if dist := editDistance(strings.ToLower(key), strings.ToLower(a)); dist < bestDist {
			best, bestDist = a, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Parse decodes a cloud description without checking its rules. The report holds every
// decoding error; the returned Cloud holds whatever could be decoded.
func parse(file string, data []byte) (*Cloud, *decoder, *Report) {
	rep := &Report{File: file, Source: data}
	pos := positions{"": {Line: 1, Col: 1}}
	c := &Cloud{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		rep.add(syntaxDiagnostic(err, data))
		return c, &decoder{report: rep, pos: pos}, rep
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		rep.add(Diagnostic{Severity: Error, Kind: KindEmptyFile, Pos: Pos{1, 1}, Message: "the file is empty; a cloud description starts with \"version: 1\""})
		return c, &decoder{report: rep, pos: pos}, rep
	}
	d := &decoder{report: rep, pos: pos, misspelled: map[Path]bool{}, sections: map[Path]bool{}}
	if line := secondDocument(data); line > 0 {
		rep.add(Diagnostic{Severity: Error, Kind: KindSyntax, Pos: Pos{line, 1},
			Message: "a second YAML document starts here; a cloud description is one document (remove this \"---\" and what follows, or put it in a file of its own)"})
	}
	d.decodeStruct(doc.Content[0], reflect.ValueOf(c).Elem(), "")
	return c, d, rep
}

// secondDocument returns the line where a second YAML document starts, or 0: yaml.Unmarshal
// reads the first and silently ignores the rest.
func secondDocument(data []byte) int {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first, second yaml.Node
	if dec.Decode(&first) != nil || dec.Decode(&second) == io.EOF {
		return 0
	}
	// The "---" (or "...") that ends the first document: the first one after its content.
	content := false
	for i, l := range strings.Split(string(data), "\n") {
		marker := strings.HasPrefix(l, "---") || strings.HasPrefix(l, "...")
		switch t := strings.TrimSpace(l); {
		case marker && content:
			return i + 1
		case !marker && t != "" && !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "%"):
			content = true
		}
	}
	return 1
}

// syntaxDiagnostic turns a YAML syntax error into a positioned diagnostic. yaml.v3 names the
// line where the broken construct started, often not the faulty one, so the line is found
// again as the first one whose prefix of the document no longer parses; a tab in indentation,
// the most common fault, is located to the column.
func syntaxDiagnostic(err error, data []byte) Diagnostic {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if _, tail, ok := strings.Cut(rest, ":"); ok {
			msg = strings.TrimSpace(tail)
		}
	}
	lines := strings.Split(string(data), "\n")
	if strings.Contains(msg, "tab character") {
		for i, line := range lines {
			indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			if j := strings.IndexByte(indent, '\t'); j >= 0 {
				return Diagnostic{Severity: Error, Kind: KindSyntax, Pos: Pos{i + 1, j + 1},
					Message: "not valid YAML: a tab in indentation; YAML indents with spaces only"}
			}
		}
	}
	line := firstFailingLine(lines)
	col := len(lines[line-1]) - len(strings.TrimLeft(lines[line-1], " ")) + 1
	return Diagnostic{Severity: Error, Kind: KindSyntax, Pos: Pos{line, col}, Message: "not valid YAML: " + msg}
}

// firstFailingLine finds, by bisection, the first line n such that lines 1..n do not parse.
func firstFailingLine(lines []string) int {
	parses := func(n int) bool {
		var node yaml.Node
		return yaml.Unmarshal([]byte(strings.Join(lines[:n], "\n")), &node) == nil
	}
	lo, hi := 0, len(lines) // lines[:lo] parses; lines[:hi] is taken not to
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if parses(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// sortedKeys returns a map's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
