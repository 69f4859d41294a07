package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/midobake/midobake/backup"
	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
)

// ensemble is where the cloud's ZooKeeper is: --zookeeper when given, else the description's.
func ensemble(c *cloud.Cloud, list string) []string {
	if list == "" {
		return roles.Resolve(c).ZooKeeperClients(roles.ZooKeeperPort)
	}
	var servers []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			servers = append(servers, s)
		}
	}
	return servers
}

func runBackup(e *env, args []string) error {
	fs := flags(e, "backup",
		"Back up the cloud's ZooKeeper tree (MidoNet's topology, midobake's announcements and\n"+
			"reports) into one file: every persistent node with its data and ACL, as the tree stood at\n"+
			"one moment even while it is written to (ephemeral nodes are left out and counted), and a\n"+
			"manifest (cloud, time, zxid, node count, SHA-256) that restore verifies. Run it anywhere\n"+
			"that reaches the ensemble; the README's recovery runbook says how to restore.")
	siteFile := fs.String("site", site.Path, "site data: the cloud description (`FILE`) naming the cloud and its ensemble")
	zkList := fs.String("zookeeper", "", "ZooKeeper servers (`HOST:PORT,...`); default: the description's ensemble")
	out := fs.String("out-file", "", "write the backup to `FILE` (never over an existing file without --force)")
	into := fs.String("into", "", "instead of --out-file: write it into `DIR` as CLOUD-YYYYMMDDTHHMMSSZ.backup (made 0700 if missing),\nas the description's backup schedule does")
	keep := fs.Int("keep", 0, "with --into: then delete all but the newest `N` of this cloud's backups in DIR\n(only files named as --into names them; 0 keeps all)")
	force := fs.Bool("force", false, "replace an existing --out-file FILE")
	timeout := fs.duration("timeout", 2*time.Minute, "give up after `D` (a tree that never stops changing)")
	format := fs.outputOrFile("out-file", "text", "json")
	fs.rename("format", "o")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	switch {
	case (*out == "") == (*into == ""):
		fmt.Fprintf(e.stderr, "midobake backup: say where the backup goes: --out-file FILE, or --into DIR\n")
		return errUsage
	case *keep < 0 || *keep > cloud.MaxBackupKeep || *keep > 0 && *into == "":
		fmt.Fprintf(e.stderr, "midobake backup: --keep takes 0 to %d, with --into\n", cloud.MaxBackupKeep)
		return errUsage
	}
	c, _, err := load(e, *siteFile, false)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	servers := ensemble(c, *zkList)
	connect := func(ctx context.Context) (*zk.Conn, error) { return midonet.Session(ctx, servers) }
	saved, err := backup.Save(ctx, connect, c.Name, time.Now(), backup.Destination{File: *out, Force: *force, Into: *into, Keep: *keep})
	return printBackup(e, saved, err, servers, *keep, *format)
}

// printBackup says what backup did, or why it did not.
func printBackup(e *env, saved backup.Saved, err error, servers []string, keep int, format string) error {
	file := cloud.Printable(saved.File, 300)
	var prune backup.ErrPrune
	var connect backup.ErrConnect
	switch {
	case errors.As(err, &connect):
		fmt.Fprintf(e.stderr, "midobake backup: %v\n", connect.Err)
		return err
	case errors.Is(err, backup.ErrExists):
		fmt.Fprintf(e.stderr, "midobake backup: %s exists: give another --out-file, or --force to replace it\n", file)
		return failed{"backup file exists"}
	case errors.As(err, &prune):
		fmt.Fprintf(e.stderr, "midobake backup: the backup is written (%s), but removing older ones failed: %v\n", file, prune.Err)
		return err
	case err != nil:
		fmt.Fprintf(e.stderr, "midobake backup: %v (nothing was written to %s)\n", err, file)
		return err
	case format == "json":
		b, _ := json.MarshalIndent(saved, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	m := saved.Manifest
	fmt.Fprintf(e.stdout, "backed up cloud %s from %s: %d nodes at zxid %s (%d ephemeral left out) to %s, sha256 %s\n",
		cloud.Printable(m.Cloud, 80), strings.Join(servers, ","), m.Nodes, m.ZxidHex(), m.Ephemeral, file, m.SHA256)
	if len(saved.Pruned) > 0 {
		fmt.Fprintf(e.stdout, "removed %d older backup(s), keeping the newest %d: %s\n", len(saved.Pruned), keep, strings.Join(saved.Pruned, ", "))
	}
	return nil
}

func runRestore(e *env, args []string) error {
	fs := flags(e, "restore",
		"Restore a backup into the cloud's ZooKeeper ensemble. The whole file is verified first\n"+
			"(its manifest, node count and SHA-256) and must be of this cloud; an ensemble that\n"+
			"holds data is refused unless --replace, which deletes it first. Stop midonet-cluster\n"+
			"and Midolman everywhere before, and start them after: see the README's runbook.")
	siteFile := fs.String("site", site.Path, "site data: the cloud description (`FILE`) naming the cloud and its ensemble")
	zkList := fs.String("zookeeper", "", "ZooKeeper servers (`HOST:PORT,...`); default: the description's ensemble")
	replace := fs.Bool("replace", false, "delete what the ensemble holds (ZooKeeper's own nodes aside) before restoring")
	format := fs.output(": json is the manifest", "text", "json")
	fs.rename("format", "o")
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(e.stderr, "midobake restore: give the backup FILE\n")
		fs.Usage()
		return errUsage
	}
	file := fs.Arg(0)
	open := func() (io.ReadCloser, error) { return os.Open(file) }
	// Verified before anything else: a bad file is said so without a ZooKeeper to reach.
	f, err := open()
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake restore: %v\n", err)
		return err
	}
	_, err = backup.Verify(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake restore: %s: %v; nothing was written\n", cloud.Printable(file, 300), err)
		return err
	}
	c, _, err := load(e, *siteFile, false)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	servers := ensemble(c, *zkList)
	conn, err := midonet.Session(ctx, servers)
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake restore: %v\n", err)
		return err
	}
	defer conn.Close()
	m, err := backup.Restore(conn, open, c.Name, *replace)
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake restore: %s: %v\n", cloud.Printable(file, 300), err)
		return err
	}
	if *format == "json" {
		b, _ := json.MarshalIndent(m, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintf(e.stdout, "restored cloud %s into %s: %d nodes, the tree at zxid %s taken %s\n",
		cloud.Printable(m.Cloud, 80), strings.Join(servers, ","), m.Nodes, m.ZxidHex(), cloud.Printable(m.Taken, 40))
	return nil
}
