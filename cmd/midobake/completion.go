package main

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

func runCompletion(e *env, args []string) error {
	fs := flags(e, "completion",
		"Print a completion script for SHELL: commands, each command's flags, files elsewhere.\n"+
			"  bash: source <(midobake completion bash)   (or put it in /etc/bash_completion.d/midobake)\n"+
			"  zsh:  source <(midobake completion zsh)    (after compinit)\n"+
			"  fish: midobake completion fish > ~/.config/fish/completions/midobake.fish")
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	cmds := completionCommands(e)
	var script string
	switch fs.Arg(0) {
	case "bash":
		script = bashCompletion(cmds)
	case "zsh":
		script = zshCompletion(cmds)
	case "fish":
		script = fishCompletion(cmds)
	default:
		fmt.Fprintf(e.stderr, "midobake completion: say which shell: bash, zsh or fish\n")
		fs.Usage()
		return errUsage
	}
	_, err := fmt.Fprint(e.stdout, script)
	return err
}

// completed is a command as completion offers it.
type completed struct {
	name, summary string
	flags         []string // as written: -f, --site
	args          []string // words it takes (completion: the shells)
}

var helpFlagRE = regexp.MustCompile(`(?m)^  (--?[a-z][a-z-]*)`)

// completionCommands reads every command's flags from its own help: what completion offers
// is what the command takes.
func completionCommands(e *env) []completed {
	var out []completed
	for _, c := range commands() {
		var help bytes.Buffer
		c.run(&env{stdin: e.stdin, stdout: &help, stderr: &help, getenv: e.getenv}, []string{"--help"})
		cc := completed{name: c.name, summary: c.summary}
		for _, m := range helpFlagRE.FindAllStringSubmatch(help.String(), -1) {
			cc.flags = append(cc.flags, m[1])
		}
		sort.Strings(cc.flags)
		switch c.name {
		case "completion":
			cc.args = []string{"bash", "zsh", "fish"}
		case "templates":
			cc.args = []string{"list", "dump"}
		}
		out = append(out, cc)
	}
	return append(out, completed{name: "help", summary: "print a command's help", args: names(out)})
}

func names(cmds []completed) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.name)
	}
	return out
}

func bashCompletion(cmds []completed) string {
	var b strings.Builder
	b.WriteString("# bash completion for midobake: source <(midobake completion bash)\n_midobake() {\n")
	b.WriteString("  local cur=${COMP_WORDS[COMP_CWORD]} words=\"\" files=1\n")
	fmt.Fprintf(&b, "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY=($(compgen -W %q -- \"$cur\"))\n    return\n  fi\n", strings.Join(names(cmds), " "))
	b.WriteString("  case \"${COMP_WORDS[1]}\" in\n")
	for _, c := range cmds {
		files := ""
		if len(c.args) > 0 {
			files = " files=0" // it takes words, not files
		}
		fmt.Fprintf(&b, "    %s) words=%q%s ;;\n", c.name, strings.Join(append(append([]string{}, c.flags...), c.args...), " "), files)
	}
	b.WriteString("  esac\n")
	b.WriteString("  case \"$cur\" in\n    -*) COMPREPLY=($(compgen -W \"$words\" -- \"$cur\")) ;;\n")
	b.WriteString("    *) COMPREPLY=($(compgen -W \"$words\" -- \"$cur\" | grep -v '^-'))\n")
	b.WriteString("       [ \"$files\" = 1 ] && COMPREPLY+=($(compgen -f -- \"$cur\")) ;;\n  esac\n}\n")
	b.WriteString("complete -o filenames -F _midobake midobake\n")
	return b.String()
}

// zshQuote quotes a word for zsh (and fish): in single quotes, each quote within closed, escaped and reopened.
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func zshCompletion(cmds []completed) string {
	var b strings.Builder
	b.WriteString("#compdef midobake\n# zsh completion for midobake: source <(midobake completion zsh), after compinit\n_midobake() {\n")
	b.WriteString("  if (( CURRENT == 2 )); then\n    local -a cmds\n    cmds=(\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "      %s\n", zshQuote(c.name+":"+c.summary))
	}
	// $words is zsh's own array (the command line): what a command offers goes in another.
	b.WriteString("    )\n    _describe 'command' cmds\n    return\n  fi\n")
	b.WriteString("  local -a offered\n  local files=1\n  case ${words[2]} in\n")
	for _, c := range cmds {
		quoted := make([]string, 0, len(c.flags)+len(c.args))
		for _, w := range append(append([]string{}, c.flags...), c.args...) {
			quoted = append(quoted, zshQuote(w))
		}
		files := ""
		if len(c.args) > 0 {
			files = "; files=0"
		}
		fmt.Fprintf(&b, "    %s) offered=(%s)%s ;;\n", c.name, strings.Join(quoted, " "), files)
	}
	b.WriteString("  esac\n  if [[ $PREFIX == -* ]]; then\n    compadd -- ${(M)offered:#-*}\n  else\n    compadd -- ${offered:#-*}\n    (( files )) && _files\n  fi\n}\n")
	b.WriteString("compdef _midobake midobake\n")
	return b.String()
}

func fishCompletion(cmds []completed) string {
	var b strings.Builder
	b.WriteString("# fish completion for midobake: midobake completion fish > ~/.config/fish/completions/midobake.fish\n")
	fmt.Fprintf(&b, "complete -c midobake -n %s -f\n", zshQuote("__fish_use_subcommand"))
	for _, c := range cmds {
		fmt.Fprintf(&b, "complete -c midobake -n __fish_use_subcommand -a %s -d %s\n", zshQuote(c.name), zshQuote(c.summary))
		when := zshQuote("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			if strings.HasPrefix(f, "--") {
				fmt.Fprintf(&b, "complete -c midobake -n %s -l %s\n", when, zshQuote(strings.TrimPrefix(f, "--")))
			} else {
				fmt.Fprintf(&b, "complete -c midobake -n %s -s %s\n", when, zshQuote(strings.TrimPrefix(f, "-")))
			}
		}
		if len(c.args) > 0 {
			fmt.Fprintf(&b, "complete -c midobake -n %s -f -a %s\n", when, zshQuote(strings.Join(c.args, " ")))
		}
	}
	return b.String()
}
