package storage

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage/chunk"
)

// Last returns the newest value of series field in the retention policy rp
// of database ("" is the default policy) with a time in [minT, maxT], and
// its time; ok is false when there is none. See LastRP.
func (c *Cursor) Last(database, rp string, series uint64, field uint32, minT, maxT int64) (t int64, v model.FieldValue, ok bool, err error) {
	c.r.db.state.RLock()
	_, rps, err := c.r.db.lookupRP(database, rp)
	c.r.db.state.RUnlock()
	if err != nil {
		return 0, v, false, err
	}
	return c.LastRP(rps.id, series, field, minT, maxT)
}

// LastRP is Last with a retention policy id. It reads backwards from maxT
// and stops at the first value: partitions newest first, and within a
// partition the newest chunk that starts at or before the current bound,
// together with the recent blocks overlapping that chunk's span. When no
// block overlaps it and the whole chunk lies in the range, the value comes
// from the chunk's header without decoding it, so that the newest point of
// a compacted series costs one seek. It leaves the cursor unpositioned:
// call Seek before Next again.
func (c *Cursor) LastRP(rp uint32, series uint64, field uint32, minT, maxT int64) (t int64, v model.FieldValue, ok bool, err error) {
	c.streaming, c.chunksDone = false, false
	c.parts = nil
	c.out.Times = c.out.Times[:0]
	c.err = nil
	if minT > maxT {
		return 0, v, false, nil
	}
	if err := c.openIter(); err != nil {
		return 0, v, false, err
	}
	parts, err := c.r.partitions(rp)
	if err != nil {
		return 0, v, false, err
	}
	// The partitions overlapping [minT, maxT] end at hiPart (exclusive).
	hiPart, _ := slices.BinarySearchFunc(parts, maxT, func(p partition, t int64) int {
		if p.start <= t {
			return -1
		}
		return 1
	})
	for i := hiPart - 1; i >= 0; i-- {
		p := parts[i]
		if p.last < minT {
			break
		}
		t, v, ok, err := c.lastInPartition(rp, p, series, field, max(minT, p.start), min(maxT, p.last))
		if err != nil || ok {
			return t, v, ok, err
		}
	}
	return 0, v, false, nil
}

// blockSpan is the time range of one recent block.
type blockSpan struct{ min, max int64 }

