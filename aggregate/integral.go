package aggregate

import (
	"encoding/binary"
	"slices"

	"github.com/accretedb/accrete/model"
)

// DefaultIntegralUnit is the unit of an integral made by New: one second,
// in nanoseconds, InfluxQL's default for integral().
const DefaultIntegralUnit = int64(1e9)

// IntegralState computes the area under the points of numbers by the
// trapezoidal rule, in value × unit, as InfluxDB 1.x's integral() does over
// one window: the points ordered by time, each pair of neighbours adding
// (a+b)/2 × (tb-ta)/unit. Of points with equal timestamps InfluxDB ends
// the trapezoid before them with the first its merge delivers and starts
// the one after with the last; here, so that results do not depend on how
// partials were split, they come by value: the least ends, the greatest
// starts. The result is a float, 0 for a single point. The state
// keeps every point, so it is meant for queries ([Func.Mergeable] is
// false); Merge is exact. With GROUP BY time InfluxDB also interpolates
// across window boundaries, which needs the neighbouring windows: callers
// walk the points with [IntegralState.Walk] for that.
type IntegralState struct {
	typ  model.FieldType
	unit int64
	pts  pointList // sorted by cmpTimeKey
}

// NewIntegral returns an empty integral of values of numeric type in, in
// units of unit nanoseconds (which must be positive).
func NewIntegral(unit int64, in model.FieldType) *IntegralState {
	mustAccept(Integral, in)
	if unit <= 0 {
		panic("BUG: integral unit must be positive")
	}
	return &IntegralState{typ: in, unit: unit}
}

// Func returns Integral.
func (s *IntegralState) Func() Func { return Integral }

// InputType returns the type of the values.
func (s *IntegralState) InputType() model.FieldType { return s.typ }

// Unit returns the unit of time of the result, in nanoseconds.
func (s *IntegralState) Unit() int64 { return s.unit }

// Add adds v at ts.
func (s *IntegralState) Add(ts int64, v model.FieldValue) {
	checkType(Integral, s.typ, v)
	s.pts.add(ts, orderKey(s.typ, v.Bits()))
}

// AddFloat adds f at ts to an integral of floats.
func (s *IntegralState) AddFloat(ts int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Integral, s.typ)
	}
	s.pts.add(ts, floatKey(f))
}

// Merge adds other's points after the receiver's. other must have the same
// unit.
func (s *IntegralState) Merge(other State) {
	o := mergeArg(s, other)
	if o.unit != s.unit {
		panic("BUG: cannot merge integral states of different units")
	}
	s.pts.merge(&o.pts)
}

// Count returns the number of points.
func (s *IntegralState) Count() int { return len(s.pts.pts) }

// Walk calls fn with every point in time order, values as floats; points
// of equal timestamps come by ascending value. It sorts the points kept.
func (s *IntegralState) Walk(fn func(ts int64, v float64)) {
	s.pts.sort(cmpTimeKey)
	for _, p := range s.pts.pts {
		fn(p.ts, val{key: p.key}.number(s.typ))
	}
}

// Result returns the integral, and false over no points. It sorts the
// points kept.
func (s *IntegralState) Result() (model.FieldValue, bool) {
	if len(s.pts.pts) == 0 {
		return model.FieldValue{}, false
	}
	var sum float64
	first := true
	var pt int64
	var pv float64
	s.Walk(func(ts int64, v float64) {
		if !first && ts != pt {
			sum += 0.5 * (v + pv) * (float64(ts-pt) / float64(s.unit))
		}
		first, pt, pv = false, ts, v
	})
	return model.Float(sum), true
}

// AppendBinary appends the encoding: the header, the unit as a uvarint,
// the number of points as a uvarint, and each point's timestamp as a
// zig-zag varint followed by its value, in time order. It sorts the points
// kept.
func (s *IntegralState) AppendBinary(dst []byte) ([]byte, error) {
	s.pts.sort(cmpTimeKey)
	dst = appendHeader(dst, Integral, s.typ, formPartial)
	dst = binary.AppendUvarint(dst, uint64(s.unit))
	return s.pts.appendBinary(dst, s.typ), nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary, unit included.
func (s *IntegralState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Integral, s.typ, formPartial)
	unit := d.uvarint()
	if d.err == nil && (unit == 0 || unit > 1<<63-1) {
		d.fail("unit %d out of range", unit)
	}
	pts := decodePoints(&d, s.typ)
	if d.err == nil && !slices.IsSortedFunc(pts, cmpTimeKey) {
		d.fail("points out of time order")
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.unit, s.pts = int64(unit), pointList{pts: pts, sorted: true}
	return nil
}

// Reset empties the state, keeping its unit and buffer.
func (s *IntegralState) Reset() { s.pts.reset() }

// cmpTimeKey orders points by timestamp, then by value.
func cmpTimeKey(a, b point) int {
	switch {
	case a.ts < b.ts:
		return -1
	case a.ts > b.ts:
		return 1
	case a.key < b.key:
		return -1
	case a.key > b.key:
		return 1
	}
	return 0
}
