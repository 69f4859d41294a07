package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/midobake/midobake/cloud"
)

// Builder makes what serve serves: the seeds, the cloud they are of and a line saying what
// that is. It runs at start and at every SIGHUP.
type Builder func() (Seeds, *cloud.Cloud, string, error)

// Serve builds the seeds, listens on listen and serves them until SIGINT or SIGTERM;
// SIGHUP builds them again, and a failed build keeps the last good seeds served. What it
// does is said on log, as "midobake serve: ...".
func Serve(listen, mode string, build Builder, log io.Writer) error {
	seeds, c, what, err := build()
	if err != nil {
		fmt.Fprintf(log, "midobake serve: %v\n", err)
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintf(log, "midobake serve: %v\n", err)
		return err
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && len(cloud.Secrets(c)) > 0 {
		fmt.Fprintf(log, "midobake serve: warning: the user-data holds repository credentials and %s is not a loopback address: anyone who reaches it can read them\n", ln.Addr())
	}
	h := NewHandler(seeds, log)
	h.SetCloud(c)
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
	fmt.Fprintf(log, "midobake serve: %s (%s user-data) on http://%s/NAME/\n", what, mode, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	for {
		select {
		case s := <-stop:
			return shutdown(log, srv, done, s)
		default:
		}
		select {
		case err := <-done:
			return err
		case s := <-stop:
			return shutdown(log, srv, done, s)
		case <-hup:
			reload(h, build, log)
		}
	}
}

// reload builds the seeds again and serves them, or says why not and keeps the last good
// ones (and their hosts).
func reload(h *Handler, build Builder, log io.Writer) {
	fresh, c, what, err := build()
	if err != nil {
		fmt.Fprintf(log, "midobake serve: reload failed, still serving the last good version: %v\n", err)
		return
	}
	h.Swap(fresh)
	h.SetCloud(c)
	fmt.Fprintf(log, "midobake serve: reloaded: %s\n", what)
}

// shutdown stops the server gracefully: requests in flight finish, within ten seconds.
func shutdown(log io.Writer, srv *http.Server, done chan error, s os.Signal) error {
	fmt.Fprintf(log, "midobake serve: %s: shutting down\n", s)
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
