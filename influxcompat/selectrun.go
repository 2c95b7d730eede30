package influxcompat

import (
	"fmt"
	"slices"
	"strings"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/query"
	"github.com/accretedb/accrete/storage"
)

// execSelect runs a SELECT and emits its rows, or writes them for SELECT
// ... INTO.
func (x *execution) execSelect(stmt *influxql.SelectStatement) error {
	p, err := x.compileSelect(stmt)
	if err != nil {
		return err
	}
	if stmt.Target != nil {
		return x.selectInto(p, stmt.Target)
	}
	return p.rows(x, x.out.addTimed)
}

// rows computes the result series of p in output order and passes each to
// fn. Row values hold int64 nanosecond times in column 0 and model values
// (float64, int64, uint64, string, bool, nil) after it.
func (p *selectPlan) rows(x *execution, fn func(*Row) error) error {
	if p.empty {
		return nil
	}
	sources := slices.Clone(p.sources)
	if !p.ascending {
		slices.Reverse(sources)
	}
	for _, s := range sources {
		cond, err := convertCond(p.cond, s.fieldSet())
		if err != nil {
			return err
		}
		if p.raw {
			err = p.rawRows(x, s, cond, fn)
		} else {
			err = p.aggregateRows(x, s, cond, fn)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// newRow starts the output row of a group.
func (p *selectPlan) newRow(name string, tagValues []string) *Row {
	r := &Row{Name: name, Columns: p.columns}
	if len(p.dims) > 0 {
		r.Tags = make(map[string]string, len(p.dims))
		for i, k := range p.dims {
			r.Tags[k] = tagValues[i]
		}
	}
	return r
}

// aggregateRows runs the calls of p on one measurement and passes the
// series to fn in output order.
func (p *selectPlan) aggregateRows(x *execution, s *source, cond query.Expr, fn func(*Row) error) error {
	base := query.AggregateQuery{
		Database:        s.db,
		RetentionPolicy: s.rp,
		Measurement:     s.name,
		Range:           p.tr,
		Condition:       cond,
		GroupBy:         p.dims,
		Interval:        p.interval,
		SOffset:         p.soffset,
		SLimit:          p.slimit,
		Sources:         p.auxSelector,
	}
	fields := s.fieldSet()
	live := make([]int, 0, len(p.calls)) // calls on fields the measurement has
	transforms := false
	for i, c := range p.calls {
		t, ok := fields[c.field]
		if !ok {
			continue
		}
		if !c.accepts(t) {
			return iteratorTypeError(c, t)
		}
		live = append(live, i)
		transforms = transforms || c.transform != nil
	}
	if len(live) == 0 {
		return nil
	}
	if !transforms {
		return p.plainAggregateRows(x, s, fields, &base, live, fn)
	}
	groups, err := p.readCallGroups(x, s, &base, live)
	if err != nil {
		return err
	}
	types := make([]model.FieldType, len(p.calls))
	for _, ci := range live {
		types[ci] = p.calls[ci].resultType(fields[p.calls[ci].field])
	}
	pts := make([][]point, len(p.calls))
	noAux := func(*point, auxRef) (any, model.FieldType) { return nil, model.TypeString }
	for _, g := range groups {
		for i := range pts {
			pts[i] = nil
		}
		for _, ci := range live {
			c := p.calls[ci]
			in := fields[c.field]
			switch {
			case c.raw():
				pts[ci] = p.transformPoints(c, g.raw[ci])
			case c.transform != nil:
				if rng, ok := p.callRange(c); ok {
					pts[ci] = p.transformPoints(c, p.callPoints(c, in, g.buckets[ci], query.MinTime, rng, false))
				}
			default:
				pts[ci] = p.callPoints(c, in, g.buckets[ci], query.MinTime, p.tr, true)
			}
		}
		vals := p.join(pts, types, noAux)
		if len(vals) == 0 {
			continue
		}
		r := p.newRow(s.name, g.tags)
		r.Values = vals
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// iteratorTypeError is InfluxDB's error for a call on a field type it does
// not take: the iterator it could not build.
func iteratorTypeError(c *callPlan, t model.FieldType) error {
	name := c.expr.Name
	if c.transform != nil && !c.raw() && !c.fn.Accepts(t) {
		name = c.inner.Name
	} else if c.transform != nil {
		switch c.transform.Func {
		case query.NonNegativeDerivative:
			name = "derivative"
		case query.NonNegativeDifference:
			name = "difference"
		default:
			name = strings.ReplaceAll(name, "_", " ")
		}
	}
	return fmt.Errorf("unsupported %s iterator type: *query.%sInterruptIterator", name, t)
}

// plainAggregateRows runs calls without transformations: one aggregate
// query for all of them.
func (p *selectPlan) plainAggregateRows(x *execution, s *source, fields fieldSet, base *query.AggregateQuery, live []int, fn func(*Row) error) error {
	q := *base
	q.Range.Min = max(q.Range.Min, p.readMin)
	for _, ci := range live {
		c := p.calls[ci]
		q.Calls = append(q.Calls, query.Call{Func: c.fn, Field: c.field, Percentile: c.percentile, Unit: c.unit})
	}
	firsts, err := p.boundByLimit(x, &q, q.Condition)
	if err != nil {
		return err
	}
	res, err := x.e.engine.Aggregate(x.ctx, x.snap, &q)
	if err != nil {
		return err
	}
	groups := res.Groups
	if !p.ascending {
		slices.Reverse(groups)
	}
	aux := p.auxReader(x, s, res.Series)
	defer aux.close()
	types := make([]model.FieldType, len(p.calls))
	for _, ci := range live {
		types[ci] = p.calls[ci].resultType(fields[p.calls[ci].field])
	}
	pts := make([][]point, len(p.calls))
	for gi, g := range groups {
		for i := range pts {
			pts[i] = nil
		}
		for j, ci := range live {
			c := p.calls[ci]
			first := query.MinTime // unknown: the buckets tell
			if firsts != nil {
				gf := gi
				if !p.ascending {
					gf = len(groups) - 1 - gi // groups were reversed
				}
				if first = firsts[gf][j]; first == query.MaxTime {
					continue // no data in the whole range
				}
			}
			pts[ci] = p.callPoints(c, fields[c.field], g.Calls[j], first, p.tr, true)
		}
		vals := p.join(pts, types, aux.value)
		if len(vals) == 0 {
			continue
		}
		r := p.newRow(s.name, g.Tags)
		r.Values = vals
		if err := fn(r); err != nil {
			return err
		}
		// The group's states are no longer needed.
		g.Calls = nil
	}
	return nil
}

// callRange returns the time range a call reads: the statement's, or for
// a transformation of an aggregate that looks back, the range widened by
// its lookback intervals at its start (at its end, descending). ok is
// false when InfluxDB 1.6 reads nothing: the lookback of a range without a
// lower bound overflows its start time.
func (p *selectPlan) callRange(c *callPlan) (query.TimeRange, bool) {
	rng := p.tr
	n := c.lookback()
	if n == 0 {
		return rng, true
	}
	span := n * p.interval.Duration
	if span/p.interval.Duration != n {
		return rng, false
	}
	if p.ascending {
		if !rng.HasMin() || rng.Min < query.MinTime+span {
			return rng, false
		}
		rng.Min -= span
	} else if rng.Max > query.MaxTime-span {
		rng.Max = query.MaxTime
	} else {
		rng.Max += span
	}
	return rng, true
}

// callGroup is one group's input to the calls of a statement with
// transformations, per call of the plan.
type callGroup struct {
	tags    []string
	buckets [][]query.Bucket // aggregate calls: the buckets
	raw     [][]point        // raw transformations: the values, in output order
}

// readCallGroups reads the inputs of the live calls: one aggregate query
// per distinct time range, one raw query per field transformed, joined into
// groups in output order.
func (p *selectPlan) readCallGroups(x *execution, s *source, base *query.AggregateQuery, live []int) ([]*callGroup, error) {
	byKey := map[string]*callGroup{}
	group := func(tags []string) *callGroup {
		k := strings.Join(tags, "\x00")
		g := byKey[k]
		if g == nil {
			g = &callGroup{tags: tags, buckets: make([][]query.Bucket, len(p.calls)), raw: make([][]point, len(p.calls))}
			byKey[k] = g
		}
		return g
	}
	done := make([]bool, len(p.calls))
	for _, ci := range live {
		c := p.calls[ci]
		if done[ci] {
			continue
		}
		if c.raw() {
			if err := p.readRaw(x, s, base, c.field, live, done, group); err != nil {
				return nil, err
			}
			continue
		}
		rng, ok := p.callRange(c)
		if !ok {
			done[ci] = true
			continue
		}
		q := *base
		q.Range = rng
		q.Range.Min = max(q.Range.Min, p.readMin)
		var idx []int
		for _, cj := range live {
			d := p.calls[cj]
			if r, ok := p.callRange(d); !done[cj] && !d.raw() && ok && r == rng {
				done[cj] = true
				idx = append(idx, cj)
				q.Calls = append(q.Calls, query.Call{Func: d.fn, Field: d.field, Percentile: d.percentile, Unit: d.unit})
			}
		}
		res, err := x.e.engine.Aggregate(x.ctx, x.snap, &q)
		if err != nil {
			return nil, err
		}
		for _, g := range res.Groups {
			cg := group(g.Tags)
			for j, cj := range idx {
				cg.buckets[cj] = g.Calls[j]
			}
		}
	}
	groups := make([]*callGroup, 0, len(byKey))
	for _, g := range byKey {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b *callGroup) int { return slices.Compare(a.tags, b.tags) })
	if !p.ascending {
		slices.Reverse(groups)
	}
	return groups, nil
}

// readRaw reads the values of field for the raw transformations of it:
// the points of each group's series merged by time, in output order.
func (p *selectPlan) readRaw(x *execution, s *source, base *query.AggregateQuery, field string, live []int, done []bool, group func([]string) *callGroup) error {
	q := &query.RawQuery{
		Database:        s.db,
		RetentionPolicy: s.rp,
		Measurement:     s.name,
		Range:           base.Range,
		Condition:       base.Condition,
		GroupBy:         p.dims,
		Fields:          []string{field},
		Descending:      !p.ascending,
		SOffset:         p.soffset,
		SLimit:          p.slimit,
	}
	res, err := x.e.engine.Raw(x.ctx, x.snap, q)
	if err != nil {
		return err
	}
	for _, g := range res.Groups {
		n := 0
		for i := range g.Series {
			n += g.Series[i].Len()
		}
		pts := make([]point, 0, n)
		for i := range g.Series {
			rs := &g.Series[i]
			for k, ts := range rs.Times {
				if v := rs.Values[k]; v.IsValid() {
					pts = append(pts, point{time: ts, val: v.Interface(), src: -1})
				}
			}
			g.Series[i] = query.RawSeries{} // the points are in pts now
		}
		if len(g.Series) > 1 {
			// Series in key order; a stable sort keeps that order among
			// equal times.
			slices.SortStableFunc(pts, func(a, b point) int {
				if p.ascending {
					return cmpInt(a.time, b.time)
				}
				return cmpInt(b.time, a.time)
			})
		}
		cg := group(g.Tags)
		for _, ci := range live {
			if c := p.calls[ci]; c.raw() && c.field == field {
				cg.raw[ci] = pts
				done[ci] = true
			}
		}
	}
	for _, ci := range live {
		if c := p.calls[ci]; c.raw() && c.field == field {
			done[ci] = true
		}
	}
	return nil
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

// transformPoints applies the transformation of c to the points of one
// group, given in output order; null points are skipped, as InfluxDB
// skips them. OFFSET and LIMIT apply to what it gives.
func (p *selectPlan) transformPoints(c *callPlan, in []point) []point {
	tr := query.NewTransformer(*c.transform)
	out := make([]point, 0, len(in))
	for _, pt := range in {
		if pt.null || pt.val == nil {
			continue
		}
		ts, v, ok := tr.Push(pt.time, modelValue(pt.val))
		if ok {
			out = append(out, point{time: ts, val: v.Interface(), src: -1})
		}
	}
	return limitPoints(out, p.offset, p.limit)
}

// modelValue converts a point's value back to a model value.
func modelValue(v any) model.FieldValue {
	switch v := v.(type) {
	case float64:
		return model.Float(v)
	case int64:
		return model.Int(v)
	case uint64:
		return model.Uint(v)
	case string:
		return model.String(v)
	case bool:
		return model.Bool(v)
	}
	panic(fmt.Sprintf("BUG: point value of type %T", v))
}

// boundByLimit narrows the range of q to the buckets LIMIT and OFFSET can
// reach when filling makes every bucket a row: the first offset+limit
// buckets from the start of the range, or newest first from its end, and
// without a lower bound from each group's first point. Whether a group
// has data at all, and where its first point is, still depends on the
// whole range: a cheap first read of each series finds that out, and
// firsts returns it per group (in q's order) and call (MaxTime: no data).
// Linear fill and integral interpolate towards points beyond the reachable
// buckets and field conditions hide where the first point is: with them, and without a
// LIMIT, the range stays as it is and firsts is nil.
func (p *selectPlan) boundByLimit(x *execution, q *query.AggregateQuery, cond query.Expr) (firsts [][]int64, err error) {
	if p.interval.IsZero() || p.limit <= 0 || p.fill == influxql.NoFill || p.fill == influxql.LinearFill ||
		q.Range.Empty() || cond != nil && query.HasFieldRefs(cond) {
		return nil, nil
	}
	for _, c := range q.Calls {
		if c.Func == aggregate.Integral {
			return nil, nil // a bucket's integral reaches into the next point's bucket
		}
	}
	iv := p.interval
	n := int64(p.offset + p.limit)
	if n > query.MaxTime/iv.Duration/4 {
		return nil, nil
	}
	span := n * iv.Duration
	firsts, err = x.e.engine.FirstTimes(x.ctx, x.snap, q)
	if err != nil {
		return nil, err
	}
	switch {
	case !p.ascending:
		if hi := iv.Start(q.Range.Max); hi > query.MinTime+span {
			q.Range.Min = max(q.Range.Min, hi-span+iv.Duration)
		}
	case q.Range.HasMin():
		if lo := iv.Start(q.Range.Min); lo < query.MaxTime-span {
			q.Range.Max = min(q.Range.Max, lo+span-1)
		}
	default:
		// Each group's rows start at its first point's bucket.
		lo, last := query.MaxTime, query.MinTime
		for _, g := range firsts {
			for _, t := range g {
				if t != query.MaxTime {
					lo, last = min(lo, t), max(last, iv.Start(t))
				}
			}
		}
		if lo == query.MaxTime {
			return firsts, nil // no data
		}
		q.Range.Min = max(q.Range.Min, iv.Start(lo))
		if last < query.MaxTime-span {
			q.Range.Max = min(q.Range.Max, last+span-1)
		}
	}
	return firsts, nil
}

// auxReader reads the tags and fields of the points selectors select, for
// statements like SELECT max(v), host.
type auxReader struct {
	x      *execution
	src    *source
	series []storage.Series
	fields map[string]storage.FieldInfo
	cur    query.Cursor // opened on first use
}

func (p *selectPlan) auxReader(x *execution, s *source, series []storage.Series) *auxReader {
	a := &auxReader{x: x, src: s, series: series, fields: map[string]storage.FieldInfo{}}
	for _, f := range s.fields {
		a.fields[f.Name] = f
	}
	return a
}

func (a *auxReader) close() {
	if a.cur != nil {
		a.cur.Close()
	}
}

// value returns the value of r at pt's selected point, the tag of its
// series or its field value at that time (nil without a selected point),
// and r's type. A reference that is not a tag reads no tag: a name the
// measurement has as a tag only, asked for as a field (host::field), is
// null, as in InfluxDB.
func (a *auxReader) value(pt *point, r auxRef) (any, model.FieldType) {
	f, isField := a.fields[r.name]
	typ := f.Type
	if r.isTag || !isField {
		typ = model.TypeString
	}
	if pt == nil || pt.src < 0 || !r.isTag && !isField {
		return nil, typ
	}
	s := &a.series[pt.src]
	if r.isTag {
		if v, ok := s.Tags.Get(r.name); ok && v != "" {
			return v, typ
		}
		return nil, typ
	}
	if a.cur == nil {
		a.cur = a.x.snap.NewCursor()
	}
	if err := a.cur.Seek(a.src.db, a.src.rp, s.ID, f.ID, pt.sel, pt.sel); err != nil || !a.cur.Next() {
		return nil, typ
	}
	return a.cur.Columns().Value(0).Interface(), typ
}

// point is one value of one call: its row time and value (nil for null).
type point struct {
	time int64
	val  any
	// For selectors whose other values a statement reads: the index of the
	// selected point's series in the aggregate result (-1 for none, as for
	// filled buckets) and the point's time.
	src int
	sel int64
	// null marks a bucket filled with null (InfluxDB's nil point): a row
	// reads it as missing.
	null bool
}

// callPoints turns the buckets of a call in one group into its points:
// times set as InfluxDB sets them, empty buckets filled, then OFFSET and
// LIMIT applied (unless limit is false). first, when not MinTime, is the
// time of the group's first value of the call's field in the whole range,
// known although the range was narrowed (see boundByLimit). rng is the
// range the call read, which fill covers.
func (p *selectPlan) callPoints(c *callPlan, in model.FieldType, buckets []query.Bucket, first int64, rng query.TimeRange, limit bool) []point {
	pts := make([]point, 0, len(buckets))
	var integrals []float64
	var emitted []bool
	if c.fn == aggregate.Integral && !p.interval.IsZero() {
		integrals, emitted = integralWindows(buckets, p.interval)
	}
	for i, b := range buckets {
		t := b.Start
		if p.interval.IsZero() {
			t = p.tr.Min
			if st, ok := b.State.(*aggregate.IntegralState); ok {
				var emit bool
				if t, emit = integralTime(st, p.tr.Min); !emit {
					continue
				}
			}
		}
		if t == query.MinTime {
			t = 0
		}
		switch {
		case c.countDistinct:
			pts = append(pts, point{time: t, val: int64(b.State.(*aggregate.DistinctState).Len()), src: -1})
		case c.fn == aggregate.Distinct:
			for _, v := range b.State.(*aggregate.DistinctState).Values() {
				pts = append(pts, point{time: t, val: v.Interface(), src: -1})
			}
		case integrals != nil:
			if emitted[i] {
				pts = append(pts, point{time: t, val: integrals[i], src: -1})
			}
		default:
			v, ok := b.State.Result()
			if !ok && c.fn == aggregate.Percentile {
				continue // out of range: no point at all
			}
			pt := point{val: nil, src: -1}
			if sel, isSel := b.State.(aggregate.Selector); isSel && (p.selector || p.auxSelector) {
				if ts, _, ok := sel.Selected(); ok {
					if p.selector {
						t = ts
					}
					pt.src, pt.sel = b.Series, ts
				}
			}
			if ok {
				pt.val = v.Interface()
			}
			pt.time = t
			pts = append(pts, pt)
		}
	}
	if !p.ascending {
		slices.Reverse(pts)
	}
	// InfluxDB 1.6 fills no buckets of integral: it emits its windows
	// itself.
	if !p.interval.IsZero() && c.fn != aggregate.Integral && (len(pts) > 0 || first != query.MinTime) {
		out := c.fn.ResultType(in)
		if c.countDistinct {
			out = model.TypeInteger
		}
		pts = p.fillPoints(c, out, pts, first, rng, limit)
	}
	if !limit {
		return pts
	}
	return limitPoints(pts, p.offset, p.limit)
}

// join merges the points of the calls into rows by time, in output order.
// Each row takes at most one point of each call; where a call has none
// (or a null-filled one) the row gets InfluxDB's default (see
// rowDefaults). Rows are [time, column values...]. types holds each call's
// result type; aux gives the value of a tag or field at a selector's point
// and its type, for statements that read them.
func (p *selectPlan) join(pts [][]point, types []model.FieldType, aux func(pt *point, r auxRef) (any, model.FieldType)) [][]any {
	pos := make([]int, len(pts))
	n := 0 // rows are at least as many as the points of any call
	for _, ps := range pts {
		n = max(n, len(ps))
	}
	rows := make([][]any, 0, n)
	width := 1 + len(p.cols)
	cells := make([]any, 0, n*width) // the rows' values, carved row by row
	vals := make([]any, len(pts))
	at := make([]*point, len(pts))
	refs := p.auxRefs()
	defaults := newRowDefaults(p, len(pts)+len(refs))
	refVals := make([]any, len(refs))
	for {
		t, found := int64(0), false
		for i, ps := range pts {
			if pos[i] == len(ps) {
				continue
			}
			pt := ps[pos[i]].time
			if !found || p.ascending && pt < t || !p.ascending && pt > t {
				t, found = pt, true
			}
		}
		if !found {
			return rows
		}
		for i, ps := range pts {
			at[i] = nil
			if pos[i] < len(ps) && ps[pos[i]].time == t {
				at[i] = &ps[pos[i]]
				pos[i]++
			}
			has := at[i] != nil && !at[i].null
			var v any
			if has {
				v = at[i].val
			}
			vals[i] = defaults.get(i, v, has, types[i])
		}
		for r, ref := range refs {
			v, typ := aux(at[0], ref)
			refVals[r] = defaults.get(len(pts)+r, v, v != nil, typ)
		}
		if cap(cells)-len(cells) < width {
			cells = make([]any, 0, max(n, 16)*width)
		}
		row := cells[len(cells) : len(cells)+width : len(cells)+width]
		cells = cells[:len(cells)+width]
		row[0] = t
		for k, c := range p.cols {
			switch {
			case c.expr != nil:
				m := symbols(vals)
				for _, r := range c.refs {
					m[r.name] = refVals[slices.Index(refs, r)]
				}
				row[1+k] = evalArithmetic(c.expr, m)
			case c.call < 0:
				row[1+k] = refVals[slices.Index(refs, auxRef{name: c.ref, isTag: c.isTag})]
			default:
				row[1+k] = vals[c.call]
			}
		}
		rows = append(rows, row)
	}
}

// symbols maps the symbols of calls to their values in one row.
func symbols(vals []any) map[string]any {
	m := make(map[string]any, len(vals))
	for i, v := range vals {
		m[callSymbol(i)] = v
	}
	return m
}

// rawRows reads the points of one measurement for a SELECT without calls
// and passes the series to fn in output order.
func (p *selectPlan) rawRows(x *execution, s *source, cond query.Expr, fn func(*Row) error) error {
	fields := s.fieldSet()
	var names []string // fields read, in the order of RawSeries values
	for _, r := range p.auxRefs() {
		if _, ok := fields[r.name]; ok && !r.isTag && !slices.Contains(names, r.name) {
			names = append(names, r.name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	limit := p.limit
	if p.offset > 0 && limit == 0 {
		// InfluxDB 1.6's storage engine passes offset+limit+1 points of a
		// group and the query skips the offset: OFFSET without LIMIT
		// leaves one row per group.
		limit = 1
	}
	perSeries, alone := 0, 0
	if limit > 0 {
		// One point more than a series can contribute keeps it in the
		// merge as long as InfluxDB's merge keeps it, for the same order
		// of equal times. A series alone in its group has no equal times
		// to order: it needs only what the group keeps.
		perSeries = p.offset + limit + 1
		alone = p.offset + limit
	}
	q := &query.RawQuery{
		Database:        s.db,
		RetentionPolicy: s.rp,
		Measurement:     s.name,
		Range:           p.tr,
		Condition:       cond,
		GroupBy:         p.dims,
		Fields:          names,
		Descending:      !p.ascending,
		Limit:           perSeries,
		AloneLimit:      alone,
		SOffset:         p.soffset,
		SLimit:          p.slimit,
	}
	res, err := x.e.engine.Raw(x.ctx, x.snap, q)
	if err != nil {
		return err
	}
	groups := res.Groups
	if !p.ascending {
		slices.Reverse(groups)
	}
	for i := range groups {
		m := newRawMerge(p, names, fields)
		vals := m.merge(groups[i].Series, p.offset, limit)
		if len(vals) == 0 {
			continue
		}
		r := p.newRow(s.name, groups[i].Tags)
		r.Values = vals
		if err := fn(r); err != nil {
			return err
		}
		groups[i].Series = nil // the points are in the row now
	}
	return nil
}

// auxRefs returns the tags and fields the columns of a raw query read,
// sorted by name: the order in which InfluxDB breaks ties between points of
// equal time from different series.
func (p *selectPlan) auxRefs() []auxRef {
	var refs []auxRef
	for _, c := range p.cols {
		if c.expr == nil {
			refs = append(refs, auxRef{name: c.ref, isTag: c.isTag})
		}
		refs = append(refs, c.refs...)
	}
	slices.SortStableFunc(refs, func(a, b auxRef) int { return strings.Compare(a.name, b.name) })
	return slices.Compact(refs)
}