// lastInPartition is LastRP within one partition, lo and hi inside it.
//
// Keys within a series field sort chunks (by last time) before blocks (by
// sequence number), and deleted block keys linger as tombstones until
// Pebble compacts them away, which makes every step across the block area
// cost as much as the blocks once were. So the partition is probed once: a
// seek to the chunk that would end at hi either lands on a chunk or crosses
// the block area, which then tells what blocks there are; the newest chunk
// at or before a bound is found with SeekLT, which does not cross it.
func (c *Cursor) lastInPartition(rp uint32, p partition, series uint64, field uint32, lo, hi int64) (int64, model.FieldValue, bool, error) {
	var none model.FieldValue
	c.prefix = appendSeriesFieldPrefix(c.prefix[:0], rp, p.start, series, field)
	chunkPrefix := append(c.prefix, kindChunk)
	blockPrefix := append(c.seekKey[:0], c.prefix...)
	blockPrefix = append(blockPrefix, kindBlock)
	c.seekKey = blockPrefix
	c.spans = c.spans[:0]

	// The probe: the first chunk ending at or after hi, if any.
	key := binary.BigEndian.AppendUint64(append(c.lastKey[:0], chunkPrefix...), flip(hi))
	c.lastKey = key
	straddle, spansKnown := false, false
	if c.it.SeekGE(key) && bytes.HasPrefix(c.it.Key(), chunkPrefix) {
		h, err := chunk.ReadHeader(c.it.Value())
		if err != nil {
			return 0, none, false, c.corrupt(err)
		}
		straddle = h.MinTime <= hi
	} else {
		// Past the chunks: at the first live block, if any.
		for ; c.it.Valid() && bytes.HasPrefix(c.it.Key(), blockPrefix); c.it.Next() {
			if err := c.addSpan(); err != nil {
				return 0, none, false, err
			}
		}
		spansKnown = true
	}
	if err := c.it.Error(); err != nil {
		return 0, none, false, err
	}
	if !spansKnown {
		for c.it.SeekGE(blockPrefix); c.it.Valid() && bytes.HasPrefix(c.it.Key(), blockPrefix); c.it.Next() {
			if err := c.addSpan(); err != nil {
				return 0, none, false, err
			}
		}
		if err := c.it.Error(); err != nil {
			return 0, none, false, err
		}
	}

	for first := true; hi >= lo; first = false {
		// The newest chunk starting at or before hi: the probed chunk when
		// it straddles hi (only the first bound can fall inside a chunk),
		// else the newest ending at or before hi.
		var (
			val   []byte
			h     chunk.Header
			found bool
		)
		key = binary.BigEndian.AppendUint64(append(c.lastKey[:0], chunkPrefix...), flip(hi))
		c.lastKey = key
		var valid bool
		if first && straddle {
			valid = c.it.SeekGE(key)
		} else {
			valid = c.it.SeekLT(append(key, 0))
		}
		if valid && bytes.HasPrefix(c.it.Key(), chunkPrefix) {
			hd, err := chunk.ReadHeader(c.it.Value())
			if err != nil {
				return 0, none, false, c.corrupt(err)
			}
			val, h, found = c.it.Value(), hd, hd.MinTime <= hi
		}
		if err := c.it.Error(); err != nil {
			return 0, none, false, err
		}
		if found && h.MaxTime < lo {
			found = false // older than the range
		}
		wlo := lo
		if found {
			wlo = max(lo, h.MinTime)
		}
		blocks := false
		for _, s := range c.spans {
			if s.max >= wlo && s.min <= hi {
				blocks = true
				break
			}
		}
		if found && !blocks && h.MaxTime <= hi {
			// The chunk's last point is the newest in [lo, hi].
			_, v, ok, err := chunk.ReadLast(val)
			if err != nil {
				return 0, none, false, c.corrupt(err)
			}
			if ok {
				return h.MaxTime, v, true, nil
			}
		}
		if found || blocks {
			t, v, ok, err := c.mergeWindow(val, wlo, hi)
			if err != nil || ok {
				return t, v, ok, err
			}
		}
		if !found {
			break // [lo, hi] held no chunk: the partition is done
		}
		hi = wlo - 1
	}
	return 0, none, false, nil
}

// addSpan records the time range of the block at the iterator.
func (c *Cursor) addSpan() error {
	h, err := chunk.ReadHeader(c.it.Value())
	if err != nil {
		return c.corrupt(err)
	}
	c.spans = append(c.spans, blockSpan{h.MinTime, h.MaxTime})
	return nil
}

// mergeWindow merges the chunk val (nil for none) with the blocks of the
// current partition that overlap [lo, hi] and returns the newest point in
// [lo, hi].
func (c *Cursor) mergeWindow(val []byte, lo, hi int64) (int64, model.FieldValue, bool, error) {
	var none model.FieldValue
	c.buf.Reset()
	if val != nil && !c.mergeValue(val) {
		return 0, none, false, c.err
	}
	c.seekKey = append(c.seekKey[:len(c.prefix)], kindBlock)
	for c.it.SeekGE(c.seekKey); c.it.Valid() && bytes.HasPrefix(c.it.Key(), c.seekKey); c.it.Next() {
		v := c.it.Value()
		h, err := chunk.ReadHeader(v)
		if err != nil {
			return 0, none, false, c.corrupt(err)
		}
		if h.MaxTime < lo || h.MinTime > hi {
			continue
		}
		if !c.mergeValue(v) {
			return 0, none, false, c.err
		}
	}
	if err := c.it.Error(); err != nil {
		return 0, none, false, err
	}
	ts := c.buf.Times
	// The last time at or before hi.
	i, found := slices.BinarySearch(ts, hi)
	if !found {
		i--
	}
	if i < 0 || ts[i] < lo {
		return 0, none, false, nil
	}
	return ts[i], c.buf.Value(i), true, nil
}
