// Package storage is accrete's durable time-series engine on Pebble
// (github.com/cockroachdb/pebble/v2). It stores InfluxDB 1.x data —
// databases, retention policies, measurements, series, typed fields — and
// keeps the metadata of other packages in the same database so that both
// commit in one atomic batch. docs/format.md specifies every key and value.
//
// # Data model and namespaces
//
// A [DB] holds databases; a database holds retention policies
// ([RetentionPolicy]); each retention policy has its own series index and
// data, split into time partitions of the policy's shard duration. A series
// is a measurement plus a sorted tag set, identified within its policy by a
// uint64 id; a field of a measurement has a uint32 id and keeps the type it
// was first written with ([FieldTypeConflictError]).
//
// # Writes
//
// [DB.Write] and [Batch] store points atomically: every point of a batch,
// the index entries of new series and fields, and the batch's metadata
// ([Batch.SetMeta]) commit together or not at all. Writing the same series,
// field and timestamp again replaces the value; the later write wins, also
// within one batch. A write returns once it is durable under
// [Options.Durability] (see [Durability] for the loss window of each mode).
//
// Each batch appends, per series field and partition, one small block keyed
// by the batch's sequence number; background compaction folds the blocks of
// closed partitions into columnar chunks (package storage/chunk), then
// flushes Pebble's memtables when the write-ahead log has grown large, so
// that a load's log is not kept beside its chunks. Reads
// merge chunks and blocks, newest winning, so late and out-of-order writes
// read back correctly before and after compaction.
//
// # Reads
//
// The series index ([DB.Measurements], [DB.TagKeys], [DB.TagValues],
// [DB.Series], [DB.FieldKeys]) lives in memory and reflects every committed
// write. Values are read through a [Reader], a consistent point-in-time
// view, and its [Cursor]s, which return typed columns ([chunk.Columns]) a
// chunk at a time without allocating once their buffers have grown.
//
// # Deletes and retention
//
// [DB.DeleteSeries] deletes points by measurement, tag filter ([TagFilter])
// and time range, rewriting the affected chunks and blocks in one batch;
// [DB.DropMeasurement], [DB.DropRetentionPolicy] and [DB.DropDatabase] remove
// whole namespaces; [DB.DropPartitionsBefore] drops whole time partitions
// with one range deletion, for retention.
//
// # Observers and metadata
//
// Other packages keep keys under their own namespace with [Batch.SetMeta],
// [DB.GetMeta] and [DB.IterMeta]. An [Observer] added with [DB.AddObserver]
// sees every data change before it commits and can add metadata to the
// same batch: the continuous-aggregate engine records the buckets a write or
// delete dirties this way, atomically with the data.
//
// # Concurrency
//
// A [DB] is safe for concurrent use. Changes (writes, deletes, drops,
// catalog changes) are serialized by one write lock, held while a batch is
// staged and applied but not while its fsync is awaited, so concurrent
// writers share fsyncs. Readers never block writers. Compaction runs
// concurrently with writes and reads and excludes deletes and drops. A
// [Batch] and a [Cursor] belong to one goroutine at a time; a [Reader] may be
// shared by goroutines with a Cursor each.
package storage
