package midonet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"time"

	"github.com/go-zookeeper/zk"
)

// Announcements are how a Midolman host tells the CLC what enrolment needs, whether or not
// the CLC's copy of the description names it: each host writes its own znode under
// AnnouncementRoot/<cloud>/hosts/<name> once Midolman has given it a host id. ZooKeeper is
// the channel because every Midolman host reaches it already; what the CLC accepts from it
// is decided in planEnrolment.

// AnnouncementRoot is midobake's subtree in ZooKeeper, beside MidoNet's /midonet.
const AnnouncementRoot = "/midobake"

// MaxAnnouncement bounds what the CLC reads of one announcement.
const MaxAnnouncement = 4 << 10

// Announcement is one host's announcement.
type Announcement struct {
	Name          string `json:"name"`
	HostID        string `json:"hostId"`
	TunnelAddress string `json:"tunnelAddress"`
}

func AnnouncementDir(cloudName string) string {
	return path.Join(AnnouncementRoot, cloudName, "hosts")
}

// Session connects to the ensemble and waits for a session.
func Session(ctx context.Context, servers []string) (*zk.Conn, error) {
	conn, events, err := zk.Connect(servers, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
	if err != nil {
		return nil, err
	}
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case e := <-events:
			if e.State == zk.StateHasSession {
				return conn, nil
			}
		case <-deadline.C:
			conn.Close()
			return nil, fmt.Errorf("no ZooKeeper session with %v", servers)
		case <-ctx.Done():
			conn.Close()
			return nil, ctx.Err()
		}
	}
}

// Announce writes (or rewrites) this host's announcement; it reports whether it changed.
func Announce(ctx context.Context, servers []string, cloudName string, a Announcement) (bool, error) {
	conn, err := Session(ctx, servers)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	data, _ := json.Marshal(a)
	return Put(conn, path.Join(AnnouncementDir(cloudName), a.Name), data)
}

// ParseAnnouncement reads the announcement in node name's data, or says why it is none: too
// large, not {name, hostId, tunnelAddress}, or speaking for another host.
func ParseAnnouncement(name string, data []byte) (Announcement, string) {
	var a Announcement
	switch {
	case len(data) > MaxAnnouncement:
		return a, fmt.Sprintf("announcement of %d bytes, at most %d", len(data), MaxAnnouncement)
	case json.Unmarshal(data, &a) != nil || a.HostID == "" || a.TunnelAddress == "":
		return a, "announcement is not {name, hostId, tunnelAddress}"
	case a.Name != name:
		return a, fmt.Sprintf("announcement names another host (%q)", a.Name)
	}
	return a, ""
}

// Refusal is a host's claim not acted on (an announcement that does not parse, or one the
// enrolment does not believe), and why.
type Refusal struct {
	Name, Why string
}

// Announcements reads every announcement of the cloud, sorted by name; a node that does not
// parse, or whose name is not its node's, is returned as a Refusal.
func Announcements(conn *zk.Conn, cloudName string) ([]Announcement, []Refusal, error) {
	dir := AnnouncementDir(cloudName)
	names, _, err := conn.Children(dir)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	var out []Announcement
	var bad []Refusal
	for _, n := range names {
		data, _, err := conn.Get(path.Join(dir, n))
		if errors.Is(err, zk.ErrNoNode) {
			continue // forgotten meanwhile
		}
		if err != nil {
			return nil, nil, err
		}
		if a, why := ParseAnnouncement(n, data); why != "" {
			bad = append(bad, Refusal{Name: n, Why: why})
		} else {
			out = append(out, a)
		}
	}
	return out, bad, nil
}

// Forget deletes a host's announcement; it reports whether there was one.
func Forget(conn *zk.Conn, cloudName, name string) (bool, error) {
	err := conn.Delete(path.Join(AnnouncementDir(cloudName), name), -1)
	if errors.Is(err, zk.ErrNoNode) {
		return false, nil
	}
	return err == nil, err
}

// WatchAnnouncements sets a one-shot watch on the cloud's announcements: its event comes
// when a host announces itself or is forgotten (or, before any host has, when the first does).
func WatchAnnouncements(conn *zk.Conn, cloudName string) (<-chan zk.Event, error) {
	dir := AnnouncementDir(cloudName)
	_, _, events, err := conn.ChildrenW(dir)
	if errors.Is(err, zk.ErrNoNode) {
		_, _, events, err = conn.ExistsW(dir)
	}
	return events, err
}
