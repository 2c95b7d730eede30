package query

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
	"github.com/accretedb/accrete/storage/chunk"
)

// AggregateQuery asks for aggregates of fields of the series of one
// measurement in a time range, grouped by tag values and time buckets.
type AggregateQuery struct {
	Database        string
	RetentionPolicy string // "" is the database's default
	Measurement     string
	Range           TimeRange
	// Condition selects points; nil selects all. Tag-only parts of it
	// select series through the index; parts on fields are tested per
	// point, with the values of every field at the point's time.
	Condition Expr
	// GroupBy lists the tag keys whose values make the groups; series that
	// share them are aggregated together.
	GroupBy []string
	// Interval splits time into buckets; the zero Interval makes one bucket
	// per group.
	Interval Interval
	Calls    []Call
	// SOffset and SLimit page through the groups in their order: the first
	// SOffset groups are skipped and at most SLimit (0: all) are computed.
	SOffset, SLimit int
	// Sources asks for the series each selector's point comes from
	// (Bucket.Series); it costs a comparison of selections per merge.
	Sources bool
}

// Call is one aggregate of one field.
type Call struct {
	Func  aggregate.Func
	Field string
	// Percentile is the parameter of aggregate.Percentile, in [0, 100].
	Percentile float64
	// Unit is the unit of time of aggregate.Integral in nanoseconds; zero
	// means aggregate.DefaultIntegralUnit.
	Unit int64
}

// AggregateResult holds the groups of an [AggregateQuery] in ascending
// order of their tag values (compared value by value in GroupBy order).
type AggregateResult struct {
	Groups []AggregateGroup
	// Series lists the series read, for Bucket.Series.
	Series []storage.Series
}

// AggregateGroup is the result of one group.
type AggregateGroup struct {
	// Tags holds the group's value of each GroupBy key, in GroupBy order;
	// "" when its series do not carry the tag.
	Tags []string
	// Calls holds, per call of the query, the buckets in which the call's
	// field has values, in ascending time. A field the measurement does not
	// have has none.
	Calls [][]Bucket
}

// Bucket is the aggregate of one call in one time bucket of one group.
type Bucket struct {
	// Start is the bucket's start: Interval.Start of its times, or MinTime
	// without an interval.
	Start int64
	State aggregate.State
	// Series is, with AggregateQuery.Sources and a selector (an
	// aggregate.Selector state), the index in AggregateResult.Series of the
	// series the selected point belongs to: the first in reading order when
	// several hold it.
	Series int
}

// Engine runs queries. It is safe for concurrent use.
type Engine struct {
	workers int // never changes
}

// NewEngine returns an Engine that reads the series of a query on up to
// workers goroutines; workers <= 0 means runtime.GOMAXPROCS(0).
func NewEngine(workers int) *Engine {
	if workers <= 0 {
		workers = defaultWorkers()
	}
	return &Engine{workers: workers}
}

// Workers returns the number of goroutines a query reads with.
func (e *Engine) Workers() int { return e.workers }

// seriesPlan is the series of a query in reading order, with their groups.
type seriesPlan struct {
	series []storage.Series
	group  []int      // group index of each series
	tags   [][]string // group index → GroupBy tag values
}

