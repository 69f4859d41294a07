package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/midobake/midobake/internal/atomicfile"
)

// Scheduled backups go into one directory under names that sort as their times do; keeping
// the newest N removes only files named so, for this cloud: nothing else in the directory (an
// operator's copy, another cloud's backups, a half-written file) is ever touched.

const stampLayout = "20060102T150405Z"

// FileName is the name of a backup of cloudName taken at now, in a backup directory.
func FileName(cloudName string, now time.Time) string {
	return fmt.Sprintf("%s-%s.backup", cloudName, now.UTC().Format(stampLayout))
}

// Prune deletes all but the newest keep of cloudName's backups in dir (regular files named
// as FileName names them) and returns the names it deleted, oldest first.
func Prune(dir, cloudName string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("keep %d: keep at least one backup", keep)
	}
	named := regexp.MustCompile(`^` + regexp.QuoteMeta(cloudName) + `-\d{8}T\d{6}Z\.backup$`)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ours []string
	for _, e := range entries {
		if e.Type().IsRegular() && named.MatchString(e.Name()) {
			ours = append(ours, e.Name())
		}
	}
	sort.Strings(ours)
	if len(ours) <= keep {
		return nil, nil
	}
	var removed []string
	var errs []error
	for _, name := range ours[:len(ours)-keep] {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, name)
	}
	return removed, errors.Join(errs...)
}

// Destination is where a backup goes: File, or a file named by FileName in Into (made 0700
// if missing), after which all but the newest Keep there are removed (0: none removed).
type Destination struct {
	File  string
	Force bool // replace an existing File (never with Into: a name of a second ago)
	Into  string
	Keep  int
}

// Saved is a backup written: its manifest, its file, and the older ones pruned.
type Saved struct {
	Manifest
	File   string   `json:"file"`
	Pruned []string `json:"pruned,omitempty"`
}

// ErrExists: the destination file is there, and Force was not given.
var ErrExists = errors.New("exists")

// ErrPrune wraps a failure to remove older backups once the new one is safely written.
type ErrPrune struct{ Err error }

func (e ErrPrune) Error() string { return "removing older backups: " + e.Err.Error() }
func (e ErrPrune) Unwrap() error { return e.Err }

// ErrConnect: no session with the ensemble; nothing was written.
type ErrConnect struct{ Err error }

func (e ErrConnect) Error() string { return e.Err.Error() }
func (e ErrConnect) Unwrap() error { return e.Err }

// Save takes a backup of cloudName into dst, whole or not at all (written beside it and
// renamed into place once complete and synced), and only then prunes older ones. It
// connects to the ensemble only once the destination is known to be writable.
func Save(ctx context.Context, connect func(context.Context) (*zk.Conn, error), cloudName string, now time.Time, dst Destination) (Saved, error) {
	saved := Saved{File: dst.File}
	if dst.Into != "" {
		if err := os.MkdirAll(dst.Into, 0o700); err != nil {
			return saved, err
		}
		saved.File = filepath.Join(dst.Into, FileName(cloudName, now))
		dst.Force = false
	}
	if _, err := os.Lstat(saved.File); err == nil && !dst.Force {
		return saved, ErrExists
	}
	conn, err := connect(ctx)
	if err != nil {
		return saved, ErrConnect{err}
	}
	defer conn.Close()
	m, err := atomicfile.Write(saved.File, func(w io.Writer) (Manifest, error) {
		return Take(ctx, conn, cloudName, now, w)
	})
	if err != nil {
		return saved, err
	}
	saved.Manifest = m
	if dst.Keep > 0 {
		if saved.Pruned, err = Prune(dst.Into, cloudName, dst.Keep); err != nil {
			return saved, ErrPrune{err}
		}
	}
	return saved, nil
}
