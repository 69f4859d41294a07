package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/enrol"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
)

func runEnrol(e *env, args []string) error {
	fs := flags(e, "enrol",
		"On the CLC: enrol every Midolman host in the cloud's tunnel zone at its tunnel address,\n"+
			"whenever it comes, from the announcements hosts write to ZooKeeper at first boot (and\n"+
			"the hosts of the site data), and re-enrol a host whose tunnel address changed. Runs as\n"+
			"midobake-enrol.service; keeps no state, so a restart resumes. Nothing is removed because\n"+
			"a host is down: --remove NAME takes a host that left the cloud out.")
	siteFile := fs.String("site", site.Path, "site data: the cloud description (`FILE`)")
	once := fs.Bool("once", false, "one pass, then exit (non-zero if it failed)")
	interval := fs.duration("interval", 5*time.Second, "pause between passes (`D`)")
	remove := fs.String("remove", "", "take host `NAME` out of the tunnel zone and forget its announcement")
	api := fs.String("api", midonet.DefaultAPI, "MidoNet REST API `URL` (the CLC's loopback API)")
	zkPort := fs.Int("zookeeper-port", roles.ZooKeeperPort, "ZooKeeper client `PORT`")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	data, err := cloud.ReadFile(*siteFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake enrol: cannot read the site data: %v\n", err)
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = enrol.Run(ctx, enrol.Options{Site: data, SiteName: *siteFile, API: *api, ZooKeeperPort: *zkPort, Out: e.stdout,
		Interval: *interval, Once: *once, Remove: *remove})
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake enrol: %v\n", err)
	}
	return err
}
