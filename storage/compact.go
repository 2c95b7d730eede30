package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/accretedb/accrete/storage/chunk"
	"github.com/cockroachdb/pebble/v2"
)

// Compaction folds the recent blocks of a series field in a partition into
// its chunks. It reads the blocks and the chunks they overlap (plus the
// under-full chunk just before them, so that chunks grow to
// MaxChunkPoints), merges them with newer blocks winning, and replaces
// exactly the keys it read with the new chunks in one Pebble batch (the
// blocks with one range deletion, see deleteBlocks). Blocks
// written meanwhile have higher sequence numbers than everything merged,
// so they stay newer than the chunks: the invariant readers rely on is
// that every chunk of a series field is older than every block of it.

// compactor holds the scratch of one compaction run. It is used holding
// db.maint.
type compactor struct {
	db         *DB
	enc        *chunk.Encoder
	dec        *chunk.Decoder
	acc, run   chunk.Columns
	tmp        chunk.Columns
	pb         *pebble.Batch
	key, val   []byte
	chunks     []entry // of the current series field
	blocks     []entry
	groupStart []byte

	// beforeCommit, when set, runs before each batch commit (tests).
	beforeCommit func()
}

// entry is a chunk or block read for compaction; key and val are copies.
type entry struct {
	key, val []byte
	h        chunk.Header
}

func (db *DB) newCompactor() *compactor {
	return &compactor{db: db, enc: chunk.NewEncoder(nil), dec: chunk.NewDecoder()}
}

// Compact folds every recent block of every partition into chunks, open
// partitions included, then has Pebble compact the data key space so that
// the space of the folded blocks is reclaimed. It is for tests, benchmarks
// and operators; background compaction does the same for closed
// partitions without the Pebble step.
func (db *DB) Compact(ctx context.Context) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	db.maint.Lock()
	var refs []partRef
	db.state.RLock()
	for id, rp := range db.state.rps {
		for _, p := range rp.parts {
			refs = append(refs, partRef{id, p.start})
		}
	}
	db.state.RUnlock()
	c := db.newCompactor()
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			db.maint.Unlock()
			return err
		}
		if err := c.compact(ref, 0); err != nil {
			db.maint.Unlock()
			return err
		}
		db.clearDirty(ref, -1)
	}
	db.maint.Unlock()
	if err := db.pdb.Flush(); err != nil {
		return err
	}
	return db.pdb.Compact(ctx, []byte{spaceData}, []byte{spaceData + 1}, true)
}

// clearDirty forgets the dirty marks of a compacted partition when it was
// not written since stamp (the clock at which compaction started; -1
// forgets unconditionally).
func (db *DB) clearDirty(ref partRef, stamp int64) {
	db.dirty.Lock()
	defer db.dirty.Unlock()
	if w, ok := db.dirty.parts[ref]; ok && (stamp < 0 || w <= stamp) {
		delete(db.dirty.parts, ref)
	}
	for s := range db.dirty.series {
		if s.part == ref {
			delete(db.dirty.series, s)
		}
	}
}

// compactLoop runs background compaction every CompactionInterval and
// when a series collected too many blocks.
func (db *DB) compactLoop() {
	defer db.bgDone.Done()
	t := time.NewTicker(db.opts.CompactionInterval)
	defer t.Stop()
	c := db.newCompactor()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
		case <-db.kick:
		}
		if err := db.compactPending(c); err != nil {
			db.log.Error("background compaction failed", "err", err)
		}
	}
}

