package query

import (
	"fmt"

	"github.com/accretedb/accrete/model"
)

// TransformFunc is one of InfluxQL's transformations: a function of the
// sequence of a group's points (raw values, or the buckets of an
// aggregate) that gives at most one point per point in.
type TransformFunc uint8

// The transformations.
const (
	Derivative            TransformFunc = iota + 1 // rate of change per unit; float result
	NonNegativeDerivative                          // Derivative without negative rates
	Difference                                     // change from the previous point; keeps the type
	NonNegativeDifference                          // Difference without negative changes
	MovingAverage                                  // mean of the last N points; float result
	CumulativeSum                                  // running sum; keeps the type
	Elapsed                                        // time since the previous point in units; integer result
)

var transformNames = [...]string{
	Derivative:            "derivative",
	NonNegativeDerivative: "non_negative_derivative",
	Difference:            "difference",
	NonNegativeDifference: "non_negative_difference",
	MovingAverage:         "moving_average",
	CumulativeSum:         "cumulative_sum",
	Elapsed:               "elapsed",
}

// ParseTransform returns the transformation of an InfluxQL function name
// (lower case), and false when name is none.
func ParseTransform(name string) (TransformFunc, bool) {
	for f := Derivative; f <= Elapsed; f++ {
		if transformNames[f] == name {
			return f, true
		}
	}
	return 0, false
}

// String returns the InfluxQL name.
func (f TransformFunc) String() string {
	if f >= Derivative && f <= Elapsed {
		return transformNames[f]
	}
	return fmt.Sprintf("TransformFunc(%d)", uint8(f))
}

// Accepts reports whether f takes values of type t: Elapsed takes every
// type, the others numbers only.
func (f TransformFunc) Accepts(t model.FieldType) bool {
	if f == Elapsed {
		return t >= model.TypeFloat && t <= model.TypeBoolean
	}
	return t.Numeric()
}

// ResultType returns the type of f's points over values of type in, as
// InfluxDB 1.6 types them: derivatives and moving averages are floats,
// elapsed times integers; differences and cumulative sums keep the type.
func (f TransformFunc) ResultType(in model.FieldType) model.FieldType {
	switch {
	case !f.Accepts(in):
		return model.TypeInvalid
	case f == Derivative || f == NonNegativeDerivative || f == MovingAverage:
		return model.TypeFloat
	case f == Elapsed:
		return model.TypeInteger
	}
	return in
}

// Transform is a transformation with its parameters.
type Transform struct {
	Func TransformFunc
	// Unit is the unit of time of Derivative and Elapsed, in nanoseconds;
	// it must be positive for them.
	Unit int64
	// N is the window of MovingAverage, at least 2.
	N int
	// Descending says that points come newest first. Derivatives then
	// divide by the time back to the previous (later) point, as InfluxDB
	// does; Elapsed gives negative times.
	Descending bool
}

// Lookback returns how many GROUP BY intervals before the time range (after
// it, descending) InfluxDB 1.6 reads for the transformation of an
// aggregate: one, so that the first bucket in the range has a derivative,
// difference or elapsed time, and none for cumulative sums. Moving
// averages read one too (InfluxDB 1.6 widens their range by N-1 intervals
// only after it has built their input), so that a window of N needs N-1
// buckets in the range.
func (t Transform) Lookback() int64 {
	if t.Func == CumulativeSum {
		return 0
	}
	return 1
}

// Transformer computes a [Transform] over one group's points, fed in
// order with Push. It keeps O(N) state. It is not safe for concurrent use.
type Transformer struct {
	t    Transform
	has  int // points kept in prev and curr: 0, 1 or 2 (prev read)
	prev tpoint
	curr tpoint
	// MovingAverage: the window's values in a ring, and their sum.
	ring []model.FieldValue
	pos  int
	sum  model.FieldValue
}

type tpoint struct {
	ts int64
	v  model.FieldValue
}

// NewTransformer returns a Transformer of t.
func NewTransformer(t Transform) *Transformer {
	tr := &Transformer{t: t}
	if t.Func == MovingAverage {
		if t.N < 2 {
			panic("BUG: moving average window below 2")
		}
		tr.ring = make([]model.FieldValue, 0, t.N)
	}
	if (t.Func == Derivative || t.Func == NonNegativeDerivative || t.Func == Elapsed) && t.Unit <= 0 {
		panic("BUG: transformation unit must be positive")
	}
	return tr
}

