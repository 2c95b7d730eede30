package downsample

import (
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// observer folds every written source point into its configs' open
// buckets and records, in the batch of the change, the closed buckets a
// change touches, so that data and markers commit together.
type observer struct{ e *Engine }

// BeforeCommit implements storage.Observer. It runs under the storage's
// write lock and takes the engine's lock.
func (o observer) BeforeCommit(b *storage.Batch, c *storage.Change) error {
	e := o.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.mu.bySource) == 0 {
		return nil
	}
	switch c.Kind {
	case storage.ChangeWrite:
		return e.observeWrites(b, c)
	case storage.ChangeDelete, storage.ChangeDropMeasurement:
		if err := e.observeDelete(b, c); err != nil {
			return err
		}
		return e.observeTargetDelete(b, c)
	}
	// Dropped partitions are retention of source data: written buckets
	// stay. Dropped databases and policies take the targets with them.
	return nil
}

// Aborted implements storage.AbortObserver: a change BeforeCommit
// accepted did not commit. It runs under the storage's write lock, like
// BeforeCommit, and takes the engine's lock. The markers the change wrote
// are gone with its batch; Aborted forgets them and marks every open
// bucket the change folded into stale, so that it is re-aggregated from
// the stored data when it closes, as if the change had never happened.
// A bucket a flush took since BeforeCommit (the flush may write the
// folded state) is re-aggregated by the flush or the next one. An
// aborted delete needs nothing: the buckets it made stale are
// re-aggregated from the data, which is all still there.
func (o observer) Aborted(c *storage.Change) {
	if c.Kind != storage.ChangeWrite {
		return
	}
	e := o.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.mu.bySource) == 0 {
		return
	}
	// With no watermark moved since the change was folded, its points
	// before a watermark were late ones, which only wrote markers.
	moved := e.mu.takes != e.mu.observed
	var key []byte
	for p, cfgs := range e.sourcePoints(c) {
		h := hashTags(e.seed, p.Tags)
		key = appendSeriesKey(key[:0], p.Tags)
		for _, cf := range cfgs {
			start := cf.bucketOf(p.Time)
			if start < cf.start {
				continue
			}
			m := mark{string(key), start}
			delete(cf.marked, m)
			if ob := cf.bucket(h, p.Tags, start, false); ob != nil {
				ob.stale = true
			} else if moved && start < cf.w {
				cf.redo[m] = struct{}{}
				cf.pending = true
				e.poke()
			}
		}
	}
}

// observeWrites folds points. The caller holds mu.
func (e *Engine) observeWrites(b *storage.Batch, c *storage.Change) error {
	// Writes older than a source retention are rejected before anything
	// is folded: a rejected change must leave the open buckets as they
	// were.
	if err := e.checkSourceRetention(c); err != nil {
		return err
	}
	e.mu.observed = e.mu.takes
	var key []byte
	closed := e.closed.Load()
	for p, cfgs := range e.sourcePoints(c) {
		h := hashTags(e.seed, p.Tags)
		key = key[:0]
		var first *openSeries // the point's open series in the first config that has one
		for _, cf := range cfgs {
			start := cf.bucketOf(p.Time)
			if start < cf.start {
				continue // before the config began
			}
			if start < cf.w || closed {
				if start < cf.w {
					if len(key) == 0 {
						key = appendSeriesKey(key, p.Tags)
					}
					if err := e.mark(b, cf, key, start); err != nil {
						return err
					}
				}
				continue
			}
			var os *openSeries
			if first != nil {
				if os = first.sibling(cf); os == nil {
					if os = cf.series(h, p.Tags); os != nil {
						first.setSibling(cf, os)
					}
				}
			} else {
				os = cf.series(h, p.Tags)
			}
			ob, os := cf.bucketIn(os, h, p.Tags, start, false)
			if ob == nil {
				if cf.nOpen >= e.maxOpen {
					cf.stats.Overflowed++
					if len(key) == 0 {
						key = appendSeriesKey(key, p.Tags)
					}
					if err := e.mark(b, cf, key, start); err != nil {
						return err
					}
					continue
				}
				ob, os = cf.bucketIn(os, h, p.Tags, start, true)
			}
			if first == nil {
				first = os
			} else if first != os {
				first.setSibling(cf, os)
			}
			cf.stats.PointsFolded++
			if ob.stale {
				continue
			}
			if p.Time <= ob.last {
				// Out of order within the bucket: it may overwrite a
				// folded value, so the bucket is re-aggregated.
				ob.stale = true
				continue
			}
			ob.last = p.Time
			for oi := range cf.outs {
				if v, ok := fieldValue(p.Fields, cf.outs[oi].input); ok {
					cf.fold(ob, oi, p.Time, v)
				}
			}
		}
	}
	return nil
}

