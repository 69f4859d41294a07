package main

import (
	"runtime/debug"
	"testing"
)

// TestFitMemory: the limit grows with the description, and an operator's GOMEMLIMIT wins.
func TestFitMemory(t *testing.T) {
	saved := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(saved)
	t.Setenv("GOMEMLIMIT", "")
	fitMemory(1 << 20)
	if got := debug.SetMemoryLimit(-1); got != saved {
		t.Errorf("with GOMEMLIMIT set the limit became %d, want it left at %d", got, saved)
	}
	if small, large := memoryLimitFor(1<<20), memoryLimitFor(10<<20); small >= large || small < 64<<20 || large < 10*(10<<20) {
		t.Errorf("limits %d MiB (1 MiB description), %d MiB (10 MiB): want at least 64 MiB and ten times the description, growing", small>>20, large>>20)
	}
}
