package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"
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
