package aggregate

import "github.com/accretedb/accrete/model"

// LastState selects the value with the latest timestamp. Values with equal
// timestamps (from different series) are settled as InfluxDB 1.x settles
// them: the larger value wins (for booleans true). The choice depends only on
// the values, never on the order of Add and Merge. The result keeps the
// input type. NewRetractable gives the retractable form, an [*OrderedState].
type LastState struct {
	typ model.FieldType
	sel selection
}

// lastBefore prefers the later timestamp, then the larger value.
func lastBefore(_ model.FieldType, a, b entry) bool {
	if a.ts != b.ts {
		return a.ts > b.ts
	}
	return cmpVal(a.v, b.v) > 0
}

// NewLast returns an empty last-value state for values of type in.
func NewLast(in model.FieldType) *LastState {
	mustAccept(Last, in)
	return &LastState{typ: in}
}

// Func returns Last.
func (s *LastState) Func() Func { return Last }

// InputType returns the type of the values.
func (s *LastState) InputType() model.FieldType { return s.typ }

// Add offers v at ts.
func (s *LastState) Add(ts int64, v model.FieldValue) {
	checkType(Last, s.typ, v)
	s.sel.offer(s.typ, entry{ts: ts, v: makeVal(s.typ, v)}, lastBefore)
}

// AddFloat offers f at ts to a last value of floats.
func (s *LastState) AddFloat(ts int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Last, s.typ)
	}
	if !s.sel.has || ts > s.sel.e.ts {
		s.sel.has, s.sel.e.ts, s.sel.e.v.key = true, ts, floatKey(f)
	} else if ts == s.sel.e.ts {
		if k := floatKey(f); k > s.sel.e.v.key {
			s.sel.e.v.key = k
		}
	}
}

// Merge offers other's selection.
func (s *LastState) Merge(other State) {
	s.sel.merge(s.typ, mergeArg(s, other).sel, lastBefore)
}

// Result returns the last value, and false over no values.
func (s *LastState) Result() (model.FieldValue, bool) { return s.sel.result(s.typ) }

// Selected returns the last value and its timestamp.
func (s *LastState) Selected() (int64, model.FieldValue, bool) { return s.sel.selected(s.typ) }

// AppendBinary appends the encoding (see the package documentation).
func (s *LastState) AppendBinary(dst []byte) ([]byte, error) {
	return appendSelection(dst, Last, s.typ, s.sel), nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *LastState) UnmarshalBinary(data []byte) error {
	sel, err := decodeSelection(data, Last, s.typ)
	if err != nil {
		return err
	}
	s.sel = sel
	return nil
}

// Reset empties the state.
func (s *LastState) Reset() { s.sel = selection{} }
