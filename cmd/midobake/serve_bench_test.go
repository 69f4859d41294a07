package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/midobake/midobake/internal/synth"
)

// BenchmarkServe measures the real "midobake serve" process of a 10,000-host cloud under
// 1,000 concurrent clients on loopback, each on a connection of its own kept alive: requests
// per second for a host's meta-data and for a profile's user-data (the large document, the
// site data inline), and the server's peak resident memory. The clients speak just enough
// HTTP/1.1 to check every answer (status 200, the whole body) so that the machine's two cores
// go to the server as much as they can. Goal: 10,000 meta-data requests a second.
func BenchmarkServe(b *testing.B) {
	const hosts, clients = 10000, 1000
	dir := b.TempDir()
	file := filepath.Join(dir, "cloud.yaml")
	if err := os.WriteFile(file, synth.Cloud(hosts, 1), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-f", file, "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := bufio.NewReader(stderr)
	var addr string
	for addr == "" {
		line, err := lines.ReadString('\n')
		if err != nil {
			b.Fatalf("serve did not start: %v", err)
		}
		if m := regexp.MustCompile(`on http://([0-9.:]+)/NAME/`).FindStringSubmatch(line); m != nil {
			addr = m[1]
		}
	}
	go io.Copy(io.Discard, lines) // its request log, one line a request

	for _, doc := range []struct{ name, path string }{
		{"meta-data", "/nc00100/meta-data"},
		{"user-data", "/nc00100/user-data"},
	} {
		b.Run(doc.name, func(b *testing.B) {
			conns := make([]*client, clients)
			for i := range conns {
				if conns[i], err = dialClient(addr); err != nil {
					b.Fatal(err)
				}
				defer conns[i].conn.Close()
			}
			want, err := conns[0].get(doc.path)
			if err != nil || len(want) == 0 {
				b.Fatalf("GET %s: %v", doc.path, err)
			}
			b.SetBytes(int64(len(want)))
			b.ResetTimer()
			var next atomic.Int64
			var wg sync.WaitGroup
			var failure atomic.Value
			for _, c := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						body, err := c.get(doc.path)
						if err == nil && !bytes.Equal(body, want) {
							err = fmt.Errorf("GET %s: %d bytes, not the %d of the document", doc.path, len(body), len(want))
						}
						if err != nil {
							failure.CompareAndSwap(nil, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if err, _ := failure.Load().(error); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64(peakRSS(b, cmd.Process.Pid))/(1<<20), "serve-peak-MiB")
		})
	}
}

// client is one keep-alive connection that sends GETs and reads the answers.
type client struct {
	conn net.Conn
	r    *bufio.Reader
	body []byte
}

func dialClient(addr string) (*client, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	return &client{conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}, nil
}

// get sends one request and returns the body of a 200 answer (valid until the next get).
func (c *client) get(path string) ([]byte, error) {
	if _, err := io.WriteString(c.conn, "GET "+path+" HTTP/1.1\r\nHost: bench\r\n\r\n"); err != nil {
		return nil, err
	}
	status, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(status, "HTTP/1.1 200 ") {
		return nil, fmt.Errorf("GET %s: %s", path, strings.TrimSpace(status))
	}
	length := -1
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if length < 0 {
		return nil, fmt.Errorf("GET %s: no Content-Length", path)
	}
	if cap(c.body) < length {
		c.body = make([]byte, length)
	}
	c.body = c.body[:length]
	_, err = io.ReadFull(c.r, c.body)
	return c.body, err
}

// peakRSS is a process's peak resident set (VmHWM) in bytes.
func peakRSS(b *testing.B, pid int) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		b.Fatalf("no VmHWM in /proc/%d/status", pid)
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}
