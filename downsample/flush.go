package downsample

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
	"github.com/accretedb/accrete/storage/chunk"
)

// exactTags matches the series with exactly the given tags.
type exactTags model.Tags

func (f exactTags) Match(tags model.Tags) bool {
	return slices.Equal(model.Tags(f), tags)
}

var errStop = errors.New("stop")

// ordered returns the configs lower tiers first. The caller holds mu.
func (e *Engine) ordered() []*config {
	var out []*config
	var visit func(c *config)
	visit = func(c *config) {
		out = append(out, c)
		for _, u := range c.uppers {
			visit(u)
		}
	}
	for _, c := range e.mu.byName {
		if c.lower == nil {
			visit(c)
		}
	}
	return out
}

// rebuild builds the open buckets of one config (nil: of all) from the
// stored data: raw values from the watermark on, or for a tier the lower
// tier's partial states from the watermark to the lower watermark. The
// caller holds mu, so that no write commits meanwhile.
func (e *Engine) rebuild(only *config) error {
	cfgs := e.ordered()
	if only != nil {
		cfgs = []*config{only}
	}
	if len(cfgs) == 0 {
		return nil
	}
	r, err := e.db.NewReader()
	if err != nil {
		return err
	}
	defer r.Close()
	for _, c := range cfgs {
		var err error
		if c.lower != nil {
			err = e.rebuildTier(r, c)
		} else {
			err = e.rebuildRaw(r, c)
		}
		if err != nil {
			return fmt.Errorf("downsample %q: rebuild open buckets: %w", c.cfg.Name, err)
		}
	}
	return nil
}

func (e *Engine) rebuildRaw(r *storage.Reader, c *config) error {
	var last *storage.Series
	var h uint64
	return e.walkSource(r, c, c.w, maxTime, func(s *storage.Series, in *input, cols *chunk.Columns) bool {
		if s != last {
			last, h = s, hashTags(e.seed, s.Tags)
		}
		for i, t := range cols.Times {
			ob := c.bucket(h, s.Tags, c.bucketOf(t), true)
			ob.last = max(ob.last, t)
			v := cols.Value(i)
			for _, oi := range in.outs {
				c.fold(ob, oi, t, v)
			}
		}
		return true
	}, nil)
}

// walkSource reads the source fields of the raw config c from the snapshot
// r between lo and hi (inclusive), series by series: fn gets every column
// batch with the field's outputs and returns false to skip the rest of
// that series field; done, when not nil, follows each series.
func (e *Engine) walkSource(r *storage.Reader, c *config, lo, hi int64, fn func(s *storage.Series, in *input, cols *chunk.Columns) bool, done func(s *storage.Series)) error {
	series, err := e.db.Series(c.cfg.Database, c.cfg.RetentionPolicy, c.cfg.Source, nil)
	if err != nil || len(series) == 0 {
		return ignoreGone(err)
	}
	fields, err := e.fields(c)
	if err != nil || len(fields) == 0 {
		return err
	}
	cur := r.NewCursor()
	defer cur.Close()
	for i := range series {
		s := &series[i]
		for j := range fields {
			in := &fields[j]
			if err := cur.Seek(c.cfg.Database, c.cfg.RetentionPolicy, s.ID, in.field.ID, lo, hi); err != nil {
				return err
			}
			for cur.Next() && fn(s, in, cur.Columns()) {
			}
			if err := cur.Err(); err != nil {
				return err
			}
		}
		if done != nil {
			done(s)
		}
	}
	return nil
}

