package continuous

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// Result is the answer of Query: per group (target series) the buckets of
// the range, with one column per output.
type Result struct {
	// Name is the target measurement.
	Name string `json:"name"`
	// Columns are "time" and the outputs in definition order.
	Columns []string `json:"columns"`
	// Series are the groups, sorted by their tags.
	Series []ResultSeries `json:"series"`
	// Watermark is where materialized buckets end: later buckets come from
	// the source (real-time results) or are absent.
	Watermark time.Time `json:"watermark"`
}

// ResultSeries is one group of a Result. Each row of Values holds the
// bucket's start (a time.Time) and the outputs' values (float64, int64,
// uint64, string, bool, or nil for an output without values).
type ResultSeries struct {
	Tags   map[string]string `json:"tags,omitempty"`
	Values [][]any           `json:"values"`
}

// maxQueryBuckets bounds the (group, bucket) pairs a real-time tail may
// compute, as a multiple of Options.MaxBatchBuckets.
const maxQueryBuckets = 20

// Query returns the buckets of an aggregate starting in [start, end): the
// materialized ones (before the watermark) as the target holds them and,
// with realTime, the later ones computed from the source on the fly — the
// not yet closed bucket included — merged into one answer. A zero start
// means from the beginning, a zero end means up to now (with realTime:
// through the bucket holding now).
func (e *Engine) Query(ctx context.Context, name string, start, end time.Time, realTime bool) (*Result, error) {
	a, err := e.lookup(name)
	if err != nil {
		return nil, err
	}
	lo, hi := int64(minTime), e.clock().UnixNano()
	if realTime {
		hi = a.bucket(hi) + a.interval
	}
	if !start.IsZero() {
		lo = max(lo, start.UnixNano())
	}
	if !end.IsZero() {
		hi = end.UnixNano()
	}
	res := &Result{Name: a.tgt.m, Columns: []string{"time"}}
	for _, o := range a.outputs {
		res.Columns = append(res.Columns, o.name)
	}
	w := a.watermark()
	if w != unset {
		res.Watermark = time.Unix(0, w).UTC()
	}
	rows := map[string]map[int64][]any{} // group → bucket → row
	tags := map[string]model.Tags{}
	row := func(group string, t model.Tags, bucket int64) []any {
		g := rows[group]
		if g == nil {
			g = map[int64][]any{}
			rows[group] = g
			tags[group] = t
		}
		r := g[bucket]
		if r == nil {
			r = make([]any, len(res.Columns))
			r[0] = time.Unix(0, bucket).UTC()
			g[bucket] = r
		}
		return r
	}
	r, err := e.db.NewReader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// Materialized buckets, as the target holds them.
	if matHi := min(hi, w) - 1; w != unset && lo <= matHi {
		if err := e.readTarget(ctx, a, r, lo, matHi, row); err != nil {
			return nil, err
		}
	}
	// The tail, from the source.
	if realTime {
		tlo := a.bucketUp(lo)
		if w != unset {
			tlo = max(tlo, w)
		}
		thi := a.bucket(hi - 1)
		// Only where some level of the aggregate has source data.
		if first, last, ok := e.dataExtent(a); !ok {
			thi = tlo - 1
		} else {
			tlo, thi = max(tlo, a.bucket(first)), min(thi, a.bucket(last))
		}
		if tlo <= thi {
			f, err := e.tail(ctx, a, r, tlo, thi)
			if err != nil {
				return nil, err
			}
			nOut := len(a.outputs)
			for _, t := range f.tasks {
				gt, err := groupTags(t.group)
				if err != nil {
					return nil, err
				}
				for bi := 0; bi < t.n; bi++ {
					sts := t.states[bi*nOut : (bi+1)*nOut]
					if !slices.ContainsFunc(sts, func(s aggregate.State) bool { return s != nil }) {
						continue
					}
					rw := row(t.group, gt, t.lo+int64(bi)*a.interval)
					for o, s := range sts {
						if s != nil {
							if v, ok := s.Result(); ok {
								rw[o+1] = v.Interface()
							}
						}
					}
				}
			}
		}
	}
	for _, g := range slices.Sorted(mapsKeys(rows)) {
		rs := ResultSeries{}
		if len(tags[g]) > 0 {
			rs.Tags = map[string]string{}
			for _, t := range tags[g] {
				rs.Tags[t.Key] = t.Value
			}
		}
		for _, b := range slices.Sorted(func(yield func(int64) bool) {
			for k := range rows[g] {
				if !yield(k) {
					return
				}
			}
		}) {
			rs.Values = append(rs.Values, rows[g][b])
		}
		res.Series = append(res.Series, rs)
	}
	slices.SortFunc(res.Series, func(x, y ResultSeries) int { return strings.Compare(tagString(x.Tags), tagString(y.Tags)) })
	return res, nil
}

func tagString(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "%s=%s,", k, m[k])
	}
	return b.String()
}

// dataExtent returns the first and last time of the data partitions of
// the sources of a and of its lower levels.
func (e *Engine) dataExtent(a *agg) (first, last int64, ok bool) {
	cat := e.cat.Load()
	for x := a; x != nil; {
		parts, err := e.db.Partitions(x.src.db, x.src.rp)
		if err == nil && len(parts) > 0 {
			if !ok {
				first, last, ok = parts[0].Start, parts[len(parts)-1].Last, true
			}
			first, last = min(first, parts[0].Start), max(last, parts[len(parts)-1].Last)
		}
		b := cat.lower[x]
		if b == nil {
			break
		}
		x = b.lower
	}
	return first, last, ok
}

