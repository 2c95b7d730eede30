package continuous

import (
	"context"
	"log/slog"
	"time"
)

// SchedulerOptions configure a Scheduler. A nil *SchedulerOptions or a zero
// field means the default.
type SchedulerOptions struct {
	// Clock returns the current time, the now of every refresh. The default
	// is time.Now.
	Clock func() time.Time
	// Logger receives refresh failures. The default is the engine's.
	Logger *slog.Logger
	// MaxSleep bounds the wait between two looks at the aggregates, so that
	// a clock that jumps is noticed. The default is 1m.
	MaxSleep time.Duration
}

// Scheduler refreshes the enabled aggregates of an Engine in the
// background: each when it is due (every Every, by default its Interval,
// aligned to bucket boundaries plus Lag), lower levels before the levels
// reading them. A refresh catches up after downtime in batches of bounded
// size (Options.MaxBatchBuckets), so a month of backlog needs no more
// memory than a minute. Failures are recorded in each aggregate's Status
// and retried when it is next due.
type Scheduler struct {
	// Set by NewScheduler, never changed.
	e        *Engine
	clock    func() time.Time
	log      *slog.Logger
	maxSleep time.Duration
}

// NewScheduler returns a scheduler of e; start it with Run.
func NewScheduler(e *Engine, opts *SchedulerOptions) *Scheduler {
	s := &Scheduler{e: e, clock: time.Now, log: e.log, maxSleep: time.Minute}
	if opts != nil {
		if opts.Clock != nil {
			s.clock = opts.Clock
		}
		if opts.Logger != nil {
			s.log = opts.Logger
		}
		if opts.MaxSleep > 0 {
			s.maxSleep = opts.MaxSleep
		}
	}
	return s
}

// Run refreshes due aggregates until ctx is done, then returns nil once the
// running refresh (if any) stopped. Registering, enabling and backfilling
// wake it early. Run one Scheduler per Engine.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		if err := s.e.RefreshPending(ctx, s.clock()); err != nil && ctx.Err() == nil {
			s.log.Debug("continuous aggregate refreshes failed", "err", err)
		}
		if ctx.Err() != nil || s.e.closed.Load() {
			return nil
		}
		wait := s.maxSleep
		now := s.clock()
		for _, a := range s.e.cat.Load().order {
			if next, ok := a.nextDue(); ok {
				wait = min(wait, max(0, next.Sub(now)))
			}
		}
		if wait <= 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.e.kick:
			t.Stop()
		case <-t.C:
		}
	}
}
