package aggregate

import (
	"encoding/binary"
	"fmt"

	"github.com/accretedb/accrete/model"
)

// MeanState computes the arithmetic mean of numbers as a float. Its partial
// state is the number of values and their compensated sum (so a mean of
// partial means is exact, never a mean of means). Integer inputs are
// converted to float64 first. MeanState is retractable.
type MeanState struct {
	typ model.FieldType
	n   int64
	sum CompensatedSum
}

// NewMean returns an empty mean of values of numeric type in.
func NewMean(in model.FieldType) *MeanState {
	mustAccept(Mean, in)
	return &MeanState{typ: in}
}

// Func returns Mean.
func (s *MeanState) Func() Func { return Mean }

// InputType returns the type of the values averaged.
func (s *MeanState) InputType() model.FieldType { return s.typ }

// Add adds v.
func (s *MeanState) Add(_ int64, v model.FieldValue) {
	checkType(Mean, s.typ, v)
	f, _ := v.Number()
	s.n++
	s.sum.Add(f)
}

// AddFloat adds f to a mean of floats.
func (s *MeanState) AddFloat(_ int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Mean, s.typ)
	}
	s.n++
	s.sum.Add(f)
}

// Remove takes v back. It panics when no value is left.
func (s *MeanState) Remove(_ int64, v model.FieldValue) {
	checkType(Mean, s.typ, v)
	if s.n == 0 {
		panic(fmt.Sprintf("BUG: remove from an empty mean of %s values", s.typ))
	}
	s.n--
	if s.n == 0 {
		s.sum = CompensatedSum{}
		return
	}
	f, _ := v.Number()
	s.sum.Sub(f)
}

// Merge adds other's values.
func (s *MeanState) Merge(other State) {
	o := mergeArg(s, other)
	s.n += o.n
	s.sum.Merge(o.sum)
}

// Result returns the mean as a float, and false over no values.
func (s *MeanState) Result() (model.FieldValue, bool) {
	if s.n == 0 {
		return model.FieldValue{}, false
	}
	return model.Float(s.sum.Value() / float64(s.n)), true
}

// Count returns the number of values.
func (s *MeanState) Count() int64 { return s.n }

// Sum returns the compensated sum of the values as float64.
func (s *MeanState) Sum() float64 { return s.sum.Value() }

// AppendBinary appends the encoding: the header, the number of values as a
// uvarint, and the compensated sum (see the package documentation).
func (s *MeanState) AppendBinary(dst []byte) ([]byte, error) {
	dst = appendHeader(dst, Mean, s.typ, formPartial)
	dst = binary.AppendUvarint(dst, uint64(s.n))
	return appendCompensated(dst, s.sum), nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *MeanState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Mean, s.typ, formPartial)
	t := MeanState{typ: s.typ, n: d.count()}
	t.sum = d.compensated()
	if err := d.finish(); err != nil {
		return err
	}
	*s = t
	return nil
}

// Reset empties the state.
func (s *MeanState) Reset() { *s = MeanState{typ: s.typ} }
