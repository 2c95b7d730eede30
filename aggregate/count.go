package aggregate

import (
	"encoding/binary"
	"fmt"

	"github.com/accretedb/accrete/model"
)

// CountState counts values. It takes every field type, its result is an
// integer (0 over no values), and it is retractable.
type CountState struct {
	typ model.FieldType
	n   int64
}

// NewCount returns an empty count of values of type in.
func NewCount(in model.FieldType) *CountState {
	mustAccept(Count, in)
	return &CountState{typ: in}
}

// Func returns Count.
func (s *CountState) Func() Func { return Count }

// InputType returns the type of the values counted.
func (s *CountState) InputType() model.FieldType { return s.typ }

// Add counts v.
func (s *CountState) Add(_ int64, v model.FieldValue) {
	checkType(Count, s.typ, v)
	s.n++
}

// AddFloat counts one value; unlike other states' AddFloat it works for
// every input type, as the value does not matter.
func (s *CountState) AddFloat(int64, float64) { s.n++ }

// Remove uncounts v. It panics when the count is 0.
func (s *CountState) Remove(_ int64, v model.FieldValue) {
	checkType(Count, s.typ, v)
	if s.n == 0 {
		panic(fmt.Sprintf("BUG: remove from an empty count of %s values", s.typ))
	}
	s.n--
}

// Merge adds other's count.
func (s *CountState) Merge(other State) {
	s.n += mergeArg(s, other).n
}

// Result returns the count as an integer; it always has a result.
func (s *CountState) Result() (model.FieldValue, bool) { return model.Int(s.n), true }

// Count returns the count.
func (s *CountState) Count() int64 { return s.n }

// AppendBinary appends the encoding: the header and the count as a uvarint.
func (s *CountState) AppendBinary(dst []byte) ([]byte, error) {
	dst = appendHeader(dst, Count, s.typ, formPartial)
	return binary.AppendUvarint(dst, uint64(s.n)), nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *CountState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Count, s.typ, formPartial)
	n := d.count()
	if err := d.finish(); err != nil {
		return err
	}
	s.n = n
	return nil
}

// Reset sets the count to 0.
func (s *CountState) Reset() { s.n = 0 }
