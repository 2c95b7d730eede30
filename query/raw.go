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
	rd := &rawReader{q: q, snap: snap, fields: resolveFields(names, fields), nOut: len(q.Fields)}
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
	}

	res := &RawResult{Groups: make([]RawGroup, len(plan.tags))}
	for g := range res.Groups {
		res.Groups[g].Tags = plan.tags[g]
	}
	err = ordered(ctx, len(plan.series), e.workers,
		func(i int) (RawSeries, error) { return rd.run(ctx, plan.series[i]) },
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

// rawReader reads the points of one series of a raw query. Its fields are
// set before the workers start and only read afterwards.
type rawReader struct {
	q       *RawQuery
	snap    Snapshot
	fields  []fieldRef     // returned fields, then condition-only fields
	nOut    int            // number of returned fields
	outSlot []int          // slot of each returned field
	slots   map[string]int // field name → slot
	match   matcher        // nil without condition
}

func (rd *rawReader) run(ctx context.Context, s storage.Series) (RawSeries, error) {
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
	al := newAligner(rd.snap, rd.fields)
	defer al.close()
	if err := al.seek(rd.q.Database, rd.q.RetentionPolicy, s.ID, rd.q.Range.Min, rd.q.Range.Max); err != nil {
		return out, err
	}
	r := row{tags: s.Tags, values: make([]model.FieldValue, len(rd.fields)), slots: rd.slots}
	limit := rd.q.Limit
	// Newest-first with a limit keeps a ring of the last limit points.
	ring := rd.q.Descending && limit > 0
	head := 0 // ring: index of the oldest point
	for n := 0; ; n++ {
		ok, err := al.next()
		if err != nil {
			return out, err
		}
		if !ok {
			break
		}
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return out, err
			}
		}
		// A point exists where a returned field has a value.
		has := false
		for k := 0; k < rd.nOut; k++ {
			if al.at[rd.outSlot[k]] {
				has = true
				break
			}
		}
		if !has {
			continue
		}
		if match != nil {
			for k := range r.values {
				r.values[k] = al.value(k)
			}
			if !match(&r) {
				continue
			}
		}
		if ring && len(out.Times) == limit {
			// Overwrite the oldest point.
			out.Times[head] = al.time
			for k := 0; k < rd.nOut; k++ {
				out.Values[head*rd.nOut+k] = al.value(rd.outSlot[k])
			}
			head = (head + 1) % limit
			continue
		}
		out.Times = append(out.Times, al.time)
		for k := 0; k < rd.nOut; k++ {
			out.Values = append(out.Values, al.value(rd.outSlot[k]))
		}
		if !rd.q.Descending && limit > 0 && len(out.Times) == limit {
			break
		}
	}
	if rd.q.Descending {
		if head > 0 {
			rotate(out.Times, head)
			rotate(out.Values, head*rd.nOut)
		}
		reverseRows(out.Times, out.Values, rd.nOut)
	}
	return out, nil
}

// rotate moves the first n elements of s to its end.
func rotate[T any](s []T, n int) {
	slices.Reverse(s[:n])
	slices.Reverse(s[n:])
	slices.Reverse(s)
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
