// Package downsample rolls source measurements up into coarser target
// measurements as points arrive, one target point per source series and
// bucket, every tag kept, exact under late points, overwrites, deletes,
// restarts and crashes, in tiers (raw → 1m → 1h) each with its own
// retention.
//
// # Configs
//
// A [Config] names the source and target, the bucket interval and the
// aggregations, keyed by output field (default "<field>_<function>", so
// that [Builder.Min] and [Builder.Max] of one field coexist), with an
// optional grace, target retention and source retention. Its JSON and
// YAML form is the shape of the HTTP API and the configuration file, the
// shape of continuous aggregates. A config with Tiers is the shorthand of
// a chain: "raw 7 days, 1-minute 90 days, 1-hour forever" is
//
//	{"name": "cpu", "database": "db", "source": "cpu", "source_retention": "7d",
//	 "fields": [{"field": "usage", "function": "mean"}],
//	 "tiers": [{"interval": "1m", "retention": "90d"}, {"interval": "1h"}]}
//
// which [Config.Expand] turns into cpu_1m (source cpu) and cpu_1h (source
// cpu_1m). [NewDownsample] starts the fluent [Builder]; Build and
// [Engine.Register] return errors wrapping [ErrInvalid] that name the
// config and every problem: unknown function, no fields, interval ≤ 0,
// target = source, duplicate output name, a tier whose interval is not a
// multiple of the lower one's or whose function differs from the lower
// output's, a target written twice, a cycle of tiers. The [Engine] is the
// registry: Register, [Engine.Put] (create or update, for configuration
// files), [Engine.Remove], [Engine.Get], [Engine.List] and
// [Engine.ForSource].
//
// # Streaming
//
// The engine is a storage.Observer. Each written point of a source is
// folded into the partial state (package aggregate) of its open bucket,
// per (config, series, bucket), in memory; a bucket is written (upserted)
// to the target when its end plus Grace has passed — by [Engine.Run], a
// loop sleeping on timers (testable with testing/synctest), or
// [Engine.Flush] — and on [Engine.Close]. The in-memory state is used only
// for points arriving in time order per series and bucket: a point at or
// before the latest one folded (an overwrite, possibly) makes the bucket
// stale, and a stale bucket is re-aggregated from the stored raw data
// when it closes. A point for a bucket already written adds a marker to
// its own batch, and the next flush re-aggregates that bucket from the
// stored data; a delete adds a range marker for the written buckets and
// makes the open ones stale. A write that aborts after the engine folded
// it (a later storage observer rejects it, or its commit fails) takes its
// markers with its batch, and the open buckets it folded into become stale
// (storage.AbortObserver); a bucket a flush took meanwhile is re-aggregated
// right after that flush. Every target bucket thus equals a batch
// recompute from the raw data.
//
// # History
//
// A config registered over a source that already has data backfills it:
// every bucket before its first watermark is written by the flushes that
// follow, oldest first, a range of buckets at a time (at most 64 Ki
// series-buckets in memory per step, for at most 200 ms per flush; the
// rest at the next flush). Each step re-aggregates its range from a
// snapshot taken, like every flush's, after the previous flush committed,
// and commits the buckets, the marks of the tiers above and the new
// progress in one batch. A write, overwrite or delete into the history
// while it is being written leaves its marker as any late change does,
// and the flush that consumes it commits after the step whose snapshot
// missed it: a backfilled bucket never overwrites a newer re-aggregation.
// A tier backfills from its lower tier's states, and is marked by every
// bucket its lower tier backfills. The progress is stored, so a restart
// or a crash resumes it; Status.Backfill (in the HTTP API's status) and
// the accrete_downsample_backfill_remaining_buckets gauge report it.
//
// # Crashes
//
// Per config a watermark is stored in the same batch as the flushed
// buckets: every bucket before it is written. At [Open] the open buckets
// are rebuilt from the raw data at or after the watermark, and markers
// left by a crash are consumed by the next flush: nothing is lost or
// counted twice. The keys are in docs/format.md, Downsampling.
//
// # Tiers
//
// Every flushed bucket stores its partial states. A config whose source
// is another config's target is a tier: it merges those states (an hourly
// mean is the exact mean of the raw values, never a mean of means), is
// flushed after the lower tier and never past its watermark, and is
// re-aggregated from the lower states when the lower tier rewrites a
// bucket it has written. A delete issued against a tier's source (DELETE
// FROM cpu_1m when cpu_1h reads cpu_1m) flows up: in the delete's own
// batch it deletes the partial states of the deleted buckets and marks the
// buckets of every tier above that hold one (range markers for the
// written ones, open ones stale), so that they are re-aggregated from the
// states left, exactly as for a delete of raw data. A deleted bucket stays
// deleted until its own source data changes again.
//
// # Memory
//
// Options.MaxOpenBuckets bounds the open buckets of a config reading raw
// data. A point that would open one more bucket is not held in memory: its
// bucket is marked in the point's batch and re-aggregated from the stored
// data when it closes (counted in Status.Overflowed). [Engine.Status] and
// the Prometheus [Engine.Collector] report per config the open buckets, an
// estimate of their bytes, the watermark and counters of folded points and
// written, re-aggregated and deleted buckets.
//
// # Retention
//
// A config's Retention removes target points (and states) older than it;
// SourceRetention removes raw source points older than it and rejects
// writes of older points ([ErrTooOld]). Deletes of source data older than
// the source's retention (Options.SourceRetention or SourceRetention; for
// a tier, also the lower tier's Retention and its retention deletes) are
// retention and change no written bucket.
//
// # Concurrency
//
// An Engine is safe for concurrent use. Flushes are serialized; writes
// take the engine's lock briefly in the observer. Open one Engine per
// storage DB.
package downsample
