package system

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Backoff bounds the retries of every wait: exponential from Initial up to Max between tries,
// until the run's deadline.
type Backoff struct {
	Initial, Max time.Duration
}

// DefaultBackoff suits real hosts: services take seconds to minutes to come up.
var DefaultBackoff = Backoff{Initial: 500 * time.Millisecond, Max: 15 * time.Second}

// errRetry wraps a failure worth trying again (a service not up yet, an HTTP 5xx).
type errRetry struct{ err error }

func (e errRetry) Error() string { return e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

// Retryable marks err as worth another try.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return errRetry{err}
}

// IsRetryable says whether err was marked by Retryable.
func IsRetryable(err error) bool {
	var re errRetry
	return errors.As(err, &re)
}

// ErrTimeout is what a wait returns when its deadline passes.
var ErrTimeout = errors.New("timed out")

// Wait calls try until it succeeds, fails for good, or the context's deadline passes. Each
// retry is logged with what it waits for, so an operator watching the journal knows why the
// host is not ready.
func Wait(ctx context.Context, b Backoff, logf func(string, ...any), what string, try func(ctx context.Context) error) error {
	delay := b.Initial
	for attempt := 1; ; attempt++ {
		err := try(ctx)
		var re errRetry
		if err == nil || !errors.As(err, &re) {
			return err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			return fmt.Errorf("%w waiting for %s after %d attempts: %v", ErrTimeout, what, attempt, re.err)
		}
		logf("  waiting for %s (attempt %d: %v); next try in %s", what, attempt, re.err, delay)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w waiting for %s: %v", ErrTimeout, what, re.err)
		case <-time.After(delay):
		}
		delay = min(delay*2, b.Max)
	}
}
