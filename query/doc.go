// Package query is accrete's query engine: it reads series from the
// storage engine and computes raw points and aggregates over them, grouped
// by tag values and time buckets. It knows no query language; influxcompat
// translates InfluxQL into its queries, and continuous aggregates use it to
// compute buckets.
//
// # Queries
//
// An [AggregateQuery] names a measurement, a [TimeRange], a condition
// ([Expr]), GROUP BY tag keys, an [Interval] and [Call]s (an aggregate
// function of a field). [Engine.Aggregate] returns per group and call the
// buckets that have values, each with its aggregate.State, so the caller
// decides how to fill, order and limit them. A [RawQuery] returns the
// points of the selected fields per series ([Engine.Raw]), oldest or newest
// first, optionally the first n per series.
//
// # Transformations
//
// InfluxQL's transformations (derivative, difference, moving_average,
// cumulative_sum, elapsed and their non-negative forms) are functions of a
// group's sequence of points, raw or aggregated: a [Transformer] takes
// the points one at a time in output order and gives at most one point
// per point, with O(window) state, so that callers stream them.
// [Transform.Lookback] says how many intervals before the range InfluxDB
// reads for a transformation of an aggregate.
//
// # Conditions
//
// [Expr] trees of [*Binary], [*Ref], [*Literal] and [*Regex] follow
// InfluxQL's semantics: a missing field is null and compares false, a
// missing tag is the empty string, numbers of different types compare by
// value. Before reading a series the engine decides what its tags decide
// (three-valued: true, false, unknown); tag comparisons become
// storage.TagFilters so that the index answers equalities from postings.
// What remains is compiled into closures and tested per point, on the
// values of every field the condition names at the point's time.
//
// # Execution
//
// Series are read on up to [Engine.Workers] goroutines, each with its own
// cursors (reused from series to series). Without field conditions each
// field's column batches go straight into the aggregate states, bucket by
// bucket, through aggregate.FloatAdder for floats; with them the fields are
// aligned by time first. Every series gives a partial result; partials are
// merged per group in series order, whatever the number of workers, so
// answers are identical with one worker or many (see the ordered
// pipeline). At most twice as many partials as workers wait to be merged:
// memory is bounded by the result, not by the data.
//
// # Storage
//
// The engine reads through [Snapshot], the narrow view it needs: the series
// index, field types, partition bounds and [Cursor]s over one series
// field's values in a time range. [NewSnapshot] builds one from a [Store],
// which *storage.DB satisfies, with one storage.Reader for the data. A
// statement should read one snapshot.
package query
