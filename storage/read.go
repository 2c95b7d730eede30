package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"github.com/accretedb/accrete/storage/chunk"
	"github.com/cockroachdb/pebble/v2"
)

// Reader is a consistent point-in-time view of the stored data and
// metadata: writes, compactions and deletes committed after NewReader are
// invisible to it. A Reader is safe for concurrent use by several
// goroutines, each with its own Cursor. Close it when done; DB.Close waits
// for every Reader to be closed.
type Reader struct {
	db   *DB
	snap *pebble.Snapshot
	// parts caches the partition lists read from the snapshot.
	mu struct {
		sync.Mutex
		parts map[uint32][]partition
	}
	closed bool
}

// NewReader returns a Reader over the current state.
func (db *DB) NewReader() (*Reader, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	r := &Reader{db: db, snap: db.pdb.NewSnapshot()}
	r.mu.parts = map[uint32][]partition{}
	return r, nil
}

// Close releases the view. Cursors of the Reader must be closed first.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.snap.Close()
	r.db.leave()
	return err
}

// partitions returns the partitions of an RP as of the snapshot.
func (r *Reader) partitions(rp uint32) ([]partition, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.mu.parts[rp]; ok {
		return p, nil
	}
	lo := appendIndexPrefix(nil, rp, indexPartition)
	it, err := r.snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, err
	}
	var parts []partition
	for it.First(); it.Valid(); it.Next() {
		_, start, err := parsePartitionIndexKey(it.Key())
		v := it.Value()
		if err != nil || len(v) != 8 {
			it.Close()
			return nil, fmt.Errorf("%w: partition key %x", ErrCorrupt, it.Key())
		}
		parts = append(parts, partition{start: start, last: unflip(binary.BigEndian.Uint64(v))})
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	r.mu.parts[rp] = parts
	return parts, nil
}

// Cursor reads the values of one series field in a time range, in time
// order, a batch at a time:
//
//	c := r.NewCursor()
//	defer c.Close()
//	if err := c.Seek(db, rp, seriesID, fieldID, minT, maxT); err != nil { ... }
//	for c.Next() {
//		cols := c.Columns() // valid until the next call of Next or Seek
//	}
//	if err := c.Err(); err != nil { ... }
//
// A Cursor may be re-positioned with Seek any number of times; once its
// buffers have grown it reads without allocating (string values aside).
// A Cursor is not safe for concurrent use.
type Cursor struct {
	r   *Reader
	it  *pebble.Iterator
	dec *chunk.Decoder

	rp         uint32
	parts      []partition // partitions still to read
	series     uint64
	field      uint32
	minT, maxT int64
	prefix     []byte // series-field prefix of the current partition
	seekKey    []byte
	streaming  bool // reading the chunks of a partition without blocks
	// chunksDone: the chunk just read reaches maxT, so the partition has
	// nothing more to give; the iterator stays on it rather than step
	// into the block area (whose deleted keys may be slow to cross).
	chunksDone bool
	err        error
	buf        chunk.Columns // decoded chunk or merged partition
	out        chunk.Columns // the trimmed view of buf returned by Columns
	run, tmp   chunk.Columns // merge scratch
	spans      []blockSpan   // Last: the blocks of a partition
	lastKey    []byte        // Last: chunk seek key
}

// NewCursor returns an unpositioned Cursor.
func (r *Reader) NewCursor() *Cursor {
	return &Cursor{r: r}
}

// Close releases the cursor's iterator and decoder.
func (c *Cursor) Close() error {
	if c.dec != nil {
		chunk.PutDecoder(c.dec)
		c.dec = nil
	}
	if c.it == nil {
		return nil
	}
	err := c.it.Close()
	c.it = nil
	return err
}

// Seek positions the cursor before the values of series and field in the
// retention policy rp of database ("" is the default policy) with times in
// [minT, maxT].
func (c *Cursor) Seek(database, rp string, series uint64, field uint32, minT, maxT int64) error {
	c.r.db.state.RLock()
	_, rps, err := c.r.db.lookupRP(database, rp)
	c.r.db.state.RUnlock()
	if err != nil {
		c.err = err
		return err
	}
	return c.SeekRP(rps.id, series, field, minT, maxT)
}

