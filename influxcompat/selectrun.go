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
	q := &query.AggregateQuery{
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
	q.Range.Min = max(q.Range.Min, p.readMin)
	fields := s.fieldSet()
	live := make([]int, 0, len(p.calls)) // calls on fields the measurement has
	for i, c := range p.calls {
		t, ok := fields[c.field]
		if !ok {
			continue
		}
		if !c.fn.Accepts(t) {
			// InfluxDB's words: the iterator it could not build.
			return fmt.Errorf("unsupported %s iterator type: *query.%sInterruptIterator", c.expr.Name, t)
		}
		live = append(live, i)
		q.Calls = append(q.Calls, query.Call{Func: c.fn, Field: c.field, Percentile: c.percentile})
	}
	if len(live) == 0 {
		return nil
	}
	firsts, err := p.boundByLimit(x, q, cond)
	if err != nil {
		return err
	}
	res, err := x.e.engine.Aggregate(x.ctx, x.snap, q)
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
		c := p.calls[ci]
		types[ci] = c.fn.ResultType(fields[c.field])
		if c.countDistinct {
			types[ci] = model.TypeInteger
		}
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
			pts[ci] = p.callPoints(c, fields[c.field], g.Calls[j], first)
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

// boundByLimit narrows the range of q to the buckets LIMIT and OFFSET can
// reach when filling makes every bucket a row: the first offset+limit
// buckets from the start of the range, or newest first from its end, and
// without a lower bound from each group's first point. Whether a group
// has data at all, and where its first point is, still depends on the
// whole range: a cheap first read of each series finds that out, and
// firsts returns it per group (in q's order) and call (MaxTime: no data).
// Linear fill interpolates towards points beyond the reachable buckets and
// field conditions hide where the first point is: with them, and without a
// LIMIT, the range stays as it is and firsts is nil.
func (p *selectPlan) boundByLimit(x *execution, q *query.AggregateQuery, cond query.Expr) (firsts [][]int64, err error) {
	if p.interval.IsZero() || p.limit <= 0 || p.fill == influxql.NoFill || p.fill == influxql.LinearFill ||
		q.Range.Empty() || cond != nil && query.HasFieldRefs(cond) {
		return nil, nil
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
// LIMIT applied. first, when not MinTime, is the time of the group's first
// value of the call's field in the whole range, known although the range
// was narrowed (see boundByLimit).
func (p *selectPlan) callPoints(c *callPlan, in model.FieldType, buckets []query.Bucket, first int64) []point {
	pts := make([]point, 0, len(buckets))
	for _, b := range buckets {
		t := b.Start
		if p.interval.IsZero() {
			t = p.tr.Min
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
	if !p.interval.IsZero() && (len(pts) > 0 || first != query.MinTime) {
		out := c.fn.ResultType(in)
		if c.countDistinct {
			out = model.TypeInteger
		}
		pts = p.fillPoints(c, out, pts, first)
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
