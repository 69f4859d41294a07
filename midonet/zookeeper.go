package midonet

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Serving asks one ZooKeeper server whether it serves clients, with the "srvr" four-letter
// word: a Member of an ensemble without quorum answers that it is not serving. Servers that
// do not allow "srvr" are asked "ruok" instead.
func Serving(ctx context.Context, addr string) error {
	answer, err := fourLetter(ctx, addr, "srvr")
	if err != nil {
		return err
	}
	switch {
	case strings.Contains(answer, "Mode:"):
		return nil
	case strings.Contains(answer, "not in the whitelist"):
		if ok, err := fourLetter(ctx, addr, "ruok"); err == nil && strings.TrimSpace(ok) == "imok" {
			return nil
		}
	}
	return fmt.Errorf("ZooKeeper %s is up but not serving: %s", addr, firstLine(answer))
}

func fourLetter(ctx context.Context, addr, word string) (string, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := conn.Write([]byte(word)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(conn, 64<<10))
	if err != nil && len(b) == 0 {
		return "", err
	}
	return string(b), nil
}

// TCPOpen reports whether something accepts connections at addr (Cassandra's CQL port).
func TCPOpen(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if l == "" {
		return "(no answer)"
	}
	return l
}

// Mode is what one ZooKeeper server says it is ("leader", "follower", "standalone"), from
// "srvr"; a server that answers but does not serve, or does not answer, is an error.
func Mode(ctx context.Context, addr string) (string, error) {
	answer, err := fourLetter(ctx, addr, "srvr")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(answer, "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "Mode:"); ok {
			return strings.TrimSpace(m), nil
		}
	}
	if strings.Contains(answer, "not in the whitelist") {
		if err := Serving(ctx, addr); err == nil {
			return "serving", nil
		}
	}
	return "", fmt.Errorf("up but not serving: %s", firstLine(answer))
}
