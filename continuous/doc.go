// Package continuous runs continuous aggregates: definitions that roll a
// source measurement up into a target measurement, one point per group and
// time bucket, kept exact as data arrives late, out of order, overwritten
// or deleted, with refresh cost proportional to what changed.
//
// # Definitions and registry
//
// A [Definition] names the source and target measurements, the bucket
// interval, the aggregations keyed by output field (default name
// "<field>_<function>"), the group-by tags, an optional tag filter, an
// optional retention of the target and whether the scheduler refreshes it.
// The [Engine] is the registry: [Engine.Register] (validated),
// [Engine.Unregister], [Engine.Get], [Engine.List], [Engine.Enable],
// [Engine.Disable], [Engine.Pending] and [Engine.MarkProcessed].
// Definitions are stored in the storage's metadata and loaded by [Open].
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
// from the source data of that group and bucket only, then materializes the
// buckets closed since the watermark (those ending at or before now minus
// the definition's Lag). For every (aggregate, group, bucket) it stores the
// mergeable partial states of the aggregations and writes (upserts) the
// final values as a target point; a bucket whose source data is all gone
// loses both. Output is committed in batches of bounded size, each
// atomically with the dirty markers it consumed and the advanced
// watermark, so a refresh interrupted at any point — by an error or a
// crash — is completed by the next one and never counts anything twice.
//
// # Aggregates of aggregates
//
// An aggregate whose source is another aggregate's target reads that lower
// level: an output with the lower level's function over one of its
// outputs merges the lower level's partial states, so an hourly mean over
// a minutely mean is the exact hourly mean of the raw values; other
// outputs fold the lower level's final values. The lower level is refreshed
// first; its output dirties the upper level through the same observer.
//
// # Retention
//
// Buckets older than the source's retention (the source retention policy's
// duration, or the lower level's Retention) are frozen: dropping or
// deleting source data there never changes or deletes materialized
// buckets. An aggregate's own Retention removes target buckets older than
// it.
//
// # Concurrency
//
// An Engine is safe for concurrent use. Refreshes of one aggregate are
// serialized; refreshes of different aggregates may run in parallel.
package continuous