// compactPending compacts the series over Options.MaxBlocks and the closed
// dirty partitions.
func (db *DB) compactPending(c *compactor) error {
	now := db.clock().UnixNano()
	var series []seriesRef
	var parts []partRef
	stamps := map[partRef]int64{}
	db.state.RLock()
	db.dirty.Lock()
	for ref, n := range db.dirty.series {
		if n >= db.opts.MaxBlocks {
			series = append(series, ref)
		}
	}
	db.dirty.urgent = false
	for ref, stamp := range db.dirty.parts {
		rp := db.state.rps[ref.rp]
		if rp == nil {
			continue
		}
		i, ok := slices.BinarySearchFunc(rp.parts, ref.start, func(p partition, s int64) int { return cmpInt64(p.start, s) })
		if !ok {
			continue
		}
		last := rp.parts[i].last
		if last < now-int64(db.opts.CompactionDelay) {
			parts = append(parts, ref)
			stamps[ref] = stamp
		}
	}
	db.dirty.Unlock()
	db.state.RUnlock()

	for _, ref := range series {
		if err := db.compactUnit(c, ref.part, ref.series); err != nil {
			return err
		}
		db.dirty.Lock()
		delete(db.dirty.series, ref)
		db.dirty.Unlock()
	}
	for _, ref := range parts {
		if err := db.compactUnit(c, ref, 0); err != nil {
			return err
		}
		db.clearDirty(ref, stamps[ref])
	}
	if len(parts) > 0 {
		return db.releaseWAL()
	}
	return nil
}

// walFlushBytes is how much live write-ahead log makes releaseWAL flush.
const walFlushBytes = 4 << 20

// releaseWAL flushes the memtables when the write-ahead log holds
// walFlushBytes or more, so that the disk space of the blocks compaction
// just folded is released. Pebble keeps a WAL file until every memtable it
// logged is flushed, and with large memtables a whole load can sit in the
// WAL — once as written and once more as compacted chunks — long after it
// was folded; a flush turns it into a table of chunks, where the range
// deletion of the blocks drops them. It runs after compacting closed
// partitions, which happens once per partition and again only for late
// writes, so it adds few flushes; small WALs are left to the memtable's
// own rhythm.
func (db *DB) releaseWAL() error {
	if db.pdb.Metrics().WAL.Size < walFlushBytes {
		return nil
	}
	if err := db.pdb.Flush(); err != nil {
		return fmt.Errorf("cannot flush compacted partitions: %w", err)
	}
	db.stats.walFlushes.Add(1)
	return nil
}

// compactUnit compacts one partition (series 0) or one series in it,
// holding maint, unless the DB is closing.
func (db *DB) compactUnit(c *compactor, ref partRef, series uint64) error {
	select {
	case <-db.stop:
		return nil
	default:
	}
	db.maint.Lock()
	defer db.maint.Unlock()
	db.state.RLock()
	live := db.state.rps[ref.rp] != nil
	db.state.RUnlock()
	if !live {
		return nil
	}
	return c.compact(ref, series)
}

// compact folds the blocks of every series field of a partition, or of one
// series (series != 0) in it. The caller holds db.maint.
func (c *compactor) compact(ref partRef, series uint64) error {
	var lo []byte
	if series != 0 {
		lo = appendSeriesPrefix(nil, ref.rp, ref.start, series)
	} else {
		lo = appendPartitionPrefix(nil, ref.rp, ref.start)
	}
	it, err := c.db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return err
	}
	defer it.Close()
	c.pb = c.db.pdb.NewBatch()
	defer func() { c.pb.Close() }()
	c.chunks, c.blocks = c.chunks[:0], c.blocks[:0]
	c.groupStart = c.groupStart[:0]
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != dataKeyLen {
			return fmt.Errorf("%w: data key %x", ErrCorrupt, k)
		}
		if !bytes.Equal(k[:sfPrefixLen], c.groupStart) {
			if err := c.flushGroup(); err != nil {
				return err
			}
			c.groupStart = append(c.groupStart[:0], k[:sfPrefixLen]...)
		}
		v := it.Value()
		h, err := chunk.ReadHeader(v)
		if err != nil {
			return fmt.Errorf("%w: key %x: %v", ErrCorrupt, k, err)
		}
		e := entry{key: slices.Clone(k), val: slices.Clone(v), h: h}
		switch k[sfPrefixLen] {
		case kindChunk:
			c.chunks = append(c.chunks, e)
		case kindBlock:
			c.blocks = append(c.blocks, e)
		default:
			return fmt.Errorf("%w: data key %x", ErrCorrupt, k)
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if err := c.flushGroup(); err != nil {
		return err
	}
	return c.commit()
}

