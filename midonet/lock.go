package midonet

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/go-zookeeper/zk"
)

// The NSDB hosts restart their servers one at a time by taking a lock in ZooKeeper, the one
// coordinator every host already reaches. It is ZooKeeper's own lock recipe: each contender
// makes an ephemeral sequential node under the lock's directory, the lowest holds the lock,
// every other one watches the node just below its own. A holder that dies loses its node with
// its session, so a dead host's lock expires by itself. (go-zookeeper's Lock has no context and
// cannot say who holds it, which a waiting hook's log should.)

// NSDBLockDir is where the NSDB hosts' restart lock lives.
func NSDBLockDir(cloudName string) string {
	return path.Join(AnnouncementRoot, cloudName, "locks", "nsdb-restart")
}

const lockPrefix = "lock-"

// Lock takes the lock in dir for holder (recorded in the lock's node, so that others can say
// who they wait for), calling waiting with the holder of the moment each time it has to wait.
// It returns when the lock is held, or with an error (ctx done, the session lost), in which
// case it holds nothing. unlock gives the lock up.
func Lock(ctx context.Context, conn *zk.Conn, dir, holder string, waiting func(holder string)) (unlock func() error, err error) {
	if err := MakeDir(conn, dir); err != nil {
		return nil, err
	}
	mine, err := conn.Create(path.Join(dir, lockPrefix), []byte(holder), zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll))
	if err != nil {
		return nil, fmt.Errorf("create the lock's node in %s: %w", dir, err)
	}
	unlock = func() error {
		if err := conn.Delete(mine, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return err
		}
		return nil
	}
	for {
		below, err := nodeBelow(conn, dir, path.Base(mine))
		if err != nil {
			unlock()
			return nil, err
		}
		if below == "" {
			return unlock, nil
		}
		data, _, events, err := conn.GetW(path.Join(dir, below))
		if errors.Is(err, zk.ErrNoNode) {
			continue // gone meanwhile: look again
		}
		if err != nil {
			unlock()
			return nil, err
		}
		if waiting != nil {
			waiting(boundedName(data))
		}
		select {
		case <-events:
		case <-ctx.Done():
			unlock()
			return nil, ctx.Err()
		}
	}
}

// nodeBelow is the contender just ahead of mine in dir, or "" when mine is the lowest.
func nodeBelow(conn *zk.Conn, dir, mine string) (string, error) {
	children, _, err := conn.Children(dir)
	if err != nil {
		return "", err
	}
	var seqs []string
	for _, c := range children {
		if strings.HasPrefix(c, lockPrefix) {
			seqs = append(seqs, c)
		}
	}
	// Sequence numbers have ten digits, so names sort as their numbers do.
	sort.Strings(seqs)
	i := sort.SearchStrings(seqs, mine)
	if i == len(seqs) || seqs[i] != mine {
		return "", fmt.Errorf("the lock's node %s is gone (session lost)", path.Join(dir, mine))
	}
	if i == 0 {
		return "", nil
	}
	return seqs[i-1], nil
}

// boundedName is a holder's name as read from ZooKeeper, fit for a log line: any host can
// write there, so it is cut short and quoted.
func boundedName(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return fmt.Sprintf("%q", b)
}
