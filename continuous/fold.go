package continuous

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
	"github.com/accretedb/accrete/storage/chunk"
)

// task is a window of consecutive buckets of one group to compute: the
// buckets starting in [lo, hi].
type task struct {
	group  string
	lo, hi int64
	n      int               // buckets in the window
	states []aggregate.State // n × outputs, bucket-major; nil: no values
	// old holds the stored states of the window's buckets, read when
	// recomputing (below the watermark).
	old map[int64][]byte

	// The outcome, made by finish: per bucket with values or old states
	// its encoded states (in enc), and the target points.
	tags   model.Tags
	outs   []bucketOut
	enc    []byte
	points []model.Point
	err    error
}

// bucketOut is the outcome of one bucket of a task: its encoded states are
// enc[start:end] of the task, none (start == end) when it lost all values.
type bucketOut struct {
	bucket     int64
	start, end int
	// lost is set when an output that had values has none any more.
	lost bool
}

// fold computes the partial states of tasks from one consistent view of
// the data: the source's values and, for an aggregate of an aggregate, the
// lower level's partial states.
type fold struct {
	a     *agg
	b     *binding // nil unless the source is another aggregate's target
	r     *storage.Reader
	rpID  uint32
	tasks []*task
	// raw lists the source fields read as values, with the outputs
	// folding them.
	raw []rawInput
	// merged lists the outputs that merge the lower level's states.
	merged []int
	// query keeps the states of the tasks for the caller instead of
	// encoding them and making target points.
	query bool
	tmpl  []aggregate.State // per output: an empty state to copy
	slabs slabs             // for states made after run
	read  int               // values and states read
}

// worker computes tasks of a fold with a cursor and slabs of its own.
type worker struct {
	f     *fold
	cur   *storage.Cursor
	slabs slabs
	read  int
}

type rawInput struct {
	field storage.FieldInfo
	outs  []int
}

// newFold prepares a fold of a's tasks over the snapshot r.
func (e *Engine) newFold(a *agg, b *binding, r *storage.Reader) (*fold, error) {
	f := &fold{a: a, b: b, r: r, tmpl: make([]aggregate.State, len(a.outputs))}
	rpID, err := e.db.RetentionPolicyID(a.src.db, a.src.rp)
	if err != nil {
		return nil, err
	}
	f.rpID = rpID
	fields, err := e.sourceFields(a)
	if err != nil {
		return nil, err
	}
	for i, o := range a.outputs {
		if b != nil && b.merge[i] >= 0 {
			f.merged = append(f.merged, i)
			continue
		}
		fi, ok := fields[o.input]
		if !ok {
			continue // no values yet
		}
		if err := a.checkField(o, fi); err != nil {
			return nil, err
		}
		f.tmpl[i] = aggregate.New(o.fn, fi.Type)
		j := slices.IndexFunc(f.raw, func(in rawInput) bool { return in.field.Name == fi.Name })
		if j < 0 {
			f.raw = append(f.raw, rawInput{field: fi})
			j = len(f.raw) - 1
		}
		f.raw[j].outs = append(f.raw[j].outs, i)
	}
	return f, nil
}

// addTask adds the window [lo, hi] of group.
func (f *fold) addTask(group string, lo, hi int64, readOld bool) *task {
	n := int((hi-lo)/f.a.interval) + 1
	t := &task{group: group, lo: lo, hi: hi, n: n, states: make([]aggregate.State, n*len(f.a.outputs))}
	if readOld {
		t.old = map[int64][]byte{}
	}
	f.tasks = append(f.tasks, t)
	return t
}

// run computes every task from the series of its group.
func (f *fold) run(ctx context.Context, seriesOf map[string][]storage.Series) error {
	return f.runParallel(ctx, seriesOf, 1)
}

