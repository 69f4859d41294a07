package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/seed"
)

func runServe(e *env, args []string) error {
	fs := flags(e, "serve",
		"Serve NoCloud-net seeds for PXE: /<host-or-mac>/{meta-data,user-data,vendor-data},\n"+
			"and the site data at /site/cloud.yaml (for --site-url http://HOST:PORT/site/).\n"+
			"Hosts whose site data came from here send their first-boot reports to /_report/NAME\n"+
			"(taken from the host's own address only); /_reports lists them, for\n"+
			"'midobake status --serve http://HOST:PORT'.\n"+
			"Kernel command line: ds=nocloud-net;s=http://HOST:PORT/NAME/ (the trailing / matters).\n"+
			"SIGHUP re-reads the cloud file and the templates (an invalid one is reported and the\n"+
			"last good version kept);\n"+
			"SIGINT or SIGTERM stop it gracefully.")
	file := fs.String("f", "", "cloud description (`FILE`); default: ./cloud.yaml")
	example := fs.Bool("example", false, "serve the embedded example cloud (only when asked: its seeds would\nconfigure whatever PXE-boots as the example's hosts)")
	listen := fs.String("listen", "127.0.0.1:8000", "`ADDR` to listen on (loopback unless you say otherwise)")
	mode := fs.String("mode", string(emit.FullUserData), "user-data to serve: `full|baked` (full: plain images; baked: golden images)")
	ro := addRenderFlags(fs, "serve", false)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := ro.prepare(e); err != nil {
		return err
	}
	switch {
	case *example && *file != "":
		fmt.Fprintf(e.stderr, "midobake serve: -f and --example: say which cloud to serve\n")
		return errUsage
	case *example:
		*file = exampleFile
	case *file == "":
		if _, err := os.Lstat(defaultCloudFile); err != nil {
			fmt.Fprintf(e.stderr, "midobake serve: no -f and no ./%s: name the cloud to serve (serve never serves the embedded example unless --example says so)\n", defaultCloudFile)
			return errUsage
		}
		*file = defaultCloudFile
	}
	kind := emit.UserDataKind(*mode)
	if kind != emit.FullUserData && kind != emit.BakedUserData {
		fmt.Fprintf(e.stderr, "midobake serve: --mode %q: use full or baked\n", cloud.Printable(*mode, 40))
		return errUsage
	}
	return seed.Serve(*listen, *mode, serveBuild(e, *file, ro, kind), e.stderr)
}

// serveBuild loads the cloud file and the templates and renders the seeds, as render would.
func serveBuild(e *env, file string, ro *renderOptions, kind emit.UserDataKind) seed.Builder {
	return func() (seed.Seeds, *cloud.Cloud, string, error) {
		c, in, err := load(e, file, false)
		if err != nil {
			return nil, nil, "", err
		}
		// The templates are read again with the cloud file: a bad one is a failed reload,
		// and the last good seeds keep being served.
		if err := ro.loadTemplates(); err != nil {
			return nil, nil, "", err
		}
		tree, err := ro.render(c, in.data)
		if err != nil {
			return nil, nil, "", err
		}
		var served []emit.DocSize
		for _, d := range emit.UserDataSizes(tree) {
			if strings.HasSuffix(d.Path, "/user-data."+string(kind)+".yaml") {
				served = append(served, d)
			}
		}
		if err := checkSizes(e, served, ro.limit, ro.byReference()); err != nil {
			return nil, nil, "", err
		}
		s, err := seed.Build(c, tree, kind)
		if err != nil {
			return nil, nil, "", err
		}
		return s, c, fmt.Sprintf("cloud %s, %d hosts", c.Name, len(c.Hosts)), nil
	}
}
