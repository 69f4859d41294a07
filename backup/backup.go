// Package backup takes a consistent copy of a cloud's ZooKeeper tree (MidoNet's topology under
// /midonet, midobake's announcements and reports) and restores it into an empty ensemble.
//
// ZooKeeper 3.4, which MidoNet 5 runs on, has no backup API and no multi-node read. A backup
// walks the tree and leaves a watch on every node it reads; a node that changes after it was
// read fires its watch and is read again, until a round trip to the server finds every watch
// quiet. At that moment each node still held what was read of it, so the copy is the tree as
// it stood then: one that existed, whatever writes went on during the walk.
//
// The file is gzip-compressed JSON lines: a header, one line per persistent node (parents
// before children; data and ACL), and a trailer, the manifest, which carries the SHA-256 of
// every line before it. Restore verifies all of it before it writes anything.
package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// Format is the version of the file format this package writes and reads.
const Format = 1

// MaxLine bounds one line of a backup: ZooKeeper's own limit on a node's data is 1 MiB,
// which base64 and the ACL make at most about 1.4 MiB.
const MaxLine = 2 << 20

// MaxNodes bounds a backup's node count, well past any cloud's topology (a large MidoNet
// cloud holds tens of thousands); reading one keeps every path, to refuse duplicates.
const MaxNodes = 1_000_000

// Manifest describes a backup; it is the file's last line.
type Manifest struct {
	Format int    `json:"format"`
	Cloud  string `json:"cloud"`
	Taken  string `json:"taken"` // RFC 3339, UTC
	// Zxid is the newest transaction the tree reflects: the highest zxid that created,
	// changed or changed the children of any node in it.
	Zxid      int64  `json:"zxid"`
	Nodes     int    `json:"nodes"`
	Ephemeral int    `json:"ephemeralLeftOut"` // ephemeral nodes seen and not backed up
	SHA256    string `json:"sha256"`           // of every line before the manifest
}

// ZxidHex is the zxid as ZooKeeper's logs and srvr write it.
func (m Manifest) ZxidHex() string { return fmt.Sprintf("0x%x", m.Zxid) }

// Node is one persistent node of the tree.
type Node struct {
	Path string `json:"path"`
	Data []byte `json:"data,omitempty"`
	ACL  []ACL  `json:"acl"`
}

// ACL is one entry of a node's access control list.
type ACL struct {
	Perms  int32  `json:"perms"`
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
}

type header struct {
	Backup string `json:"midobakeZooKeeperBackup"` // the cloud
	Format int    `json:"format"`
}

type trailer struct {
	Manifest *Manifest `json:"manifest"`
}

// skipped are ZooKeeper's own nodes: never backed up, never restored over.
func skipped(p string) bool { return p == "/zookeeper" || strings.HasPrefix(p, "/zookeeper/") }

// node is what the walk holds of one node while the tree may still change.
type node struct {
	data     []byte
	acl      []zk.ACL
	children []string
	stat     zk.Stat
	watches  [2]<-chan zk.Event // data, children
}

// Take writes a consistent backup of every persistent node to w and returns its manifest.
// It gives up when the tree is still changing when ctx ends.
func Take(ctx context.Context, conn *zk.Conn, cloudName string, now time.Time, w io.Writer) (Manifest, error) {
	nodes, ephemeral, err := snapshot(ctx, conn)
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{Format: Format, Cloud: cloudName, Taken: now.UTC().Format(time.RFC3339), Ephemeral: ephemeral}
	paths := make([]string, 0, len(nodes))
	for p, n := range nodes {
		if p != "/" {
			paths = append(paths, p)
		}
		m.Zxid = max(m.Zxid, n.stat.Czxid, n.stat.Mzxid, n.stat.Pzxid)
	}
	// Sorted, every parent comes before its children (it is a prefix of theirs): the order
	// restore creates them in.
	sort.Strings(paths)
	zw := gzip.NewWriter(w)
	sum := sha256.New()
	out := io.MultiWriter(zw, sum)
	line := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = out.Write(append(b, '\n'))
		return err
	}
	if err := line(header{Backup: cloudName, Format: Format}); err != nil {
		return Manifest{}, err
	}
	for _, p := range paths {
		n := nodes[p]
		acl := make([]ACL, len(n.acl))
		for i, a := range n.acl {
			acl[i] = ACL{Perms: a.Perms, Scheme: a.Scheme, ID: a.ID}
		}
		if err := line(Node{Path: p, Data: n.data, ACL: acl}); err != nil {
			return Manifest{}, err
		}
	}
	m.Nodes = len(paths)
	m.SHA256 = hex.EncodeToString(sum.Sum(nil))
	b, _ := json.Marshal(trailer{Manifest: &m})
	if _, err := zw.Write(append(b, '\n')); err != nil {
		return Manifest{}, err
	}
	return m, zw.Close()
}

