package aggregate

import (
	"encoding/binary"
	"slices"

	"github.com/accretedb/accrete/model"
)

// point is a timestamped order key.
type point struct {
	key uint64
	ts  int64
}

// pointList keeps every point of a state that needs them all (percentile,
// integral): appended in any order and sorted on demand in the state's
// order.
type pointList struct {
	pts    []point
	sorted bool // pts is in the state's order
}

func (l *pointList) add(ts int64, key uint64) {
	l.pts = append(l.pts, point{key: key, ts: ts})
	l.sorted = false
}

func (l *pointList) merge(o *pointList) {
	l.pts = append(l.pts, o.pts...)
	l.sorted = l.sorted && len(o.pts) == 0
}

func (l *pointList) sort(cmp func(a, b point) int) {
	if !l.sorted {
		slices.SortFunc(l.pts, cmp)
		l.sorted = true
	}
}

func (l *pointList) reset() { l.pts, l.sorted = l.pts[:0], false }

// appendBinary appends the number of points as a uvarint and each point's
// timestamp as a zig-zag varint followed by its value of type t, in the
// list's current order.
func (l *pointList) appendBinary(dst []byte, t model.FieldType) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(l.pts)))
	for _, pt := range l.pts {
		dst = binary.AppendVarint(dst, pt.ts)
		dst = appendValue(dst, t, val{key: pt.key})
	}
	return dst
}

// decodePoints reads what appendBinary wrote for values of type t.
func decodePoints(d *decoder, t model.FieldType) []point {
	n := d.length(1 + minValueSize(t))
	if n == 0 {
		return nil
	}
	pts := make([]point, n)
	for i := range pts {
		pts[i].ts = d.varint()
		pts[i].key = d.value().key
	}
	return pts
}
