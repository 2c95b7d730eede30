package query

import (
	"context"
	"slices"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// RawQuery asks for the points of the series of one measurement: the values
// of some fields at every time at which at least one of them has a value.
type RawQuery struct {
	Database        string
	RetentionPolicy string // "" is the database's default
	Measurement     string
	Range           TimeRange
	// Condition selects points as in [AggregateQuery]; fields it names need
	// not be among Fields.
	Condition Expr
	// GroupBy lists the tag keys whose values make the groups.
	GroupBy []string
	// Fields lists the fields returned, in the order of RawSeries.Values.
	Fields []string
	// Descending returns each series' points newest first.
	Descending bool
	// Limit, when positive, keeps only the first Limit points of each
	// series in the query's time order.
	Limit int
	// AloneLimit, when positive, replaces Limit for a series that is the
	// only one of its group (a caller that merges the series of a group
	// may need more points of each than the group keeps, but not of a
	// series merged with none).
	AloneLimit int
	// SOffset and SLimit page through the groups as in [AggregateQuery].
	SOffset, SLimit int
}

// RawResult holds the groups of a [RawQuery] in ascending order of their
// tag values.
type RawResult struct {
	Groups []RawGroup
}

// RawGroup is the points of the series of one group.
type RawGroup struct {
	// Tags holds the group's value of each GroupBy key, in GroupBy order.
	Tags []string
	// Series holds the group's series that have points, in key order.
	Series []RawSeries
}

// RawSeries is the points of one series, in the query's time order.
type RawSeries struct {
	Key  string
	Tags model.Tags
	// Times holds the time of each point.
	Times []int64
	// Values holds the points row by row: point i's value of Fields[k] is
	// Values[i*len(Fields)+k], invalid (null) where the field has none.
	Values []model.FieldValue
}

// Len returns the number of points.
func (s *RawSeries) Len() int { return len(s.Times) }

// Raw runs q on snap.
func (e *Engine) Raw(ctx context.Context, snap Snapshot, q *RawQuery) (*RawResult, error) {
	if q.Range.Empty() || len(q.Fields) == 0 {
		return &RawResult{}, nil
	}
	fields, err := snap.Fields(q.Database, q.RetentionPolicy, q.Measurement)
	if err != nil {
		return nil, err
	}
	out := resolveFields(q.Fields, fields)
	if !slices.ContainsFunc(out, func(f fieldRef) bool { return f.exists }) {
		return &RawResult{}, nil
	}
	plan, err := planSeries(snap, q.Database, q.RetentionPolicy, q.Measurement, q.Condition, q.GroupBy, q.SOffset, q.SLimit)
	if err != nil {
		return nil, err
	}
	// Read the returned fields first, then those only the condition needs.
	names := slices.Clone(q.Fields)
	if q.Condition != nil {
		names = append(names, FieldRefs(q.Condition)...)
	}
	names = dedupe(names)
	rd := &rawReader{q: q, snap: snap, fields: resolveFields(names, fields), nOut: len(q.Fields), scratch: make([]*rawScratch, e.workers)}
	defer rd.close()
	if q.Descending && q.Limit > 0 {
		if rd.parts, err = snap.Partitions(q.Database, q.RetentionPolicy); err != nil {
			return nil, err
		}
	}
	rd.outSlot = make([]int, len(q.Fields))
	rd.slots = make(map[string]int, len(names))
	for k, f := range rd.fields {
		rd.slots[f.name] = k
	}
	for k, f := range q.Fields {
		rd.outSlot[k] = rd.slots[f]
	}
	if q.Condition != nil {
		rd.match = compileMatcher(q.Condition, rd.slots)
		for _, f := range FieldRefs(q.Condition) {
			rd.condSlots = append(rd.condSlots, rd.slots[f])
		}
	}

	res := &RawResult{Groups: make([]RawGroup, len(plan.tags))}
	for g := range res.Groups {
		res.Groups[g].Tags = plan.tags[g]
	}
	var groupSize []int
	if q.AloneLimit > 0 && q.Limit > 0 {
		groupSize = make([]int, len(plan.tags))
		for _, g := range plan.group {
			groupSize[g]++
		}
	}
	err = ordered(ctx, len(plan.series), e.workers,
		func(w, i int) (RawSeries, error) {
			limit := q.Limit
			if groupSize != nil && groupSize[plan.group[i]] == 1 {
				limit = q.AloneLimit
			}
			return rd.run(ctx, w, plan.series[i], limit)
		},
		func(i int, s RawSeries) error {
			if s.Len() > 0 {
				g := &res.Groups[plan.group[i]]
				g.Series = append(g.Series, s)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	// Drop groups without points.
	kept := res.Groups[:0]
	for _, g := range res.Groups {
		if len(g.Series) > 0 {
			kept = append(kept, g)
		}
	}
	res.Groups = kept
	return res, nil
}

// rawReader reads the points of one series of a raw query. Its fields but
// scratch are set before the workers start and only read afterwards.
type rawReader struct {
	q         *RawQuery
	snap      Snapshot
	fields    []fieldRef     // returned fields, then condition-only fields
	nOut      int            // number of returned fields
	outSlot   []int          // slot of each returned field
	slots     map[string]int // field name → slot
	condSlots []int          // slots the condition reads
	match     matcher        // nil without condition
	parts     []storage.PartitionInfo

	// scratch holds each worker's aligner and row; only worker w touches
	// scratch[w].
	scratch []*rawScratch
}

type rawScratch struct {
	al *aligner
	r  row
	// newestPoint's per-field newest values
	lastT  []int64
	lastV  []model.FieldValue
	lastOK []bool
}

func (rd *rawReader) scratchOf(w int) *rawScratch {
	if rd.scratch[w] == nil {
		rd.scratch[w] = &rawScratch{
			al: newAligner(rd.snap, rd.fields),
			r:  row{values: make([]model.FieldValue, len(rd.fields)), slots: rd.slots},
		}
	}
	return rd.scratch[w]
}

func (rd *rawReader) close() {
	for _, sc := range rd.scratch {
		if sc != nil {
			sc.al.close()
		}
	}
}

// run reads the points of one series, at most limit (0: all).
func (rd *rawReader) run(ctx context.Context, w int, s storage.Series, limit int) (RawSeries, error) {
	out := RawSeries{Key: s.Key, Tags: s.Tags}
	var match matcher
	if rd.q.Condition != nil {
		switch evalTags(rd.q.Condition, s.Tags) {
		case triFalse:
			return out, nil
		case triUnknown:
			match = rd.match
		}
	}
	sc := rd.scratchOf(w)
	sc.r.tags = s.Tags
	if rd.q.Descending && limit == 1 && match == nil {
		err := rd.newestPoint(sc, s, &out)
		return out, err
	}
	if rd.q.Descending && limit > 0 {
		err := rd.lastPoints(ctx, sc, s, match, limit, &out)
		return out, err
	}
	if err := rd.scan(ctx, sc, s, match, rd.q.Range, limit, &out); err != nil {
		return out, err
	}
	if rd.q.Descending {
		reverseRows(out.Times, out.Values, rd.nOut)
	}
	return out, nil
}

// scan appends the points of s in r to out in ascending time, stopping
// after limit points (0: all).
func (rd *rawReader) scan(ctx context.Context, sc *rawScratch, s storage.Series, match matcher, r TimeRange, limit int, out *RawSeries) error {
	al := sc.al
	if err := al.seek(rd.q.Database, rd.q.RetentionPolicy, s.ID, r.Min, r.Max); err != nil {
		return err
	}
	n := 0
	for {
		ok, err := al.next()
		if err != nil || !ok {
			return err
		}
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// A point exists where a returned field has a value.
		has := false
		for _, k := range rd.outSlot {
			if al.at[k] {
				has = true
				break
			}
		}
		if !has {
			continue
		}
		if match != nil {
			for _, k := range rd.condSlots {
				sc.r.values[k] = al.value(k)
			}
			if !match(&sc.r) {
				continue
			}
		}
		out.Times = append(out.Times, al.time)
		for _, k := range rd.outSlot {
			out.Values = append(out.Values, al.value(k))
		}
		if limit > 0 && len(out.Times) == limit {
			return nil
		}
	}
}

// newestPoint sets out to the newest point of s: the newest time at which
// one of the returned fields has a value, with each field's value there.
// Without a condition on fields that time is the newest of the fields'
// newest values, which the cursors find reading backwards (from chunk
// headers, mostly), whatever the length of the series.
func (rd *rawReader) newestPoint(sc *rawScratch, s storage.Series, out *RawSeries) error {
	if cap(sc.lastT) < len(rd.outSlot) {
		sc.lastT = make([]int64, len(rd.outSlot))
		sc.lastV = make([]model.FieldValue, len(rd.outSlot))
		sc.lastOK = make([]bool, len(rd.outSlot))
	}
	ts, vs, oks := sc.lastT[:len(rd.outSlot)], sc.lastV[:len(rd.outSlot)], sc.lastOK[:len(rd.outSlot)]
	var newest int64
	found := false
	for i, k := range rd.outSlot {
		oks[i] = false
		cur := sc.al.curs[k]
		if cur == nil {
			continue
		}
		t, v, ok, err := cur.Last(rd.q.Database, rd.q.RetentionPolicy, s.ID, rd.fields[k].id, rd.q.Range.Min, rd.q.Range.Max)
		if err != nil {
			return err
		}
		ts[i], vs[i], oks[i] = t, v, ok
		if ok && (!found || t > newest) {
			newest, found = t, true
		}
	}
	if !found {
		return nil
	}
	out.Times = append(out.Times, newest)
	for i := range rd.outSlot {
		v := model.FieldValue{}
		if oks[i] && ts[i] == newest {
			v = vs[i]
		}
		out.Values = append(out.Values, v)
	}
	return nil
}

// lastPoints sets out to the newest limit points of s, newest first,
// reading windows of time backwards from the end of the range so that it
// does not read the whole series: within each data partition the window
// starts at a 1024th of the partition and grows fourfold while too few
// points turn up.
func (rd *rawReader) lastPoints(ctx context.Context, sc *rawScratch, s storage.Series, match matcher, limit int, out *RawSeries) error {
	need := limit
	var win RawSeries // scratch for one window
	// No point is newer than the newest value of a returned field: start
	// there rather than at the end of the range or partition.
	hi, found := int64(0), false
	for _, k := range rd.outSlot {
		cur := sc.al.curs[k]
		if cur == nil {
			continue
		}
		t, _, ok, err := cur.Last(rd.q.Database, rd.q.RetentionPolicy, s.ID, rd.fields[k].id, rd.q.Range.Min, rd.q.Range.Max)
		if err != nil {
			return err
		}
		if ok && (!found || t > hi) {
			hi, found = t, true
		}
	}
	if !found {
		return nil
	}
	for pi := len(rd.parts) - 1; pi >= 0 && need > 0; pi-- {
		p := rd.parts[pi]
		if p.Start > hi {
			continue
		}
		if p.Last < rd.q.Range.Min {
			break
		}
		top, bottom := min(hi, p.Last), max(rd.q.Range.Min, p.Start)
		w := max((p.Last-p.Start)/1024, 1000)
		for top >= bottom && need > 0 {
			lo := bottom
			if top-bottom >= w {
				lo = top - w + 1
			}
			win.Times, win.Values = win.Times[:0], win.Values[:0]
			if err := rd.scan(ctx, sc, s, match, TimeRange{Min: lo, Max: top}, 0, &win); err != nil {
				return err
			}
			// The newest points of this window come before every older one.
			for i := win.Len() - 1; i >= 0 && need > 0; i-- {
				out.Times = append(out.Times, win.Times[i])
				out.Values = append(out.Values, win.Values[i*rd.nOut:(i+1)*rd.nOut]...)
				need--
			}
			if lo == bottom {
				break
			}
			top = lo - 1
			if w < (top-bottom)/4 {
				w *= 4
			} else {
				w = top - bottom + 1
			}
		}
		if p.Start == MinTime {
			break
		}
		hi = p.Start - 1
	}
	return nil
}

// reverseRows reverses the order of the rows of times and values (width
// values a row).
func reverseRows(times []int64, values []model.FieldValue, width int) {
	slices.Reverse(times)
	for i, j := 0, len(times)-1; i < j; i, j = i+1, j-1 {
		for k := 0; k < width; k++ {
			values[i*width+k], values[j*width+k] = values[j*width+k], values[i*width+k]
		}
	}
}
