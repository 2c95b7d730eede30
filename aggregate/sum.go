package aggregate

import (
	"encoding/binary"
	"fmt"

	"github.com/accretedb/accrete/model"
)

// SumState sums numbers. The sum keeps the input type, as in InfluxDB 1.x:
// integers and unsigned integers are summed in 64-bit two's complement and
// wrap around on overflow; floats are summed with Neumaier compensation
// ([CompensatedSum]). The sum of no values is no result. SumState is
// retractable: integer sums are restored exactly by Remove, float sums to
// within the compensated precision (exactly for integer-valued floats).
type SumState struct {
	typ model.FieldType
	n   int64          // number of values
	f   CompensatedSum // the sum of float inputs
	i   uint64         // the wrapping sum of integer or unsigned inputs
}

// NewSum returns an empty sum of values of numeric type in.
func NewSum(in model.FieldType) *SumState {
	mustAccept(Sum, in)
	return &SumState{typ: in}
}

// Func returns Sum.
func (s *SumState) Func() Func { return Sum }

// InputType returns the type of the values summed.
func (s *SumState) InputType() model.FieldType { return s.typ }

// Add adds v to the sum.
func (s *SumState) Add(_ int64, v model.FieldValue) {
	checkType(Sum, s.typ, v)
	s.n++
	if s.typ == model.TypeFloat {
		s.f.Add(v.FloatV())
	} else {
		s.i += v.Bits()
	}
}

// AddFloat adds f to a sum of floats.
func (s *SumState) AddFloat(_ int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Sum, s.typ)
	}
	s.n++
	s.f.Add(f)
}

// Remove subtracts v from the sum. It panics when no value is left.
func (s *SumState) Remove(_ int64, v model.FieldValue) {
	checkType(Sum, s.typ, v)
	if s.n == 0 {
		panic(fmt.Sprintf("BUG: remove from an empty sum of %s values", s.typ))
	}
	s.n--
	if s.n == 0 {
		s.f, s.i = CompensatedSum{}, 0
		return
	}
	if s.typ == model.TypeFloat {
		s.f.Sub(v.FloatV())
	} else {
		s.i -= v.Bits()
	}
}

// Merge adds other's sum.
func (s *SumState) Merge(other State) {
	o := mergeArg(s, other)
	s.n += o.n
	s.f.Merge(o.f)
	s.i += o.i
}

// Result returns the sum, of the input type, and false over no values.
func (s *SumState) Result() (model.FieldValue, bool) {
	if s.n == 0 {
		return model.FieldValue{}, false
	}
	if s.typ == model.TypeFloat {
		return model.Float(s.f.Value()), true
	}
	return model.FromBits(s.typ, s.i), true
}

// Count returns the number of values summed.
func (s *SumState) Count() int64 { return s.n }

// AppendBinary appends the encoding: the header, the number of values as a
// uvarint, and for floats the compensated sum (see the package
// documentation), for integers the sum as a zig-zag varint, for unsigned
// integers the sum as a uvarint.
func (s *SumState) AppendBinary(dst []byte) ([]byte, error) {
	dst = appendHeader(dst, Sum, s.typ, formPartial)
	dst = binary.AppendUvarint(dst, uint64(s.n))
	switch s.typ {
	case model.TypeFloat:
		dst = appendCompensated(dst, s.f)
	case model.TypeInteger:
		dst = binary.AppendVarint(dst, int64(s.i))
	default:
		dst = binary.AppendUvarint(dst, s.i)
	}
	return dst, nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *SumState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Sum, s.typ, formPartial)
	t := SumState{typ: s.typ, n: d.count()}
	switch s.typ {
	case model.TypeFloat:
		t.f = d.compensated()
	case model.TypeInteger:
		t.i = uint64(d.varint())
	default:
		t.i = d.uvarint()
	}
	if err := d.finish(); err != nil {
		return err
	}
	*s = t
	return nil
}

// Reset empties the sum.
func (s *SumState) Reset() { *s = SumState{typ: s.typ} }