// Push adds the point (ts, v) and returns the point it gives, if any. v
// must be of a type the transformation accepts and of the same type for
// every point.
func (tr *Transformer) Push(ts int64, v model.FieldValue) (int64, model.FieldValue, bool) {
	switch tr.t.Func {
	case Derivative, NonNegativeDerivative, Difference, NonNegativeDifference:
		return tr.delta(ts, v)
	case Elapsed:
		tr.prev, tr.curr = tr.curr, tpoint{ts, v}
		if tr.has == 0 {
			tr.has = 1
			return 0, model.FieldValue{}, false
		}
		return ts, model.Int((tr.curr.ts - tr.prev.ts) / tr.t.Unit), true
	case CumulativeSum:
		if tr.has == 0 {
			tr.sum, tr.has = v, 1
		} else {
			tr.sum = addValues(tr.sum, v)
		}
		return ts, tr.sum, true
	case MovingAverage:
		return tr.movingAverage(ts, v)
	}
	panic(fmt.Sprintf("BUG: Push on %s", tr.t.Func))
}

// delta computes derivatives and differences as InfluxDB 1.6's reducers
// do: a point at the time of the current one is skipped; each new point
// gives the change from the one before, the first none.
func (tr *Transformer) delta(ts int64, v model.FieldValue) (int64, model.FieldValue, bool) {
	if tr.has > 0 && tr.curr.ts == ts {
		return 0, model.FieldValue{}, false
	}
	tr.prev, tr.curr = tr.curr, tpoint{ts, v}
	if tr.has == 0 {
		tr.has = 1
		return 0, model.FieldValue{}, false
	}
	diff, negative := subValues(tr.curr.v, tr.prev.v)
	nonNegative := tr.t.Func == NonNegativeDerivative || tr.t.Func == NonNegativeDifference
	if nonNegative && negative {
		return 0, model.FieldValue{}, false
	}
	if tr.t.Func == Difference || tr.t.Func == NonNegativeDifference {
		return ts, diff, true
	}
	elapsed := tr.curr.ts - tr.prev.ts
	if tr.t.Descending {
		elapsed = -elapsed
	}
	d, _ := diff.Number()
	if diff.Type() == model.TypeUnsigned && negative {
		// The unsigned difference wrapped; its magnitude is prev - curr.
		d = -float64(tr.prev.v.UintV() - tr.curr.v.UintV())
	}
	return ts, model.Float(d / (float64(elapsed) / float64(tr.t.Unit))), true
}

func (tr *Transformer) movingAverage(ts int64, v model.FieldValue) (int64, model.FieldValue, bool) {
	n := tr.t.N
	if len(tr.ring) < n {
		tr.ring = append(tr.ring, v)
		if len(tr.ring) == 1 {
			tr.sum = v
		} else {
			tr.sum = addValues(tr.sum, v)
		}
	} else {
		// A running sum, as InfluxDB keeps it: integers wrap around and
		// floats carry the rounding of every step.
		out := tr.ring[tr.pos]
		tr.ring[tr.pos] = v
		d, _ := subValues(tr.sum, out)
		tr.sum = addValues(d, v)
	}
	tr.pos = (tr.pos + 1) % n
	if len(tr.ring) < n {
		return 0, model.FieldValue{}, false
	}
	s, _ := tr.sum.Number()
	if tr.sum.Type() == model.TypeInteger {
		s = float64(tr.sum.IntV())
	}
	return ts, model.Float(s / float64(n)), true
}

// addValues returns a+b of one numeric type, integers wrapping around.
func addValues(a, b model.FieldValue) model.FieldValue {
	switch a.Type() {
	case model.TypeFloat:
		return model.Float(a.FloatV() + b.FloatV())
	case model.TypeInteger:
		return model.Int(a.IntV() + b.IntV())
	case model.TypeUnsigned:
		return model.Uint(a.UintV() + b.UintV())
	}
	panic(fmt.Sprintf("BUG: sum of %s values", a.Type()))
}

// subValues returns a-b of one numeric type, integers wrapping around, and
// whether the change is negative: the difference for floats and integers
// (after wrapping, as InfluxDB tests it), b > a for unsigned.
func subValues(a, b model.FieldValue) (model.FieldValue, bool) {
	switch a.Type() {
	case model.TypeFloat:
		d := a.FloatV() - b.FloatV()
		return model.Float(d), d < 0
	case model.TypeInteger:
		d := a.IntV() - b.IntV()
		return model.Int(d), d < 0
	case model.TypeUnsigned:
		return model.Uint(a.UintV() - b.UintV()), b.UintV() > a.UintV()
	}
	panic(fmt.Sprintf("BUG: difference of %s values", a.Type()))
}