func (c *compactor) commit() error {
	if c.pb.Empty() {
		return nil
	}
	if c.beforeCommit != nil {
		c.beforeCommit()
	}
	if err := c.pb.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("cannot commit compaction: %w", err)
	}
	c.pb.Close()
	c.pb = c.db.pdb.NewBatch()
	return nil
}

// flushGroup compacts the collected entries of one series field.
func (c *compactor) flushGroup() error {
	defer func() { c.chunks, c.blocks = c.chunks[:0], c.blocks[:0] }()
	if len(c.blocks) == 0 {
		return nil
	}
	bMin, bMax := c.blocks[0].h.MinTime, c.blocks[0].h.MaxTime
	for _, b := range c.blocks[1:] {
		bMin, bMax = min(bMin, b.h.MinTime), max(bMax, b.h.MaxTime)
	}
	// Chunks are disjoint and sorted: pick the run overlapping the blocks'
	// range, extended by an under-full predecessor.
	lo := 0
	for lo < len(c.chunks) && c.chunks[lo].h.MaxTime < bMin {
		lo++
	}
	hi := lo
	for hi < len(c.chunks) && c.chunks[hi].h.MinTime <= bMax {
		hi++
	}
	if lo > 0 && c.chunks[lo-1].h.Count < c.db.opts.MaxChunkPoints {
		lo--
	}
	c.acc.Reset()
	inputs := append(c.chunks[lo:hi:hi], c.blocks...)
	for _, e := range inputs {
		if err := c.dec.Decode(e.val, &c.run); err != nil {
			return fmt.Errorf("%w: key %x: %v", ErrCorrupt, e.key, err)
		}
		if err := mergeInto(&c.acc, &c.run, &c.tmp); err != nil {
			return fmt.Errorf("%w: key %x: %v", ErrCorrupt, e.key, err)
		}
	}
	for _, e := range c.chunks[lo:hi] {
		_ = c.pb.Delete(e.key, nil)
	}
	c.deleteBlocks()
	if err := c.writeChunks(c.groupStart, &c.acc); err != nil {
		return err
	}
	c.db.stats.compactions.Add(1)
	c.db.stats.compactedKeys.Add(uint64(len(inputs)))
	if c.pb.Len() > 4<<20 {
		return c.commit()
	}
	return nil
}

// deleteBlocks adds the deletion of the collected blocks to the batch. Two
// or more go as one range deletion from the first block key to just after
// the last: point deletions would leave one tombstone per block that every
// read of the series field steps over until Pebble compacts them away. The
// range holds exactly the blocks read: block keys of a series field sort by
// sequence number, and commits apply in sequence order (under db.mu), so
// every block with a key up to the last one read was committed before it
// and is visible to the compaction's iterator, while a block committed
// after the iterator was opened has a higher sequence number and sorts
// after the end of the range.
func (c *compactor) deleteBlocks() {
	if len(c.blocks) == 1 {
		_ = c.pb.Delete(c.blocks[0].key, nil)
		return
	}
	last := c.blocks[len(c.blocks)-1].key
	// Every data key has dataKeyLen bytes, so last+0x00 is the least key
	// after last.
	c.key = append(append(c.key[:0], last...), 0)
	_ = c.pb.DeleteRange(c.blocks[0].key, c.key, nil)
}

// writeChunks encodes cols as chunks of at most MaxChunkPoints under the
// series-field prefix sf and adds them to the batch.
func (c *compactor) writeChunks(sf []byte, cols *chunk.Columns) error {
	n, max := cols.Len(), c.db.opts.MaxChunkPoints
	for i := 0; i < n; i += max {
		j := min(i+max, n)
		sub := sliceColumns(cols, i, j)
		var err error
		c.val, err = c.enc.AppendColumns(c.val[:0], &sub)
		if err != nil {
			return fmt.Errorf("BUG: cannot encode chunk: %w", err)
		}
		c.key = append(append(c.key[:0], sf...), kindChunk)
		c.key = binary.BigEndian.AppendUint64(c.key, flip(cols.Times[j-1]))
		_ = c.pb.Set(c.key, c.val, nil)
	}
	return nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
