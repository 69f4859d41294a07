package firstboot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/go-zookeeper/zk"

	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/system"
)

// Rolling NSDB restarts. A change that every NSDB host's hook applies (the ensemble, a setting
// ZooKeeper or Cassandra reads) would otherwise restart every server as soon as its hook runs,
// and hooks re-run together lose the ensemble's quorum. So a hook restarts its ZooKeeper or
// Cassandra only while it holds the cloud's NSDB restart lock in ZooKeeper, and gives it up
// only when its server is back: ZooKeeper serving (in the quorum), Cassandra answering CQL.
// First starts take no lock: starting a server only ever adds to the quorum.

// restartRolling restarts unit while holding the NSDB restart lock, when there are other
// servers of its kind to keep serving; back says when the restarted server serves again.
func (e *Env) restartRolling(ctx context.Context, unit string, servers int, back func(ctx context.Context) error) error {
	restart := func() error {
		if err := e.cmd(ctx, nil, "systemctl", "restart", unit); err != nil {
			return err
		}
		return e.wait(ctx, unit+" on this host to serve again", func(ctx context.Context) error {
			return system.Retryable(back(ctx))
		})
	}
	if servers < 2 {
		return restart() // a single server: no quorum to keep
	}
	// The lock's session goes to the ensemble; restarting this host's own ZooKeeper, to the
	// other servers, so that the restart does not drop it.
	via := e.zkClients()
	if unit == roles.UnitZooKeeper {
		own := fmt.Sprintf("%s:%d", e.host.Address, e.opts.ZooKeeperPort)
		via = slices.DeleteFunc(slices.Clone(via), func(a string) bool { return a == own })
	}
	if len(via) == 0 || !anyServing(ctx, e.zkClients()) {
		// No server of the ensemble serves: there is no quorum to lose, and no coordinator.
		e.logf("  no ZooKeeper server serves (%s): restarting %s without the NSDB restart lock", strings.Join(e.zkClients(), ", "), unit)
		return restart()
	}
	var unlock func() error
	var conn *zk.Conn
	if err := e.wait(ctx, "the NSDB restart lock", func(ctx context.Context) error {
		c, err := midonet.Session(ctx, via)
		if err != nil {
			return system.Retryable(err)
		}
		u, err := midonet.Lock(ctx, c, midonet.NSDBLockDir(e.c.Name), e.host.Name, func(holder string) {
			e.logf("  waiting for the NSDB restart lock, held by %s", holder)
			if e.report != nil { // status shows who this host waits for
				e.report.waiting("the NSDB restart lock", fmt.Errorf("held by %s, restarting its server", holder))
			}
		})
		if err != nil {
			c.Close()
			if ctx.Err() != nil {
				return err
			}
			return system.Retryable(err)
		}
		unlock, conn = u, c
		return nil
	}); err != nil {
		return err
	}
	defer conn.Close() // ends the session: the lock goes with it even if unlock fails
	if e.report != nil {
		e.report.running()
	}
	e.logf("  took the NSDB restart lock to restart %s", unit)
	if err := restart(); err != nil {
		return err
	}
	if err := unlock(); err != nil {
		e.logf("  could not give up the NSDB restart lock (%v): it goes when this run's session ends", err)
	} else {
		e.logf("  gave up the NSDB restart lock: %s serves again", unit)
	}
	return nil
}

func anyServing(ctx context.Context, addrs []string) bool {
	for _, a := range addrs {
		if midonet.Serving(ctx, a) == nil {
			return true
		}
	}
	return false
}

// rollingUnit says whether unit is an NSDB server restarted under the lock: how many servers
// of its kind there are and how to tell that this host's serves again.
func (e *Env) rollingUnit(unit string) (servers int, back func(ctx context.Context) error, ok bool) {
	switch unit {
	case roles.UnitZooKeeper:
		own := fmt.Sprintf("%s:%d", e.host.Address, e.opts.ZooKeeperPort)
		all := e.zkClients()
		return len(e.top.Ensemble), func(ctx context.Context) error {
			if err := midonet.Serving(ctx, own); err != nil {
				return err
			}
			// ZooKeeper 3.4 (EL7's) may hold an election as the restarted server rejoins, and
			// the others stop serving for a moment: the next host restarts only once a
			// majority of the ensemble serves again.
			n := 0
			for _, a := range all {
				if midonet.Serving(ctx, a) == nil {
					n++
				}
			}
			if n <= len(all)/2 {
				return fmt.Errorf("%d of %d ZooKeeper servers serve: waiting for a majority", n, len(all))
			}
			return nil
		}, true
	case roles.UnitCassandra:
		own := fmt.Sprintf("%s:%d", e.host.Address, e.opts.CassandraPort)
		return len(e.top.Cassandra), func(ctx context.Context) error { return midonet.TCPOpen(ctx, own) }, true
	}
	return 0, nil, false
}
