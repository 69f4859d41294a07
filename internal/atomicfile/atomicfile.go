// Package atomicfile writes a file so that it is either whole or not there: a failed write
// leaves nothing, and an earlier file at the path is never half overwritten.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write writes a file beside path (mode 0600: what midobake writes this way may hold
// credentials) and renames it into place once complete and synced.
func Write[T any](path string, write func(io.Writer) (T, error)) (T, error) {
	var zero T
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-")
	if err != nil {
		return zero, err
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing is there
	v, err := write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return zero, err
	}
	return v, nil
}
