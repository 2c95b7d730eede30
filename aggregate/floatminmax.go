package aggregate

import (
	"fmt"

	"github.com/tidwall/btree"
)

// FloatMinMax is an ordered multiset of float64 values with a count per
// distinct value: the retractable state behind MIN and MAX of the rule
// engine. Add and Remove are O(log d) for d distinct values, Min and Max
// O(log d); duplicates are counted, so removing one of two equal values
// leaves the other.
//
// Values are ordered by IEEE 754 totalOrder (-0 < +0, NaNs at the ends) and
// matched by their bits: Remove(+0) does not remove a -0.
//
// It is small while it can be: 24 bytes holding the only distinct value
// inline, with no allocation however many times that value is added. The
// B-tree (github.com/tidwall/btree) is built when a second distinct value
// arrives and dropped when the multiset becomes empty; with it a FloatMinMax
// takes about 144 bytes for two distinct values, 240 for eight, and about 34
// bytes per distinct value in large multisets.
//
// The zero value is empty and ready to use. It is not safe for concurrent
// use.
type FloatMinMax struct {
	key  uint64                     // order key of the only distinct value, while tree is nil and n > 0
	n    uint64                     // number of values, with multiplicity
	tree *btree.Map[uint64, uint64] // order key → count for every distinct value, or nil
}

// Add adds f.
func (m *FloatMinMax) Add(f float64) { m.addKey(floatKey(f), 1) }

// Remove takes back one f and reports whether there was one to take; when
// there is not, the multiset is unchanged.
func (m *FloatMinMax) Remove(f float64) bool {
	k := floatKey(f)
	if m.tree == nil {
		if m.n == 0 || m.key != k {
			return false
		}
		m.n--
		return true
	}
	c, ok := m.tree.Get(k)
	if !ok {
		return false
	}
	if c == 1 {
		m.tree.Delete(k)
	} else {
		m.tree.Set(k, c-1)
	}
	m.n--
	if m.n == 0 {
		m.tree = nil
	}
	return true
}

// Merge adds o's values.
func (m *FloatMinMax) Merge(o *FloatMinMax) {
	if o.tree == nil {
		if o.n > 0 {
			m.addKey(o.key, o.n)
		}
		return
	}
	type kc struct{ k, c uint64 }
	var kcs []kc // o may be m
	o.tree.Scan(func(k, c uint64) bool { kcs = append(kcs, kc{k, c}); return true })
	for _, e := range kcs {
		m.addKey(e.k, e.c)
	}
}

// addKey adds c copies of the value with order key k.
func (m *FloatMinMax) addKey(k, c uint64) {
	switch {
	case m.tree != nil:
		old, _ := m.tree.Get(k)
		m.tree.Set(k, old+c)
	case m.n == 0:
		m.key = k
	case m.key != k:
		m.tree = new(btree.Map[uint64, uint64])
		m.tree.Set(m.key, m.n)
		m.tree.Set(k, c)
		m.key = 0
	}
	m.n += c
}

// Len returns the number of values, counting duplicates.
func (m *FloatMinMax) Len() int { return int(m.n) }

// Distinct returns the number of distinct values.
func (m *FloatMinMax) Distinct() int {
	switch {
	case m.tree != nil:
		return m.tree.Len()
	case m.n > 0:
		return 1
	}
	return 0
}

// Min returns the smallest value, and false when there is none.
func (m *FloatMinMax) Min() (float64, bool) {
	if m.tree != nil {
		k, _, _ := m.tree.Min()
		return floatFromKey(k), true
	}
	if m.n == 0 {
		return 0, false
	}
	return floatFromKey(m.key), true
}

// Max returns the largest value, and false when there is none.
func (m *FloatMinMax) Max() (float64, bool) {
	if m.tree != nil {
		k, _, _ := m.tree.Max()
		return floatFromKey(k), true
	}
	if m.n == 0 {
		return 0, false
	}
	return floatFromKey(m.key), true
}

// Result returns Min, Max, Spread (Max - Min) or Count, and false for all
// but Count when the multiset is empty. It panics for other functions.
func (m *FloatMinMax) Result(f Func) (float64, bool) {
	switch f {
	case Min:
		return m.Min()
	case Max:
		return m.Max()
	case Spread:
		lo, ok := m.Min()
		hi, _ := m.Max()
		return hi - lo, ok
	case Count:
		return float64(m.n), true
	}
	panic(fmt.Sprintf("BUG: FloatMinMax cannot compute %s", f))
}

// Ascend calls fn for each distinct value in ascending order with its count,
// until fn returns false.
func (m *FloatMinMax) Ascend(fn func(v float64, count int) bool) {
	switch {
	case m.tree != nil:
		m.tree.Scan(func(k, c uint64) bool { return fn(floatFromKey(k), int(c)) })
	case m.n > 0:
		fn(floatFromKey(m.key), int(m.n))
	}
}

// Reset empties the multiset.
func (m *FloatMinMax) Reset() { *m = FloatMinMax{} }
