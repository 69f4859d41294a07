package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/testenv"
)

// Docs that cannot rot: every fenced block of the README and docs/ says, in an HTML comment
// just before it, how the tests use it, and they do:
//
//	<!-- doc-test: cloud FILE -->   a cloud description: written to FILE, validate --strict passes
//	<!-- doc-test: run [exit=N] --> shell commands: each is run with bash, exits 0 (or N)
//	<!-- doc-test: output -->       the exact output of the last command run before it
//	<!-- doc-test: tree DIR -->     a listing: every path in it exists under DIR (<x> = any name)
//	<!-- doc-test: skip REASON -->  not run, and why
//
// (In MDX files, {/* doc-test: ... */}.)
// A block without a marker fails the test, so a new example cannot escape. Blocks run in
// order, in one temporary directory per document that holds a copy of fixtures/ and is a git
// checkout whose origin/main has the embedded example as cloud.yaml (as a reviewer's would).

type docBlock struct {
	file      string
	line      int    // of the opening fence
	directive string // "" when unmarked
	arg       string
	text      string
}

var (
	// HTML comments in Markdown; MDX (docs/) has no HTML comments, so there a JSX one.
	markerRE = regexp.MustCompile(`^(?:<!--|\{/\*) doc-test: (\w+)\s*(.*?)\s*(?:-->|\*/\})$`)
	fenceRE  = regexp.MustCompile("^```([a-z]*)\\s*$")
)

// docBlocks reads the fenced blocks of a Markdown file with their markers.
func docBlocks(t *testing.T, path string) []docBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out []docBlock
	marker := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "<!-- doc-test:") || strings.HasPrefix(l, "{/* doc-test:") {
			marker = l
			continue
		}
		if !fenceRE.MatchString(l) {
			if strings.TrimSpace(l) != "" {
				marker = ""
			}
			continue
		}
		b := docBlock{file: path, line: i + 1}
		if m := markerRE.FindStringSubmatch(marker); m != nil {
			b.directive, b.arg = m[1], m[2]
		} else if marker != "" {
			t.Errorf("%s:%d: malformed marker %q", path, i, marker)
		}
		marker = ""
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, lines[i])
		}
		b.text = strings.Join(body, "\n") + "\n"
		out = append(out, b)
	}
	return out
}

func docFiles(t *testing.T) []string {
	t.Helper()
	root := testenv.RepoRoot(t)
	files := []string{filepath.Join(root, "README.md")}
	more, _ := filepath.Glob(filepath.Join(root, "docs", "*", "*.mdx"))
	if len(more) == 0 {
		t.Fatal("no docs/*/*.mdx found")
	}
	return append(files, more...)
}

// TestDocExamples runs every example of the README and docs/ as its marker says.
func TestDocExamples(t *testing.T) {
	testenv.Need(t, "git", "apt-get install git")
	for _, file := range docFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			for _, p := range checkDoc(t, file) {
				t.Error(p)
			}
		})
	}
}

// TestDocCheckFails: a document with a broken example of each kind is reported, each at its
// line: the check above can fail.
func TestDocCheckFails(t *testing.T) {
	testenv.Need(t, "git", "apt-get install git")
	doc := filepath.Join(t.TempDir(), "broken.md")
	broken := "# broken\n\n<!-- doc-test: cloud cloud.yaml -->\n```yaml\nversion: 1\nname: x\n```\n\n" +
		"<!-- doc-test: run -->\n```sh\nmidobake validate -f fixtures/invalid/unknown-host-key.yaml\n```\n\n" +
		"<!-- doc-test: output -->\n```\nall good\n```\n\n" +
		"<!-- doc-test: tree . -->\n```\nprofiles/<profile>/user-data.yaml\n```\n\n" +
		"```sh\nmidobake render\n```\n"
	if err := os.WriteFile(doc, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(checkDoc(t, doc), "\n")
	for _, want := range []string{
		"broken.md:4: the example cloud does not pass validate --strict",
		"broken.md:10: midobake validate -f fixtures/invalid/unknown-host-key.yaml\nexited 1, the README implies 0",
		"broken.md:15: the shown output is not what the command prints",
		"broken.md:20: the listing shows profiles/<profile>/user-data.yaml",
		"broken.md:24: a fenced block without a <!-- doc-test: ... --> marker",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("not reported: %q\nreport:\n%s", want, got)
		}
	}
}

