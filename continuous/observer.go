package continuous

import "github.com/accretedb/accrete/storage"

// observer records, in the batch of every change of a source, the buckets
// the change dirties: data and dirty markers commit together or not at all.
type observer struct{ e *Engine }

// BeforeCommit implements storage.Observer. It runs under the storage's
// write lock: it reads the catalog without locking and writes markers only
// for late writes (before an aggregate's watermark), so that in-order
// ingest costs a comparison per point and aggregate.
func (o observer) BeforeCommit(b *storage.Batch, c *storage.Change) error {
	e := o.e
	if e.closed.Load() {
		return nil
	}
	cat := e.cat.Load()
	if len(cat.byName) == 0 {
		return nil
	}
	switch c.Kind {
	case storage.ChangeWrite:
		return e.observeWrites(b, cat, c)
	case storage.ChangeDelete, storage.ChangeDropMeasurement:
		return e.observeDelete(b, cat, c)
	case storage.ChangeDropRetentionPolicy, storage.ChangeDropDatabase:
		return e.observeDrop(b, cat, c)
	}
	// ChangeDropPartitions is retention of source data: materialized
	// buckets stay as they are.
	return nil
}

// marks dedupes the markers of one change.
type marks struct {
	seen map[string]struct{}
	key  []byte
	now  int64
	set  bool
}

// first reports whether key is new in this change.
func (m *marks) first(key []byte) bool {
	if m.seen == nil {
		m.seen = map[string]struct{}{}
	}
	if _, ok := m.seen[string(key)]; ok {
		return false
	}
	m.seen[string(key)] = struct{}{}
	return true
}

func (e *Engine) now(m *marks) int64 {
	if !m.set {
		m.now, m.set = e.clock().UnixNano(), true
	}
	return m.now
}

func (e *Engine) observeWrites(b *storage.Batch, cat *catalog, c *storage.Change) error {
	var m marks
	var group []byte
	for _, ws := range c.Writes {
		if cat.byDBRP[[2]string{ws.Database, ws.RetentionPolicy}] == nil {
			continue
		}
		last, aggs := "", []*agg(nil)
		for i := range ws.Points {
			p := &ws.Points[i]
			if p.Measurement != last || i == 0 {
				last = p.Measurement
				aggs = cat.bySource[mkey{ws.Database, ws.RetentionPolicy, p.Measurement}]
			}
			for _, a := range aggs {
				if p.Time >= a.markBelow.Load() {
					continue
				}
				if !a.readsField(p.Fields) || (a.filter != nil && !a.filter.Match(p.Tags)) {
					continue
				}
				bucket := a.bucket(p.Time)
				now := e.now(&m)
				if bucket < a.frozenBefore(now, e.srcRet) || bucket < a.retainFrom(now) {
					continue
				}
				group = a.appendGroup(group[:0], p.Tags)
				m.key = appendGroup(appendTime(appendID(m.key[:0], keyMarker, a.id), bucket), string(group))
				if !m.first(m.key) {
					continue
				}
				if err := b.SetMeta(namespace, markerKey(a.id, bucket, string(group), e.seq.Add(1)), nil); err != nil {
					return err
				}
				a.work.Store(true)
			}
		}
	}
	return nil
}

// observeDelete marks, per aggregate reading the measurement and per group
// of the deleted series, the deleted range below the watermark as one
// dirty range; a refresh recomputes only the buckets of the range that
// hold partial states or source data.
func (e *Engine) observeDelete(b *storage.Batch, cat *catalog, c *storage.Change) error {
	var m marks
	var group []byte
	for _, a := range cat.byDBRP[[2]string{c.Database, c.RetentionPolicy}] {
		if c.Measurement != "" && c.Measurement != a.src.m {
			continue
		}
		now := e.now(&m)
		lo := max(c.MinTime, a.frozenBefore(now, e.srcRet), a.retainFrom(now), minTime)
		hi := c.MaxTime
		if mb := a.markBelow.Load(); mb == unset {
			continue
		} else if hi >= mb {
			hi = mb - 1
		}
		if lo > hi {
			continue
		}
		lo, hi = a.bucket(lo), a.bucket(hi)
		for _, s := range c.Series {
			if s.Measurement != a.src.m || (a.filter != nil && !a.filter.Match(s.Tags)) {
				continue
			}
			group = a.appendGroup(group[:0], s.Tags)
			m.key = appendGroup(appendID(m.key[:0], keyRange, a.id), string(group))
			if !m.first(m.key) {
				continue
			}
			if err := b.SetMeta(namespace, rangeKey(a.id, string(group), e.seq.Add(1)), appendSpan(nil, lo, hi)); err != nil {
				return err
			}
			a.work.Store(true)
		}
	}
	return nil
}

// observeDrop forgets what aggregates materialized into a dropped database
// or retention policy: their partial states, markers and watermark go in
// the same batch. Aggregates whose source alone is dropped keep their
// target as it is.
//
// The watermarks it forgets in memory are kept until the change commits
// or aborts; Aborted puts them back.
func (e *Engine) observeDrop(b *storage.Batch, cat *catalog, c *storage.Change) (err error) {
	var undo []dropUndo
	defer func() {
		if err != nil {
			restoreDrop(undo)
			undo = nil
		}
		e.drop.Lock()
		e.drop.c, e.drop.undo = c, undo
		e.drop.Unlock()
	}()
	for _, a := range cat.byName {
		if a.tgt.db != c.Database || (c.RetentionPolicy != "" && a.tgt.rp != c.RetentionPolicy) {
			continue
		}
		if err := b.DeleteMeta(namespace, watermarkKey(a.id)); err != nil {
			return err
		}
		for _, kind := range []byte{keyMarker, keyRange, keyAllRange, keyState} {
			if err := b.DeleteMetaPrefix(namespace, appendID(nil, kind, a.id)); err != nil {
				return err
			}
		}
		a.mu.Lock()
		undo = append(undo, dropUndo{a: a, watermark: a.mu.watermark, retained: a.mu.retained, markBelow: a.markBelow.Load()})
		a.mu.watermark, a.mu.retained = unset, unset
		a.mu.Unlock()
		a.markBelow.Store(unset)
	}
	return nil
}

// Aborted implements storage.AbortObserver: a drop that does not commit
// leaves the stored watermarks and states as they were, and so the
// watermarks in memory are restored.
func (o observer) Aborted(c *storage.Change) {
	if c.Kind != storage.ChangeDropRetentionPolicy && c.Kind != storage.ChangeDropDatabase {
		return
	}
	e := o.e
	e.drop.Lock()
	var undo []dropUndo
	if e.drop.c == c {
		undo = e.drop.undo
		e.drop.c, e.drop.undo = nil, nil
	}
	e.drop.Unlock()
	restoreDrop(undo)
}

// dropUndo is what a drop forgot of one aggregate.
type dropUndo struct {
	a                              *agg
	watermark, retained, markBelow int64
}

func restoreDrop(undo []dropUndo) {
	for _, u := range undo {
		u.a.mu.Lock()
		u.a.mu.watermark, u.a.mu.retained = u.watermark, u.retained
		u.a.mu.Unlock()
		u.a.markBelow.Store(u.markBelow)
	}
}
