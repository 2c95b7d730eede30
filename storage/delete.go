package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"github.com/accretedb/accrete/storage/chunk"
	"github.com/cockroachdb/pebble/v2"
)

// Deletes rewrite data eagerly: every chunk and block holding a deleted
// point is rewritten without it (or removed when nothing is left) in the
// same Pebble batch, so reads and compaction never consult tombstones. A
// partition entirely inside the deleted range is cleared with one range
// deletion per series. Deletes hold maint and mu: they exclude compaction
// and writes while they run.

// DeleteSeries deletes the points in [minT, maxT] of the series of
// measurement ("" = every measurement) that match filter (nil = all) in
// retention policy rp, or in every retention policy of the database when rp
// is "" (as InfluxQL's DELETE does). When the range is unbounded (minT is
// math.MinInt64 and maxT math.MaxInt64) the series also leave the index,
// which is InfluxQL's DROP SERIES. Observers see one ChangeDelete per
// retention policy, in the same batch.
func (db *DB) DeleteSeries(database, rp, measurement string, filter TagFilter, minT, maxT int64) error {
	return db.deleteSeries(database, rp, measurement, filter, minT, maxT, false)
}

// DropMeasurement deletes a measurement: all its series with their data
// and its fields, in every retention policy of the database.
func (db *DB) DropMeasurement(database, measurement string) error {
	if measurement == "" {
		return fmt.Errorf("%w: empty measurement name", ErrInvalidName)
	}
	return db.deleteSeries(database, "", measurement, nil, minInt64, maxInt64, true)
}

func (db *DB) deleteSeries(database, rpName, measurement string, filter TagFilter, minT, maxT int64, dropMeasurement bool) error {
	if minT > maxT {
		return nil
	}
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	db.maint.Lock()
	defer db.maint.Unlock()
	db.mu.Lock()
	defer db.mu.Unlock()

	d := db.state.dbs[database]
	if d == nil {
		return fmt.Errorf("%w: %q", ErrDatabaseNotFound, database)
	}
	var rps []*rpState
	if rpName == "" {
		for _, name := range slices.Sorted(maps.Keys(d.rps)) {
			rps = append(rps, d.rps[name])
		}
	} else {
		_, rp, err := db.lookupRP(database, rpName)
		if err != nil {
			return err
		}
		rps = append(rps, rp)
	}
	all := minT == minInt64 && maxT == maxInt64
	for _, rp := range rps {
		if err := db.deleteInRP(rp, measurement, filter, minT, maxT, all, dropMeasurement); err != nil {
			return err
		}
	}
	db.stats.deletes.Add(1)
	return nil
}

// deleteInRP deletes in one RP. The caller holds maint and mu.
func (db *DB) deleteInRP(rp *rpState, measurement string, filter TagFilter, minT, maxT int64, all, dropMeasurement bool) error {
	var series []Series
	var fields []FieldInfo
	db.state.RLock()
	for _, name := range rp.idx.measurementNames() {
		if measurement == "" || name == measurement {
			m := rp.idx.measurements[name]
			series = append(series, rp.idx.matchSeries(m, filter)...)
			if dropMeasurement {
				fields = m.sortedFields()
			}
		}
	}
	parts := rp.parts
	db.state.RUnlock()
	if len(series) == 0 && len(fields) == 0 {
		return nil
	}
	b := db.newInternalBatch()
	defer b.pb.Close()
	rw := &rewriter{db: db, pb: b.pb, minT: minT, maxT: maxT}
	for _, p := range parts {
		if p.last < minT || p.start > maxT {
			continue
		}
		whole := minT <= p.start && p.last <= maxT
		for _, s := range series {
			prefix := appendSeriesPrefix(nil, rp.id, p.start, s.ID)
			if whole {
				_ = b.pb.DeleteRange(prefix, prefixEnd(prefix), nil)
				continue
			}
			if err := rw.rewrite(prefix); err != nil {
				return err
			}
		}
	}
	if all {
		for _, s := range series {
			_ = b.pb.Delete(appendSeriesIndexKey(nil, rp.id, s.ID), nil)
		}
	}
	for _, f := range fields {
		_ = b.pb.Delete(appendFieldIndexKey(nil, rp.id, measurement, f.Name), nil)
	}
	kind := ChangeDelete
	if dropMeasurement {
		kind = ChangeDropMeasurement
	}
	change := &Change{Kind: kind, Database: rp.db, RetentionPolicy: rp.policy.Name, Measurement: measurement,
		Series: series, MinTime: minT, MaxTime: maxT}
	if err := db.observe(b, change); err != nil {
		return err
	}
	if err := b.pb.Commit(db.writeOptions()); err != nil {
		db.aborted(change)
		return fmt.Errorf("cannot commit delete: %w", err)
	}
	if all || dropMeasurement {
		db.state.Lock()
		for _, s := range series {
			rp.idx.removeSeries(s.ID)
		}
		if dropMeasurement {
			delete(rp.idx.measurements, measurement)
		}
		db.state.Unlock()
	}
	return nil
}

