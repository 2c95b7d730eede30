package aggregate

import (
	"math"
	"slices"

	"github.com/accretedb/accrete/model"
)

// PercentileState selects the p-th percentile of numbers by InfluxDB 1.x's
// nearest-rank rule: of the n values in ascending order it selects the one
// at 0-based index floor(n*p/100 + 0.5) - 1, and has no result when that
// index is out of range (p too small for n values, or above 100). Equal
// values are ordered by timestamp. The result keeps the input type. It keeps
// every value, so it is meant for queries ([Func.Mergeable] is false); Merge
// is exact.
type PercentileState struct {
	typ model.FieldType
	p   float64
	pts pointList // sorted by cmpPoint
}

func cmpPoint(a, b point) int {
	switch {
	case a.key < b.key:
		return -1
	case a.key > b.key:
		return 1
	case a.ts < b.ts:
		return -1
	case a.ts > b.ts:
		return 1
	}
	return 0
}

// NewPercentile returns an empty p-th percentile of values of numeric type
// in. A p that is NaN never has a result.
func NewPercentile(p float64, in model.FieldType) *PercentileState {
	mustAccept(Percentile, in)
	return &PercentileState{typ: in, p: p}
}

// Func returns Percentile.
func (s *PercentileState) Func() Func { return Percentile }

// InputType returns the type of the values.
func (s *PercentileState) InputType() model.FieldType { return s.typ }

// P returns the percentile selected, in the range 0 to 100.
func (s *PercentileState) P() float64 { return s.p }

// Add adds v at ts.
func (s *PercentileState) Add(ts int64, v model.FieldValue) {
	checkType(Percentile, s.typ, v)
	s.pts.add(ts, orderKey(s.typ, v.Bits()))
}

// AddFloat adds f at ts to a percentile of floats.
func (s *PercentileState) AddFloat(ts int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Percentile, s.typ)
	}
	s.pts.add(ts, floatKey(f))
}

// Merge adds other's values. other must select the same percentile.
func (s *PercentileState) Merge(other State) {
	o := mergeArg(s, other)
	if math.Float64bits(o.p) != math.Float64bits(s.p) {
		panic("BUG: cannot merge percentile states of different percentiles")
	}
	s.pts.merge(&o.pts)
}

// Selected returns the selected value and its timestamp. It sorts the values
// kept.
func (s *PercentileState) Selected() (int64, model.FieldValue, bool) {
	n := len(s.pts.pts)
	rank := math.Floor(float64(n)*s.p/100 + 0.5) // 1-based; NaN for a NaN p
	if !(rank >= 1 && rank <= float64(n)) {
		return 0, model.FieldValue{}, false
	}
	s.pts.sort(cmpPoint)
	pt := s.pts.pts[int(rank)-1]
	return pt.ts, model.FromBits(s.typ, bitsFromKey(s.typ, pt.key)), true
}

// Result returns the selected value, and false when the rank is out of range.
func (s *PercentileState) Result() (model.FieldValue, bool) {
	_, v, ok := s.Selected()
	return v, ok
}

// Count returns the number of values.
func (s *PercentileState) Count() int { return len(s.pts.pts) }

// AppendBinary appends the encoding: the header, p as an 8-byte float, the
// number of values as a uvarint, and each value's timestamp as a zig-zag
// varint followed by the value, ordered by value and then timestamp. It
// sorts the values kept.
func (s *PercentileState) AppendBinary(dst []byte) ([]byte, error) {
	s.pts.sort(cmpPoint)
	dst = appendHeader(dst, Percentile, s.typ, formPartial)
	dst = appendFloat(dst, s.p)
	return s.pts.appendBinary(dst, s.typ), nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary, percentile
// included.
func (s *PercentileState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Percentile, s.typ, formPartial)
	p := d.float()
	pts := decodePoints(&d, s.typ)
	if err := d.finish(); err != nil {
		return err
	}
	s.p, s.pts = p, pointList{pts: pts, sorted: slices.IsSortedFunc(pts, cmpPoint)}
	return nil
}

// Reset empties the state, keeping its percentile and buffer.
func (s *PercentileState) Reset() { s.pts.reset() }
