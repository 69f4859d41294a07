package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/midobake/midobake/roles"
)

func runTemplates(e *env, args []string) error {
	fs := flags(e, "templates",
		"List the embedded pongo2 templates, or write them into DIR to start overriding some:\n"+
			"render, diff and serve take --templates DIR, where a file of the same name replaces\n"+
			"the embedded template (a file that names no template is an error).")
	if err := parse(fs, args, 2); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "list":
		for _, n := range roles.TemplateNames() {
			fmt.Fprintln(e.stdout, n)
		}
		return nil
	case fs.NArg() == 2 && fs.Arg(0) == "dump":
		dir := fs.Arg(1)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintf(e.stderr, "midobake templates: %v\n", err)
			return err
		}
		for _, n := range roles.TemplateNames() {
			p := filepath.Join(dir, n)
			if _, err := os.Stat(p); err == nil {
				fmt.Fprintf(e.stderr, "midobake templates: %s exists; not overwritten\n", p)
				return failed{"exists"}
			}
		}
		for _, n := range roles.TemplateNames() {
			b, _ := roles.Embedded(n)
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				fmt.Fprintf(e.stderr, "midobake templates: %v\n", err)
				return err
			}
		}
		fmt.Fprintf(e.stdout, "wrote %d templates into %s\n", len(roles.TemplateNames()), dir)
		return nil
	}
	fs.Usage()
	return errUsage
}