// checkDoc runs a document's examples in order, in a sandbox of its own, and returns what is
// wrong with them.
func checkDoc(t *testing.T, file string) []string {
	t.Helper()
	blocks := docBlocks(t, file)
	if len(blocks) == 0 {
		return []string{file + ": no fenced blocks found"}
	}
	dir := docSandbox(t)
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var last string // output of the last command run
	for _, b := range blocks {
		where := fmt.Sprintf("%s:%d", filepath.Base(b.file), b.line)
		switch b.directive {
		case "cloud":
			if b.arg == "" {
				report("%s: doc-test: cloud needs a file name", where)
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, b.arg), []byte(b.text), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := midobake(t, dir, "validate", "--strict", "-f", b.arg); r.code != 0 {
				report("%s: the example cloud does not pass validate --strict:\n%s", where, r.stderr)
			}
		case "run":
			want := 0
			if v, ok := strings.CutPrefix(b.arg, "exit="); ok {
				want, _ = strconv.Atoi(v)
			}
			cmds := shellCommands(b.text)
			if len(cmds) == 0 {
				report("%s: a run block without commands", where)
			}
			for _, c := range cmds {
				var code int
				last, code = runDocCommand(t, dir, c)
				if code != want {
					report("%s: %s\nexited %d, the README implies %d:\n%s", where, c, code, want, last)
				}
			}
		case "output":
			if diff := cmp.Diff(b.text, last); diff != "" {
				report("%s: the shown output is not what the command prints (-shown +real):\n%s", where, diff)
			}
		case "tree":
			for _, path := range missingPaths(filepath.Join(dir, b.arg), b.text) {
				report("%s: the listing shows %s, but the output has no such file", where, path)
			}
		case "skip":
			if b.arg == "" {
				report("%s: doc-test: skip needs a reason", where)
			}
		case "":
			report("%s: a fenced block without a <!-- doc-test: ... --> marker", where)
		default:
			report("%s: unknown doc-test directive %q", where, b.directive)
		}
	}
	return problems
}

// docSandbox is a temporary directory with fixtures/ and a git history as the README's
// commands expect.
func docSandbox(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := testenv.RepoRoot(t)
	if out, err := exec.Command("cp", "-r", filepath.Join(root, "fixtures"), dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "cloud.yaml"), cloud.Example(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "cloud.yaml"},
		{"-c", "user.name=docs", "-c", "user.email=docs@localhost", "commit", "-q", "-m", "cloud"},
		{"update-ref", "refs/remotes/origin/main", "HEAD"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// shellCommands splits a shell block into commands: continuation lines joined, comments and
// blank lines dropped.
func shellCommands(text string) []string {
	var out []string
	cur := ""
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") && cur == "" {
			continue
		}
		if s, ok := strings.CutSuffix(l, "\\"); ok {
			cur += s
			continue
		}
		cur += l
		if strings.TrimSpace(cur) != "" {
			out = append(out, strings.TrimSpace(cur))
		}
		cur = ""
	}
	return out
}

// runDocCommand runs one README command with bash, the midobake under test first on PATH and
// "go run ./cmd/midobake" meaning that binary, and returns its output (stdout, then stderr).
func runDocCommand(t *testing.T, dir, command string) (string, int) {
	t.Helper()
	command = strings.ReplaceAll(command, "go run ./cmd/midobake", "midobake")
	cmd := exec.Command("bash", "-c", command)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"), "NO_COLOR=1")
	r := runCmd(t, cmd)
	return r.stdout + r.stderr, r.code
}

// missingPaths: the paths of a listing (the first field of each line; <x> stands for any
// name) that do not exist under dir.
func missingPaths(dir, listing string) []string {
	placeholder := regexp.MustCompile(`<[^>]+>`)
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(listing), "\n") {
		path := strings.Fields(l)[0]
		if matches, _ := filepath.Glob(filepath.Join(dir, placeholder.ReplaceAllString(path, "*"))); len(matches) == 0 {
			out = append(out, path)
		}
	}
	return out
}

// TestDocFlags: the flags the README shows are the commands' real flags, and every flag of
// every command is in the README.
func TestDocFlags(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]map[string]bool{}
	flagRE := regexp.MustCompile(`(?m)^\s+--?([a-z][a-z-]*)`)
	for _, c := range commands() {
		r := midobake(t, t.TempDir(), c.name, "--help")
		defined[c.name] = map[string]bool{"help": true, "h": true}
		for old := range describe(c).renamed {
			defined[c.name][old] = true // old spellings, which the README names as such
		}
		for _, m := range flagRE.FindAllStringSubmatch(r.stdout+r.stderr, -1) {
			defined[c.name][m[1]] = true
		}
	}
	// Every "midobake CMD ..." invocation in the README, in code spans and blocks.
	invocation := regexp.MustCompile(`(?:midobake|go run \./cmd/midobake) ([a-z]+)((?: +[^\s|>#` + "`" + `]+)*)`)
	shown := map[string]bool{}
	for _, m := range invocation.FindAllStringSubmatch(string(readme), -1) {
		cmd := m[1]
		flags, ok := defined[cmd]
		if !ok {
			continue // prose: "midobake turns one description..."
		}
		for _, tok := range strings.Fields(m[2]) {
			tok = strings.Trim(tok, "[]") // [--strict] in usage lines
			if !strings.HasPrefix(tok, "-") || tok == "-" {
				continue
			}
			name := strings.TrimLeft(strings.SplitN(tok, "=", 2)[0], "-")
			shown[cmd+" "+name] = true
			if !flags[name] {
				t.Errorf("the README shows %q for midobake %s, which has no such flag", tok, cmd)
			}
		}
	}
	var missing []string
	for cmd, flags := range defined {
		for name := range flags {
			if _, old := describeNamed(cmd).renamed[name]; old || name == "help" || name == "h" {
				continue
			}
			if !shown[cmd+" "+name] {
				missing = append(missing, "midobake "+cmd+" -"+name)
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("the README never shows %s", m)
	}
}

func describeNamed(name string) *flagSet {
	c, ok := commandNamed(name)
	if !ok {
		panic("no command " + name)
	}
	return describe(c)
}