// snapshot reads the whole tree, watching every node, and reads again what changed until a
// round trip finds nothing changed: see the package comment.
func snapshot(ctx context.Context, conn *zk.Conn) (map[string]*node, int, error) {
	nodes := map[string]*node{}
	ephemeral := map[string]bool{}
	dirty := []string{"/"}
	for round := 0; ; round++ {
		for len(dirty) > 0 {
			p := dirty[len(dirty)-1]
			dirty = dirty[:len(dirty)-1]
			if skipped(p) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, 0, fmt.Errorf("the tree was still changing when the backup gave up (%d rounds): %w", round, err)
			}
			n, err := read(conn, p)
			if errors.Is(err, zk.ErrNoNode) {
				forget(nodes, p)
				continue
			}
			if err != nil {
				return nil, 0, fmt.Errorf("read %s: %w", p, err)
			}
			if n.stat.EphemeralOwner != 0 {
				ephemeral[p] = true
				continue
			}
			old := nodes[p]
			nodes[p] = n
			kids := map[string]bool{}
			for _, c := range n.children {
				child := path.Join(p, c)
				kids[child] = true
				if _, known := nodes[child]; !known {
					dirty = append(dirty, child)
				}
			}
			if old != nil {
				for _, c := range old.children {
					if child := path.Join(p, c); !kids[child] {
						forget(nodes, child)
						delete(ephemeral, child)
					}
				}
			}
		}
		// Every watch event the server sent before it answers this sync has been handed to
		// its channel by the time Sync returns.
		if _, err := conn.Sync("/"); err != nil {
			return nil, 0, fmt.Errorf("sync: %w", err)
		}
		for p, n := range nodes {
			if fired(n.watches[0]) || fired(n.watches[1]) {
				dirty = append(dirty, p)
			}
		}
		if len(dirty) == 0 {
			return nodes, len(ephemeral), nil
		}
	}
}

// read reads one node with watches on its data and its children.
func read(conn *zk.Conn, p string) (*node, error) {
	data, stat, dataWatch, err := conn.GetW(p)
	if err != nil {
		return nil, err
	}
	n := &node{data: data, stat: *stat}
	if stat.EphemeralOwner != 0 {
		return n, nil
	}
	children, _, childWatch, err := conn.ChildrenW(p)
	if err != nil {
		return nil, err
	}
	acl, _, err := conn.GetACL(p)
	if err != nil {
		return nil, err
	}
	sort.Strings(children)
	n.children, n.acl, n.watches = children, acl, [2]<-chan zk.Event{dataWatch, childWatch}
	return n, nil
}

// forget drops a node and everything under it.
func forget(nodes map[string]*node, p string) {
	n, ok := nodes[p]
	if !ok {
		return
	}
	delete(nodes, p)
	for _, c := range n.children {
		forget(nodes, path.Join(p, c))
	}
}

func fired(ch <-chan zk.Event) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Verify reads a whole backup and checks it: a header, well-formed nodes whose parents come
// first, a manifest whose node count and SHA-256 match what came before it, nothing after.
// A truncated or corrupt file, or one that is not a backup, is an error saying which.
func Verify(r io.Reader) (Manifest, error) {
	return scan(r, nil)
}

