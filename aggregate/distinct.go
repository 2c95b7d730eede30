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
	seen map[val]int64 // value → earliest timestamp; nil while empty
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

func (s *DistinctState) add(ts int64, v val) {
	if s.seen == nil {
		s.seen = make(map[val]int64)
	}
	if t, ok := s.seen[v]; !ok || ts < t {
		s.seen[v] = ts
	}
}

// Add adds v at ts.
func (s *DistinctState) Add(ts int64, v model.FieldValue) {
	checkType(Distinct, s.typ, v)
	s.add(ts, makeVal(s.typ, v))
}

// AddFloat adds f at ts to distinct floats. Floats are distinct by their
// bits: -0 and +0 are two values, as are NaNs of different bits.
func (s *DistinctState) AddFloat(ts int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Distinct, s.typ)
	}
	s.add(ts, val{key: floatKey(f)})
}

// Merge adds other's values.
func (s *DistinctState) Merge(other State) {
	o := mergeArg(s, other)
	for v, ts := range o.seen {
		s.add(ts, v)
	}
}

// entries returns the distinct values in output order.
func (s *DistinctState) entries() []entry {
	es := make([]entry, 0, len(s.seen))
	for v, ts := range s.seen {
		es = append(es, entry{ts: ts, v: v})
	}
	slices.SortFunc(es, func(a, b entry) int {
		switch {
		case a.ts < b.ts:
			return -1
		case a.ts > b.ts:
			return 1
		}
		return cmpVal(a.v, b.v)
	})
	return es
}

// Values returns the distinct values ordered by the earliest timestamp each
// was added with, then by value; nil when there are none. The caller owns
// the slice.
func (s *DistinctState) Values() []model.FieldValue {
	if len(s.seen) == 0 {
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
func (s *DistinctState) Len() int { return len(s.seen) }

// Result returns the first of Values, and false when there are none. Use
// Values for all of them.
func (s *DistinctState) Result() (model.FieldValue, bool) {
	var best entry
	has := false
	for v, ts := range s.seen {
		if !has || ts < best.ts || ts == best.ts && cmpVal(v, best.v) < 0 {
			best, has = entry{ts: ts, v: v}, true
		}
	}
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
	dst = binary.AppendUvarint(dst, uint64(len(s.seen)))
	if len(s.seen) == 0 {
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
	var seen map[val]int64
	if n > 0 {
		seen = make(map[val]int64, n)
		for range n {
			ts, v := d.varint(), d.value()
			if _, dup := seen[v]; dup && d.err == nil {
				d.fail("value listed twice")
			}
			seen[v] = ts
		}
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.seen = seen
	return nil
}

// Reset empties the state.
func (s *DistinctState) Reset() { clear(s.seen) }