// planSeries looks up the series the condition may select and groups them
// by the values of groupBy (sorted by those values, a missing tag being
// ""), keeping the groups SOffset and SLimit select. Series are ordered by
// group, then by key.
//
// SOffset and SLimit count groups in InfluxDB's tag-set order, which is
// not the output order: tag sets sort by a key listing the group-by tags a
// series has, then their values (host|region|a|us), so that series lacking
// a tag sort apart (host|c before host|region|...).
func planSeries(snap Snapshot, db, rp, measurement string, cond Expr, groupBy []string, soffset, slimit int) (*seriesPlan, error) {
	all, err := snap.Series(db, rp, measurement, tagFilter(cond))
	if err != nil {
		return nil, err
	}
	type group struct {
		tags   []string
		setKey string
		series []storage.Series
	}
	byKey := map[string]*group{}
	var groups []*group
	for _, s := range all {
		t := make([]string, len(groupBy))
		var keys, vals []string
		for j, k := range groupBy {
			v, ok := s.Tags.Get(k)
			t[j] = v
			if ok {
				keys, vals = append(keys, k), append(vals, v)
			}
		}
		id := strings.Join(t, "\x00")
		g := byKey[id]
		if g == nil {
			g = &group{tags: t, setKey: strings.Join(append(keys, vals...), "|")}
			byKey[id] = g
			groups = append(groups, g)
		}
		g.series = append(g.series, s) // all is sorted by key
	}
	if soffset > 0 || slimit > 0 {
		slices.SortFunc(groups, func(a, b *group) int { return strings.Compare(a.setKey, b.setKey) })
		groups = groups[min(soffset, len(groups)):]
		if slimit > 0 && slimit < len(groups) {
			groups = groups[:slimit]
		}
	}
	slices.SortFunc(groups, func(a, b *group) int { return slices.Compare(a.tags, b.tags) })
	p := &seriesPlan{}
	for gi, g := range groups {
		p.tags = append(p.tags, g.tags)
		for _, s := range g.series {
			p.series = append(p.series, s)
			p.group = append(p.group, gi)
		}
	}
	return p, nil
}

