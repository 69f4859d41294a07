//go:build !linux

package emit

import "os"

// exchange swaps two directories with two renames where the system has no atomic exchange;
// the window between them is short, and the old output is never lost.
func exchange(a, b string) error {
	old := a + ".old"
	if err := os.Rename(b, old); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		os.Rename(old, b)
		return err
	}
	return os.Rename(old, a)
}
