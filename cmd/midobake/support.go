package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/internal/atomicfile"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/site"
	"github.com/midobake/midobake/support"
	"github.com/midobake/midobake/system"
)

func runSupport(e *env, args []string) error {
	fs := flags(e, "support",
		"Gather what a support engineer asks for about this host into one archive (tar.gz):\n"+
			"midobake's state, report and log; the journal since boot of ZooKeeper, Cassandra,\n"+
			"midonet-cluster, Midolman and midobake's units; their configuration; on the CLC\n"+
			"mn-conf dump and MidoNet's hosts and tunnel zones; the host's addresses, links, routes,\n"+
			"firewall, packages and time sync. Secrets are redacted (the description's, and the\n"+
			"values of keys that name one); INDEX.txt and index.json list every item, and what could\n"+
			"not be gathered and why. Run it as root on the host.")
	siteFile := fs.String("site", "", "site data: the cloud description (`FILE`; default "+site.Path+" under --root)")
	host := fs.String("host", "", "this host's `NAME` in the site data (default: found by host name, then addresses)")
	out := fs.String("out-file", "", "write the archive to `FILE` (default midobake-support-HOST-TIME.tar.gz here; never over\nan existing file without --force)")
	force := fs.Bool("force", false, "replace an existing --out-file FILE")
	root := fs.String("root", "/", "file system root the files are read under (`DIR`)")
	api := fs.String("api", midonet.DefaultAPI, "MidoNet REST API `URL` (on the CLC)")
	maxSize := fs.String("max-size", "64MiB", "bound on the bundle's content before compression (`SIZE`); items past it are\nleft out and listed")
	format := fs.outputOrFile("out-file", "text", "json")
	fs.rename("format", "o")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	limit, err := supportLimits(e, *maxSize, *root)
	if err != nil {
		return err
	}

	// The bundle is for a host in trouble: site data that is missing or does not load is noted,
	// and everything is gathered all the same (MidoNet's view too, when it is not known whether
	// this is the CLC).
	sitePath := *siteFile
	if sitePath == "" {
		sitePath = filepath.Join(*root, site.Path)
	}
	name, clc, note := whoAmI(sitePath, *host)
	if note != "" {
		fmt.Fprintf(e.stderr, "midobake support: %s; gathering everything\n", note)
	}
	now := time.Now()
	if *out == "" {
		*out = fmt.Sprintf("midobake-support-%s-%s.tar.gz", name, now.UTC().Format("20060102T150405Z"))
	}
	if _, err := os.Lstat(*out); err == nil && !*force {
		fmt.Fprintf(e.stderr, "midobake support: %s exists: give another --out-file, or --force to replace it\n", cloud.Printable(*out, 300))
		return failed{"bundle exists"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	items := support.Items(support.Plan{CLC: clc, API: midonet.NewClient(*api, &http.Client{Timeout: 10 * time.Second})})
	prog := newProgress(e)
	idx, err := atomicfile.Write(*out, func(w io.Writer) (support.Index, error) {
		return support.Write(ctx, w, items, support.Options{Root: *root, Host: name, MaxTotal: limit, Now: now,
			Progress: func(done, total int, item string) { prog.count("gathering", done, total) }})
	})
	prog.done()
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake support: %v (nothing was written to %s)\n", err, cloud.Printable(*out, 300))
		return err
	}
	return printSupport(e, *out, idx, *format)
}

// supportLimits checks --max-size and --root; the size in bytes.
func supportLimits(e *env, maxSize, root string) (int, error) {
	limit, err := emit.ParseSize(maxSize)
	if err != nil || limit < 64<<10 {
		fmt.Fprintf(e.stderr, "midobake support: --max-size %q: give a size of at least 64KiB (like 64MiB)\n", cloud.Printable(maxSize, 40))
		return 0, errUsage
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		fmt.Fprintf(e.stderr, "midobake support: --root %s is not a directory\n", cloud.Printable(root, 300))
		return 0, errUsage
	}
	return limit, nil
}

// printSupport says what the bundle holds: the index as JSON, or a line of counts.
func printSupport(e *env, out string, idx support.Index, format string) error {
	if format == "json" {
		b, _ := json.MarshalIndent(struct {
			File string `json:"file"`
			support.Index
		}{out, idx}, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	counts, bytes, redacted := map[string]int{}, 0, 0
	for _, en := range idx.Entries {
		counts[en.Status]++
		bytes += en.Bytes
		redacted += en.Redacted
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d items (%d gathered, %d missing, %d failed, %d left out), %s before compression, %d secrets redacted; INDEX.txt lists them\n",
		cloud.Printable(out, 300), len(idx.Entries), counts[support.StatusOK], counts[support.StatusMissing], counts[support.StatusFailed], counts[support.StatusLeftOut],
		emit.HumanSize(bytes), redacted)
	return nil
}

// whoAmI is this host's name for the bundle, whether it is the CLC, and why either is a guess.
func whoAmI(sitePath, host string) (name string, clc bool, note string) {
	name = host
	if name == "" {
		name, _ = os.Hostname()
	}
	name = safeName(name)
	f, err := os.Open(sitePath)
	if err != nil {
		return name, true, fmt.Sprintf("cannot read the site data: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, system.MaxRead+1))
	if err != nil || len(data) > system.MaxRead {
		return name, true, fmt.Sprintf("cannot read the site data %s (at most %d MiB)", cloud.Printable(sitePath, 300), system.MaxRead>>20)
	}
	c, _ := cloud.Load(sitePath, data)
	if c == nil {
		return name, true, fmt.Sprintf("the site data %s does not load (the bundle holds it)", cloud.Printable(sitePath, 300))
	}
	h, err := site.FindHost(c, host, system.HostIdentity{})
	if err != nil {
		return name, true, fmt.Sprintf("this host is not found in the site data: %v", err)
	}
	return safeName(h.Name), h.Has(cloud.RoleCLC), ""
}

var unsafeNameRE = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// safeName is a host name fit for a file name: a machine's own name can be anything.
func safeName(s string) string {
	s = strings.Trim(unsafeNameRE.ReplaceAllString(s, "_"), "._")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		return "host"
	}
	return s
}
