package main

import (
	"fmt"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/roles"
)

// renderOptions are the flags that decide what a render produces. render, serve and diff
// take them from here and hand them to one function, so a flag means the same in all three:
// a change reviewed with diff --site-url shows the files render --site-url writes.
type renderOptions struct {
	cmd          string
	templatesDir string
	packerSource string
	siteURL      string
	maxUserData  string

	templates *roles.Templates
	limit     int // bytes; 0: no limit
}

// addRenderFlags declares the render options on a command's flags. Packer templates are not
// served, so serve has no --packer-source.
func addRenderFlags(fs *flagSet, cmd string, packer bool) *renderOptions {
	o := &renderOptions{cmd: cmd, packerSource: emit.DefaultPackerSource}
	fs.StringVar(&o.templatesDir, "templates", "", "`DIR` of template overrides (see 'midobake templates list')")
	if packer {
		fs.StringVar(&o.packerSource, "packer-source", emit.DefaultPackerSource, "Packer source the image builds use (`TYPE.NAME`); for anything but the\ndefault null/SSH source, write that source block yourself beside packer/")
	}
	fs.StringVar(&o.siteURL, "site-url", "", "carry the site data by reference: `URL` where you publish site/ of the output\n(ending in /) or site/cloud.yaml itself; each user-data holds the URL and its SHA-256")
	fs.StringVar(&o.maxUserData, "max-user-data", "", "fail when a user-data is larger than `SIZE` (bytes, or 16KiB, 16kb, 1MiB: KB is 1024 bytes)")
	return o
}

// prepare checks the options once their flags are parsed and loads the templates. A bad
// value is a usage error; templates that do not load are a failed run.
func (o *renderOptions) prepare(e *env) error {
	if err := emit.CheckPackerSource(o.packerSource); err != nil {
		fmt.Fprintf(e.stderr, "midobake %s: %v\n", o.cmd, err)
		return errUsage
	}
	if err := emit.CheckSiteURL(o.siteURL); err != nil {
		fmt.Fprintf(e.stderr, "midobake %s: %v\n", o.cmd, err)
		return errUsage
	}
	limit, err := parseMaxUserData(o.maxUserData)
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake %s: --max-user-data %v\n", o.cmd, err)
		return errUsage
	}
	o.limit = limit
	if err := o.loadTemplates(); err != nil {
		fmt.Fprintf(e.stderr, "midobake %s: %v\n", o.cmd, err)
		return err
	}
	return nil
}

// loadTemplates reads the template overrides (again: serve reloads them with the cloud).
func (o *renderOptions) loadTemplates() error {
	t, err := roles.NewTemplates(o.templatesDir)
	if err != nil {
		return err
	}
	o.templates = t
	return nil
}

// render renders a loaded cloud: the one path from a description to its files.
func (o *renderOptions) render(c *cloud.Cloud, input []byte) (*emit.Tree, error) {
	return emit.Render(c, input, emit.Options{Templates: o.templates, PackerSource: o.packerSource, SiteURL: o.siteURL})
}

// byReference: the user-data carries the site data by reference.
func (o *renderOptions) byReference() bool { return o.siteURL != "" }
