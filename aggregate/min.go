package aggregate

import "github.com/accretedb/accrete/model"

// MinState selects the smallest value: of numbers by numeric order (floats by
// IEEE 754 totalOrder, so -0 < +0 and NaNs go to the ends), of booleans
// false before true. Among equal values the one with the earliest timestamp
// is selected, as in InfluxDB 1.x. The result keeps the input type.
// NewRetractable gives the retractable form, an [*OrderedState].
type MinState struct {
	typ model.FieldType
	sel selection
}

// minBefore prefers the smaller value, then the earlier timestamp.
func minBefore(_ model.FieldType, a, b entry) bool {
	c := cmpVal(a.v, b.v)
	return c < 0 || c == 0 && a.ts < b.ts
}

// NewMin returns an empty minimum of values of type in (numeric or boolean).
func NewMin(in model.FieldType) *MinState {
	mustAccept(Min, in)
	return &MinState{typ: in}
}

// Func returns Min.
func (s *MinState) Func() Func { return Min }

// InputType returns the type of the values.
func (s *MinState) InputType() model.FieldType { return s.typ }

// Add offers v at ts.
func (s *MinState) Add(ts int64, v model.FieldValue) {
	checkType(Min, s.typ, v)
	s.sel.offer(s.typ, entry{ts: ts, v: makeVal(s.typ, v)}, minBefore)
}

// AddFloat offers f at ts to a minimum of floats.
func (s *MinState) AddFloat(ts int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Min, s.typ)
	}
	k := floatKey(f)
	if !s.sel.has || k < s.sel.e.v.key || k == s.sel.e.v.key && ts < s.sel.e.ts {
		s.sel.has, s.sel.e.ts, s.sel.e.v.key = true, ts, k
	}
}

// Merge offers other's selection.
func (s *MinState) Merge(other State) {
	s.sel.merge(s.typ, mergeArg(s, other).sel, minBefore)
}

// Result returns the smallest value, and false over no values.
func (s *MinState) Result() (model.FieldValue, bool) { return s.sel.result(s.typ) }

// Selected returns the smallest value and its timestamp.
func (s *MinState) Selected() (int64, model.FieldValue, bool) { return s.sel.selected(s.typ) }

// AppendBinary appends the encoding (see the package documentation).
func (s *MinState) AppendBinary(dst []byte) ([]byte, error) {
	return appendSelection(dst, Min, s.typ, s.sel), nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *MinState) UnmarshalBinary(data []byte) error {
	sel, err := decodeSelection(data, Min, s.typ)
	if err != nil {
		return err
	}
	s.sel = sel
	return nil
}

// Reset empties the state.
func (s *MinState) Reset() { s.sel = selection{} }