// writeOptions returns the sync mode of deletes and drops under the DB's
// durability.
func (db *DB) writeOptions() *pebble.WriteOptions {
	if db.opts.Durability == DurabilityEveryWrite {
		return pebble.Sync
	}
	return pebble.NoSync
}

// rewriter removes the points in [minT, maxT] from the chunks and blocks
// under a prefix.
type rewriter struct {
	db         *DB
	pb         *pebble.Batch
	minT, maxT int64
	enc        *chunk.Encoder // chunks, compressed
	blockEnc   *chunk.Encoder
	dec        *chunk.Decoder
	cols, kept chunk.Columns
	key, val   []byte
}

func (rw *rewriter) rewrite(prefix []byte) error {
	if rw.dec == nil {
		rw.enc = chunk.NewEncoder(nil)
		rw.blockEnc = chunk.NewEncoder(&chunk.Options{Compression: chunk.NoCompression})
		rw.dec = chunk.NewDecoder()
	}
	it, err := rw.db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		h, err := chunk.ReadHeader(v)
		if err != nil || len(k) != dataKeyLen {
			return fmt.Errorf("%w: key %x: %v", ErrCorrupt, k, err)
		}
		if h.MaxTime < rw.minT || h.MinTime > rw.maxT {
			continue
		}
		if err := rw.dec.Decode(v, &rw.cols); err != nil {
			return fmt.Errorf("%w: key %x: %v", ErrCorrupt, k, err)
		}
		rw.kept.Reset()
		rw.kept.Type = rw.cols.Type
		for i, t := range rw.cols.Times {
			if t < rw.minT || t > rw.maxT {
				_ = rw.kept.Append(t, rw.cols.Value(i))
			}
		}
		kind := k[sfPrefixLen]
		if rw.kept.Len() == 0 {
			_ = rw.pb.Delete(k, nil)
			continue
		}
		enc := rw.blockEnc
		rw.key = append(rw.key[:0], k...)
		if kind == kindChunk {
			enc = rw.enc
			last := rw.kept.Times[rw.kept.Len()-1]
			rw.key = binary.BigEndian.AppendUint64(rw.key[:sfPrefixLen+1], flip(last))
			if !bytes.Equal(rw.key, k) {
				_ = rw.pb.Delete(k, nil)
			}
		}
		rw.val, err = enc.AppendColumns(rw.val[:0], &rw.kept)
		if err != nil {
			return fmt.Errorf("BUG: cannot encode: %w", err)
		}
		_ = rw.pb.Set(rw.key, rw.val, nil)
	}
	return it.Error()
}

// DropPartitionsBefore drops the whole partitions of a retention policy
// whose time range ends before t, with one range deletion, and returns
// them. A partition holding t or later times is kept (the retention package
// deletes the rest with DeleteSeries). Series left without data stay in the
// index. Observers see a ChangeDropPartitions covering the dropped range.
func (db *DB) DropPartitionsBefore(database, rpName string, t int64) ([]PartitionInfo, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	db.maint.Lock()
	defer db.maint.Unlock()
	db.mu.Lock()
	defer db.mu.Unlock()
	_, rp, err := db.lookupRP(database, rpName)
	if err != nil {
		return nil, err
	}
	parts := rp.parts
	n := 0
	for n < len(parts) && parts[n].last < t {
		n++
	}
	if n == 0 {
		return nil, nil
	}
	first, last := parts[0], parts[n-1]
	b := db.newInternalBatch()
	defer b.pb.Close()
	_ = b.pb.DeleteRange(appendPartitionPrefix(nil, rp.id, first.start),
		prefixEnd(appendPartitionPrefix(nil, rp.id, last.start)), nil)
	_ = b.pb.DeleteRange(appendPartitionIndexKey(nil, rp.id, first.start),
		prefixEnd(appendPartitionIndexKey(nil, rp.id, last.start)), nil)
	change := &Change{Kind: ChangeDropPartitions, Database: database, RetentionPolicy: rp.policy.Name,
		MinTime: first.start, MaxTime: last.last}
	if err := db.observe(b, change); err != nil {
		return nil, err
	}
	if err := b.pb.Commit(db.writeOptions()); err != nil {
		db.aborted(change)
		return nil, fmt.Errorf("cannot commit partition drop: %w", err)
	}
	var out []PartitionInfo
	for _, p := range parts[:n] {
		out = append(out, PartitionInfo{Start: p.start, Last: p.last})
	}
	db.state.Lock()
	rp.parts = slices.Clone(parts[n:])
	db.state.Unlock()
	db.dirty.Lock()
	for _, p := range parts[:n] {
		delete(db.dirty.parts, partRef{rp.id, p.start})
	}
	for s := range db.dirty.series {
		if s.part.rp == rp.id && s.part.start <= last.start {
			delete(db.dirty.series, s)
		}
	}
	db.dirty.Unlock()
	db.stats.droppedPartitions.Add(uint64(n))
	return out, nil
}
