package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

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
		fmt.Fprintf(e.stderr, "midobake serve: --mode %q: use full or baked\n", *mode)
		return errUsage
	}
	secrets := false
	var built *cloud.Cloud
	build := func() (seed.Seeds, string, error) {
		c, in, err := load(e, *file, false)
		if err != nil {
			return nil, "", err
		}
		// The templates are read again with the cloud file: a bad one is a failed reload,
		// and the last good seeds keep being served.
		if err := ro.loadTemplates(); err != nil {
			return nil, "", err
		}
		tree, err := ro.render(c, in.data)
		if err != nil {
			return nil, "", err
		}
		var served []emit.DocSize
		for _, d := range emit.UserDataSizes(tree) {
			if strings.HasSuffix(d.Path, "/user-data."+string(kind)+".yaml") {
				served = append(served, d)
			}
		}
		if err := checkSizes(e, served, ro.limit, ro.byReference()); err != nil {
			return nil, "", err
		}
		s, err := seed.Build(c, tree, kind)
		if err != nil {
			return nil, "", err
		}
		built = c // only a good build: a failed reload keeps the hosts of the last good one
		secrets = len(cloud.Secrets(c)) > 0
		return s, fmt.Sprintf("cloud %s, %d hosts", c.Name, len(c.Hosts)), err
	}
	seeds, what, err := build()
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake serve: %v\n", err)
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(e.stderr, "midobake serve: %v\n", err)
		return err
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && secrets {
		fmt.Fprintf(e.stderr, "midobake serve: warning: the user-data holds repository credentials and %s is not a loopback address: anyone who reaches it can read them\n", ln.Addr())
	}
	h := seed.NewHandler(seeds, e.stderr)
	h.SetCloud(built)
	// Seeds are small: a client that holds a connection open without asking, or reads
	// slower than this, is cut off rather than kept forever.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: time.Minute, IdleTimeout: time.Minute}
	// Stop and reload signals come on channels of their own: a storm of SIGHUPs (which
	// coalesce: one pending reload is enough) can never crowd out a SIGTERM, and a stop that
	// arrives during a reload is seen as soon as it ends. They are caught before serve says
	// it listens: a SIGHUP sent on that line must reload, not kill it.
	stop, hup := make(chan os.Signal, 1), make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(stop)
	defer signal.Stop(hup)
	fmt.Fprintf(e.stderr, "midobake serve: %s (%s user-data) on http://%s/NAME/\n", what, *mode, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	for {
		select {
		case s := <-stop:
			return shutdown(e, srv, done, s)
		default:
		}
		select {
		case err := <-done:
			return err
		case s := <-stop:
			return shutdown(e, srv, done, s)
		case <-hup:
			if fresh, what, err := build(); err != nil {
				fmt.Fprintf(e.stderr, "midobake serve: reload failed, still serving the last good version: %v\n", err)
			} else {
				h.Swap(fresh)
				h.SetCloud(built)
				fmt.Fprintf(e.stderr, "midobake serve: reloaded: %s\n", what)
			}
		}
	}
}

// shutdown stops the server gracefully: requests in flight finish, within ten seconds.
func shutdown(e *env, srv *http.Server, done chan error, s os.Signal) error {
	fmt.Fprintf(e.stderr, "midobake serve: %s: shutting down\n", s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
