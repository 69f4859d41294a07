package midonet

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/midobake/midobake/internal/testenv"
)

// severable dials ZooKeeper until cut, then fails: a host that died, whose session the
// server expires by itself.
type severable struct {
	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

func (s *severable) dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cut {
		return nil, fmt.Errorf("this host is dead")
	}
	c, err := net.DialTimeout(network, addr, timeout)
	if err == nil {
		s.conns = append(s.conns, c)
	}
	return c, err
}

func (s *severable) sever() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut = true
	for _, c := range s.conns {
		c.Close()
	}
}

// TestLockOfADeadHostExpires: a second contender waits, naming the holder; when the holder's
// host dies without giving the lock up, the lock goes with its session and the waiter has it.
// A waiter whose context ends holds nothing and leaves nothing behind.
func TestLockOfADeadHostExpires(t *testing.T) {
	z := testenv.NewZooKeeper(t)
	z.Start(t)
	servers := []string{fmt.Sprintf("127.0.0.1:%d", z.Port)}
	ctx := context.Background()
	dir := NSDBLockDir("lab")

	dead := &severable{}
	connA, events, err := zk.Connect(servers, 2*time.Second, zk.WithDialer(dead.dial), zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer connA.Close()
	for e := range events {
		if e.State == zk.StateHasSession {
			break
		}
	}
	if _, err := Lock(ctx, connA, dir, "nsdb1", nil); err != nil {
		t.Fatal(err)
	}

	connB, err := Session(ctx, servers)
	if err != nil {
		t.Fatal(err)
	}
	defer connB.Close()
	// A waiter that gives up holds nothing and leaves nothing.
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	if _, err := Lock(short, connB, dir, "nsdb3", nil); err == nil {
		t.Fatal("took a lock someone holds")
	}
	cancel()
	if left, _, _ := connB.Children(dir); len(left) != 1 {
		t.Errorf("after a waiter gave up the lock's directory holds %v, want the holder's node only", left)
	}

	waitedFor := make(chan string, 10)
	got := make(chan error, 1)
	go func() {
		unlock, err := Lock(ctx, connB, dir, "nsdb2", func(h string) { waitedFor <- h })
		if err == nil {
			err = unlock()
		}
		got <- err
	}()
	if h := <-waitedFor; h != `"nsdb1"` {
		t.Errorf("the waiter says the lock is held by %s, want \"nsdb1\"", h)
	}
	select {
	case err := <-got:
		t.Fatalf("took the lock while nsdb1 holds it (%v)", err)
	case <-time.After(time.Second):
	}
	dead.sever()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the dead host's lock did not expire with its session")
	}
	if left, _, _ := connB.Children(dir); len(left) != 0 {
		t.Errorf("the lock's directory holds %v after it was given up", left)
	}
}
