package continuous

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// Refresh brings an aggregate up to date at now: it recomputes the dirty
// (group, bucket) pairs below the watermark, materializes the buckets
// closed since (those ending at or before now - Lag), and applies
// Retention. An aggregate of an aggregate refreshes its lower levels
// first. Every batch of output commits atomically with the watermark and
// the dirty markers it consumed; a repeated or interrupted refresh is
// harmless. Refresh runs even when the aggregate is disabled.
func (e *Engine) Refresh(ctx context.Context, name string, now time.Time) (Stats, error) {
	a, err := e.lookup(name)
	if err != nil {
		return Stats{}, err
	}
	cat := e.cat.Load()
	var chain []*agg
	for b := cat.lower[a]; b != nil; b = cat.lower[b.lower] {
		chain = append(chain, b.lower)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if _, err := e.refreshOne(ctx, chain[i], now); err != nil {
			return Stats{}, fmt.Errorf("cannot refresh %q, which %q reads: %w", chain[i].def.Name, name, err)
		}
	}
	return e.refreshOne(ctx, a, now)
}

// RefreshRange recomputes the buckets of every group overlapping [start,
// end) below the watermark from the source data as it is now (a backfill,
// or a repair after the target was changed by hand), then refreshes as
// Refresh does at the engine's clock. Buckets not yet materialized are
// materialized by the refresh as usual.
func (e *Engine) RefreshRange(ctx context.Context, name string, start, end time.Time) (Stats, error) {
	a, err := e.lookup(name)
	if err != nil {
		return Stats{}, err
	}
	if !end.After(start) {
		return Stats{}, invalid(name, "refresh range [%s, %s) is empty", start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	}
	lo := a.bucket(max(start.UnixNano(), minTime))
	hi := a.bucket(end.UnixNano() - 1)
	b := e.db.NewBatch()
	_ = b.SetMeta(namespace, allRangeKey(a.id, e.seq.Add(1)), appendSpan(nil, lo, hi))
	if err := b.Commit(); err != nil {
		return Stats{}, fmt.Errorf("cannot mark %q for refresh: %w", name, err)
	}
	a.work.Store(true)
	return e.Refresh(ctx, name, e.clock())
}

// RefreshPending refreshes the aggregates Pending(now) returns, lower
// levels first. A failed refresh is recorded in the aggregate's status and
// does not stop the others; the errors are returned joined.
func (e *Engine) RefreshPending(ctx context.Context, now time.Time) error {
	var errs []error
	for _, a := range e.pending(now) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := e.refreshOne(ctx, a, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// refreshOne refreshes a alone and records the run.
func (e *Engine) refreshOne(ctx context.Context, a *agg, now time.Time) (Stats, error) {
	if e.closed.Load() {
		return Stats{}, ErrClosed
	}
	a.refresh.Lock()
	defer a.refresh.Unlock()
	a.mu.Lock()
	dropped := a.mu.dropped
	a.mu.Unlock()
	if dropped {
		return Stats{}, fmt.Errorf("%w: %q", ErrNotFound, a.def.Name)
	}
	start := time.Now()
	var st Stats
	err := e.refresh(ctx, a, now, &st)
	st.Duration = time.Since(start)
	if w := a.watermark(); w != unset {
		st.Watermark = time.Unix(0, w).UTC()
	}
	if err != nil {
		err = fmt.Errorf("refresh of %q: %w", a.def.Name, err)
		e.log.Warn("continuous aggregate refresh failed", "aggregate", a.def.Name, "err", err)
	}
	a.recordRun(now, st, err)
	a.mu.Lock()
	a.mu.lastProcessed = now
	a.mu.Unlock()
	return st, err
}

func (e *Engine) refresh(ctx context.Context, a *agg, now time.Time, st *Stats) error {
	cat := e.cat.Load()
	e.updateRetentionOf(a, cat)
	b := cat.lower[a]
	if a.def.Retention > 0 {
		if err := e.enforceRetention(a, now.UnixNano(), st); err != nil {
			return err
		}
	}
	if a.work.Swap(false) {
		if err := e.refreshDirty(ctx, a, b, now.UnixNano(), st); err != nil {
			a.work.Store(true)
			return err
		}
	}
	return e.materialize(ctx, a, b, now, st)
}

// span is an inclusive range of bucket starts.
type span struct{ lo, hi int64 }

// metaOp is a metadata change committed with a batch of output.
type metaOp struct {
	key, value []byte
	del        bool
}

// refreshDirty recomputes dirty buckets below the watermark in batches of
// at most MaxBatchBuckets (group, bucket) pairs.
func (e *Engine) refreshDirty(ctx context.Context, a *agg, b *binding, now int64, st *Stats) error {
	// The caller cleared a.work: the barrier waits for the writes that set
	// it to land, so that the snapshots below hold their markers. Markers
	// added from then on set a.work again and wait for the next refresh,
	// so that late writes arriving without pause cannot keep this one
	// going.
	if err := e.barrier(); err != nil {
		return err
	}
	upTo := e.seq.Load()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := e.db.NewReader()
		if err != nil {
			return err
		}
		more, err := e.dirtyBatch(ctx, a, b, r, now, upTo, st)
		r.Close()
		if err != nil || !more {
			return err
		}
	}
}

// dirtyBatch reads dirty markers from r, recomputes up to a batch of the
// buckets they name and commits. It reports whether markers are left.
func (e *Engine) dirtyBatch(ctx context.Context, a *agg, b *binding, r *storage.Reader, now int64, upTo uint64, st *Stats) (bool, error) {
	w := a.watermark()
	low := max(a.frozenBefore(now, e.srcRet), a.retained(), minTime)
	budget := e.maxBatch
	full := false
	var ops []metaOp
	work := map[string][]span{}
	var all []span
	iv := a.interval

	// newer reports whether a marker arrived after the refresh started; it
	// is left for the next refresh.
	newer := func(k []byte) bool {
		if len(k) >= 8 && seqOf(k) > upTo {
			a.work.Store(true)
			return true
		}
		return false
	}
	// Many markers may name one (group, bucket): the budget counts the
	// pairs, and the markers consumed are bounded apart.
	seen := map[string]bool{}
	maxOps := 16 * e.maxBatch
	err := r.IterMeta(namespace, appendID(nil, keyMarker, a.id), func(k, _ []byte) error {
		if newer(k) {
			return nil
		}
		bucket, group, ok := parseMarker(k[5:])
		var pair []byte // bucket and group
		if ok {
			pair = k[5 : len(k)-8]
		}
		if (ok && !seen[string(pair)] && budget <= 0) || len(ops) >= maxOps {
			full = true
			return errStop
		}
		ops = append(ops, metaOp{key: slices.Clone(k), del: true})
		if !ok {
			e.log.Warn("dropping a malformed dirty marker", "aggregate", a.def.Name, "key", fmt.Sprintf("%x", k))
			return nil
		}
		if w == unset || bucket >= w || bucket < low || seen[string(pair)] {
			return nil // materialized later from current data, frozen, or named already
		}
		seen[string(pair)] = true
		work[group] = append(work[group], span{bucket, bucket})
		budget--
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return false, err
	}
	// bounds trims a dirty range to the recomputable buckets: not frozen,
	// below the watermark. It deletes the range's key when nothing is
	// left.
	bounds := func(k, v []byte) (int64, int64, bool) {
		lo, hi, ok := readSpan(v)
		if ok {
			lo = max(lo, a.bucketUp(low))
			if w == unset {
				hi = lo - 1
			} else {
				hi = min(hi, w-iv)
			}
		}
		if !ok || lo > hi {
			ops = append(ops, metaOp{key: slices.Clone(k), del: true})
			return 0, 0, false
		}
		return lo, hi, true
	}
	// rest records what is left of a range after its buckets up to done.
	rest := func(k []byte, done, hi int64) {
		if done >= hi {
			ops = append(ops, metaOp{key: slices.Clone(k), del: true})
			return
		}
		ops = append(ops, metaOp{key: slices.Clone(k), value: appendSpan(nil, done+iv, hi)})
		full = true
	}
	if !full {
		// A delete: its source data is gone, so only buckets that have
		// partial states can change. Late writes into the range have
		// markers of their own.
		err = r.IterMeta(namespace, appendID(nil, keyRange, a.id), func(k, v []byte) error {
			if newer(k) {
				return nil
			}
			if budget <= 0 {
				full = true
				return errStop
			}
			group, ok := parseRange(k[5:])
			if !ok {
				ops = append(ops, metaOp{key: slices.Clone(k), del: true})
				return nil
			}
			lo, hi, ok := bounds(k, v)
			if !ok {
				return nil
			}
			done := hi
			err := scanStates(r, a.id, group, lo, hi, iv, func(bucket int64, _ []byte) error {
				if budget <= 0 {
					done = bucket - iv
					return errStop
				}
				work[group] = append(work[group], span{bucket, bucket})
				budget--
				return nil
			})
			if err != nil && !errors.Is(err, errStop) {
				return err
			}
			rest(k, done, hi)
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return false, err
		}
	}
	var groupsAll map[string][]storage.Series
	if !full {
		// A backfill of every group: only where the source has data
		// partitions.
		var parts []storage.PartitionInfo
		err = r.IterMeta(namespace, appendID(nil, keyAllRange, a.id), func(k, v []byte) error {
			if newer(k) {
				return nil
			}
			if budget <= 0 {
				full = true
				return errStop
			}
			lo, hi, ok := bounds(k, v)
			if !ok {
				return nil
			}
			if groupsAll == nil {
				var err error
				if groupsAll, err = e.allGroups(a); err != nil {
					return err
				}
				if parts, err = e.db.Partitions(a.src.db, a.src.rp); err != nil && !isGone(err) {
					return err
				}
			}
			i := sort.Search(len(parts), func(i int) bool { return parts[i].Last >= lo })
			if i == len(parts) || parts[i].Start > hi+iv-1 {
				rest(k, hi, hi)
				return nil
			}
			lo = max(lo, a.bucket(parts[i].Start))
			n := int64(max(1, budget/max(1, len(groupsAll))))
			end := min(hi, lo+(n-1)*iv, a.bucket(parts[i].Last))
			all = append(all, span{lo, end})
			budget -= int((end-lo)/iv+1) * max(1, len(groupsAll))
			rest(k, end, hi)
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return false, err
		}
	}
	if len(ops) == 0 {
		return false, nil
	}

	var seriesOf map[string][]storage.Series
	if len(all) > 0 {
		seriesOf = groupsAll
		for g := range groupsAll {
			work[g] = append(work[g], all...)
		}
	} else if len(work) > 0 {
		if seriesOf, err = e.seriesOf(a, work); err != nil {
			return false, err
		}
	}
	f, err := e.newFold(a, b, r)
	if err != nil {
		return false, err
	}
	for _, g := range slices.Sorted(mapsKeys(work)) {
		for _, s := range mergeSpans(work[g], iv) {
			f.addTask(g, s.lo, s.hi, true)
		}
	}
	if err := f.run(ctx, seriesOf); err != nil {
		return false, err
	}
	out, err := e.commit(a, f, false, ops)
	st.add(out)
	return full, err
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// mergeSpans sorts spans and merges those overlapping or adjacent.
func mergeSpans(spans []span, iv int64) []span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	out := spans[:0:0]
	for _, s := range spans {
		if n := len(out); n > 0 && s.lo <= out[n-1].hi+iv {
			out[n-1].hi = max(out[n-1].hi, s.hi)
			continue
		}
		out = append(out, s)
	}
	return out
}

// seriesOf returns the source series of the groups of work.
func (e *Engine) seriesOf(a *agg, work map[string][]span) (map[string][]storage.Series, error) {
	out := map[string][]storage.Series{}
	if len(work) > 16 {
		all, err := e.allGroups(a)
		if err != nil {
			return nil, err
		}
		for g := range work {
			out[g] = all[g]
		}
		return out, nil
	}
	for g := range work {
		f, err := a.groupFilter(g)
		if err != nil {
			return nil, err
		}
		ss, err := e.db.Series(a.src.db, a.src.rp, a.src.m, f)
		if err != nil && !isGone(err) {
			return nil, err
		}
		out[g] = ss
	}
	return out, nil
}

// allGroups returns the source series of every group, with the groups that
// only have target series (their source data was deleted).
func (e *Engine) allGroups(a *agg) (map[string][]storage.Series, error) {
	out, err := e.sourceGroups(a)
	if err != nil {
		return nil, err
	}
	tgt, err := e.db.Series(a.tgt.db, a.tgt.rp, a.tgt.m, nil)
	if err != nil && !isGone(err) {
		return nil, err
	}
	for _, s := range tgt {
		g := string(a.appendGroup(nil, s.Tags))
		if _, ok := out[g]; !ok {
			out[g] = nil
		}
	}
	return out, nil
}

// sourceGroups returns the source series by group.
func (e *Engine) sourceGroups(a *agg) (map[string][]storage.Series, error) {
	ss, err := e.db.Series(a.src.db, a.src.rp, a.src.m, a.filter)
	if err != nil && !isGone(err) {
		return nil, err
	}
	out := map[string][]storage.Series{}
	var buf []byte
	for _, s := range ss {
		buf = a.appendGroup(buf[:0], s.Tags)
		out[string(buf)] = append(out[string(buf)], s)
	}
	return out, nil
}

func isGone(err error) bool {
	return errors.Is(err, storage.ErrDatabaseNotFound) || errors.Is(err, storage.ErrRetentionPolicyNotFound)
}

// delRun is a run of consecutive buckets of one group to delete from the
// target.
type delRun struct {
	tags   model.Tags
	group  string
	lo, hi int64
}

// prepared is the outcome of a fold: a batch holding the target
// points, the partial states and the metadata ops, and the target runs to
// delete before it commits.
type prepared struct {
	st   Stats
	b    *storage.Batch
	dels []delRun
	end  int64 // the watermark the batch commits (materialization)
}

// commit writes the outcome of a fold; see prepare and apply.
func (e *Engine) commit(a *agg, f *fold, materializing bool, ops []metaOp) (Stats, error) {
	out, err := e.prepare(a, f, materializing, ops)
	if err != nil {
		return out.st, err
	}
	return e.apply(a, out)
}

// prepare turns a fold into a prepared batch: for every bucket with values its
// partial states and its target point; for every bucket that had stored
// states and has no values any more, the deletion of both; and ops (dirty
// markers consumed, the watermark).
func (e *Engine) prepare(a *agg, f *fold, materializing bool, ops []metaOp) (*prepared, error) {
	out := &prepared{}
	st := &out.st
	st.PointsRead = f.read
	b := e.db.NewBatch()
	fail := func(err error) (*prepared, error) {
		b.Discard()
		return out, err
	}
	for _, t := range f.tasks {
		if t.err != nil {
			return fail(t.err)
		}
		for _, bo := range t.outs {
			if materializing {
				st.BucketsMaterialized++
			} else {
				st.BucketsRecomputed++
			}
			key := stateKey(a.id, t.group, bo.bucket)
			if bo.end == bo.start {
				if err := b.DeleteMeta(namespace, key); err != nil {
					return fail(err)
				}
				out.dels = addDel(out.dels, t.group, t.tags, bo.bucket, a.interval)
				st.BucketsDeleted++
				continue
			}
			if bo.lost {
				out.dels = addDel(out.dels, t.group, t.tags, bo.bucket, a.interval)
			}
			if err := b.SetMeta(namespace, key, t.enc[bo.start:bo.end]); err != nil {
				return fail(err)
			}
		}
		if len(t.points) > 0 {
			// The points of a task are of one series: the batch finds it
			// once instead of hashing every point's tags.
			d := &model.Decoded{Points: t.points, SeriesOf: make([]int32, len(t.points)),
				Series: []model.DecodedSeries{{Measurement: a.tgt.m, Tags: t.tags,
					Key: string(model.AppendSeriesKey(nil, a.tgt.m, t.tags))}}}
			if err := b.WriteDecoded(a.tgt.db, a.tgt.rp, d); err != nil {
				return fail(fmt.Errorf("cannot write %s: %w", a.tgt, err))
			}
			st.PointsWritten += len(t.points)
		}
	}
	for _, op := range ops {
		var err error
		if op.del {
			err = b.DeleteMeta(namespace, op.key)
		} else {
			err = b.SetMeta(namespace, op.key, op.value)
		}
		if err != nil {
			return fail(err)
		}
	}
	if st.PointsWritten == 0 && st.BucketsMaterialized+st.BucketsRecomputed == 0 && len(ops) == 0 {
		b.Discard()
		return out, nil
	}
	out.b = b
	return out, nil
}

// apply commits a prepared batch. Target points that must go (a bucket emptied,
// or an output of it left without values) are deleted first, in their own
// commits; then the batch writes the points, the states and the ops. A
// crash in between leaves the dirty markers, so the next refresh does it
// again; every step is idempotent.
func (e *Engine) apply(a *agg, out *prepared) (Stats, error) {
	st := out.st
	if out.b == nil {
		return st, nil
	}
	defer out.b.Discard()
	for _, d := range out.dels {
		if err := e.db.DeleteSeries(a.tgt.db, a.tgt.rp, a.tgt.m, seriesFilter(d.tags), d.lo, d.hi+a.interval-1); err != nil && !isGone(err) {
			st.PointsWritten = 0
			return st, fmt.Errorf("cannot delete emptied buckets of %s: %w", a.tgt, err)
		}
	}
	if err := out.b.Commit(); err != nil {
		st.PointsWritten = 0
		return st, fmt.Errorf("cannot commit the refresh of %q: %w", a.def.Name, err)
	}
	st.Batches = 1
	return st, nil
}

func addDel(dels []delRun, group string, tags model.Tags, bucket, iv int64) []delRun {
	if n := len(dels); n > 0 && dels[n-1].group == group && dels[n-1].hi+iv == bucket {
		dels[n-1].hi = bucket
		return dels
	}
	return append(dels, delRun{tags: tags, group: group, lo: bucket, hi: bucket})
}

// materialize folds the buckets closed since the watermark, in batches of
// at most MaxBatchBuckets (group, bucket) pairs, each committed with the
// advanced watermark.
func (e *Engine) materialize(ctx context.Context, a *agg, b *binding, now time.Time, st *Stats) error {
	iv := a.interval
	h := a.closedBefore(now)
	if b != nil {
		lw := b.lower.watermark()
		if lw == unset {
			return nil
		}
		h = min(h, a.bucket(lw))
	}
	w, retained := a.watermark(), a.retained()
	parts, err := e.db.Partitions(a.src.db, a.src.rp)
	if err != nil {
		if isGone(err) {
			return nil
		}
		return err
	}
	if w == unset {
		if len(parts) == 0 {
			return nil
		}
		w = a.bucket(max(parts[0].Start, minTime))
	}
	w = max(w, a.retainFrom(now.UnixNano()))
	if w >= h {
		return nil
	}
	// From here on, writes before h are late: they are marked dirty. The
	// barrier commit waits for writes that decided otherwise to land, so
	// the snapshots below hold them.
	a.raiseMarkBelow(h)
	if err := e.barrier(); err != nil {
		return err
	}
	// Steps read disjoint ranges, so the next one is folded while the
	// previous one commits; commits (and watermarks) stay in order.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make(chan *prepared, 1)
	var produceErr error
	go func() {
		defer close(outs)
		for w < h {
			if err := ctx.Err(); err != nil {
				produceErr = err
				return
			}
			end, gap := nextStep(parts, w, h, iv)
			var out *prepared
			if gap {
				b := e.db.NewBatch()
				_ = b.SetMeta(namespace, watermarkKey(a.id), appendSpan(nil, end, retained))
				out = &prepared{b: b}
			} else {
				var err error
				out, end, err = e.materializeStep(ctx, a, b, w, end, retained)
				if err != nil {
					produceErr = err
					return
				}
			}
			out.end = end
			select {
			case outs <- out:
			case <-ctx.Done():
				if out.b != nil {
					out.b.Discard()
				}
				produceErr = ctx.Err()
				return
			}
			w = end
		}
	}()
	var applyErr error
	for out := range outs {
		if applyErr != nil {
			if out.b != nil {
				out.b.Discard()
			}
			continue
		}
		o, err := e.apply(a, out)
		st.add(o)
		if err != nil {
			applyErr = err
			cancel()
			continue
		}
		a.setWatermark(out.end, retained)
	}
	if applyErr != nil {
		return applyErr
	}
	return produceErr
}

// nextStep returns the end of the next materialization step from w: h,
// or, when no data partition overlaps the buckets from w to the next data,
// the first bucket of that data with gap set (nothing to read before it).
func nextStep(parts []storage.PartitionInfo, w, h, iv int64) (int64, bool) {
	i := sort.Search(len(parts), func(i int) bool { return parts[i].Last >= w })
	if i == len(parts) || parts[i].Start >= h {
		return h, true
	}
	if s := parts[i].Start; s > w {
		if b := s - (s-w)%iv; b > w {
			return min(b, h), true
		}
	}
	return h, false
}

// materializeStep folds buckets from w up to at most end, as many as
// MaxBatchBuckets allows for the groups there are, from a new snapshot,
// and prepares their output with the new watermark, which it returns.
func (e *Engine) materializeStep(ctx context.Context, a *agg, b *binding, w, end, retained int64) (*prepared, int64, error) {
	iv := a.interval
	r, err := e.db.NewReader()
	if err != nil {
		return nil, w, err
	}
	defer r.Close()
	groups, err := e.sourceGroups(a)
	if err != nil {
		return nil, w, err
	}
	n := int64(max(1, e.maxBatch/max(1, len(groups))))
	if (end-w)/iv > n {
		end = w + n*iv
	}
	f, err := e.newFold(a, b, r)
	if err != nil {
		return nil, w, err
	}
	for _, g := range slices.Sorted(mapsKeys(groups)) {
		f.addTask(g, w, end-iv, false)
	}
	if err := f.runParallel(ctx, groups, runtime.GOMAXPROCS(0)); err != nil {
		return nil, w, err
	}
	ops := []metaOp{{key: watermarkKey(a.id), value: appendSpan(nil, end, retained)}}
	out, err := e.prepare(a, f, true, ops)
	if err != nil {
		return nil, w, err
	}
	return out, end, nil
}

// barrier commits an empty change: once it returns, every write that was
// committing when it started has landed.
func (e *Engine) barrier() error {
	b := e.db.NewBatch()
	_ = b.DeleteMeta(namespace, []byte{'B'})
	return b.Commit()
}

// enforceRetention removes the target points and partial states of buckets
// older than the aggregate's Retention. The deletion of target points
// commits first; the states and the new retention horizon after it.
func (e *Engine) enforceRetention(a *agg, now int64, st *Stats) error {
	from := a.retainFrom(now)
	old := a.retained()
	if from <= old {
		return nil
	}
	if err := e.db.DeleteSeries(a.tgt.db, a.tgt.rp, a.tgt.m, nil, math.MinInt64, from-1); err != nil && !isGone(err) {
		return fmt.Errorf("cannot apply the retention of %q: %w", a.def.Name, err)
	}
	r, err := e.db.NewReader()
	if err != nil {
		return err
	}
	defer r.Close()
	groups, err := e.allGroups(a)
	if err != nil {
		return err
	}
	b := e.db.NewBatch()
	defer b.Discard()
	lo := a.bucketUp(max(old, minTime))
	for g := range groups {
		err := scanStates(r, a.id, g, lo, from-a.interval, a.interval, func(bucket int64, _ []byte) error {
			st.BucketsDeleted++
			return b.DeleteMeta(namespace, stateKey(a.id, g, bucket))
		})
		if err != nil {
			return err
		}
	}
	w := a.watermark()
	_ = b.SetMeta(namespace, watermarkKey(a.id), appendSpan(nil, w, from))
	if err := b.Commit(); err != nil {
		return fmt.Errorf("cannot apply the retention of %q: %w", a.def.Name, err)
	}
	a.setWatermark(w, from)
	return nil
}
