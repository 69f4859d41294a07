package main

import (
	"os"
	"runtime/debug"
)

// The soft memory limit fitted to the descriptions a command holds. Go's collector lets the
// heap grow to twice what is live before it collects; decoding a description is a short
// burst of garbage on top of a parse tree some 35 times the size of the text, so at 10,000
// hosts render, validate and diff peaked at 150-240 MiB of which under half was ever live.
// A limit of 32 MiB and 48 bytes per byte of description keeps the peak near what is live
// (under 100 MiB at 10,000 hosts) and grows with the cloud, so a large one is never starved
// into collecting without end.
const (
	memoryBase    = 32 << 20
	memoryPerByte = 48
)

// fitMemory sets the soft memory limit for decoding a description of this many bytes, unless
// the operator set GOMEMLIMIT, which wins.
func fitMemory(inputBytes int) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetMemoryLimit(memoryLimitFor(inputBytes))
}

func memoryLimitFor(inputBytes int) int64 {
	return memoryBase + memoryPerByte*int64(inputBytes)
}
