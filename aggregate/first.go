package aggregate

import "github.com/accretedb/accrete/model"

// FirstState selects the value with the earliest timestamp. Values with equal
// timestamps (from different series) are settled as InfluxDB 1.x settles
// them: the larger number or string wins, and for booleans false wins. The
// choice depends only on the values, never on the order of Add and Merge.
// The result keeps the input type. NewRetractable gives the retractable
// form, an [*OrderedState].
type FirstState struct {
	typ model.FieldType
	sel selection
}

// firstBefore prefers the earlier timestamp, then the larger value (for
// booleans the smaller one).
func firstBefore(t model.FieldType, a, b entry) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	if t == model.TypeBoolean {
		return a.v.key < b.v.key
	}
	return cmpVal(a.v, b.v) > 0
}

// NewFirst returns an empty first-value state for values of type in.
func NewFirst(in model.FieldType) *FirstState {
	mustAccept(First, in)
	return &FirstState{typ: in}
}

// Func returns First.
func (s *FirstState) Func() Func { return First }

// InputType returns the type of the values.
func (s *FirstState) InputType() model.FieldType { return s.typ }

// Add offers v at ts.
func (s *FirstState) Add(ts int64, v model.FieldValue) {
	checkType(First, s.typ, v)
	s.sel.offer(s.typ, entry{ts: ts, v: makeVal(s.typ, v)}, firstBefore)
}

// AddFloat offers f at ts to a first value of floats.
func (s *FirstState) AddFloat(ts int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(First, s.typ)
	}
	if !s.sel.has || ts < s.sel.e.ts {
		s.sel.has, s.sel.e.ts, s.sel.e.v.key = true, ts, floatKey(f)
	} else if ts == s.sel.e.ts {
		if k := floatKey(f); k > s.sel.e.v.key {
			s.sel.e.v.key = k
		}
	}
}

// Merge offers other's selection.
func (s *FirstState) Merge(other State) {
	s.sel.merge(s.typ, mergeArg(s, other).sel, firstBefore)
}

// Result returns the first value, and false over no values.
func (s *FirstState) Result() (model.FieldValue, bool) { return s.sel.result(s.typ) }

// Selected returns the first value and its timestamp.
func (s *FirstState) Selected() (int64, model.FieldValue, bool) { return s.sel.selected(s.typ) }

// AppendBinary appends the encoding (see the package documentation).
func (s *FirstState) AppendBinary(dst []byte) ([]byte, error) {
	return appendSelection(dst, First, s.typ, s.sel), nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *FirstState) UnmarshalBinary(data []byte) error {
	sel, err := decodeSelection(data, First, s.typ)
	if err != nil {
		return err
	}
	s.sel = sel
	return nil
}

// Reset empties the state.
func (s *FirstState) Reset() { s.sel = selection{} }
