package midonet

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/midobake/midobake/report"
)

// Dial starts a ZooKeeper client that connects (and reconnects) in the background: it never
// blocks on an unreachable ensemble. Its events say when it has a session.
func Dial(servers []string) (*zk.Conn, <-chan zk.Event, error) {
	return zk.Connect(servers, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
}

// Put writes data at node, making its parents, and reports whether it changed.
func Put(conn *zk.Conn, node string, data []byte) (bool, error) {
	if err := MakeDir(conn, path.Dir(node)); err != nil {
		return false, err
	}
	old, stat, err := conn.Get(node)
	switch {
	case errors.Is(err, zk.ErrNoNode):
		if _, err := conn.Create(node, data, 0, zk.WorldACL(zk.PermAll)); err != nil {
			return false, fmt.Errorf("create %s: %w", node, err)
		}
		return true, nil
	case err != nil:
		return false, err
	case string(old) == string(data):
		return false, nil
	}
	if _, err := conn.Set(node, data, stat.Version); err != nil {
		return false, fmt.Errorf("set %s: %w", node, err)
	}
	return true, nil
}

// MakeDir makes a node and its parents, each without data, where they are missing.
func MakeDir(conn *zk.Conn, dir string) error {
	p := ""
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		p += "/" + part
		if _, err := conn.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", p, err)
		}
	}
	return nil
}

// PutReport publishes a host's report under report.Dir.
func PutReport(conn *zk.Conn, cloudName, host string, data []byte) (bool, error) {
	return Put(conn, path.Join(report.Dir(cloudName), host), data)
}

// Stored is a report as read from ZooKeeper: parsed, or why it is not trusted.
type Stored struct {
	Name   string
	Report report.Report
	Bad    string // why the node is not a report of the host it is named after
	Source string // where it was read: zookeeper, serve
}

// readers is how many reads of reports are in flight at once: the client pipelines them on
// its one connection, which is what makes 10,000 reports a matter of a second.
const readers = 64

// Reports reads every report of the cloud, sorted by name.
func Reports(conn *zk.Conn, cloudName string) ([]Stored, error) {
	dir := report.Dir(cloudName)
	names, _, err := conn.Children(dir)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Stored, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(readers, len(names)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data, _, err := conn.Get(path.Join(dir, names[i]))
				out[i].Name = names[i]
				switch {
				case errors.Is(err, zk.ErrNoNode):
					out[i].Bad = "gone" // deleted meanwhile
				case err != nil:
					errs[i] = err
				default:
					out[i].Report, out[i].Bad = report.Parse(names[i], data)
				}
			}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	var kept []Stored
	for i, s := range out {
		if errs[i] != nil {
			return nil, fmt.Errorf("read %s: %w", path.Join(dir, names[i]), errs[i])
		}
		if s.Bad != "gone" {
			kept = append(kept, s)
		}
	}
	return kept, nil
}
