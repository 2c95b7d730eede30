package aggregate

import (
	"encoding/binary"
	"slices"
	"sort"

	"github.com/accretedb/accrete/model"
)

// ModeState selects the most frequent value, of any type, as InfluxDB
// 1.x's mode() does: it sorts the points, taken in time order, by value
// with sort.Sort (not stable, so that points of equal value end up in an
// order that depends on the sort's algorithm, the same as InfluxDB's) and
// walks the runs of equal values. A run only competes from its second point on, and a
// run as long as the current mode replaces it when the time of the run's
// first point (in sorted order) is not after the time of the point where
// the mode was last counted. So among values seen once the least wins.
// Where several values are equally frequent the choice depends on the
// order the points come in; InfluxDB 1.6's reducer does not always see
// them in time order, and may choose another. The result keeps the input
// type. The state keeps every point, so it is
// meant for queries ([Func.Mergeable] is false); Merge is exact.
type ModeState struct {
	typ    model.FieldType
	pts    []modePoint
	sorted bool // pts is in time order
}

// modePoint is one timestamped value.
type modePoint struct {
	ts int64
	v  val
}

// NewMode returns an empty mode of values of type in.
func NewMode(in model.FieldType) *ModeState {
	mustAccept(Mode, in)
	return &ModeState{typ: in}
}

// Func returns Mode.
func (s *ModeState) Func() Func { return Mode }

// InputType returns the type of the values.
func (s *ModeState) InputType() model.FieldType { return s.typ }

// Add adds v at ts.
func (s *ModeState) Add(ts int64, v model.FieldValue) {
	checkType(Mode, s.typ, v)
	s.pts = append(s.pts, modePoint{ts, makeVal(s.typ, v)})
	s.sorted = false
}

// AddFloat adds f at ts to a mode of floats.
func (s *ModeState) AddFloat(ts int64, f float64) {
	if s.typ != model.TypeFloat {
		checkFloat(Mode, s.typ)
	}
	s.pts = append(s.pts, modePoint{ts, val{key: floatKey(f)}})
	s.sorted = false
}

// Merge adds other's points.
func (s *ModeState) Merge(other State) {
	o := mergeArg(s, other)
	s.pts = append(s.pts, o.pts...)
	s.sorted = s.sorted && len(o.pts) == 0
}

// Count returns the number of points.
func (s *ModeState) Count() int { return len(s.pts) }

// sort puts the points in time order, points of equal time by value, the
// order in which a series delivers them to InfluxDB's reducer.
func (s *ModeState) sort() {
	if !s.sorted {
		slices.SortFunc(s.pts, cmpModePoint)
		s.sorted = true
	}
}

func cmpModePoint(a, b modePoint) int {
	switch {
	case a.ts < b.ts:
		return -1
	case a.ts > b.ts:
		return 1
	}
	return cmpVal(a.v, b.v)
}

// byValue sorts points by value as InfluxDB's <type>PointsByValue do.
type byValue struct {
	typ model.FieldType
	pts []modePoint
}

func (b byValue) Len() int      { return len(b.pts) }
func (b byValue) Swap(i, j int) { b.pts[i], b.pts[j] = b.pts[j], b.pts[i] }
func (b byValue) Less(i, j int) bool {
	x, y := b.pts[i].v, b.pts[j].v
	switch b.typ {
	case model.TypeFloat:
		return floatFromKey(x.key) < floatFromKey(y.key)
	case model.TypeString:
		return x.str < y.str
	}
	return x.key < y.key // integers, unsigned and booleans by order key
}

// equal reports whether two values are equal as InfluxDB compares them.
func (b byValue) equal(x, y val) bool {
	if b.typ == model.TypeFloat {
		return floatFromKey(x.key) == floatFromKey(y.key)
	}
	return x == y
}

// Result returns the mode, and false over no points. It sorts the points
// kept.
func (s *ModeState) Result() (model.FieldValue, bool) {
	switch len(s.pts) {
	case 0:
		return model.FieldValue{}, false
	case 1:
		return s.pts[0].v.field(s.typ), true
	}
	s.sort()
	a := slices.Clone(s.pts)
	bv := byValue{s.typ, a}
	sort.Sort(bv)
	mostFreq, currFreq := 0, 0
	currMode, mostMode := a[0].v, a[0].v
	mostTime, currTime := a[0].ts, a[0].ts
	for _, p := range a {
		if !bv.equal(p.v, currMode) {
			currFreq, currMode, currTime = 1, p.v, p.ts
			continue
		}
		currFreq++
		if mostFreq > currFreq || mostFreq == currFreq && currTime > mostTime {
			continue
		}
		mostFreq, mostMode, mostTime = currFreq, p.v, p.ts
	}
	return mostMode.field(s.typ), true
}

// AppendBinary appends the encoding: the header, the number of points as a
// uvarint, and each point's timestamp as a zig-zag varint followed by its
// value, in time order (then by value). It sorts the points kept.
func (s *ModeState) AppendBinary(dst []byte) ([]byte, error) {
	s.sort()
	dst = appendHeader(dst, Mode, s.typ, formPartial)
	dst = binary.AppendUvarint(dst, uint64(len(s.pts)))
	for _, p := range s.pts {
		dst = binary.AppendVarint(dst, p.ts)
		dst = appendValue(dst, s.typ, p.v)
	}
	return dst, nil
}

// UnmarshalBinary decodes an encoding made by AppendBinary.
func (s *ModeState) UnmarshalBinary(data []byte) error {
	d := newDecoder(data, Mode, s.typ, formPartial)
	n := d.length(1 + minValueSize(s.typ))
	var pts []modePoint
	if n > 0 {
		pts = make([]modePoint, n)
		for i := range pts {
			pts[i].ts = d.varint()
			pts[i].v = d.value()
			if i > 0 && d.err == nil && cmpModePoint(pts[i-1], pts[i]) > 0 {
				d.fail("points out of order")
			}
		}
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.pts, s.sorted = pts, true
	return nil
}

// Reset empties the state, keeping its buffer.
func (s *ModeState) Reset() { s.pts, s.sorted = s.pts[:0], false }
