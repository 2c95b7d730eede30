package influxcompat

import (
	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/query"
)

// limitPoints applies OFFSET and LIMIT to the points of one call in one
// group, after filling.
func limitPoints(pts []point, offset, limit int) []point {
	if offset > 0 {
		if offset >= len(pts) {
			return nil
		}
		pts = pts[offset:]
	}
	if limit > 0 && limit < len(pts) {
		pts = pts[:limit]
	}
	return pts
}

// fillPoints inserts the empty buckets of one call in one group, walking
// the buckets in output order as InfluxDB's fill iterator does: from the
// bucket of the range's start (or, without a lower bound, of the first
// point) to the bucket of its end (descending: from the end's bucket to the
// start's, or to the last point without a lower bound). rng is the range
// read; with limit, filling stops where LIMIT cuts.
func (p *selectPlan) fillPoints(c *callPlan, out model.FieldType, pts []point, first int64, rng query.TimeRange, limit bool) []point {
	fill, fillValue := p.fill, p.fillValue
	if fill == influxql.NullFill && c.fn == aggregate.Count && !c.countDistinct {
		fill, fillValue = influxql.NumberFill, int64(0)
	}
	if fill == influxql.NoFill {
		return pts
	}
	iv := p.interval
	d := iv.Duration
	lo, hi := iv.Start(rng.Min), iv.Start(rng.Max)
	if rng.Min == query.MinTime {
		lo = query.MinTime
		if first != query.MinTime {
			lo = iv.Start(first) // the first point's bucket, maybe outside the narrowed range
		}
	}
	start, end := lo, hi
	if !p.ascending {
		start, end = hi, lo
	}
	w := start
	if w == query.MinTime {
		w = iv.Start(pts[0].time)
	}
	filled := make([]point, 0, len(pts))
	var prev *point // the last point read, not filled
	i := 0
	for {
		if limit && p.limit > 0 && len(filled) >= p.offset+p.limit {
			return filled // LIMIT cuts the rest
		}
		if i == len(pts) {
			if p.ascending && w <= end || !p.ascending && w >= end && end != query.MinTime {
				filled = append(filled, p.fillAt(w, fill, fillValue, out, prev, nil))
				w = advance(w, d, p.ascending)
				continue
			}
			return filled
		}
		pt := pts[i]
		if p.ascending && pt.time > w || !p.ascending && pt.time < w {
			filled = append(filled, p.fillAt(w, fill, fillValue, out, prev, &pt))
		} else {
			filled = append(filled, pt)
			prev = &pts[i]
			i++
		}
		w = advance(w, d, p.ascending)
	}
}

func advance(w, d int64, ascending bool) int64 {
	if ascending {
		if w > query.MaxTime-d {
			return query.MaxTime
		}
		return w + d
	}
	if w < query.MinTime+d {
		return query.MinTime
	}
	return w - d
}

// fillAt makes the point of an empty bucket at w. next is the following
// point of the group, if any, for linear interpolation.
func (p *selectPlan) fillAt(w int64, fill influxql.FillOption, fillValue any, out model.FieldType, prev, next *point) point {
	t := w
	if t == query.MinTime {
		t = 0
	}
	switch fill {
	case influxql.NumberFill:
		return point{time: t, val: castFill(fillValue, out), src: -1}
	case influxql.PreviousFill:
		if prev != nil {
			return point{time: t, val: prev.val, src: -1, null: prev.null}
		}
	case influxql.LinearFill:
		if prev != nil && next != nil {
			return point{time: t, val: linear(w, prev, next, p.interval.Duration), src: -1}
		}
	}
	return point{time: t, src: -1, null: true}
}

// castFill converts the number of fill(number) to the call's result type,
// as InfluxDB does (floats are truncated for integer results; string and
// boolean results get their zero value).
func castFill(v any, t model.FieldType) any {
	var f float64
	var i int64
	switch n := v.(type) {
	case int64:
		f, i = float64(n), n
	case float64:
		f, i = n, int64(n)
	case uint64:
		f, i = float64(n), int64(n)
	}
	switch t {
	case model.TypeFloat:
		return f
	case model.TypeInteger:
		return i
	case model.TypeUnsigned:
		if n, ok := v.(float64); ok {
			return uint64(n)
		}
		return uint64(i)
	case model.TypeString:
		return ""
	case model.TypeBoolean:
		return false
	}
	return nil
}

// castDefault converts the number of fill(number) to a column's type as
// InfluxDB does where a row lacks a value (its scanner's default): numbers
// are cast, other types keep the number as it is.
func castDefault(v any, t model.FieldType) any {
	switch t {
	case model.TypeFloat, model.TypeInteger, model.TypeUnsigned:
		return castFill(v, t)
	}
	return v
}

// rowDefaults gives the values InfluxDB puts where a row lacks one: the
// fill number, or with fill(previous) the value the column had in the
// series' previous row, or null.
type rowDefaults struct {
	fill  influxql.FillOption
	value any
	last  []any // fill(previous): per key, the last value set
}

func newRowDefaults(p *selectPlan, keys int) *rowDefaults {
	return &rowDefaults{fill: p.fill, value: p.fillValue, last: make([]any, keys)}
}

// get returns the value of key k: v when has, else the default, which is
// cast to type t.
func (d *rowDefaults) get(k int, v any, has bool, t model.FieldType) any {
	if has {
		d.last[k] = v
		return v
	}
	switch d.fill {
	case influxql.NumberFill:
		v = castDefault(d.value, t)
	case influxql.PreviousFill:
		return d.last[k]
	default:
		v = nil
	}
	d.last[k] = v
	return v
}

// linear interpolates between two points at bucket w the way InfluxDB
// does, on times divided by the interval.
func linear(w int64, prev, next *point, d int64) any {
	x := float64(w/d - prev.time/d)
	span := float64(next.time/d - prev.time/d)
	switch a := prev.val.(type) {
	case float64:
		b, ok := next.val.(float64)
		if !ok {
			return nil
		}
		return (b-a)/span*x + a
	case int64:
		b, ok := next.val.(int64)
		if !ok {
			return nil
		}
		return int64(float64(b-a)/span*x + float64(a))
	case uint64:
		b, ok := next.val.(uint64)
		if !ok {
			return nil
		}
		var m float64
		if b >= a {
			m = float64(b-a) / span
		} else {
			m = -float64(a-b) / span
		}
		return uint64(m*x + float64(a))
	}
	return nil
}