func (e *Engine) rebuildTier(r *storage.Reader, c *config) error {
	l := c.lower
	for b := c.w; b < l.w; b += l.iv {
		prefix := appendTime(appendID(nil, keyState, l.id), b)
		err := r.IterMeta(namespace, prefix, func(k, v []byte) error {
			sts, err := decodeStates(v, len(l.outs))
			if err != nil {
				return err
			}
			tags, err := seriesTags(string(k[len(prefix):]))
			if err != nil {
				return fmt.Errorf("%w: state key %x: %v", errCorrupt, k, err)
			}
			ob := c.bucket(hashTags(e.seed, tags), tags, c.bucketOf(b), true)
			c.merge(ob, sts)
			ob.last = max(ob.last, b)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// merge merges a lower tier's states into an open bucket of a tier.
func (c *config) merge(ob *openBucket, lower []aggregate.State) {
	for i, j := range c.lowerIdx {
		ls := lower[j]
		if ls == nil {
			continue
		}
		if ob.states[i] == nil {
			ob.states[i] = ls
			sz := stateSize(ls)
			ob.bytes += sz
			c.bytes += sz
			continue
		}
		ob.states[i].Merge(ls)
	}
}

// input is a source field with the outputs reading it.
type input struct {
	field storage.FieldInfo
	outs  []int
}

// fields returns the source fields a raw config reads.
func (e *Engine) fields(c *config) ([]input, error) {
	fis, err := e.db.FieldKeys(c.cfg.Database, c.cfg.RetentionPolicy, c.cfg.Source)
	if err != nil {
		return nil, ignoreGone(err)
	}
	var out []input
	for _, fi := range fis {
		var outs []int
		for i, o := range c.outs {
			if o.input == fi.Name && o.fn.Accepts(fi.Type) {
				outs = append(outs, i)
			}
		}
		if len(outs) > 0 {
			out = append(out, input{field: fi, outs: outs})
		}
	}
	return out, nil
}

func ignoreGone(err error) error {
	if errors.Is(err, storage.ErrDatabaseNotFound) || errors.Is(err, storage.ErrRetentionPolicyNotFound) {
		return nil
	}
	return err
}

// Flush writes every bucket closed at now (its end plus Grace at or
// before now) and re-aggregates the buckets marked by late points,
// overwrites and deletes, lower tiers first. The scheduler (Run) calls it;
// tests call it with their own clock.
func (e *Engine) Flush(now time.Time) error {
	if e.closed.Load() {
		return ErrClosed
	}
	return e.flush(now, false)
}

// flushAll writes every open bucket, closed or not (clean shutdown).
func (e *Engine) flushAll(all bool) error { return e.flush(e.clock(), all) }

func (e *Engine) flush(now time.Time, all bool) error {
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	e.mu.Lock()
	cfgs := e.ordered()
	e.mu.Unlock()
	var errs []error
	for _, c := range cfgs {
		err := e.flushConfig(c, now.UnixNano(), all)
		if err == nil && e.redoDue(c) {
			// A write folded into a bucket this flush took aborted:
			// re-aggregate it now rather than at the next flush.
			err = e.flushConfig(c, now.UnixNano(), all)
		}
		// The history, a range of buckets per step, for a while; the
		// rest at the next flush.
		for deadline := time.Now().Add(backfillBudget); err == nil && !all && e.backfilling(c) && time.Now().Before(deadline); {
			err = e.flushConfig(c, now.UnixNano(), all)
		}
		if err != nil {
			err = fmt.Errorf("downsample %q: %w", c.cfg.Name, err)
			e.mu.Lock()
			c.pending = true
			e.mu.Unlock()
			e.log.Error("downsample flush failed", "downsample", c.cfg.Name, "err", err)
			e.mu.Lock()
			c.stats.LastError = err.Error()
			e.mu.Unlock()
			errs = append(errs, err)
		}
		if err := e.enforceRetention(c, now.UnixNano()); err != nil {
			errs = append(errs, fmt.Errorf("downsample %q: retention: %w", c.cfg.Name, err))
		}
	}
	return errors.Join(errs...)
}

// backfilling reports whether c has history left to write.
func (e *Engine) backfilling(c *config) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return c.bf != nil && e.mu.byName[c.cfg.Name] == c
}

// redoDue reports whether c has closed buckets to redo.
func (e *Engine) redoDue(c *config) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for m := range c.redo {
		if m.bucket < c.w {
			return true
		}
	}
	return false
}

// outBucket is one (series, bucket) a flush writes.
type outBucket struct {
	series    string
	bucket    int64
	states    []aggregate.State
	recompute bool
	computed  bool   // states re-aggregated already (a backfill)
	enc       []byte // encoded states; nil when the bucket has no values
}

// flushConfig moves a config's watermark as far as now allows and writes
// the buckets it passes, and re-aggregates marked buckets. The caller
// holds flushMu.
func (e *Engine) flushConfig(c *config, now int64, all bool) (err error) {
	e.mu.Lock()
	if e.mu.byName[c.cfg.Name] != c {
		e.mu.Unlock()
		return nil
	}
	newW := c.closedBefore(now)
	if all {
		for _, head := range c.open {
			for s := head; s != nil; s = s.next {
				for _, b := range s.buckets {
					newW = max(newW, b.start+c.iv)
				}
			}
		}
	}
	if l := c.lower; l != nil {
		if all {
			newW = min(newW, c.bucketUp(l.w))
		} else {
			newW = min(newW, c.bucketOf(l.w))
		}
	}
	oldW := c.w
	newW = max(newW, oldW)
	tk := c.takeBefore(newW)
	if newW != oldW {
		e.mu.takes++
	}
	c.w = newW
	c.marked = map[mark]struct{}{}
	var redo []mark
	for m := range c.redo {
		if m.bucket < newW {
			redo = append(redo, m)
			delete(c.redo, m)
		}
	}
	gen := c.markGen
	var bf *backfill
	if c.bf != nil && !all {
		cp := *c.bf
		bf = &cp
	}
	upperW := make([]int64, len(c.uppers))
	for i, u := range c.uppers {
		upperW[i] = u.w
	}
	uppers := slices.Clone(c.uppers)
	// The snapshot is taken holding mu: every write whose marker is in it
	// is in it too, and every later write records its own marker.
	r, err := e.db.NewReader()
	e.mu.Unlock()
	defer func() {
		if err != nil {
			e.restore(c, oldW, tk, redo)
		}
	}()
	if err != nil {
		return err
	}
	defer r.Close()

	work := map[mark]*outBucket{}
	for _, t := range tk {
		ob := &outBucket{series: t.series, bucket: t.b.start, states: t.b.states, recompute: t.b.stale}
		work[mark{t.series, t.b.start}] = ob
	}
	recompute := func(series string, bucket int64) {
		m := mark{series, bucket}
		if ob := work[m]; ob != nil {
			ob.recompute = true
			return
		}
		work[m] = &outBucket{series: series, bucket: bucket, recompute: true}
	}
	for _, m := range redo {
		recompute(m.series, m.bucket)
	}
	var consumed [][]byte
	mprefix := appendID(nil, keyMarker, c.id)
	err = r.IterMeta(namespace, mprefix, func(k, _ []byte) error {
		bucket, _, series, ok := parseMarker(k[len(mprefix):])
		if !ok {
			return fmt.Errorf("%w: marker key %x", errCorrupt, k)
		}
		if bucket >= newW {
			return errStop
		}
		recompute(series, bucket)
		consumed = append(consumed, slices.Clone(k))
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	type span struct{ lo, hi int64 }
	ranges := map[string][]span{}
	err = r.IterMeta(namespace, appendID(nil, keyRange, c.id), func(k, v []byte) error {
		series, lo, hi, ok := parseRangeValue(v)
		if !ok {
			return fmt.Errorf("%w: range value %x", errCorrupt, v)
		}
		ranges[series] = append(ranges[series], span{lo, hi})
		consumed = append(consumed, slices.Clone(k))
		return nil
	})
	if err != nil {
		return err
	}
	if len(ranges) > 0 {
		sprefix := appendID(nil, keyState, c.id)
		err = r.IterMeta(namespace, sprefix, func(k, _ []byte) error {
			rest := k[len(sprefix):]
			if len(rest) < 8 {
				return fmt.Errorf("%w: state key %x", errCorrupt, k)
			}
			bucket, series := readTime(rest), string(rest[8:])
			for _, s := range ranges[series] {
				if bucket >= s.lo && bucket <= s.hi {
					recompute(series, bucket)
					break
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// The next range of the history: the snapshot holds every write
	// before it, and every later write into the range leaves a marker
	// (its bucket is before the watermark), consumed by a later flush,
	// which commits after this one: a backfilled bucket never overwrites
	// a newer re-aggregation.
	var nbf *backfill
	if bf != nil {
		if bf.next == minTime {
			lo, ok, err := e.historyStart(r, c, bf.end)
			if err != nil {
				return err
			}
			if !ok {
				lo = bf.end
			}
			if c.cfg.Retention > 0 {
				lo = max(lo, min(bf.end, c.bucketOf(now-int64(c.cfg.Retention))))
			}
			bf.from, bf.next = lo, lo
		}
		hi := bf.end
		if span := e.backfillSpan(c); (hi-bf.next)/c.iv > span {
			hi = bf.next + span*c.iv
		}
		if bf.next < hi {
			err := e.backfillChunk(r, c, bf.next, hi, func(series string, bucket int64, sts []aggregate.State) {
				m := mark{series, bucket}
				ob := work[m]
				if ob == nil {
					ob = &outBucket{series: series, bucket: bucket}
					work[m] = ob
				}
				ob.states, ob.recompute, ob.computed = sts, true, true
			})
			if err != nil {
				return err
			}
		}
		nbf = &backfill{from: bf.from, next: hi, end: bf.end}
	}
	if len(work) == 0 && newW == oldW && nbf == nil {
		e.mu.Lock()
		c.pending = c.markGen != gen
		e.mu.Unlock()
		return nil
	}

	// Recompute and encode.
	rc := &recomputer{e: e, c: c, r: r}
	defer rc.close()
	var points []model.Point
	var dels []outBucket
	b := e.db.NewBatch()
	defer b.Discard()
	var st Status
	upperMarked := map[[2]any]bool{}
	var markedUppers []*config
	keys := slices.SortedFunc(mapKeys(work), func(a, b mark) int {
		if a.bucket != b.bucket {
			return cmpInt(a.bucket, b.bucket)
		}
		return cmpString(a.series, b.series)
	})
	outs := make([]*outBucket, 0, len(keys))
	for _, m := range keys {
		ob := work[m]
		var old []aggregate.State
		if ob.recompute {
			if !ob.computed {
				sts, err := rc.compute(ob.series, ob.bucket)
				if err != nil {
					return err
				}
				ob.states = sts
			}
			v, ok, err := r.GetMeta(namespace, stateKey(c.id, ob.bucket, ob.series))
			if err != nil {
				return err
			}
			if ok {
				if old, err = decodeStates(v, len(c.outs)); err != nil {
					return err
				}
			}
			st.BucketsRecomputed++
		}
		fields := make([]model.Field, 0, len(c.outs))
		lost := false
		for i, s := range ob.states {
			if s != nil {
				if v, ok := s.Result(); ok {
					fields = append(fields, model.Field{Key: c.outs[i].name, Value: v})
					continue
				}
			}
			if old != nil && old[i] != nil {
				lost = true
			}
		}
		tags, err := seriesTags(ob.series)
		if err != nil {
			return fmt.Errorf("%w: series key %q: %v", errCorrupt, ob.series, err)
		}
		if len(fields) == 0 {
			if old == nil {
				continue // never written, nothing to write
			}
			dels = append(dels, outBucket{series: ob.series, bucket: ob.bucket})
			if err := b.DeleteMeta(namespace, stateKey(c.id, ob.bucket, ob.series)); err != nil {
				return err
			}
			st.BucketsDeleted++
		} else {
			if lost {
				dels = append(dels, outBucket{series: ob.series, bucket: ob.bucket})
			}
			enc, err := appendStates(nil, ob.states)
			if err != nil {
				return err
			}
			ob.enc = enc
			if err := b.SetMeta(namespace, stateKey(c.id, ob.bucket, ob.series), enc); err != nil {
				return err
			}
			points = append(points, model.Point{Measurement: c.cfg.Target, Tags: tags, Fields: fields, Time: ob.bucket})
			if !ob.recompute {
				st.BucketsWritten++
			}
		}
		outs = append(outs, ob)
		for i, u := range uppers {
			ub := u.bucketOf(ob.bucket)
			if ub >= upperW[i] || ub < u.start || upperMarked[[2]any{i, mark{ob.series, ub}}] {
				continue
			}
			upperMarked[[2]any{i, mark{ob.series, ub}}] = true
			if err := b.SetMeta(namespace, markerKey(u.id, ub, e.seq.Add(1), ob.series), nil); err != nil {
				return err
			}
			markedUppers = append(markedUppers, u)
		}
	}
	for _, k := range consumed {
		if err := b.DeleteMeta(namespace, k); err != nil {
			return err
		}
	}
	if newW != oldW {
		if err := b.SetMeta(namespace, watermarkKey(c.id), appendTime(nil, newW)); err != nil {
			return err
		}
	}
	if nbf != nil {
		if nbf.next >= nbf.end {
			err = b.DeleteMeta(namespace, backfillKey(c.id))
		} else {
			err = b.SetMeta(namespace, backfillKey(c.id), nbf.encode())
		}
		if err != nil {
			return err
		}
	}
	if len(points) > 0 {
		if err := b.Write(c.cfg.Database, c.cfg.RetentionPolicy, points); err != nil {
			return err
		}
	}
	// Target points whose data is gone go first: until the batch below
	// commits, the markers stay and a crash repeats the deletion.
	for _, d := range dels {
		tags, _ := seriesTags(d.series)
		err := e.db.DeleteSeries(c.cfg.Database, c.cfg.RetentionPolicy, c.cfg.Target, exactTags(tags), d.bucket, d.bucket+c.iv-1)
		if err != nil {
			return err
		}
	}
	if err := b.Commit(); err != nil {
		return err
	}

	// Markers committed after the snapshot wait for the next flush.
	left := false
	err = e.db.IterMeta(namespace, mprefix, func(k, _ []byte) error {
		if bucket, _, _, ok := parseMarker(k[len(mprefix):]); ok && bucket < newW {
			left = true
		}
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if !left {
		err = e.db.IterMeta(namespace, appendID(nil, keyRange, c.id), func(_, _ []byte) error {
			left = true
			return errStop
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
	}
	err = nil

	// Feed the tiers above (after the commit: after a crash they rebuild
	// from the states just committed).
	e.mu.Lock()
	defer e.mu.Unlock()
	if nbf != nil && e.mu.byName[c.cfg.Name] == c {
		if c.bf = nbf; nbf.next >= nbf.end {
			c.bf = nil
		}
	}
	c.pending = left || c.markGen != gen || c.bf != nil
	for _, u := range markedUppers {
		u.pending = true
	}
	for i, u := range uppers {
		if e.mu.byName[u.cfg.Name] != u {
			continue
		}
		for _, ob := range outs {
			ub := u.bucketOf(ob.bucket)
			if ub < upperW[i] {
				continue
			}
			tags, err := seriesTags(ob.series)
			if err != nil {
				return err
			}
			o := u.bucket(hashTags(e.seed, tags), tags, ub, true)
			if o.stale {
				continue
			}
			if ob.recompute || ob.enc == nil || ob.bucket <= o.last {
				o.stale = true
				continue
			}
			sts, err := decodeStates(ob.enc, len(c.outs))
			if err != nil {
				return err
			}
			u.merge(o, sts)
			o.last = ob.bucket
			u.stats.PointsFolded++
		}
	}
	c.stats.BucketsWritten += st.BucketsWritten
	c.stats.BucketsRecomputed += st.BucketsRecomputed
	c.stats.BucketsDeleted += st.BucketsDeleted
	c.stats.Flushes++
	c.stats.LastFlush = time.Unix(0, now).UTC()
	c.stats.LastError = ""
	return nil
}

// restore undoes the start of a failed flush: the taken buckets are open
// again, the watermark is back and the buckets to redo wait for the next
// flush. Points that arrived meanwhile wrote markers, which the next flush
// consumes.
func (e *Engine) restore(c *config, oldW int64, tk []taken, redo []mark) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mu.byName[c.cfg.Name] != c {
		return
	}
	c.w = oldW
	for _, m := range redo {
		c.redo[m] = struct{}{}
	}
	for _, t := range tk {
		s := c.series(t.s.hash, t.s.tags)
		if s == nil {
			s = &openSeries{hash: t.s.hash, key: t.s.key, tags: t.s.tags, next: c.open[t.s.hash]}
			c.open[s.hash] = s
			c.bytes += seriesBytes(s)
		}
		s.buckets = append(s.buckets, t.b)
		c.nOpen++
		c.bytes += t.b.bytes
	}
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// recomputer aggregates buckets from stored data: raw values, or the
// lower tier's partial states.
type recomputer struct {
	e        *Engine
	c        *config
	r        *storage.Reader
	cur      *storage.Cursor
	byKey    map[string]storage.Series
	inputs   []input
	prepared bool
}

func (rc *recomputer) close() {
	if rc.cur != nil {
		rc.cur.Close()
	}
}

// compute returns the states of one (series, bucket).
func (rc *recomputer) compute(series string, bucket int64) ([]aggregate.State, error) {
	c := rc.c
	sts := make([]aggregate.State, len(c.outs))
	if l := c.lower; l != nil {
		for b := bucket; b < bucket+c.iv; b += l.iv {
			v, ok, err := rc.r.GetMeta(namespace, stateKey(l.id, b, series))
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			lsts, err := decodeStates(v, len(l.outs))
			if err != nil {
				return nil, err
			}
			for i, j := range c.lowerIdx {
				if ls := lsts[j]; ls != nil {
					if sts[i] == nil {
						sts[i] = ls
					} else {
						sts[i].Merge(ls)
					}
				}
			}
		}
		return sts, nil
	}
	if !rc.prepared {
		rc.prepared = true
		series, err := rc.e.db.Series(c.cfg.Database, c.cfg.RetentionPolicy, c.cfg.Source, nil)
		if err = ignoreGone(err); err != nil {
			return nil, err
		}
		rc.byKey = make(map[string]storage.Series, len(series))
		var key []byte
		for _, s := range series {
			key = appendSeriesKey(key[:0], s.Tags)
			rc.byKey[string(key)] = s
		}
		if rc.inputs, err = rc.e.fields(c); err != nil {
			return nil, err
		}
		rc.cur = rc.r.NewCursor()
	}
	s, ok := rc.byKey[series]
	if !ok {
		return sts, nil
	}
	for _, in := range rc.inputs {
		if err := rc.cur.Seek(c.cfg.Database, c.cfg.RetentionPolicy, s.ID, in.field.ID, bucket, bucket+c.iv-1); err != nil {
			return nil, err
		}
		for rc.cur.Next() {
			cols := rc.cur.Columns()
			for i, t := range cols.Times {
				v := cols.Value(i)
				for _, oi := range in.outs {
					if sts[oi] == nil {
						sts[oi] = aggregate.New(c.outs[oi].fn, v.Type())
					}
					sts[oi].Add(t, v)
				}
			}
		}
		if err := rc.cur.Err(); err != nil {
			return nil, err
		}
	}
	return sts, nil
}

// enforceRetention removes target points and partial states older than
// the config's Retention, and source points older than its
// SourceRetention, at most once per interval of cutoff movement.
func (e *Engine) enforceRetention(c *config, now int64) error {
	if c.cfg.Retention > 0 {
		cutoff := c.bucketOf(now - int64(c.cfg.Retention))
		if cutoff > c.retainedFrom {
			// The tiers above see this delete of the target as retention.
			e.mu.Lock()
			c.retainCut = max(c.retainCut, cutoff)
			e.mu.Unlock()
			if err := e.db.DeleteSeries(c.cfg.Database, c.cfg.RetentionPolicy, c.cfg.Target, nil, minTime, cutoff-1); err != nil {
				return ignoreGone(err)
			}
			b := e.db.NewBatch()
			defer b.Discard()
			sprefix := appendID(nil, keyState, c.id)
			n := 0
			err := e.db.IterMeta(namespace, sprefix, func(k, _ []byte) error {
				if readTime(k[len(sprefix):]) >= cutoff {
					return errStop
				}
				n++
				return b.DeleteMeta(namespace, slices.Clone(k))
			})
			if err != nil && !errors.Is(err, errStop) {
				return err
			}
			if n > 0 {
				if err := b.Commit(); err != nil {
					return err
				}
			}
			c.retainedFrom = cutoff
		}
	}
	if c.cfg.SourceRetention > 0 {
		cutoff := now - int64(c.cfg.SourceRetention)
		if cutoff-c.sourceFrom >= c.iv {
			if err := e.db.DeleteSeries(c.cfg.Database, c.cfg.RetentionPolicy, c.cfg.Source, nil, minTime, cutoff-1); err != nil {
				return ignoreGone(err)
			}
			c.sourceFrom = cutoff
		}
	}
	return nil
}
