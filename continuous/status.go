package continuous

import (
	"encoding/json"
	"time"
)

// Stats describe one refresh of one aggregate.
type Stats struct {
	// BucketsRecomputed counts the dirty (group, bucket) pairs recomputed:
	// those late writes, deletes or a backfill marked.
	BucketsRecomputed int `json:"buckets_recomputed"`
	// BucketsMaterialized counts the (group, bucket) pairs of newly closed
	// buckets written.
	BucketsMaterialized int `json:"buckets_materialized"`
	// BucketsDeleted counts the (group, bucket) pairs removed from the
	// target because their source data is gone (or by Retention).
	BucketsDeleted int `json:"buckets_deleted"`
	// PointsRead counts the source values read and lower-level partial
	// states merged.
	PointsRead int `json:"points_read"`
	// PointsWritten counts the points written to the target.
	PointsWritten int `json:"points_written"`
	// Batches counts the atomic commits of output.
	Batches int `json:"batches"`
	// Watermark is the start of the oldest bucket not yet materialized.
	Watermark time.Time `json:"watermark,omitzero"`
	// Duration is the wall time of the refresh.
	Duration time.Duration `json:"-"`
}

// MarshalJSON adds the duration in seconds.
func (s Stats) MarshalJSON() ([]byte, error) {
	type plain Stats
	return json.Marshal(struct {
		plain
		Seconds float64 `json:"duration_seconds"`
	}{plain(s), s.Duration.Seconds()})
}

// add accumulates the counters of o.
func (s *Stats) add(o Stats) {
	s.BucketsRecomputed += o.BucketsRecomputed
	s.BucketsMaterialized += o.BucketsMaterialized
	s.BucketsDeleted += o.BucketsDeleted
	s.PointsRead += o.PointsRead
	s.PointsWritten += o.PointsWritten
	s.Batches += o.Batches
}

// Status describes the refreshes of an aggregate since the Engine opened.
// The watermark is persisted; the counters start at zero when the engine
// opens.
type Status struct {
	// Watermark is the start of the oldest bucket not yet materialized; the
	// zero time when nothing is.
	Watermark time.Time `json:"watermark,omitzero"`
	// Lag is how far the watermark trails the clock.
	Lag time.Duration `json:"-"`
	// LastRun is when the last refresh started; zero when none ran.
	LastRun time.Time `json:"last_run,omitzero"`
	// LastDuration is the wall time of the last refresh.
	LastDuration time.Duration `json:"-"`
	// Last are the statistics of the last refresh.
	Last Stats `json:"last"`
	// Runs and Failures count refreshes and failed refreshes.
	Runs     uint64 `json:"runs"`
	Failures uint64 `json:"failures"`
	// LastError is the error of the last failed refresh; it is cleared by a
	// successful one.
	LastError string `json:"last_error,omitempty"`
	// Totals of all refreshes.
	BucketsRecomputed   uint64 `json:"buckets_recomputed_total"`
	BucketsMaterialized uint64 `json:"buckets_materialized_total"`
	BucketsDeleted      uint64 `json:"buckets_deleted_total"`
	PointsRead          uint64 `json:"points_read_total"`
	PointsWritten       uint64 `json:"points_written_total"`
}

// MarshalJSON adds the lag and the last duration in seconds.
func (s Status) MarshalJSON() ([]byte, error) {
	type plain Status
	return json.Marshal(struct {
		plain
		Lag      float64 `json:"lag_seconds"`
		Duration float64 `json:"last_duration_seconds"`
	}{plain(s), s.Lag.Seconds(), s.LastDuration.Seconds()})
}

// Status returns the status of an aggregate.
func (e *Engine) Status(name string) (Status, error) {
	a, err := e.lookup(name)
	if err != nil {
		return Status{}, err
	}
	return a.status(e.clock()), nil
}

func (a *agg) status(now time.Time) Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.mu.status
	if a.mu.watermark != unset {
		s.Watermark = time.Unix(0, a.mu.watermark).UTC()
		s.Lag = max(0, now.Sub(s.Watermark))
	}
	return s
}

// recordRun adds a refresh to the status.
func (a *agg) recordRun(start time.Time, st Stats, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := &a.mu.status
	s.LastRun = start
	s.LastDuration = st.Duration
	s.Last = st
	s.Runs++
	if err != nil {
		s.Failures++
		s.LastError = err.Error()
	} else {
		s.LastError = ""
	}
	s.BucketsRecomputed += uint64(st.BucketsRecomputed)
	s.BucketsMaterialized += uint64(st.BucketsMaterialized)
	s.BucketsDeleted += uint64(st.BucketsDeleted)
	s.PointsRead += uint64(st.PointsRead)
	s.PointsWritten += uint64(st.PointsWritten)
}
