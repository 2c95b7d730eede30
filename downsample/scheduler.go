package downsample

import (
	"context"
	"time"
)

// DefaultRecomputeDelay is how soon Run re-aggregates buckets marked by
// late points, overwrites and deletes.
const DefaultRecomputeDelay = time.Second

// Run flushes in the background until ctx ends: when the next bucket
// closes (its end plus Grace), and every DefaultRecomputeDelay while
// buckets are marked for re-aggregation. It sleeps on timers, so under
// testing/synctest it follows the bubble's clock.
func (e *Engine) Run(ctx context.Context) {
	flush := true
	for {
		if e.closed.Load() {
			return
		}
		now := e.clock()
		if flush {
			if err := e.Flush(now); err != nil && !e.closed.Load() {
				e.log.Warn("downsample flush", "err", err)
			}
		}
		t := time.NewTimer(e.nextDue(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
			flush = true
		case <-e.wake:
			// New markers or configs: compute the wait again.
			t.Stop()
			flush = false
		}
	}
}

// nextDue returns how long until a flush has work: the first close of a
// bucket, or DefaultRecomputeDelay while markers may be pending, at most
// a minute.
func (e *Engine) nextDue(now time.Time) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	wait := time.Minute
	n := now.UnixNano()
	for _, c := range e.mu.byName {
		due := c.w + c.iv + c.grace
		for l := c.lower; l != nil; l = l.lower {
			due = max(due, c.w+c.iv+l.grace)
		}
		d := time.Duration(due - n)
		if c.pending {
			d = min(d, DefaultRecomputeDelay)
		}
		wait = min(wait, max(d, time.Millisecond))
	}
	return wait
}
