package aggregate

import "github.com/accretedb/accrete/model"

// MaxState selects the largest value: of numbers by numeric order (floats by
// IEEE 754 totalOrder, so +0 > -0 and NaNs go to the ends), of booleans true
// over false. Among equal values the one with the earliest timestamp is
// selected, as in InfluxDB 1.x. The result keeps the input type.
// NewRetractable gives the retractable form, an [*OrderedState].
type MaxState struct {
	typ model.FieldType
	sel selection
}

// maxBefore prefers the larger value, then the earlier timestamp.
func maxBefore(_ model.FieldType, a, b entry) bool {
	c := cmpVal(a.v, b.v)
	return c > 0 || c == 0 && a.ts < b.ts
}

// NewMax returns an empty maximum of values of type in (numeric or boolean).
func NewMax(in model.FieldType) *MaxState {
	mustAccept(Max, in)
	return &MaxState{typ: in}
}

// Func returns Max.
func (s *MaxState) Func() Func { return Max }

// InputType returns the type of the values.
func (s *MaxState) InputType() model.FieldType { return s.typ }

// Add offers v at ts.
func (s *MaxState) Add(ts int64, v model.FieldValue) {
	checkType(Max, s.typ, v)
	s.sel.offer(s.typ, entry{ts: ts, v: makeVal(s.typ, v)}, maxBefore)
}

// AddFloat offers f at ts to a maximum of floats.
func (s *MaxState) AddFloat(ts int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Max, s.typ)
	}
	k := floatKey(f)
	if !s.sel.has || k > s.sel.e.v.key || k == s.sel.e.v.key && ts < s.sel.e.ts {
		s.sel.has, s.sel.e.ts, s.sel.e.v.key = true, ts, k
	}
}

// Merge offers other's selection.
func (s *MaxState) Merge(other State) {
	s.sel.merge(s.typ, mergeArg(s, other).sel, maxBefore)
}

// Result returns the largest value, and false over no values.
func (s *MaxState) Result() (model.FieldValue, bool) { return s.sel.result(s.typ) }

// Selected returns the largest value and its timestamp.
func (s *MaxState) Selected() (int64, model.FieldValue, bool) { return s.sel.selected(s.typ) }

// AppendBinary appends the encoding (see the package documentation).
func (s *MaxState) AppendBinary(dst []byte) ([]byte, error) {
	return appendSelection(dst, Max, s.typ, s.sel), nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *MaxState) UnmarshalBinary(data []byte) error {
	sel, err := decodeSelection(data, Max, s.typ)
	if err != nil {
		return err
	}
	s.sel = sel
	return nil
}

// Reset empties the state.
func (s *MaxState) Reset() { s.sel = selection{} }