// scan reads a backup, handing each node to each (when not nil) as it is read, and verifies
// it (see Verify); each sees nodes only as they come, so a caller that must not act on an
// unverified file verifies first.
func scan(r io.Reader, each func(Node) error) (Manifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Manifest{}, errors.New("not a midobake backup (not gzip-compressed)")
	}
	br := bufio.NewReaderSize(zr, 64<<10)
	sum := sha256.New()
	readLine := func() ([]byte, error) {
		var b []byte
		for {
			part, err := br.ReadSlice('\n')
			b = append(b, part...)
			if len(b) > MaxLine {
				return nil, fmt.Errorf("a line longer than %d bytes: not a midobake backup, or corrupt", MaxLine)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if len(b) == 0 {
					return nil, io.EOF
				}
				return nil, errors.New("truncated: the file ends in the middle of a line")
			}
			if err != nil {
				return nil, truncated(err)
			}
			return b, nil
		}
	}
	first, err := readLine()
	if err != nil {
		return Manifest{}, fmt.Errorf("not a midobake backup: %w", eofIsEmpty(err))
	}
	var h header
	if json.Unmarshal(first, &h) != nil || h.Backup == "" {
		return Manifest{}, errors.New("not a midobake backup (no header)")
	}
	if h.Format != Format {
		return Manifest{}, fmt.Errorf("a backup of format %d; this midobake reads format %d", h.Format, Format)
	}
	sum.Write(first)
	count := 0
	seen := map[string]bool{"/": true}
	for {
		b, err := readLine()
		if errors.Is(err, io.EOF) {
			return Manifest{}, errors.New("truncated: the file ends before its manifest")
		}
		if err != nil {
			return Manifest{}, err
		}
		var t trailer
		if json.Unmarshal(b, &t) == nil && t.Manifest != nil {
			m := *t.Manifest
			if _, err := readLine(); !errors.Is(err, io.EOF) {
				return Manifest{}, errors.New("corrupt: something follows the manifest")
			}
			switch {
			case m.Cloud != h.Backup:
				return Manifest{}, fmt.Errorf("corrupt: the manifest names cloud %q, the header %q", m.Cloud, h.Backup)
			case m.Nodes != count:
				return Manifest{}, fmt.Errorf("corrupt: the manifest counts %d nodes, the file holds %d", m.Nodes, count)
			case m.SHA256 != hex.EncodeToString(sum.Sum(nil)):
				return Manifest{}, errors.New("corrupt: the content does not match the manifest's SHA-256")
			}
			return m, nil
		}
		var n Node
		if err := json.Unmarshal(b, &n); err != nil || n.Path == "" {
			return Manifest{}, fmt.Errorf("corrupt: line %d is not a node", count+2)
		}
		if n.Path != path.Clean(n.Path) || !strings.HasPrefix(n.Path, "/") || n.Path == "/" || skipped(n.Path) {
			return Manifest{}, fmt.Errorf("corrupt: line %d: %q is not a node path a backup holds", count+2, printable(n.Path))
		}
		if !seen[path.Dir(n.Path)] || seen[n.Path] {
			return Manifest{}, fmt.Errorf("corrupt: line %d: %s comes before its parent, or twice", count+2, printable(n.Path))
		}
		seen[n.Path] = true
		if count++; count > MaxNodes {
			return Manifest{}, fmt.Errorf("more than %d nodes: not a backup midobake wrote", MaxNodes)
		}
		sum.Write(b)
		if each != nil {
			if err := each(n); err != nil {
				return Manifest{}, err
			}
		}
	}
}

func truncated(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("truncated: the compressed stream ends early")
	}
	return fmt.Errorf("corrupt: %w", err)
}

func eofIsEmpty(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("the file is empty")
	}
	return err
}

// printable keeps a path read from a file to one short line.
func printable(s string) string {
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// Holding lists the top-level nodes the ensemble holds, ZooKeeper's own left out: what a
// restore without Replace refuses to write over.
func Holding(conn *zk.Conn) ([]string, error) {
	children, _, err := conn.Children("/")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range children {
		if !skipped("/" + c) {
			out = append(out, "/"+c)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Restore writes a verified backup into the ensemble: open reopens the file for each pass
// (the first verifies it whole; nothing is written unless it passes). wantCloud, when not
// empty, is the cloud the backup must be of. An ensemble that holds anything (ZooKeeper's
// own nodes aside) is refused unless replace, which deletes what it holds first.
func Restore(conn *zk.Conn, open func() (io.ReadCloser, error), wantCloud string, replace bool) (Manifest, error) {
	f, err := open()
	if err != nil {
		return Manifest{}, err
	}
	m, err := Verify(f)
	f.Close()
	if err != nil {
		return Manifest{}, err
	}
	if wantCloud != "" && m.Cloud != wantCloud {
		return m, fmt.Errorf("this is a backup of cloud %q, not of %q: nothing was written", printable(m.Cloud), printable(wantCloud))
	}
	held, err := Holding(conn)
	if err != nil {
		return m, err
	}
	if len(held) > 0 {
		if !replace {
			return m, fmt.Errorf("the ensemble already holds %s: nothing was written (restore --replace deletes it first)", strings.Join(held, ", "))
		}
		for _, p := range held {
			if err := deleteTree(conn, p); err != nil {
				return m, fmt.Errorf("delete %s: %w", p, err)
			}
		}
	}
	if f, err = open(); err != nil {
		return m, err
	}
	defer f.Close()
	created := 0
	_, err = scan(f, func(n Node) error {
		acl := make([]zk.ACL, len(n.ACL))
		for i, a := range n.ACL {
			acl[i] = zk.ACL{Perms: a.Perms, Scheme: a.Scheme, ID: a.ID}
		}
		if len(acl) == 0 {
			acl = zk.WorldACL(zk.PermAll)
		}
		if _, err := conn.Create(n.Path, n.Data, 0, acl); err != nil {
			return fmt.Errorf("create %s: %w", n.Path, err)
		}
		created++
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("%w; the restore stopped after %d of %d nodes: the ensemble holds part of the backup (restore --replace starts over)", err, created, m.Nodes)
	}
	return m, nil
}

// deleteTree deletes a node and everything under it, children first.
func deleteTree(conn *zk.Conn, p string) error {
	children, _, err := conn.Children(p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := deleteTree(conn, path.Join(p, c)); err != nil {
			return err
		}
	}
	if err := conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return err
	}
	return nil
}