// Aggregate runs q on snap.
func (e *Engine) Aggregate(ctx context.Context, snap Snapshot, q *AggregateQuery) (*AggregateResult, error) {
	if q.Range.Empty() || len(q.Calls) == 0 {
		return &AggregateResult{}, nil
	}
	fields, err := snap.Fields(q.Database, q.RetentionPolicy, q.Measurement)
	if err != nil {
		return nil, err
	}
	plan, err := planSeries(snap, q.Database, q.RetentionPolicy, q.Measurement, q.Condition, q.GroupBy, q.SOffset, q.SLimit)
	if err != nil {
		return nil, err
	}
	callFields := make([]string, len(q.Calls))
	for i, c := range q.Calls {
		callFields[i] = c.Field
	}
	calls := resolveFields(callFields, fields)
	for i, c := range q.Calls {
		if calls[i].exists && !c.Func.Accepts(calls[i].typ) {
			return nil, fmt.Errorf("%s() cannot aggregate %s field %q", c.Func, calls[i].typ, c.Field)
		}
	}
	sc := &seriesAggregator{q: q, snap: snap, calls: calls, scratch: make([]*aggScratch, e.workers)}
	defer sc.close()
	if q.Condition != nil && HasFieldRefs(q.Condition) {
		// Read every field the calls and the condition name, aligned by time.
		names := slices.Clone(callFields)
		for _, f := range FieldRefs(q.Condition) {
			if !slices.Contains(names, f) {
				names = append(names, f)
			}
		}
		sc.aligned = resolveFields(dedupe(names), fields)
		slots := make(map[string]int, len(sc.aligned))
		for k, f := range sc.aligned {
			slots[f.name] = k
		}
		sc.slots = slots
		sc.match = compileMatcher(q.Condition, slots)
		sc.callSlot = make([]int, len(q.Calls))
		for i, c := range q.Calls {
			sc.callSlot[i] = slots[c.Field]
		}
	}

	res := &AggregateResult{Groups: make([]AggregateGroup, len(plan.tags)), Series: plan.series}
	for g := range res.Groups {
		res.Groups[g] = AggregateGroup{Tags: plan.tags[g], Calls: make([][]Bucket, len(q.Calls))}
	}
	units := sc.units(len(plan.series), e.workers)
	err = ordered(ctx, len(units), e.workers,
		func(w, u int) ([][]Bucket, error) {
			return sc.run(ctx, w, plan.series[units[u].series], units[u].calls)
		},
		func(u int, part [][]Bucket) error {
			i := units[u].series
			g := &res.Groups[plan.group[i]]
			for c := range part {
				for k := range part[c] {
					part[c][k].Series = i
				}
				g.Calls[c] = mergeBuckets(g.Calls[c], part[c], q.Sources)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if q.Sources {
		if err := sc.percentileSources(res, plan); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// percentileSources sets the Series of percentile buckets. Unlike the other
// selectors, whose selection can only move to a point of the partial merged
// in, a percentile's can move to any point as others shift its rank: the
// series is found after merging, as the group's first (in reading order)
// holding the selected value at the selected time.
func (a *seriesAggregator) percentileSources(res *AggregateResult, plan *seriesPlan) error {
	members := make([][]int, len(res.Groups))
	for i, g := range plan.group {
		members[g] = append(members[g], i)
	}
	cur := a.snap.NewCursor()
	defer cur.Close()
	for gi := range res.Groups {
		for ci, c := range a.q.Calls {
			if c.Func != aggregate.Percentile || !a.calls[ci].exists {
				continue
			}
			for bi := range res.Groups[gi].Calls[ci] {
				b := &res.Groups[gi].Calls[ci][bi]
				ts, v, ok := b.State.(aggregate.Selector).Selected()
				if !ok {
					continue
				}
				for _, si := range members[gi] {
					s := plan.series[si]
					if a.q.Condition != nil && evalTags(a.q.Condition, s.Tags) == triFalse {
						continue
					}
					if err := cur.Seek(a.q.Database, a.q.RetentionPolicy, s.ID, a.calls[ci].id, ts, ts); err != nil {
						return err
					}
					if cur.Next() && cur.Columns().Value(0).Equal(v) {
						b.Series = si
						break
					}
					if err := cur.Err(); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func dedupe(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// mergeBuckets merges src into dst, both sorted by start, and returns the
// merged list. States of equal starts merge into dst's; src is consumed.
// With sources, a min, max, first or last whose selection changes takes the
// series of src's bucket (percentiles are resolved after merging).
func mergeBuckets(dst, src []Bucket, sources bool) []Bucket {
	if len(dst) == 0 {
		return src
	}
	if len(src) == 0 {
		return dst
	}
	merge := func(d *Bucket, s *Bucket) {
		sel, ok := d.State.(aggregate.Selector)
		if !sources || !ok || d.State.Func() == aggregate.Percentile {
			d.State.Merge(s.State)
			return
		}
		t0, v0, ok0 := sel.Selected()
		d.State.Merge(s.State)
		if t1, v1, ok1 := sel.Selected(); ok1 && (!ok0 || t1 != t0 || !v1.Equal(v0)) {
			d.Series = s.Series
		}
	}
	// Common case: src's starts are all in dst.
	i := 0
	inPlace := true
	for _, b := range src {
		for i < len(dst) && dst[i].Start < b.Start {
			i++
		}
		if i == len(dst) || dst[i].Start != b.Start {
			inPlace = false
			break
		}
	}
	if inPlace {
		i = 0
		for k := range src {
			for dst[i].Start < src[k].Start {
				i++
			}
			merge(&dst[i], &src[k])
		}
		return dst
	}
	out := make([]Bucket, 0, len(dst)+len(src))
	i = 0
	for k := range src {
		b := &src[k]
		for i < len(dst) && dst[i].Start < b.Start {
			out = append(out, dst[i])
			i++
		}
		if i < len(dst) && dst[i].Start == b.Start {
			merge(&dst[i], b)
			out = append(out, dst[i])
			i++
			continue
		}
		out = append(out, *b)
	}
	return append(out, dst[i:]...)
}

// seriesAggregator computes the per-series partial aggregates of a query.
// Its fields are set before the workers start and only read afterwards.
type seriesAggregator struct {
	q     *AggregateQuery
	snap  Snapshot
	calls []fieldRef // the field of each call

	// With a condition on fields: the fields read together, the slot of
	// each call's field among them, and the compiled condition.
	aligned  []fieldRef
	slots    map[string]int
	callSlot []int
	match    matcher

	// scratch holds each worker's cursors; only worker w touches
	// scratch[w].
	scratch []*aggScratch
}

type aggScratch struct {
	cur Cursor
	al  *aligner // with a condition on fields
	r   row
}

func (a *seriesAggregator) scratchOf(w int) *aggScratch {
	if a.scratch[w] == nil {
		sc := &aggScratch{cur: a.snap.NewCursor()}
		if a.aligned != nil {
			sc.al = newAligner(a.snap, a.aligned)
			sc.r = row{values: make([]model.FieldValue, len(a.aligned)), slots: a.slots}
		}
		a.scratch[w] = sc
	}
	return a.scratch[w]
}

func (a *seriesAggregator) close() {
	for _, sc := range a.scratch {
		if sc == nil {
			continue
		}
		sc.cur.Close()
		if sc.al != nil {
			sc.al.close()
		}
	}
}

// readUnit is what one worker computes at a time: the calls of one
// series, all of them when calls is nil.
type readUnit struct {
	series int
	calls  []bool // calls[i]: compute call i
}

// units splits the reading of n series into units: one per series, or,
// when there are fewer series than workers and the calls read several
// fields without a condition on fields, one per series and field, so that
// every worker has some of the fields of a few series to read. Each call
// of a series is in exactly one unit, and units come in series order, so
// that merging their results in unit order merges every call's partials
// in series order, as with one unit per series.
func (a *seriesAggregator) units(n, workers int) []readUnit {
	var fieldNames []string
	if n < workers && a.match == nil {
		for i, c := range a.calls {
			if c.exists && !slices.Contains(fieldNames, a.calls[i].name) {
				fieldNames = append(fieldNames, a.calls[i].name)
			}
		}
	}
	units := make([]readUnit, 0, n*max(1, len(fieldNames)))
	for i := 0; i < n; i++ {
		if len(fieldNames) < 2 {
			units = append(units, readUnit{series: i})
			continue
		}
		for _, f := range fieldNames {
			calls := make([]bool, len(a.calls))
			for k, c := range a.calls {
				calls[k] = c.exists && c.name == f
			}
			units = append(units, readUnit{series: i, calls: calls})
		}
	}
	return units
}

// run computes, on worker w, the buckets over one series of every call, or
// of those calls selects when it is not nil (the others have none).
func (a *seriesAggregator) run(ctx context.Context, w int, s storage.Series, calls []bool) ([][]Bucket, error) {
	accs := make([]bucketAcc, len(a.q.Calls))
	hint := bucketHint(a.q.Range, a.q.Interval)
	for i := range accs {
		accs[i] = bucketAcc{call: &a.q.Calls[i], typ: a.calls[i].typ, iv: a.q.Interval, hint: hint}
	}
	cond := a.q.Condition
	switch {
	case cond == nil:
	case evalTags(cond, s.Tags) == triFalse:
		return make([][]Bucket, len(accs)), nil
	case evalTags(cond, s.Tags) == triTrue:
		cond = nil
	}
	sc := a.scratchOf(w)
	var err error
	if cond != nil && a.match != nil {
		err = a.runAligned(ctx, sc, s, accs)
	} else {
		err = a.runColumns(ctx, sc.cur, s, accs, calls)
	}
	if err != nil {
		return nil, err
	}
	out := make([][]Bucket, len(accs))
	for i := range accs {
		out[i] = accs[i].buckets
	}
	return out, nil
}

// runColumns feeds each field's columns straight into the states of the
// calls on that field: the path of queries without field conditions.
func (a *seriesAggregator) runColumns(ctx context.Context, cur Cursor, s storage.Series, accs []bucketAcc, calls []bool) error {
	done := make([]bool, len(accs))
	if calls != nil {
		for i, c := range calls {
			done[i] = !c
		}
	}
	var group []*bucketAcc
	for i := range accs {
		if done[i] || !a.calls[i].exists {
			continue
		}
		// Every call on this field reads the same columns.
		group = group[:0]
		for j := i; j < len(accs); j++ {
			if !done[j] && a.calls[j].name == a.calls[i].name {
				group = append(group, &accs[j])
				done[j] = true
			}
		}
		if err := cur.Seek(a.q.Database, a.q.RetentionPolicy, s.ID, a.calls[i].id, a.q.Range.Min, a.q.Range.Max); err != nil {
			return err
		}
		for cur.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			addColumns(cur.Columns(), a.q.Interval, group)
		}
		if err := cur.Err(); err != nil {
			return err
		}
	}
	return nil
}

// addColumns adds a batch of one field to the calls on it, bucket by
// bucket.
func addColumns(cols *chunk.Columns, iv Interval, accs []*bucketAcc) {
	ts := cols.Times
	for i := 0; i < len(ts); {
		j := len(ts)
		start := MinTime
		if !iv.IsZero() {
			start = iv.Start(ts[i])
			end := iv.Next(start)
			for j = i + 1; j < len(ts) && ts[j] < end; j++ {
			}
			if end == MaxTime && ts[len(ts)-1] == MaxTime {
				j = len(ts)
			}
		}
		for _, acc := range accs {
			st := acc.bucket(start)
			if cols.Type == model.TypeInteger && addInts(st, ts[i:j], cols.Ints[i:j]) {
				continue
			}
			if cols.Type == model.TypeUnsigned && addUints(st, ts[i:j], cols.Uints[i:j]) {
				continue
			}
			if fa, ok := st.(aggregate.FloatAdder); ok && cols.Type == model.TypeFloat {
				fs := cols.Floats[i:j]
				for k, f := range fs {
					fa.AddFloat(ts[i+k], f)
				}
				continue
			}
			if c, ok := st.(*aggregate.CountState); ok {
				for k := i; k < j; k++ {
					c.AddFloat(ts[k], 0)
				}
				continue
			}
			for k := i; k < j; k++ {
				st.Add(ts[k], cols.Value(k))
			}
		}
		i = j
	}
}

// addInts adds the integers vs at times ts (ascending) to st without a
// call through the State interface per value, and reports whether it knew
// st's type.
func addInts(st aggregate.State, ts []int64, vs []int64) bool {
	if addSelected(st, ts, vs, model.Int) {
		return true
	}
	switch st := st.(type) {
	case *aggregate.MeanState:
		st.AddInts(vs)
	case *aggregate.SumState:
		for i, v := range vs {
			st.Add(ts[i], model.Int(v))
		}
	case *aggregate.CountState:
		for i := range vs {
			st.AddFloat(ts[i], 0)
		}
	default:
		return false
	}
	return true
}

// addUints is addInts for unsigned integers.
func addUints(st aggregate.State, ts []int64, vs []uint64) bool {
	return addSelected(st, ts, vs, model.Uint)
}

// addSelected offers a selector (min, max, first, last) only the point it
// would keep — the first of the smallest or largest values, the first or
// the last point —, since it selects the same point whatever the order of
// its input, and reports whether st was a selector.
func addSelected[T int64 | uint64](st aggregate.State, ts []int64, vs []T, value func(T) model.FieldValue) bool {
	k := 0
	switch st.(type) {
	case *aggregate.MaxState:
		for i, v := range vs {
			if v > vs[k] {
				k = i
			}
		}
	case *aggregate.MinState:
		for i, v := range vs {
			if v < vs[k] {
				k = i
			}
		}
	case *aggregate.FirstState:
	case *aggregate.LastState:
		k = len(vs) - 1
	default:
		return false
	}
	st.Add(ts[k], value(vs[k]))
	return true
}

// runAligned reads the fields of the calls and of the condition together
// and adds each call's value at every time the condition holds.
func (a *seriesAggregator) runAligned(ctx context.Context, sc *aggScratch, s storage.Series, accs []bucketAcc) error {
	al := sc.al
	if err := al.seek(a.q.Database, a.q.RetentionPolicy, s.ID, a.q.Range.Min, a.q.Range.Max); err != nil {
		return err
	}
	r := &sc.r
	r.tags = s.Tags
	for n := 0; ; n++ {
		ok, err := al.next()
		if err != nil || !ok {
			return err
		}
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for k := range r.values {
			r.values[k] = al.value(k)
		}
		if !a.match(r) {
			continue
		}
		start := MinTime
		if !a.q.Interval.IsZero() {
			start = a.q.Interval.Start(al.time)
		}
		for i := range accs {
			v := r.values[a.callSlot[i]]
			if !v.IsValid() {
				continue
			}
			accs[i].bucket(start).Add(al.time, v)
		}
	}
}

// bucketAcc collects the buckets of one call over one series, whose times
// arrive in ascending order.
type bucketAcc struct {
	call    *Call
	typ     model.FieldType
	iv      Interval
	buckets []Bucket
	// hint is the number of buckets to make room for at the first one
	// (0: let append decide), and the most mean states to allocate
	// together until there are that many buckets.
	hint int
	// means holds empty mean states allocated together, taken from the
	// front as buckets of a mean are made.
	means []aggregate.MeanState
}

// meanSlab is the most mean states allocated at once.
const meanSlab = 16

// bucketHint is the number of buckets of interval iv that range r can
// hold, capped at meanSlab (so that a series with few points over a long
// range wastes little): 1 without an interval.
func bucketHint(r TimeRange, iv Interval) int {
	if iv.IsZero() {
		return 1
	}
	if r.Max < r.Min {
		return 0
	}
	n := uint64(r.Max-r.Min)/uint64(iv.Duration) + 2
	return int(min(n, meanSlab))
}

// bucket returns the state of the bucket starting at start, adding it
// after the others when it is new.
func (b *bucketAcc) bucket(start int64) aggregate.State {
	if n := len(b.buckets); n > 0 && b.buckets[n-1].Start == start {
		return b.buckets[n-1].State
	}
	var st aggregate.State
	switch b.call.Func {
	case aggregate.Percentile:
		st = aggregate.NewPercentile(b.call.Percentile, b.typ)
	case aggregate.Integral:
		unit := b.call.Unit
		if unit <= 0 {
			unit = aggregate.DefaultIntegralUnit
		}
		st = aggregate.NewIntegral(unit, b.typ)
	case aggregate.Mean:
		if len(b.means) == 0 {
			n := meanSlab
			if rest := b.hint - len(b.buckets); rest > 0 {
				n = min(n, rest)
			}
			b.means = aggregate.NewMeans(b.typ, n)
		}
		st = &b.means[0]
		b.means = b.means[1:]
	default:
		st = aggregate.New(b.call.Func, b.typ)
	}
	if b.buckets == nil && b.hint > 0 {
		b.buckets = make([]Bucket, 0, b.hint)
	}
	b.buckets = append(b.buckets, Bucket{Start: start, State: st})
	return st
}

// FirstTimes returns, for each group of q (in the order of Aggregate's
// groups) and each call, the earliest time in q's range at which one of the
// group's series has a value of the call's field, or MaxTime when none has.
// Series are selected by the tags as in Aggregate, but field conditions are
// not evaluated: the times are those of the first values, matching or not.
// Reading stops at the first batch of each series field.
func (e *Engine) FirstTimes(ctx context.Context, snap Snapshot, q *AggregateQuery) ([][]int64, error) {
	fields, err := snap.Fields(q.Database, q.RetentionPolicy, q.Measurement)
	if err != nil {
		return nil, err
	}
	plan, err := planSeries(snap, q.Database, q.RetentionPolicy, q.Measurement, q.Condition, q.GroupBy, q.SOffset, q.SLimit)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(q.Calls))
	for i, c := range q.Calls {
		names[i] = c.Field
	}
	calls := resolveFields(names, fields)
	firsts := make([][]int64, len(plan.tags))
	for g := range firsts {
		firsts[g] = make([]int64, len(calls))
		for k := range calls {
			firsts[g][k] = MaxTime
		}
	}
	curs := make([]Cursor, e.workers)
	defer func() {
		for _, c := range curs {
			if c != nil {
				c.Close()
			}
		}
	}()
	err = ordered(ctx, len(plan.series), e.workers,
		func(w, i int) ([]int64, error) {
			if curs[w] == nil {
				curs[w] = snap.NewCursor()
			}
			cur, s := curs[w], plan.series[i]
			out := make([]int64, len(calls))
			for k, f := range calls {
				out[k] = MaxTime
				if !f.exists || (q.Condition != nil && evalTags(q.Condition, s.Tags) == triFalse) {
					continue
				}
				if err := cur.Seek(q.Database, q.RetentionPolicy, s.ID, f.id, q.Range.Min, q.Range.Max); err != nil {
					return nil, err
				}
				if cur.Next() {
					out[k] = cur.Columns().Times[0]
				} else if err := cur.Err(); err != nil {
					return nil, err
				}
			}
			return out, nil
		},
		func(i int, t []int64) error {
			g := firsts[plan.group[i]]
			for k := range t {
				g[k] = min(g[k], t[k])
			}
			return nil
		})
	return firsts, err
}
