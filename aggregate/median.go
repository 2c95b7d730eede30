package aggregate

import (
	"encoding/binary"
	"slices"

	"github.com/accretedb/accrete/model"
)

// MedianState computes the median of numbers as a float, as InfluxDB 1.x
// does: the middle value, or for an even count the mean of the two middle
// values lo and hi computed as lo + (hi-lo)/2. It keeps every value, so it is
// meant for queries, not for materialized partials ([Func.Mergeable] is
// false); Merge is exact.
type MedianState struct {
	typ    model.FieldType
	keys   []uint64 // order keys of the values
	sorted bool     // keys is sorted
}

// NewMedian returns an empty median of values of numeric type in.
func NewMedian(in model.FieldType) *MedianState {
	mustAccept(Median, in)
	return &MedianState{typ: in}
}

// Func returns Median.
func (s *MedianState) Func() Func { return Median }

// InputType returns the type of the values.
func (s *MedianState) InputType() model.FieldType { return s.typ }

// Add adds v.
func (s *MedianState) Add(_ int64, v model.FieldValue) {
	checkType(Median, s.typ, v)
	s.keys = append(s.keys, orderKey(s.typ, v.Bits()))
	s.sorted = false
}

// AddFloat adds f to a median of floats.
func (s *MedianState) AddFloat(_ int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Median, s.typ)
	}
	s.keys = append(s.keys, floatKey(f))
	s.sorted = false
}

// Merge adds other's values.
func (s *MedianState) Merge(other State) {
	o := mergeArg(s, other)
	s.keys = append(s.keys, o.keys...)
	s.sorted = s.sorted && len(o.keys) == 0
}

// Result returns the median, and false over no values. It sorts the values
// kept.
func (s *MedianState) Result() (model.FieldValue, bool) {
	n := len(s.keys)
	if n == 0 {
		return model.FieldValue{}, false
	}
	s.sort()
	if n%2 == 1 {
		return model.Float(val{key: s.keys[n/2]}.number(s.typ)), true
	}
	lo, hi := s.keys[n/2-1], s.keys[n/2]
	switch s.typ {
	case model.TypeFloat:
		l, h := floatFromKey(lo), floatFromKey(hi)
		return model.Float(l + (h-l)/2), true
	case model.TypeInteger:
		// hi-lo of the order keys is the distance of the integers, which
		// fits a uint64 where it overflows an int64.
		return model.Float(float64(int64(lo^signBit)) + float64(hi-lo)/2), true
	}
	return model.Float(float64(lo) + float64(hi-lo)/2), true
}

func (s *MedianState) sort() {
	if !s.sorted {
		slices.Sort(s.keys)
		s.sorted = true
	}
}

// Count returns the number of values.
func (s *MedianState) Count() int { return len(s.keys) }

// AppendBinary appends the encoding: the header, the number of values as a
// uvarint, and the values in ascending order. It sorts the values kept.
func (s *MedianState) AppendBinary(dst []byte) ([]byte, error) {
	s.sort()
	dst = appendHeader(dst, Median, s.typ, formPartial)
	dst = appendKeys(dst, s.typ, s.keys)
	return dst, nil
}

func appendKeys(dst []byte, t model.FieldType, keys []uint64) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	for _, k := range keys {
		dst = appendValue(dst, t, val{key: k})
	}
	return dst
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *MedianState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Median, s.typ, formPartial)
	n := d.length(minValueSize(s.typ))
	var keys []uint64
	if n > 0 {
		keys = make([]uint64, n)
		for i := range keys {
			keys[i] = d.value().key
		}
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.keys, s.sorted = keys, slices.IsSorted(keys)
	return nil
}

// Reset empties the state, keeping its buffer.
func (s *MedianState) Reset() { s.keys, s.sorted = s.keys[:0], false }
