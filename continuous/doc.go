// Package continuous runs continuous aggregates: definitions that roll a
// source measurement up into a target measurement, one point per group and
// time bucket, kept exact as data arrives late, out of order, overwritten
// or deleted, with refresh cost proportional to what changed.
//
// # Definitions and registry
//
// A [Definition] names the source and target measurements, the bucket
// interval, the aggregations keyed by output field (default name
// "<field>_<function>", so min and max of one field coexist), the group-by
// tags, an optional tag filter, an optional retention of the target and
// whether the scheduler refreshes it. Its JSON and YAML form is the shape
// of the HTTP API and of the configuration file. The [Engine] is the
// registry: [Engine.Register] (validated: errors wrap [ErrInvalid] and name
// the aggregate and every problem), [Engine.Put] (create or update, for
// configuration files), [Engine.Unregister], [Engine.Get], [Engine.List],
// [Engine.Enable], [Engine.Disable], [Engine.Pending] and
// [Engine.MarkProcessed]. Definitions live in the storage's metadata and
// [Open] loads them.
//
// # Dirty tracking
//
// The engine observes every change of data (storage.Observer). A write of
// a source point before an aggregate's watermark — a late point — adds a
// dirty marker naming the (group, bucket) it falls in to the same atomic
// batch as the point. A delete adds one dirty range per affected group.
// Writes at or after the watermark add nothing: their buckets are not
// materialized yet, so in-order ingest pays one comparison per point and
// aggregate.
//
// # Refresh
//
// [Engine.Refresh] recomputes the (group, bucket) pairs dirty markers name
// from the source data of that group and bucket only (for a dirty range:
// only the buckets of it holding partial states), then materializes the
// buckets closed since the watermark (those ending at or before now minus
// the definition's Lag). For every (aggregate, group, bucket) it stores the
// mergeable partial states of the aggregations and writes (upserts) the
// final values as a target point at the bucket's start; a bucket whose
// source data is all gone loses both. Output is committed in batches of
// bounded size ([Options].MaxBatchBuckets), each atomically with the dirty
// markers it consumed and the advanced watermark, so a refresh interrupted
// at any point — by an error or a crash — is completed by the next one and
// never counts anything twice. [Engine.RefreshRange] recomputes a range
// from the source first (a backfill). A refresh consumes the dirty markers
// that existed when it started, each (group, bucket) once however many
// markers name it; markers of writes arriving meanwhile wait for the next
// refresh, so a steady stream of late points cannot keep one refresh
// running. The storage layout is in docs/format.md.
//
// # Aggregates of aggregates
//
// An aggregate whose source is another aggregate's target reads that lower
// level: an output with the lower level's function over one of its outputs
// merges the lower level's partial states (when the buckets nest), so an
// hourly mean over a minutely mean is the exact hourly mean of the raw
// values; other outputs fold the lower level's final values. Refresh
// refreshes the lower levels first, and the lower level's output dirties
// the upper level through the same observer. Registering an aggregate that
// would close a cycle of aggregates fails.
//
// # Real-time reads
//
// [Engine.Query] returns an aggregate's buckets in a time range: the
// materialized ones as the target holds them and, with realTime, the later
// ones — the open bucket included — computed from the source on the fly
// (for an aggregate of an aggregate, from the lower level's states and its
// own real-time tail). The HTTP API serves it as GET
// /api/v1/aggregates/{name}/data?start=&end=&realtime=true.
//
// # Scheduler
//
// A [Scheduler] with an injected clock refreshes the enabled aggregates
// when due: at every boundary of their Every (default Interval) plus Lag,
// lower levels first. Catching up after downtime proceeds in bounded
// batches.
//
// # Retention
//
// Buckets older than the source's retention (the source retention policy's
// duration, [Options].SourceRetention, or the lower level's Retention) are
// frozen: dropping or deleting source data there never changes or deletes
// materialized buckets. An aggregate's own Retention removes its target
// buckets (and partial states) older than it.
//
// # InfluxQL
//
// [InfluxQL] implements CREATE, SHOW and DROP CONTINUOUS QUERY on the same
// engine (the influxcompat executor's extension point); a continuous query
// is an aggregate like any other. RESAMPLE EVERY sets how often the
// scheduler refreshes it (Every), so late points show in the target within
// EVERY; RESAMPLE FOR is kept for SHOW CONTINUOUS QUERIES only, as late
// points are folded in exactly whatever their age (InfluxDB recomputes
// only the last FOR).
//
// # Status and metrics
//
// [Engine.Status] reports per aggregate the last run, its duration and
// statistics, counts of runs, failures, buckets recomputed, materialized
// and deleted, points read and written, the watermark, the lag and the
// last error; the [Engine.Collector] exports them to Prometheus (the last
// error as the label of accrete_aggregate_last_error_info). The watermark is
// persisted; the counters start at zero when the engine opens.
//
// # Concurrency
//
// An Engine is safe for concurrent use. Refreshes of one aggregate are
// serialized; refreshes of different aggregates may run in parallel. Open
// one Engine per storage DB.
package continuous
