package emit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Write puts the tree into dir atomically: it is written to a new directory beside dir and
// then swapped in, so on any error dir keeps its previous content. A dir that exists must be
// an earlier midobake output (it has a manifest.json) or empty: midobake never replaces a
// directory it did not write.
func (t *Tree) Write(dir string) (err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	exists, err := checkReplaceable(abs)
	if err != nil {
		return err
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(abs)+".new-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := t.writeFiles(tmp); err != nil {
		return err
	}
	if !exists {
		return os.Rename(tmp, abs)
	}
	if err := exchange(tmp, abs); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	// tmp now holds the previous output.
	return os.RemoveAll(tmp)
}

// writeFiles writes every file under dir: directories first, in order, then the files by a
// few workers, since on a slow disk most of the time is spent waiting in the kernel.
func (t *Tree) writeFiles(dir string) error {
	paths := t.Paths()
	made := map[string]bool{}
	for _, p := range paths {
		d := filepath.Dir(filepath.Join(dir, filepath.FromSlash(p)))
		if !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			made[d] = true
		}
	}
	work := make(chan OutputFile)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := writeOne(dir, f); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, p := range paths {
		work <- t.files[p]
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func writeOne(dir string, f OutputFile) error {
	target := filepath.Join(dir, filepath.FromSlash(f.Path))
	if f.Link != "" {
		return os.Symlink(f.Link, target)
	}
	return os.WriteFile(target, f.Data, f.Mode)
}

func checkReplaceable(dir string) (exists bool, err error) {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !st.IsDir() {
		return false, fmt.Errorf("%s exists and is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(entries) == 0 {
		return true, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		return false, fmt.Errorf("%s is not empty and holds no manifest.json: it is not a midobake output, so it is not replaced; choose another -o", dir)
	}
	return true, nil
}