// runParallel is run with up to n goroutines, each computing whole tasks.
func (f *fold) runParallel(ctx context.Context, seriesOf map[string][]storage.Series, n int) error {
	n = max(1, min(n, len(f.tasks)))
	ws := make([]*worker, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range ws {
		ws[i] = &worker{f: f, cur: f.r.NewCursor()}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ws[i].cur.Close()
			for j := i; j < len(f.tasks); j += n {
				if err := ws[i].task(ctx, f.tasks[j], seriesOf); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, w := range ws {
		f.read += w.read
	}
	return errors.Join(errs...)
}

// task computes one task.
func (w *worker) task(ctx context.Context, t *task, seriesOf map[string][]storage.Series) error {
	f := w.f
	if err := ctx.Err(); err != nil {
		return err
	}
	end := t.hi + f.a.interval - 1
	for _, s := range seriesOf[t.group] {
		for _, in := range f.raw {
			if err := w.cur.SeekRP(f.rpID, s.ID, in.field.ID, t.lo, end); err != nil {
				return err
			}
			for w.cur.Next() {
				w.addColumns(t, w.cur.Columns(), in.outs)
			}
			if err := w.cur.Err(); err != nil {
				return err
			}
		}
		if len(f.merged) > 0 {
			if err := w.mergeLower(t, s, end); err != nil {
				return err
			}
		}
	}
	if t.old != nil {
		err := scanStates(f.r, f.a.id, t.group, t.lo, t.hi, f.a.interval, func(bucket int64, v []byte) error {
			t.old[bucket] = slices.Clone(v)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if !f.query {
		w.finish(t)
	}
	return nil
}

// finish encodes the states of t's buckets and makes its target points.
func (w *worker) finish(t *task) {
	a := w.f.a
	nOut := len(a.outputs)
	t.tags, t.err = groupTags(t.group)
	if t.err != nil {
		return
	}
	n := 0
	for bi := 0; bi < t.n; bi++ {
		if slices.ContainsFunc(t.states[bi*nOut:(bi+1)*nOut], func(s aggregate.State) bool { return s != nil }) {
			n++
		}
	}
	// Sized up front: growing slices of pointers copies them under the
	// garbage collector's write barrier.
	fields := make([]model.Field, 0, n*nOut)
	t.points = make([]model.Point, 0, n)
	t.outs = make([]bucketOut, 0, n+len(t.old))
	t.enc = make([]byte, 0, n*(1+nOut*26))
	var scratch []byte
	for bi := 0; bi < t.n; bi++ {
		bucket := t.lo + int64(bi)*a.interval
		sts := t.states[bi*nOut : (bi+1)*nOut]
		has := slices.ContainsFunc(sts, func(s aggregate.State) bool { return s != nil })
		old, hadOld := t.old[bucket]
		if !has {
			if hadOld {
				t.outs = append(t.outs, bucketOut{bucket: bucket, start: len(t.enc), end: len(t.enc)})
			}
			continue
		}
		start := len(t.enc)
		t.enc, scratch, t.err = appendStates(t.enc, a, sts, bucket, scratch)
		if t.err != nil {
			return
		}
		t.outs = append(t.outs, bucketOut{bucket: bucket, start: start, end: len(t.enc), lost: hadOld && lostOutput(old, sts)})
		fs := len(fields)
		for o, s := range sts {
			if s == nil {
				continue
			}
			if v, ok := s.Result(); ok {
				fields = append(fields, model.Field{Key: a.outputs[o].name, Value: v})
			}
		}
		if len(fields) > fs {
			t.points = append(t.points, model.Point{Measurement: a.tgt.m, Tags: t.tags, Fields: fields[fs:len(fields):len(fields)], Time: bucket})
		}
	}
	t.states = nil // the slabs can go
}

// addColumns folds sorted values of a window's time range into the
// outputs outs.
func (w *worker) addColumns(t *task, cols *chunk.Columns, outs []int) {
	if cols.Len() == 0 {
		return
	}
	f := w.f
	w.read += cols.Len()
	nOut := len(f.a.outputs)
	iv := f.a.interval
	bi := int((cols.Times[0] - t.lo) / iv)
	end := t.lo + int64(bi+1)*iv
	states := t.states
	if cols.Type == model.TypeFloat {
		for i, ts := range cols.Times {
			for ts >= end {
				bi++
				end += iv
			}
			base := bi * nOut
			for _, o := range outs {
				st := states[base+o]
				if st == nil {
					st = w.slabs.clone(f.tmpl[o])
					states[base+o] = st
				}
				st.(aggregate.FloatAdder).AddFloat(ts, cols.Floats[i])
			}
		}
		return
	}
	for i, ts := range cols.Times {
		for ts >= end {
			bi++
			end += iv
		}
		base := bi * nOut
		v := cols.Value(i)
		for _, o := range outs {
			st := states[base+o]
			if st == nil {
				st = w.slabs.clone(f.tmpl[o])
				states[base+o] = st
			}
			st.Add(ts, v)
		}
	}
}

// mergeLower merges the lower level's partial states of the lower target
// series s in the window of t into the merged outputs.
func (w *worker) mergeLower(t *task, s storage.Series, end int64) error {
	f := w.f
	l := f.b.lower
	group := string(l.appendGroup(nil, s.Tags))
	nOut := len(f.a.outputs)
	return scanStates(f.r, l.id, group, t.lo, l.bucket(end), l.interval, func(bucket int64, v []byte) error {
		parts, err := splitStates(v, len(l.outputs))
		if err != nil {
			return fmt.Errorf("state of %q at %d: %w", l.def.Name, bucket, err)
		}
		bi := int((bucket - t.lo) / f.a.interval)
		for _, o := range f.merged {
			p := parts[f.b.merge[o]]
			if len(p) == 0 {
				continue
			}
			st, err := decodeState(l.outputs[f.b.merge[o]].fn, p, bucket)
			if err != nil {
				return fmt.Errorf("state of %q at %d: %w", l.def.Name, bucket, err)
			}
			w.read++
			if cur := t.states[bi*nOut+o]; cur != nil {
				if cur.InputType() != st.InputType() {
					return fmt.Errorf("%w: states of %q mix %s and %s values", ErrCorrupt, l.def.Name, cur.InputType(), st.InputType())
				}
				cur.Merge(st)
			} else {
				t.states[bi*nOut+o] = st
			}
		}
		return nil
	})
}

// slabs hands out states copied from templates, allocated in blocks so
// that a fold over many buckets makes few allocations.
type slabs struct {
	count []aggregate.CountState
	sum   []aggregate.SumState
	mean  []aggregate.MeanState
	min   []aggregate.MinState
	max   []aggregate.MaxState
	first []aggregate.FirstState
	last  []aggregate.LastState
}

func (s *slabs) clone(tmpl aggregate.State) aggregate.State {
	switch x := tmpl.(type) {
	case *aggregate.CountState:
		return take(&s.count, x)
	case *aggregate.SumState:
		return take(&s.sum, x)
	case *aggregate.MeanState:
		return take(&s.mean, x)
	case *aggregate.MinState:
		return take(&s.min, x)
	case *aggregate.MaxState:
		return take(&s.max, x)
	case *aggregate.FirstState:
		return take(&s.first, x)
	case *aggregate.LastState:
		return take(&s.last, x)
	}
	panic(fmt.Sprintf("BUG: no slab for %T", tmpl))
}

func take[T any](buf *[]T, tmpl *T) *T {
	if len(*buf) == cap(*buf) {
		*buf = make([]T, 0, 256)
	}
	*buf = append(*buf, *tmpl)
	return &(*buf)[len(*buf)-1]
}

// lostOutput reports whether an output with values in the stored states
// old has none in sts: its value must then be deleted from the target.
func lostOutput(old []byte, sts []aggregate.State) bool {
	parts, err := splitStates(old, len(sts))
	if err != nil {
		return true
	}
	for i, p := range parts {
		if len(p) > 0 && sts[i] == nil {
			return true
		}
	}
	return false
}

// scanStates calls fn with the stored partial states of the aggregate id
// and group whose bucket (of the given interval) starts in [lo, hi], in
// time order. Short ranges are read key by key; longer ones scan a few key
// prefixes covering at most a small multiple of the range.
func scanStates(r *storage.Reader, id uint32, group string, lo, hi, interval int64, fn func(bucket int64, v []byte) error) error {
	if lo > hi {
		return nil
	}
	if (hi-lo)/interval < 32 {
		for b := lo; b <= hi; b += interval {
			v, ok, err := r.GetMeta(namespace, stateKey(id, group, b))
			if err != nil {
				return err
			}
			if ok {
				if err := fn(b, v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	base := statePrefix(id, group)
	ulo, uhi := orderedTime(lo), orderedTime(hi)
	k := 7
	for ; k > 0; k-- {
		shift := uint(64 - 8*k)
		if (uhi>>shift)-(ulo>>shift) < 16 {
			break
		}
	}
	visit := func(key, v []byte) error {
		if len(key) < 8 {
			return nil
		}
		b := readTime(key[len(key)-8:])
		if b < lo || b > hi {
			return nil
		}
		return fn(b, v)
	}
	if k == 0 {
		return r.IterMeta(namespace, base, visit)
	}
	shift := uint(64 - 8*k)
	for p := ulo >> shift; p <= uhi>>shift; p++ {
		prefix := binary.BigEndian.AppendUint64(slices.Clone(base), p<<shift)[:len(base)+k]
		if err := r.IterMeta(namespace, prefix, visit); err != nil {
			return err
		}
	}
	return nil
}
