package midonet

import (
	"context"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
)

// NSDBSettingsIn asks the ensemble whether znode exists: whether mn-conf's default template,
// which the CLC's first boot writes with "mn-conf set -t default", is there. A Midolman
// started before it reads no Cassandra servers and keeps that until it is restarted.
// go-zookeeper speaks ZooKeeper's protocol (sessions, the server list, reconnection); the
// four-letter words the other waits use cannot read a node.
func NSDBSettingsIn(ctx context.Context, servers []string, znode string) error {
	conn, events, err := zk.Connect(servers, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	for session := false; !session; {
		select {
		case e := <-events:
			session = e.State == zk.StateHasSession
		case <-deadline.C:
			return fmt.Errorf("no ZooKeeper session with %v", servers)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ok, _, err := conn.Exists(znode)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s is not in ZooKeeper yet (the CLC's first boot writes it)", znode)
	}
	return nil
}

// quietLogger keeps the ZooKeeper client's connection chatter out of the hook's log, which
// has one line per step and per wait.
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}
