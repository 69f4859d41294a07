package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/site"
	"github.com/midobake/midobake/status"
)

func runStatus(e *env, args []string) error {
	fs := flags(e, "status",
		"Show the whole cloud: one line per host (its first boot, site data, Midolman, tunnel\n"+
			"zone, NSDB services), then the cloud's checks (ZooKeeper quorum, the MidoNet API,\n"+
			"eucanetd's tunnel-zone precondition, Eucalyptus's network configuration where euctl\n"+
			"is), and last \"cloud NAME: converged\" or \"cloud NAME: NOT converged: N problems\".\n"+
			"Reads ZooKeeper (the hosts' reports), the MidoNet API and serve (--serve); never\n"+
			"the hosts themselves, and writes nothing. Run it on the CLC, or anywhere that reaches\n"+
			"ZooKeeper and the API. Exit status: 0 converged, 1 not (or a source unreachable), 2 usage.")
	file := fs.String("f", "", "cloud description (`FILE`)")
	siteFile := fs.String("site", "", "site data (`FILE`); default: "+site.Path+" when neither -f nor --site is given")
	zkList := fs.String("zookeeper", "", "ZooKeeper servers (`HOST:PORT,...`); default: the description's ensemble")
	api := fs.String("api", midonet.DefaultAPI, "MidoNet REST API `URL`")
	serve := fs.String("serve", "", "also read the reports hosts sent to midobake serve at `URL|none` (http://HOST:PORT);\ndefault: the serve --site-ref names, if any; none: do not ask serve")
	siteRef := fs.String("site-ref", site.RefPath, "when --serve is not given and this `FILE` names a midobake serve (user-data\nrendered with --site-url), read the reports hosts sent there too (not used with\n-f or --site unless given)")
	wait := fs.Bool("wait", false, "poll until converged (or --timeout), printing only what changes")
	timeout := fs.duration("timeout", 30*time.Second, "give up after `D` (with --wait: waiting for convergence)")
	interval := fs.duration("interval", 2*time.Second, "with --wait: pause between polls (`D`)")
	output := fs.output("", "text", "json")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *file != "" && *siteFile != "" {
		fmt.Fprintf(e.stderr, "midobake status: -f and --site: give one description\n")
		return errUsage
	}
	serveURL, err := statusServe(e, *serve, *siteRef, fs.given("site-ref") || *file == "" && (*siteFile == "" || *siteFile == site.Path))
	if err != nil {
		return err
	}
	if *file == "" && *siteFile == "" {
		*siteFile = site.Path
	}
	if *siteFile != "" {
		*file = *siteFile
	}
	c, in, err := load(e, *file, false)
	if err != nil {
		return err
	}
	src, current := statusSources(c, *zkList, *api, serveURL), status.NewSite(in.data, c)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	poll := func() status.Status { return status.Poll(ctx, c, current, src) }
	if !*wait {
		return printStatus(e, poll(), *output)
	}
	return waitStatus(ctx, e, poll, *interval, *timeout, *output)
}

// waitStatus is --wait: the whole status once, then only what changes, until converged or
// the timeout.
func waitStatus(ctx context.Context, e *env, poll func() status.Status, interval, timeout time.Duration, output string) error {
	var text io.Writer
	if output == "text" {
		text = e.stdout
	}
	st, converged := status.Watch(ctx, poll, interval, text)
	switch {
	case output == "json":
		return printStatus(e, st, output)
	case !converged:
		fmt.Fprintf(e.stdout, "midobake status: not converged within %s\n", timeout)
		return failed{"not converged"}
	}
	return nil
}

// statusServe is the serve whose reports status reads: --serve, none, or (when the
// description is this host's own) the one its site reference names.
func statusServe(e *env, serve, siteRef string, ownSite bool) (string, error) {
	switch {
	case serve == "none":
		return "", nil
	case serve == "" && ownSite:
		// The hosts of a cloud seeded from serve send it their reports: a host that never
		// reaches ZooKeeper is seen there, so status asks it without being told. Another
		// description (-f, --site) is not the one the site reference is about, unless
		// --site-ref says so.
		return site.ServeBase(site.RefURL(siteRef)), nil
	case serve != "" && !strings.HasPrefix(serve, "http://") && !strings.HasPrefix(serve, "https://"):
		fmt.Fprintf(e.stderr, "midobake status: --serve %s: want http://HOST:PORT or none\n", cloud.Printable(serve, 200))
		return "", errUsage
	}
	return serve, nil
}

// statusSources are where status reads: the ensemble, the API, serve, and euctl where it is.
func statusSources(c *cloud.Cloud, zkList, api, serve string) status.Sources {
	src := status.Sources{ZooKeeper: ensemble(c, zkList), API: midonet.NewClient(api, &http.Client{Timeout: 5 * time.Second}),
		Serve: serve, HTTP: &http.Client{Timeout: 5 * time.Second}}
	if path, err := exec.LookPath("euctl"); err == nil {
		src.Euctl = func(ctx context.Context) ([]byte, error) {
			return exec.CommandContext(ctx, path, "-n", status.NetworkProperty).Output()
		}
	}
	return src
}

func printStatus(e *env, st status.Status, output string) error {
	if output == "json" {
		b, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
	} else {
		st.Write(e.stdout)
	}
	if !st.Converged {
		return failed{"not converged"}
	}
	return nil
}
