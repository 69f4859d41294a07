package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/preflight"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
	"github.com/midobake/midobake/system"
)

func runPreflight(e *env, args []string) error {
	fs := flags(e, "preflight",
		"Check this host against what its roles need before anything changes on it (the first-boot\n"+
			"hook runs the same checks first): memory and disk as the MidoNet guide sizes them, the\n"+
			"ports its services listen on, the tunnel address and its MTU, an uplink: nic interface,\n"+
			"the openvswitch module, the clock. Exit 0 when no error remains, 1 otherwise.\n"+
			"Checks: "+strings.Join(cloud.PreflightChecks, ", ")+".")
	siteFile := fs.String("site", site.Path, "site data: the cloud description (`FILE`)")
	host := fs.String("host", "", "this host's `NAME` in the site data (default: found by host name, then addresses)")
	ignore := fs.String("ignore", "", "turn these failed error checks into warnings (`ID,...`)")
	format := fs.output("", "text", "json")
	root := fs.String("root", "/", "file system root to check (`DIR`)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	ids, err := ignoreList(e, "preflight", *ignore)
	if err != nil {
		return err
	}
	data, err := cloud.ReadFile(*siteFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake preflight: cannot read the site data: %v\n", err)
		return err
	}
	c, rep := cloud.Load(*siteFile, data)
	if c == nil {
		fmt.Fprint(e.stderr, rep.Format(false))
		return failed{"invalid site data"}
	}
	h, err := site.FindHost(c, *host, system.HostIdentity{})
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake preflight: %v\n", err)
		return failed{err.Error()}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	top := roles.Resolve(c)
	report := preflight.Run(ctx, preflight.Input{Cloud: c, Top: top, Host: h, Root: system.Root(*root), Packages: roles.HostPackages(top, h), Ignore: ids})
	if *format == "json" {
		e.stdout.Write(report.JSON())
	} else {
		report.Text(e.stdout)
	}
	if report.Errors() > 0 {
		return failed{"preflight failed"}
	}
	return nil
}

// ignoreList reads --ignore: IDs of preflight checks, each one known.
func ignoreList(e *env, cmd, s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	ids := strings.Split(s, ",")
	for i := range ids {
		ids[i] = strings.TrimSpace(ids[i])
	}
	if bad := preflight.CheckUnknownIDs(ids); len(bad) > 0 {
		fmt.Fprintf(e.stderr, "midobake %s: --ignore: unknown check %s; the checks are: %s\n", cmd, cloud.Printable(strings.Join(bad, ", "), 200), strings.Join(cloud.PreflightChecks, ", "))
		return nil, errUsage
	}
	return ids, nil
}