// checkSourceRetention returns ErrTooOld for the first point of c older
// than the SourceRetention of a config reading it. The caller holds mu.
func (e *Engine) checkSourceRetention(c *storage.Change) error {
	var now int64
	for p, cfgs := range e.sourcePoints(c) {
		for _, cf := range cfgs {
			if cf.cfg.SourceRetention <= 0 {
				continue
			}
			if now == 0 {
				now = e.clock().UnixNano()
			}
			if cutoff := now - int64(cf.cfg.SourceRetention); p.Time < cutoff {
				return fmt.Errorf("%w: %s at %s is older than the %s kept by downsample %q (cutoff %s)", ErrTooOld,
					p.Measurement, time.Unix(0, p.Time).UTC().Format(time.RFC3339Nano), cf.cfg.SourceRetention,
					cf.cfg.Name, time.Unix(0, cutoff).UTC().Format(time.RFC3339Nano))
			}
		}
	}
	return nil
}

func fieldValue(fs []model.Field, name string) (model.FieldValue, bool) {
	for i := range fs {
		if fs[i].Key == name {
			return fs[i].Value, true
		}
	}
	return model.FieldValue{}, false
}

// mark records in b that the bucket start of a series must be
// re-aggregated from the stored data. The caller holds mu.
func (e *Engine) mark(b *storage.Batch, cf *config, key []byte, start int64) error {
	if _, ok := cf.marked[mark{string(key), start}]; ok {
		return nil
	}
	if err := b.SetMeta(namespace, markerKey(cf.id, start, e.seq.Add(1), string(key)), nil); err != nil {
		return err
	}
	cf.marked[mark{string(key), start}] = struct{}{}
	cf.pending = true
	cf.markGen++
	e.poke()
	return nil
}

// frozenBefore returns the first bucket boundary whose buckets lie wholly
// inside the source's retention: deletes before it are retention and
// change nothing written. A tier's source is kept for its lower tier's
// Retention, and the lower tier's last retention cutoff is frozen too.
func (e *Engine) frozenBefore(cf *config, now int64) int64 {
	ret := time.Duration(cf.cfg.SourceRetention)
	if l := cf.lower; l != nil {
		ret = time.Duration(l.cfg.Retention)
	}
	if e.srcRet != nil {
		if r := e.srcRet(cf.cfg.Database, cf.cfg.RetentionPolicy, cf.cfg.Source); r > 0 && (ret == 0 || r < ret) {
			ret = r
		}
	}
	frozen := int64(minTime)
	if ret > 0 {
		frozen = cf.bucketUp(now - int64(ret))
	}
	if l := cf.lower; l != nil && l.retainCut > minTime {
		frozen = max(frozen, cf.bucketUp(l.retainCut))
	}
	return frozen
}

// observeDelete marks the deleted range of every deleted series: written
// buckets by a range marker in the batch, open ones as stale. The caller
// holds mu.
func (e *Engine) observeDelete(b *storage.Batch, c *storage.Change) error {
	cfgs := e.mu.bySource[mkey{c.Database, c.RetentionPolicy, c.Measurement}]
	if len(cfgs) == 0 {
		return nil
	}
	now := e.clock().UnixNano()
	lo, hi := max(c.MinTime, minTime), min(c.MaxTime, maxTime)
	if c.Kind == storage.ChangeDropMeasurement {
		lo, hi = minTime, maxTime
	}
	for _, cf := range cfgs {
		if err := e.markDeleted(b, cf, c.Series, lo, hi, now); err != nil {
			return err
		}
	}
	return nil
}

