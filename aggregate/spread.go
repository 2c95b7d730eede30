package aggregate

import "github.com/accretedb/accrete/model"

// SpreadState computes the difference between the largest and the smallest
// number, of the input type as in InfluxDB 1.x (integer spreads wrap around
// in 64-bit two's complement when they overflow). Its partial state is the
// minimum and the maximum. NewRetractable gives the retractable form, an
// [*OrderedState].
type SpreadState struct {
	typ      model.FieldType
	has      bool
	min, max uint64 // order keys
}

// NewSpread returns an empty spread of values of numeric type in.
func NewSpread(in model.FieldType) *SpreadState {
	mustAccept(Spread, in)
	return &SpreadState{typ: in}
}

// Func returns Spread.
func (s *SpreadState) Func() Func { return Spread }

// InputType returns the type of the values.
func (s *SpreadState) InputType() model.FieldType { return s.typ }

func (s *SpreadState) addKey(k uint64) {
	switch {
	case !s.has:
		s.has, s.min, s.max = true, k, k
	case k < s.min:
		s.min = k
	case k > s.max:
		s.max = k
	}
}

// Add adds v.
func (s *SpreadState) Add(_ int64, v model.FieldValue) {
	checkType(Spread, s.typ, v)
	s.addKey(orderKey(s.typ, v.Bits()))
}

// AddFloat adds f to a spread of floats.
func (s *SpreadState) AddFloat(_ int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Spread, s.typ)
	}
	s.addKey(floatKey(f))
}

// Merge adds other's minimum and maximum.
func (s *SpreadState) Merge(other State) {
	o := mergeArg(s, other)
	if o.has {
		s.addKey(o.min)
		s.addKey(o.max)
	}
}

// Result returns max - min, and false over no values.
func (s *SpreadState) Result() (model.FieldValue, bool) {
	if !s.has {
		return model.FieldValue{}, false
	}
	return spreadOf(s.typ, s.min, s.max), true
}

// spreadOf returns max - min of type t, given their order keys.
func spreadOf(t model.FieldType, min, max uint64) model.FieldValue {
	switch t {
	case model.TypeFloat:
		return model.Float(floatFromKey(max) - floatFromKey(min))
	case model.TypeInteger:
		return model.Int(int64(max^signBit) - int64(min^signBit))
	}
	return model.Uint(max - min)
}

// AppendBinary appends the encoding: the header, a byte 1 if there are values
// and 0 if not, then the minimum and the maximum.
func (s *SpreadState) AppendBinary(dst []byte) ([]byte, error) {
	dst = appendHeader(dst, Spread, s.typ, formPartial)
	if !s.has {
		return append(dst, 0), nil
	}
	dst = append(dst, 1)
	dst = appendValue(dst, s.typ, val{key: s.min})
	return appendValue(dst, s.typ, val{key: s.max}), nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *SpreadState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Spread, s.typ, formPartial)
	t := SpreadState{typ: s.typ}
	if t.has = d.flag(); t.has {
		t.min, t.max = d.value().key, d.value().key
		if t.min > t.max {
			d.fail("minimum above maximum")
		}
	}
	if err := d.finish(); err != nil {
		return err
	}
	*s = t
	return nil
}

// Reset empties the state.
func (s *SpreadState) Reset() { *s = SpreadState{typ: s.typ} }
