package status

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/midobake/midobake/cloud"
)

// Watch polls until the cloud converges or ctx ends, every interval. With text it writes
// the whole status once, then only what each poll changes (the lines that differ, and the
// verdict whenever anything does); without, nothing. It returns the last status, and
// whether the cloud converged before ctx ended.
func Watch(ctx context.Context, poll func() Status, interval time.Duration, text io.Writer) (Status, bool) {
	st := poll()
	if text != nil {
		st.Write(text)
	}
	last := st.Lines()
	for !st.Converged {
		select {
		case <-ctx.Done():
			return st, false
		case <-time.After(interval):
		}
		st = poll()
		if text != nil {
			now := st.Lines()
			for _, l := range changed(last, now) {
				fmt.Fprintln(text, l)
			}
			last = now
		}
	}
	return st, true
}

// changed is what a poll shows that the last did not: the lines that differ, and the
// verdict whenever anything does.
func changed(last, now []string) []string {
	seen := map[string]bool{}
	for _, l := range last {
		seen[l] = true
	}
	var out []string
	for _, l := range now[:len(now)-1] {
		if !seen[l] && !strings.HasPrefix(l, "HOST ") {
			out = append(out, l)
		}
	}
	if len(out) > 0 || now[len(now)-1] != last[len(last)-1] {
		out = append(out, now[len(now)-1])
	}
	return out
}

// PollTimeout bounds one poll: a source that does not answer is said so, not waited for.
const PollTimeout = 10 * time.Second

// Poll gathers the facts once (within ctx, and at most PollTimeout) and evaluates them.
func Poll(ctx context.Context, c *cloud.Cloud, site *Site, src Sources) Status {
	ctx, cancel := context.WithTimeout(ctx, PollTimeout)
	defer cancel()
	return Evaluate(c, site, Gather(ctx, c, src))
}