// readTarget reads the target points of a in [lo, hi].
func (e *Engine) readTarget(ctx context.Context, a *agg, r *storage.Reader, lo, hi int64, row func(string, model.Tags, int64) []any) error {
	series, err := e.db.Series(a.tgt.db, a.tgt.rp, a.tgt.m, nil)
	if err != nil {
		if isGone(err) {
			return nil
		}
		return err
	}
	fields, err := e.db.FieldKeys(a.tgt.db, a.tgt.rp, a.tgt.m)
	if err != nil {
		return err
	}
	rpID, err := e.db.RetentionPolicyID(a.tgt.db, a.tgt.rp)
	if err != nil {
		return err
	}
	cur := r.NewCursor()
	defer cur.Close()
	for _, s := range series {
		if err := ctx.Err(); err != nil {
			return err
		}
		group := string(a.appendGroup(nil, s.Tags))
		for o, out := range a.outputs {
			i := slices.IndexFunc(fields, func(f storage.FieldInfo) bool { return f.Name == out.name })
			if i < 0 {
				continue
			}
			if err := cur.SeekRP(rpID, s.ID, fields[i].ID, lo, hi); err != nil {
				return err
			}
			for cur.Next() {
				cols := cur.Columns()
				for j, ts := range cols.Times {
					row(group, s.Tags, ts)[o+1] = cols.Value(j).Interface()
				}
			}
			if err := cur.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// tail folds the buckets [lo, hi] of every group of a from the source as it
// is in r. For an aggregate of an aggregate, the lower level's buckets past
// its own watermark come from its tail, recursively.
func (e *Engine) tail(ctx context.Context, a *agg, r *storage.Reader, lo, hi int64) (*fold, error) {
	b := e.cat.Load().lower[a]
	groups, err := e.sourceGroups(a)
	if err != nil {
		return nil, err
	}
	var lower *fold
	if b != nil {
		lw := b.lower.watermark()
		llo := lo
		if lw != unset {
			llo = max(llo, lw)
		}
		if lhi := b.lower.bucket(hi + a.interval - 1); llo <= lhi {
			if lower, err = e.tail(ctx, b.lower, r, llo, lhi); err != nil {
				return nil, err
			}
			// Groups that exist only in the lower level's tail.
			for _, t := range lower.tasks {
				lt, err := groupTags(t.group)
				if err != nil {
					return nil, err
				}
				if a.filter == nil || a.filter.Match(lt) {
					if g := string(a.appendGroup(nil, lt)); groups[g] == nil {
						groups[g] = []storage.Series{}
					}
				}
			}
		}
	}
	n := (hi-lo)/a.interval + 1
	if n*int64(max(1, len(groups))) > int64(max(maxQueryBuckets*e.maxBatch, 1<<20)) {
		return nil, invalid(a.def.Name, "the real-time range of %d buckets × %d groups is too large; narrow it or refresh first", n, len(groups))
	}
	f, err := e.newFold(a, b, r)
	if err != nil {
		return nil, err
	}
	f.query = true
	byGroup := map[string]*task{}
	for _, g := range slices.Sorted(mapsKeys(groups)) {
		byGroup[g] = f.addTask(g, lo, hi, false)
	}
	if err := f.run(ctx, groups); err != nil {
		return nil, err
	}
	if lower != nil {
		if err := f.addLowerTail(lower, byGroup); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// addLowerTail folds the lower level's tail into f: merged outputs merge
// its states, the others fold its final values.
func (f *fold) addLowerTail(lower *fold, byGroup map[string]*task) error {
	l := f.b.lower
	nOut, lOut := len(f.a.outputs), len(l.outputs)
	for _, lt := range lower.tasks {
		tags, err := groupTags(lt.group)
		if err != nil {
			return err
		}
		if f.a.filter != nil && !f.a.filter.Match(tags) {
			continue
		}
		t := byGroup[string(f.a.appendGroup(nil, tags))]
		if t == nil {
			continue
		}
		for bi := 0; bi < lt.n; bi++ {
			bucket := lt.lo + int64(bi)*l.interval
			if bucket < t.lo || bucket > t.hi+f.a.interval-1 {
				continue
			}
			ui := int((bucket - t.lo) / f.a.interval)
			lsts := lt.states[bi*lOut : (bi+1)*lOut]
			for o := range f.a.outputs {
				slot := &t.states[ui*nOut+o]
				if j := f.b.merge[o]; j >= 0 {
					if lsts[j] == nil {
						continue
					}
					if *slot == nil {
						*slot = f.slabs.clone(lsts[j])
						(*slot).Reset()
					}
					(*slot).Merge(lsts[j])
					continue
				}
				j := slices.IndexFunc(l.outputs, func(x output) bool { return x.name == f.a.outputs[o].input })
				if j < 0 || lsts[j] == nil {
					continue
				}
				v, ok := lsts[j].Result()
				if !ok || !f.a.outputs[o].fn.Accepts(v.Type()) {
					continue
				}
				if *slot == nil {
					*slot = aggregate.New(f.a.outputs[o].fn, v.Type())
				}
				(*slot).Add(bucket, v)
			}
		}
	}
	return nil
}