// markDeleted marks the source time range lo..hi (inclusive) of series
// deleted for cf: written buckets by a range marker in b, open ones as
// stale. The caller holds mu.
func (e *Engine) markDeleted(b *storage.Batch, cf *config, series []storage.Series, lo, hi, now int64) error {
	lo = max(lo, e.frozenBefore(cf, now), cf.start)
	if lo > hi {
		return nil
	}
	lo, hi = cf.bucketOf(lo), cf.bucketOf(hi)
	var key []byte
	for _, s := range series {
		key = appendSeriesKey(key[:0], s.Tags)
		if chi := min(hi, cf.w-cf.iv); lo <= chi {
			if err := b.SetMeta(namespace, rangeKey(cf.id, e.seq.Add(1)), rangeValue(string(key), lo, chi)); err != nil {
				return err
			}
			cf.pending = true
			cf.markGen++
			e.poke()
		}
		if os := cf.series(hashTags(e.seed, s.Tags), s.Tags); os != nil {
			for _, ob := range os.buckets {
				if ob.start >= lo && ob.start <= hi {
					ob.stale = true
				}
			}
		}
	}
	return nil
}

// maxStateSeeks bounds the buckets observeTargetDelete looks up one by
// one; a wider delete scans the config's states.
const maxStateSeeks = 1024

// observeTargetDelete handles a delete of a config's target (DELETE FROM
// cpu_1m): the partial states of the deleted buckets are deleted in the
// same batch, so that the states and the target points agree, and the
// tiers above re-aggregate every bucket holding a deleted one, exactly as
// for a delete of raw data. The caller holds mu.
func (e *Engine) observeTargetDelete(b *storage.Batch, c *storage.Change) error {
	if len(c.Series) == 0 {
		return nil
	}
	var now int64
	for _, l := range e.mu.byName {
		if l.cfg.Database != c.Database || l.cfg.RetentionPolicy != c.RetentionPolicy || l.cfg.Target != c.Measurement {
			continue
		}
		lo, hi := max(c.MinTime, minTime), min(c.MaxTime, maxTime)
		if c.Kind == storage.ChangeDropMeasurement {
			lo, hi = minTime, maxTime
		}
		// Target points sit at bucket starts.
		lo, hi = l.bucketUp(lo), l.bucketOf(hi)
		if lo > hi {
			continue
		}
		if err := e.deleteStates(b, l, c.Series, lo, hi); err != nil {
			return err
		}
		if len(l.uppers) > 0 && now == 0 {
			now = e.clock().UnixNano()
		}
		for _, u := range l.uppers {
			if err := e.markDeleted(b, u, c.Series, lo, hi, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteStates deletes in b the partial states of config l for the
// buckets lo..hi (starts, inclusive) of series.
func (e *Engine) deleteStates(b *storage.Batch, l *config, series []storage.Series, lo, hi int64) error {
	keys := make(map[string]struct{}, len(series))
	var key []byte
	for _, s := range series {
		key = appendSeriesKey(key[:0], s.Tags)
		keys[string(key)] = struct{}{}
	}
	del := func(prefix []byte) func(k, _ []byte) error {
		return func(k, _ []byte) error {
			rest := k[len(prefix):]
			if len(prefix) == 5 {
				if len(rest) < 8 {
					return fmt.Errorf("%w: state key %x", errCorrupt, k)
				}
				bucket := readTime(rest)
				if bucket < lo {
					return nil
				}
				if bucket > hi {
					return errStop
				}
				rest = rest[8:]
			}
			if _, ok := keys[string(rest)]; !ok {
				return nil
			}
			return b.DeleteMeta(namespace, k)
		}
	}
	if uint64(hi-lo)/uint64(l.iv) < maxStateSeeks {
		for bucket := lo; bucket <= hi; bucket += l.iv {
			prefix := appendTime(appendID(nil, keyState, l.id), bucket)
			if err := e.db.IterMeta(namespace, prefix, del(prefix)); err != nil {
				return err
			}
		}
		return nil
	}
	prefix := appendID(nil, keyState, l.id)
	if err := e.db.IterMeta(namespace, prefix, del(prefix)); err != nil && !errors.Is(err, errStop) {
		return err
	}
	return nil
}

// sourcePoints yields the points of c's writes that configs read, each
// with those configs. The caller holds mu.
func (e *Engine) sourcePoints(c *storage.Change) iter.Seq2[*model.Point, []*config] {
	return func(yield func(*model.Point, []*config) bool) {
		for _, ws := range c.Writes {
			last, cfgs := "", []*config(nil)
			for i := range ws.Points {
				p := &ws.Points[i]
				if i == 0 || p.Measurement != last {
					last = p.Measurement
					cfgs = e.mu.bySource[mkey{ws.Database, ws.RetentionPolicy, p.Measurement}]
				}
				if len(cfgs) > 0 && !yield(p, cfgs) {
					return
				}
			}
		}
	}
}
