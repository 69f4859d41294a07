package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// progress is a line on a terminal that says how far long work has come, rewritten in place
// at most ten times a second and cleared when the work ends; in a pipe or a file it says
// nothing (a log wants the result, not a count).
type progress struct {
	w    io.Writer // nil: not a terminal
	last time.Time
}

func newProgress(e *env) *progress {
	if f, ok := e.stderr.(*os.File); ok && isTerminal(f) {
		return &progress{w: f}
	}
	return &progress{}
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// say shows a line now.
func (p *progress) say(format string, args ...any) {
	if p.w == nil {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\x1b[K"+format, args...)
}

// count shows n of total, unless it showed something a moment ago (the last one always).
func (p *progress) count(what string, n, total int) {
	if p.w == nil || n < total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.say("midobake: %s %d/%d", what, n, total)
}

// done clears the line.
func (p *progress) done() {
	if p.w != nil {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