// SeekRP is Seek with a retention policy id (RetentionPolicyID).
func (c *Cursor) SeekRP(rp uint32, series uint64, field uint32, minT, maxT int64) error {
	c.streaming, c.chunksDone = false, false
	c.parts = nil
	c.out.Times = c.out.Times[:0]
	c.err = nil
	if err := c.openIter(); err != nil {
		c.err = err
		return err
	}
	parts, err := c.r.partitions(rp)
	if err != nil {
		c.err = err
		return err
	}
	if minT > maxT {
		return nil
	}
	// Partitions are sorted and disjoint: keep those overlapping the range.
	lo, _ := slices.BinarySearchFunc(parts, minT, func(p partition, t int64) int {
		if p.last < t {
			return -1
		}
		return 1
	})
	hi := lo
	for hi < len(parts) && parts[hi].start <= maxT {
		hi++
	}
	c.rp, c.series, c.field, c.minT, c.maxT = rp, series, field, minT, maxT
	c.parts = parts[lo:hi]
	return nil
}

// decoder returns the cursor's chunk decoder, taken from a pool shared by
// all cursors on first use: a decoder's zstd state is costly to build for
// every statement.
func (c *Cursor) decoder() *chunk.Decoder {
	if c.dec == nil {
		c.dec = chunk.GetDecoder()
	}
	return c.dec
}

// openIter opens the cursor's iterator over the data space on first use.
func (c *Cursor) openIter() error {
	if c.it != nil {
		return nil
	}
	lo := []byte{spaceData}
	it, err := c.r.snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: []byte{spaceData + 1}})
	if err != nil {
		return err
	}
	c.it = it
	return nil
}

// Columns returns the current batch of values, sorted by time, all within
// the range. It is valid until the next Next or Seek; the caller must not
// modify it.
func (c *Cursor) Columns() *chunk.Columns { return &c.out }

// Err returns the error that stopped Next, if any.
func (c *Cursor) Err() error { return c.err }

// Next advances to the next non-empty batch and reports whether there is
// one.
func (c *Cursor) Next() bool {
	for c.err == nil {
		if c.streaming {
			if c.nextChunk() {
				return true
			}
			continue
		}
		if len(c.parts) == 0 {
			return false
		}
		p := c.parts[0]
		c.parts = c.parts[1:]
		c.prefix = appendSeriesFieldPrefix(c.prefix[:0], c.rp, p.start, c.series, c.field)
		c.seekKey = append(append(c.seekKey[:0], c.prefix...), kindBlock)
		if c.it.SeekGE(c.seekKey) && bytes.HasPrefix(c.it.Key(), c.seekKey) {
			if c.mergePartition() {
				return true
			}
			continue
		}
		c.seekChunks()
		c.streaming = true
	}
	return false
}

// seekChunks positions the iterator at the first chunk of the current
// partition that may hold minT (chunks are keyed by their last time).
func (c *Cursor) seekChunks() {
	c.seekKey = append(append(c.seekKey[:0], c.prefix...), kindChunk)
	c.seekKey = binary.BigEndian.AppendUint64(c.seekKey, flip(c.minT))
	c.it.SeekGE(c.seekKey)
	c.seekKey = c.seekKey[:len(c.prefix)+1]
}

// nextChunk decodes the chunk at the iterator into buf and trims it. It
// returns false, leaving streaming mode, at the partition's end.
func (c *Cursor) nextChunk() bool {
	if c.chunksDone {
		c.streaming, c.chunksDone = false, false
		return false
	}
	if !c.it.Valid() || !bytes.HasPrefix(c.it.Key(), c.seekKey) {
		c.streaming = false
		c.err = c.it.Error()
		return false
	}
	v := c.it.Value()
	h, err := chunk.ReadHeader(v)
	if err != nil {
		c.err = c.corrupt(err)
		return false
	}
	if h.MinTime > c.maxT {
		c.streaming = false
		return false
	}
	// The last chunk of the range need not decode the values past it.
	if err := c.decoder().DecodeUntil(v, &c.buf, c.maxT); err != nil {
		c.err = c.corrupt(err)
		return false
	}
	if h.MaxTime >= c.maxT {
		c.chunksDone = true
	} else {
		c.it.Next()
	}
	return c.trim()
}

