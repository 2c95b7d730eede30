package aggregate

import (
	"encoding/binary"
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
	typ    model.FieldType
	p      float64
	pts    []point
	sorted bool // pts is sorted
}

// point is a timestamped order key.
type point struct {
	key uint64
	ts  int64
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
	s.pts = append(s.pts, point{key: orderKey(s.typ, v.Bits()), ts: ts})
	s.sorted = false
}

// AddFloat adds f at ts to a percentile of floats.
func (s *PercentileState) AddFloat(ts int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Percentile, s.typ)
	}
	s.pts = append(s.pts, point{key: floatKey(f), ts: ts})
	s.sorted = false
}

// Merge adds other's values. other must select the same percentile.
func (s *PercentileState) Merge(other State) {
	o := mergeArg(s, other)
	if math.Float64bits(o.p) != math.Float64bits(s.p) {
		panic("BUG: cannot merge percentile states of different percentiles")
	}
	s.pts = append(s.pts, o.pts...)
	s.sorted = s.sorted && len(o.pts) == 0
}

// Selected returns the selected value and its timestamp. It sorts the values
// kept.
func (s *PercentileState) Selected() (int64, model.FieldValue, bool) {
	n := len(s.pts)
	rank := math.Floor(float64(n)*s.p/100 + 0.5) // 1-based; NaN for a NaN p
	if !(rank >= 1 && rank <= float64(n)) {
		return 0, model.FieldValue{}, false
	}
	s.sort()
	pt := s.pts[int(rank)-1]
	return pt.ts, model.FromBits(s.typ, bitsFromKey(s.typ, pt.key)), true
}

func (s *PercentileState) sort() {
	if !s.sorted {
		slices.SortFunc(s.pts, cmpPoint)
		s.sorted = true
	}
}

// Result returns the selected value, and false when the rank is out of range.
func (s *PercentileState) Result() (model.FieldValue, bool) {
	_, v, ok := s.Selected()
	return v, ok
}

// Count returns the number of values.
func (s *PercentileState) Count() int { return len(s.pts) }

// AppendBinary appends the encoding: the header, p as an 8-byte float, the
// number of values as a uvarint, and each value's timestamp as a zig-zag
// varint followed by the value, ordered by value and then timestamp. It
// sorts the values kept.
func (s *PercentileState) AppendBinary(dst []byte) ([]byte, error) {
	s.sort()
	dst = appendHeader(dst, Percentile, s.typ, formPartial)
	dst = appendFloat(dst, s.p)
	dst = binary.AppendUvarint(dst, uint64(len(s.pts)))
	for _, pt := range s.pts {
		dst = binary.AppendVarint(dst, pt.ts)
		dst = appendValue(dst, s.typ, val{key: pt.key})
	}
	return dst, nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary, percentile
// included.
func (s *PercentileState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Percentile, s.typ, formPartial)
	p := d.float()
	n := d.length(1 + minValueSize(s.typ))
	var pts []point
	if n > 0 {
		pts = make([]point, n)
		for i := range pts {
			pts[i].ts = d.varint()
			pts[i].key = d.value().key
		}
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.p, s.pts, s.sorted = p, pts, slices.IsSortedFunc(pts, cmpPoint)
	return nil
}

// Reset empties the state, keeping its percentile and buffer.
func (s *PercentileState) Reset() { s.pts, s.sorted = s.pts[:0], false }
