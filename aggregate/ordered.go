package aggregate

import (
	"encoding/binary"
	"fmt"

	"github.com/accretedb/accrete/model"
)

// OrderedState is the retractable form of Min, Max, First, Last and Spread
// (see [NewRetractable]): it keeps the ordered multiset of the points added,
// with a count per distinct point, so that Remove can take any of them back
// in O(log n) and the result is always that of the points remaining,
// exactly as a from-scratch computation gives it, with the same tie rules as
// [MinState], [MaxState], [FirstState] and [LastState]. Spread ignores
// timestamps and keeps values only.
//
// A state holding a single distinct point does not allocate; from two on it
// keeps a B-tree of 40 to 80 bytes per distinct point.
type OrderedState struct {
	fn  Func
	typ model.FieldType
	set multiset
}

func newOrdered(f Func, in model.FieldType) *OrderedState {
	mustAccept(f, in)
	var pref before
	switch f {
	case Min:
		pref = minBefore
	case Max:
		pref = maxBefore
	case First:
		pref = firstBefore
	case Last:
		pref = lastBefore
	case Spread:
		pref = func(_ model.FieldType, a, b entry) bool { return cmpVal(a.v, b.v) < 0 }
	default:
		panic(fmt.Sprintf("BUG: no ordered state for %s", f))
	}
	s := &OrderedState{fn: f, typ: in}
	s.set.less = func(a, b entry) bool { return pref(in, a, b) }
	return s
}

// Func returns the function.
func (s *OrderedState) Func() Func { return s.fn }

// InputType returns the type of the values.
func (s *OrderedState) InputType() model.FieldType { return s.typ }

func (s *OrderedState) entry(ts int64, v model.FieldValue) entry {
	checkType(s.fn, s.typ, v)
	if s.fn == Spread {
		ts = 0
	}
	return entry{ts: ts, v: makeVal(s.typ, v), n: 1}
}

// Add adds v at ts.
func (s *OrderedState) Add(ts int64, v model.FieldValue) {
	s.set.add(s.entry(ts, v))
}

// Remove takes back one v added at ts (any ts for Spread). It panics when
// there is no such point.
func (s *OrderedState) Remove(ts int64, v model.FieldValue) {
	if !s.set.remove(s.entry(ts, v)) {
		panic(fmt.Sprintf("BUG: remove of %s at %d, which is not in the %s state", v, ts, s.fn))
	}
}

// Merge adds other's points.
func (s *OrderedState) Merge(other State) {
	o := mergeArg(s, other)
	if o == s {
		var es []entry
		s.set.scan(func(e entry) bool { es = append(es, e); return true })
		for _, e := range es {
			s.set.add(e)
		}
		return
	}
	o.set.scan(func(e entry) bool { s.set.add(e); return true })
}

// Result returns the function's result over the points held, and false when
// there are none.
func (s *OrderedState) Result() (model.FieldValue, bool) {
	if s.fn == Spread {
		lo, ok := s.set.first()
		if !ok {
			return model.FieldValue{}, false
		}
		hi, _ := s.set.last()
		return spreadOf(s.typ, lo.v.key, hi.v.key), true
	}
	_, v, ok := s.Selected()
	return v, ok
}

// Selected returns the selected point of Min, Max, First and Last. For
// Spread, which selects no point, ok is false.
func (s *OrderedState) Selected() (int64, model.FieldValue, bool) {
	if s.fn == Spread {
		return 0, model.FieldValue{}, false
	}
	e, ok := s.set.first()
	if !ok {
		return 0, model.FieldValue{}, false
	}
	return e.ts, e.v.field(s.typ), true
}

// Len returns the number of points held, counting duplicates.
func (s *OrderedState) Len() int { return int(s.set.total) }

// AppendBinary appends the encoding: the header (form 1), the number of
// distinct points as a uvarint, and for each in order its timestamp as a
// zig-zag varint, its value, and its count as a uvarint.
func (s *OrderedState) AppendBinary(dst []byte) ([]byte, error) {
	dst = appendHeader(dst, s.fn, s.typ, formMultiset)
	dst = binary.AppendUvarint(dst, uint64(s.set.distinct()))
	s.set.scan(func(e entry) bool {
		dst = binary.AppendVarint(dst, e.ts)
		dst = appendValue(dst, s.typ, e.v)
		dst = binary.AppendUvarint(dst, e.n)
		return true
	})
	return dst, nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *OrderedState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, s.fn, s.typ, formMultiset)
	n := d.length(2 + minValueSize(s.typ))
	t := multiset{less: s.set.less}
	var prev entry
	for i := range n {
		e := entry{ts: d.varint(), v: d.value(), n: d.uvarint()}
		if d.err != nil {
			break
		}
		switch {
		case e.n == 0:
			d.fail("point with count 0")
		case s.fn == Spread && e.ts != 0:
			d.fail("spread point with a timestamp")
		case i > 0 && !t.less(prev, e):
			d.fail("points out of order")
		case t.total+e.n < t.total || t.total+e.n > 1<<63-1:
			d.fail("count overflow")
		}
		if d.err != nil {
			break
		}
		t.add(e)
		prev = e
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.set = t
	return nil
}

// Reset empties the state.
func (s *OrderedState) Reset() { s.set.reset() }
