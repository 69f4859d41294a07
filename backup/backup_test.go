package backup

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/midonet"
)

func server(t *testing.T) (*zk.Conn, string) {
	t.Helper()
	z := testenv.NewZooKeeper(t)
	z.Start(t)
	addr := fmt.Sprintf("127.0.0.1:%d", z.Port)
	conn, err := midonet.Session(context.Background(), []string{addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	return conn, addr
}

func mustCreate(t *testing.T, conn *zk.Conn, p string, data []byte, flags int32, acl []zk.ACL) {
	t.Helper()
	if _, err := conn.Create(p, data, flags, acl); err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
}

// tree reads every node under / (ZooKeeper's own left out) as the backup file holds them.
func tree(t *testing.T, conn *zk.Conn) []Node {
	t.Helper()
	var out []Node
	var walk func(p string)
	walk = func(p string) {
		children, _, err := conn.Children(p)
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(children)
		for _, c := range children {
			child := path.Join(p, c)
			if skipped(child) {
				continue
			}
			data, _, err := conn.Get(child)
			if err != nil {
				t.Fatal(err)
			}
			acl, _, err := conn.GetACL(child)
			if err != nil {
				t.Fatal(err)
			}
			n := Node{Path: child, Data: data}
			for _, a := range acl {
				n.ACL = append(n.ACL, ACL(a))
			}
			if len(n.Data) == 0 {
				n.Data = nil
			}
			out = append(out, n)
			walk(child)
		}
	}
	walk("/")
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// nodesOf reads a backup's nodes.
func nodesOf(t *testing.T, b []byte) []Node {
	t.Helper()
	var out []Node
	if _, err := scan(bytes.NewReader(b), func(n Node) error {
		if len(n.Data) == 0 {
			n.Data = nil
		}
		out = append(out, n)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func opener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// TestBackupWhileWritingRestoresAStateThatExisted: a tree of MidoNet's shape (binary data,
// a read-only ACL, an ephemeral node) is backed up while a writer keeps changing it in
// transactions that each add a node and set three counters, read far apart, to the count: a
// backup whose counters and nodes disagree would be a tree that never existed. Restored into another, empty
// server, the tree is the backup node for node, data and ACL; the ephemeral node is left
// out and counted.
func TestBackupWhileWritingRestoresAStateThatExisted(t *testing.T) {
	src, _ := server(t)
	dst, _ := server(t)
	open := zk.WorldACL(zk.PermAll)
	readOnly := []zk.ACL{{Perms: zk.PermRead, Scheme: "world", ID: "anyone"}}
	mustCreate(t, src, "/midonet", nil, 0, open)
	mustCreate(t, src, "/midonet/zoom", []byte("0"), 0, open)
	for i := 0; i < 150; i++ {
		mustCreate(t, src, fmt.Sprintf("/midonet/zoom/obj-%03d", i), []byte{byte(i), 0, 0xff, '\n'}, 0, open)
	}
	mustCreate(t, src, "/midonet/frozen", []byte("read only"), 0, readOnly)
	mustCreate(t, src, "/midobake", nil, 0, open)
	mustCreate(t, src, "/midobake/alive", []byte("ephemeral"), zk.FlagEphemeral, open)
	mustCreate(t, src, "/midonet/writes", []byte("0"), 0, open)
	// Two counters the walk reads far apart (the whole of /midonet between them).
	mustCreate(t, src, "/aa-counter", []byte("0"), 0, open)
	mustCreate(t, src, "/zz-counter", []byte("0"), 0, open)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	var written int
	go func() {
		defer wg.Done()
		for k := 1; ctx.Err() == nil; k++ {
			if _, err := src.Multi(
				&zk.CreateRequest{Path: fmt.Sprintf("/midonet/writes/w-%05d", k), Data: []byte("x"), Acl: open},
				&zk.SetDataRequest{Path: "/midonet/writes", Data: []byte(strconv.Itoa(k)), Version: -1},
				&zk.SetDataRequest{Path: "/aa-counter", Data: []byte(strconv.Itoa(k)), Version: -1},
				&zk.SetDataRequest{Path: "/zz-counter", Data: []byte(strconv.Itoa(k)), Version: -1},
			); err != nil {
				t.Errorf("write %d: %v", k, err)
				return
			}
			written = k
			time.Sleep(5 * time.Millisecond)
		}
	}()
	time.Sleep(200 * time.Millisecond) // the writer is under way
	var file bytes.Buffer
	tctx, tcancel := context.WithTimeout(context.Background(), 60*time.Second)
	m, err := Take(tctx, src, "prod", time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), &file)
	tcancel()
	time.Sleep(100 * time.Millisecond) // and went on after it
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	nodes := nodesOf(t, file.Bytes())
	count, writes, first, last := -1, 0, -1, -2
	for _, n := range nodes {
		switch {
		case n.Path == "/aa-counter":
			first, _ = strconv.Atoi(string(n.Data))
		case n.Path == "/zz-counter":
			last, _ = strconv.Atoi(string(n.Data))
		case n.Path == "/midonet/writes":
			count, _ = strconv.Atoi(string(n.Data))
		case strings.HasPrefix(n.Path, "/midonet/writes/"):
			writes++
		case n.Path == "/midobake/alive":
			t.Errorf("the ephemeral node was backed up")
		}
	}
	if count < 1 || count != writes || count != first || count != last || count >= written {
		t.Errorf("the backup holds counters %d, %d, %d and %d written nodes (the writer reached %d): not a state that existed during the writes", first, count, last, writes, written)
	}
	if m.Nodes != len(nodes) || m.Ephemeral != 1 || m.Cloud != "prod" || m.Taken != "2026-12-03T10:00:00Z" || m.Zxid == 0 {
		t.Errorf("manifest %+v (file holds %d nodes)", m, len(nodes))
	}

	got, err := Restore(dst, opener(file.Bytes()), "prod", false)
	if err != nil {
		t.Fatal(err)
	}
	if got != m {
		t.Errorf("restore read manifest %+v, backup wrote %+v", got, m)
	}
	if diff := cmp.Diff(nodes, tree(t, dst)); diff != "" {
		t.Errorf("the restored tree is not the backup (-backup +restored):\n%s", diff)
	}
	if _, err := dst.Create("/midonet/frozen/child", nil, 0, open); !errors.Is(err, zk.ErrNoAuth) {
		t.Errorf("the read-only ACL was not restored: creating under it gave %v", err)
	}
}

// TestRestoreRefuses: a backup of another cloud, a corrupt or truncated file, something that
// is not a backup, and an ensemble that holds data are refused with nothing written; with
// replace, the data it held is gone and the backup is in its place.
func TestRestoreRefuses(t *testing.T) {
	src, _ := server(t)
	mustCreate(t, src, "/midonet", []byte("topology"), 0, zk.WorldACL(zk.PermAll))
	for i := 0; i < 20; i++ {
		mustCreate(t, src, fmt.Sprintf("/midonet/n%d", i), bytes.Repeat([]byte{byte(i)}, 100), 0, zk.WorldACL(zk.PermAll))
	}
	var file bytes.Buffer
	if _, err := Take(context.Background(), src, "prod", time.Now(), &file); err != nil {
		t.Fatal(err)
	}
	good := file.Bytes()
	dst, _ := server(t)
	corrupt := append([]byte{}, good...)
	corrupt[len(corrupt)/2] ^= 0x55
	// A backup whose content was changed and re-compressed: gzip's own check passes.
	var tampered bytes.Buffer
	{
		plain := decompress(t, good)
		plain = bytes.Replace(plain, []byte(`"path":"/midonet/n3"`), []byte(`"path":"/midonet/nX"`), 1)
		tampered.Write(compress(t, plain))
	}
	for name, c := range map[string]struct {
		file  []byte
		cloud string
		want  string
	}{
		"another cloud": {good, "staging", `a backup of cloud "prod", not of "staging"`},
		"corrupt":       {corrupt, "prod", "corrupt"},
		"tampered":      {tampered.Bytes(), "prod", "does not match the manifest's SHA-256"},
		"truncated":     {good[:len(good)*2/3], "prod", "truncated"},
		"not a backup":  {[]byte("version: 1\nname: prod\n"), "prod", "not a midobake backup"},
		"empty":         {nil, "prod", "not a midobake backup"},
	} {
		_, err := Restore(dst, opener(c.file), c.cloud, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: restore gave %v, want an error saying %q", name, err, c.want)
		}
		if held, _ := Holding(dst); len(held) != 0 {
			t.Fatalf("%s: a refused restore wrote %v", name, held)
		}
	}
	mustCreate(t, dst, "/other", []byte("keep?"), 0, zk.WorldACL(zk.PermAll))
	if _, err := Restore(dst, opener(good), "prod", false); err == nil || !strings.Contains(err.Error(), "already holds /other") {
		t.Errorf("restore into an ensemble holding data: %v", err)
	}
	if _, err := Restore(dst, opener(good), "prod", true); err != nil {
		t.Fatalf("restore --replace: %v", err)
	}
	if diff := cmp.Diff(nodesOf(t, good), tree(t, dst)); diff != "" {
		t.Errorf("after replace (-backup +restored):\n%s", diff)
	}
}

func decompress(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compress(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
