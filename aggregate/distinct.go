package aggregate

import (
	"encoding/binary"
	"slices"

	"github.com/accretedb/accrete/model"
)

// DistinctState collects the distinct values, with the earliest timestamp
// each was added with. [DistinctState.Values] lists them in InfluxDB 1.x's
// order: by that timestamp, then by value. Its partial state holds one entry
// per distinct value and merges exactly.
type DistinctState struct {
	typ  model.FieldType
	keys map[uint64]int64 // order key → earliest timestamp, for non-strings; nil while empty
	strs map[string]int64 // string → earliest timestamp, for strings; nil while empty
}

// NewDistinct returns an empty set of distinct values of type in.
func NewDistinct(in model.FieldType) *DistinctState {
	mustAccept(Distinct, in)
	return &DistinctState{typ: in}
}

// Func returns Distinct.
func (s *DistinctState) Func() Func { return Distinct }

// InputType returns the type of the values.
func (s *DistinctState) InputType() model.FieldType { return s.typ }

func (s *DistinctState) addKey(ts int64, k uint64) {
	if s.keys == nil {
		s.keys = make(map[uint64]int64)
	}
	if t, ok := s.keys[k]; !ok || ts < t {
		s.keys[k] = ts
	}
}

func (s *DistinctState) addString(ts int64, str string) {
	if s.strs == nil {
		s.strs = make(map[string]int64)
	}
	if t, ok := s.strs[str]; !ok || ts < t {
		s.strs[str] = ts
	}
}

// add adds v at ts.
func (s *DistinctState) add(ts int64, v val) {
	if s.typ == model.TypeString {
		s.addString(ts, v.str)
	} else {
		s.addKey(ts, v.key)
	}
}

// Add adds v at ts.
func (s *DistinctState) Add(ts int64, v model.FieldValue) {
	checkType(Distinct, s.typ, v)
	if s.typ == model.TypeString {
		s.addString(ts, v.StringV())
	} else {
		s.addKey(ts, orderKey(s.typ, v.Bits()))
	}
}

// AddFloat adds f at ts to distinct floats. Floats are distinct by their
// bits: -0 and +0 are two values, as are NaNs of different bits.
func (s *DistinctState) AddFloat(ts int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Distinct, s.typ)
	}
	s.addKey(ts, floatKey(f))
}

// Merge adds other's values.
func (s *DistinctState) Merge(other State) {
	o := mergeArg(s, other)
	for k, ts := range o.keys {
		s.addKey(ts, k)
	}
	for str, ts := range o.strs {
		s.addString(ts, str)
	}
}

// scan calls fn for every distinct value with its earliest timestamp, in no
// particular order.
func (s *DistinctState) scan(fn func(ts int64, v val)) {
	for k, ts := range s.keys {
		fn(ts, val{key: k})
	}
	for str, ts := range s.strs {
		fn(ts, val{str: str})
	}
}

func cmpDistinct(a, b entry) int {
	switch {
	case a.ts < b.ts:
		return -1
	case a.ts > b.ts:
		return 1
	}
	return cmpVal(a.v, b.v)
}

// entries returns the distinct values in output order.
func (s *DistinctState) entries() []entry {
	es := make([]entry, 0, s.Len())
	s.scan(func(ts int64, v val) { es = append(es, entry{ts: ts, v: v}) })
	slices.SortFunc(es, cmpDistinct)
	return es
}

// Values returns the distinct values ordered by the earliest timestamp each
// was added with, then by value; nil when there are none. The caller owns
// the slice.
func (s *DistinctState) Values() []model.FieldValue {
	if s.Len() == 0 {
		return nil
	}
	es := s.entries()
	vs := make([]model.FieldValue, len(es))
	for i, e := range es {
		vs[i] = e.v.field(s.typ)
	}
	return vs
}

// Len returns the number of distinct values.
func (s *DistinctState) Len() int { return len(s.keys) + len(s.strs) }

// Result returns the first of Values, and false when there are none. Use
// Values for all of them.
func (s *DistinctState) Result() (model.FieldValue, bool) {
	var best entry
	has := false
	s.scan(func(ts int64, v val) {
		if e := (entry{ts: ts, v: v}); !has || cmpDistinct(e, best) < 0 {
			best, has = e, true
		}
	})
	if !has {
		return model.FieldValue{}, false
	}
	return best.v.field(s.typ), true
}

// AppendBinary appends the encoding: the header, the number of distinct
// values as a uvarint, and for each in the order of Values its earliest
// timestamp as a zig-zag varint and the value.
func (s *DistinctState) AppendBinary(dst []byte) ([]byte, error) {
	dst = appendHeader(dst, Distinct, s.typ, formPartial)
	dst = binary.AppendUvarint(dst, uint64(s.Len()))
	if s.Len() == 0 {
		return dst, nil
	}
	for _, e := range s.entries() {
		dst = binary.AppendVarint(dst, e.ts)
		dst = appendValue(dst, s.typ, e.v)
	}
	return dst, nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *DistinctState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Distinct, s.typ, formPartial)
	n := d.length(1 + minValueSize(s.typ))
	t := DistinctState{typ: s.typ}
	for range n {
		ts, v := d.varint(), d.value()
		if d.err != nil {
			break
		}
		if t.Len() == 0 {
			if s.typ == model.TypeString {
				t.strs = make(map[string]int64, n)
			} else {
				t.keys = make(map[uint64]int64, n)
			}
		}
		before := t.Len()
		t.add(ts, v)
		if t.Len() == before {
			d.fail("value listed twice")
		}
	}
	if err := d.finish(); err != nil {
		return err
	}
	*s = t
	return nil
}

// Reset empties the state, keeping its maps.
func (s *DistinctState) Reset() {
	clear(s.keys)
	clear(s.strs)
}