// mergePartition merges the overlapping chunks and the blocks of the
// current partition into buf, newer blocks winning, and trims it.
func (c *Cursor) mergePartition() bool {
	c.buf.Reset()
	// Blocks first seen: the iterator is at the first block. Remember
	// nothing; read chunks, then come back to the blocks.
	c.seekChunks()
	for ; c.it.Valid() && bytes.HasPrefix(c.it.Key(), c.seekKey); c.it.Next() {
		v := c.it.Value()
		h, err := chunk.ReadHeader(v)
		if err != nil {
			c.err = c.corrupt(err)
			return false
		}
		if h.MinTime > c.maxT {
			break
		}
		if !c.mergeValue(v) {
			return false
		}
	}
	c.seekKey = append(c.seekKey[:len(c.prefix)], kindBlock)
	for c.it.SeekGE(c.seekKey); c.it.Valid() && bytes.HasPrefix(c.it.Key(), c.seekKey); c.it.Next() {
		v := c.it.Value()
		h, err := chunk.ReadHeader(v)
		if err != nil {
			c.err = c.corrupt(err)
			return false
		}
		if h.MaxTime < c.minT || h.MinTime > c.maxT {
			continue
		}
		if !c.mergeValue(v) {
			return false
		}
	}
	if err := c.it.Error(); err != nil {
		c.err = err
		return false
	}
	return c.trim()
}

// mergeValue decodes a chunk or block and merges it over buf.
func (c *Cursor) mergeValue(v []byte) bool {
	if err := c.decoder().Decode(v, &c.run); err != nil {
		c.err = c.corrupt(err)
		return false
	}
	if err := mergeInto(&c.buf, &c.run, &c.tmp); err != nil {
		c.err = c.corrupt(err)
		return false
	}
	return true
}

// mergeInto merges newer over acc, using tmp as scratch; afterwards acc
// holds the result and tmp and newer are scratch.
func mergeInto(acc, newer, tmp *chunk.Columns) error {
	if acc.Len() == 0 {
		*acc, *newer = *newer, *acc
		return nil
	}
	if err := chunk.MergeColumns(tmp, acc, newer); err != nil {
		return err
	}
	*acc, *tmp = *tmp, *acc
	return nil
}

// trim sets out to the part of buf within [minT, maxT] and reports whether
// it is non-empty.
func (c *Cursor) trim() bool {
	t := c.buf.Times
	i, j := 0, len(t)
	if len(t) > 0 && t[0] < c.minT {
		i, _ = slices.BinarySearch(t, c.minT)
	}
	if len(t) > 0 && t[len(t)-1] > c.maxT {
		j, _ = slices.BinarySearch(t, c.maxT)
		if j < len(t) && t[j] == c.maxT {
			j++
		}
	}
	c.out = sliceColumns(&c.buf, i, j)
	return i < j
}

func (c *Cursor) corrupt(err error) error {
	return fmt.Errorf("%w: key %x: %v", ErrCorrupt, c.it.Key(), err)
}

// ReadAll reads all values of a series field in [minT, maxT] into one
// Columns. It is for tests and callers that want a slice, not a stream.
func (r *Reader) ReadAll(database, rp string, series uint64, field uint32, minT, maxT int64) (chunk.Columns, error) {
	c := r.NewCursor()
	defer c.Close()
	var out chunk.Columns
	if err := c.Seek(database, rp, series, field, minT, maxT); err != nil {
		return out, err
	}
	for c.Next() {
		cols := c.Columns()
		for i := range cols.Times {
			if err := out.Append(cols.Times[i], cols.Value(i)); err != nil {
				return out, err
			}
		}
	}
	return out, c.Err()
}
