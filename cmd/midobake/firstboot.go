package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/midobake/midobake/firstboot"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
	"github.com/midobake/midobake/system"
)

func runFirstboot(e *env, args []string) error {
	fs := flags(e, "firstboot",
		"Finish this host on its first start from the site data: ZooKeeper, Cassandra, MidoNet\n"+
			"configuration, services, Midolman template, gateway uplink, and on the CLC the tunnel zone\n"+
			"and its members. Safe to re-run: done steps are skipped, a failed one resumes.\n"+
			"--host with --dry-run previews any host's first boot from any cloud file.")
	siteFile := fs.String("site", site.Path, "site data: the cloud description (`FILE`)")
	siteRef := fs.String("site-ref", site.RefPath, "when this `FILE` exists (user-data rendered with --site-url), fetch the site\ndata from the URL it names, verify its SHA-256 and keep it at --site (not used\nwhen another --site is given without --site-ref)")
	host := fs.String("host", "", "this host's `NAME` in the site data (default: found by host name, then addresses)")
	dry := fs.Bool("dry-run", false, "print the steps for this host and change nothing")
	timeout := fs.duration("timeout", 30*time.Minute, "give up waiting for services and hosts after `D`")
	root := fs.String("root", "/", "file system root to configure (`DIR`)")
	api := fs.String("api", midonet.DefaultAPI, "MidoNet REST API `URL` (the CLC's loopback API)")
	zkPort := fs.Int("zookeeper-port", roles.ZooKeeperPort, "ZooKeeper client `PORT`")
	csPort := fs.Int("cassandra-port", roles.CassandraCQLPort, "Cassandra CQL `PORT`")
	retryMax := fs.duration("retry-max", system.DefaultBackoff.Max, "longest pause between retries (`D`)")
	ignore := fs.String("ignore", "", "preflight: turn these failed error checks into warnings (`ID,...`; see 'midobake preflight --help')")
	applyNetwork := fs.Bool("apply-network", false, "on the CLC, once Eucalyptus is registered: give it the network configuration with euctl and check it")
	list := fs.Bool("list", false, "print every step, in order, with what it does, and exit")
	step := fs.String("step", "", "run only this host's step `NAME`, done or not (as cloud-init single --name); see --list")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *list {
		firstboot.List(e.stdout)
		return nil
	}
	ids, err := ignoreList(e, "firstboot", *ignore)
	if err != nil {
		return err
	}
	// A --site other than the default, named without --site-ref, is that file's data, whatever
	// reference this machine holds for its own site data (which would overwrite it). The
	// user-data's runcmd and the unit name the default --site: the reference applies.
	if fs.given("site") && *siteFile != site.Path && !fs.given("site-ref") {
		*siteRef = ""
	}
	backoff := system.DefaultBackoff
	backoff.Max = *retryMax
	backoff.Initial = min(backoff.Initial, backoff.Max)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	data, err := site.Load(ctx, site.Source{Path: *siteFile, Ref: *siteRef, DryRun: *dry,
		Timeout: *timeout, Backoff: backoff, Out: e.stdout})
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake firstboot: %v\n", err)
		return err
	}
	err = firstboot.Run(ctx, firstboot.Options{
		Site: data, SiteName: *siteFile, Host: *host, DryRun: *dry, Step: firstboot.StepName(*step), Timeout: *timeout, ApplyNetwork: *applyNetwork,
		Root: system.Root(*root), API: *api, ZooKeeperPort: *zkPort, CassandraPort: *csPort,
		Out: e.stdout, Backoff: backoff, Ignore: ids, SiteURL: site.RefURL(*siteRef),
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake firstboot: %v\n", err)
	}
	return err
}
