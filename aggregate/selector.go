package aggregate

import (
	"encoding/binary"

	"github.com/accretedb/accrete/model"
)

// before reports whether point a precedes point b in a selector's order of
// preference, for values of type t: the selector's result is the first point
// in that order. Every before function is a strict total order on distinct
// (timestamp, value) pairs, so a selection does not depend on the order in
// which points are added or partials merged.
type before func(t model.FieldType, a, b entry) bool

// selection is the partial state shared by the mergeable selectors: the
// preferred point so far.
type selection struct {
	has bool
	e   entry // n is unused
}

func (s *selection) offer(t model.FieldType, e entry, pref before) {
	if !s.has || pref(t, e, s.e) {
		s.has, s.e = true, entry{ts: e.ts, v: e.v}
	}
}

func (s *selection) merge(t model.FieldType, o selection, pref before) {
	if o.has {
		s.offer(t, o.e, pref)
	}
}

func (s *selection) result(t model.FieldType) (model.FieldValue, bool) {
	if !s.has {
		return model.FieldValue{}, false
	}
	return s.e.v.field(t), true
}

func (s *selection) selected(t model.FieldType) (int64, model.FieldValue, bool) {
	if !s.has {
		return 0, model.FieldValue{}, false
	}
	return s.e.ts, s.e.v.field(t), true
}

// appendSelection appends the encoding of a selector's partial state: the
// header, a byte 1 if there is a point and 0 if not, and the point: its
// timestamp as a zig-zag varint and its value.
func appendSelection(dst []byte, f Func, t model.FieldType, s selection) []byte {
	dst = appendHeader(dst, f, t, formPartial)
	if !s.has {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = binary.AppendVarint(dst, s.e.ts)
	return appendValue(dst, t, s.e.v)
}

func decodeSelection(data []byte, f Func, t model.FieldType) (selection, error) {
	d := newDecoder(data, f, t, formPartial)
	var s selection
	if s.has = d.flag(); s.has {
		s.e.ts = d.varint()
		s.e.v = d.value()
	}
	return s, d.finish()
}
