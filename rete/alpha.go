package rete

import (
	"slices"
	"strings"

	"github.com/accretedb/accrete/rulelang"
)

// sink receives the facts that pass an alpha node: the root or a source of
// an aggregation rule, or an input of a join rule.
type sink interface {
	// add is called after the fact's values are stored.
	add(slot uint32)
	// remove is called while the fact still holds the values it was added
	// with.
	remove(slot uint32)
	// inPlace reports whether a fact that passes before and after a
	// change of its values from old to new can be updated in place. When
	// not, the caller removes the fact and adds it again.
	inPlace(old, new []uint64) bool
	// modify updates a fact in place (see inPlace). It is called after
	// every removal of the change and before the new values are stored.
	modify(slot uint32, old, new []uint64)
	// touch reads the memory that adding a fact with these codes will
	// use, and returns a value of it: called for a chunk of facts before
	// they are added, it lets their cache misses overlap.
	touch(codes []uint64) uint64
}

// alphaNode tests the facts of one type against the filters of a pattern
// variable (the conjuncts that mention only that variable). Pattern
// variables of any rules with the same type and the same filters share one
// node, so each filter is evaluated once per change.
type alphaNode struct {
	t       *typeMem
	key     string // canonical form of the filters
	filters []rulelang.Term
	tests   []boolFn
	sinks   []sink
	en      env
	rows    [1][]uint64
}

// pass reports whether a fact with the given codes passes the filters.
func (a *alphaNode) pass(e *Engine, row []uint64) bool {
	if len(a.tests) == 0 {
		return true
	}
	a.rows[0] = row
	for _, f := range a.tests {
		if !f(&a.en) {
			a.rows[0] = nil
			return false
		}
	}
	a.rows[0] = nil
	return true
}

// alphaFor returns the alpha node of t with the given filters, creating it
// when no rule uses it yet.
func (e *Engine) alphaFor(t *typeMem, filters []rulelang.Term) *alphaNode {
	canon := make([]string, len(filters))
	for i, f := range filters {
		canon[i] = canonical(f)
	}
	slices.Sort(canon)
	key := strings.Join(canon, " AND ")
	for _, a := range t.alphas {
		if a.key == key {
			return a
		}
	}
	a := &alphaNode{t: t, key: key, filters: filters}
	a.en = env{e: e, rows: a.rows[:]}
	for _, f := range filters {
		a.tests = append(a.tests, single.bool(f))
	}
	t.alphas = append(t.alphas, a)
	return a
}

// prime hands every fact of the alpha node's type that passes it to s, in
// slot order: a new rule's sinks catch up with working memory.
func (e *Engine) prime(a *alphaNode, s sink) {
	t := a.t
	for slot := uint32(0); slot < t.n; slot++ {
		if t.isAlive(slot) && a.pass(e, t.row(slot)) {
			s.add(slot)
		}
	}
}

// hindex is a hash index from a key of field codes to V. Keys of one field
// use the code itself; composite keys use their bytes.
type hindex[V any] struct {
	one  map[uint64]V
	many map[string]V
	buf  []byte
}

func newHindex[V any](width int) hindex[V] {
	if width == 1 {
		return hindex[V]{one: make(map[uint64]V)}
	}
	return hindex[V]{many: make(map[string]V)}
}

func (h *hindex[V]) get(key []uint64) (V, bool) {
	if h.one != nil {
		v, ok := h.one[key[0]]
		return v, ok
	}
	h.buf = appendKeyBytes(h.buf[:0], key)
	v, ok := h.many[string(h.buf)]
	return v, ok
}

func (h *hindex[V]) put(key []uint64, v V) {
	if h.one != nil {
		h.one[key[0]] = v
		return
	}
	h.buf = appendKeyBytes(h.buf[:0], key)
	h.many[string(h.buf)] = v
}

func (h *hindex[V]) del(key []uint64) {
	if h.one != nil {
		delete(h.one, key[0])
		return
	}
	h.buf = appendKeyBytes(h.buf[:0], key)
	delete(h.many, string(h.buf))
}

func (h *hindex[V]) len() int {
	if h.one != nil {
		return len(h.one)
	}
	return len(h.many)
}

// keyOf writes the key codes of the given fields of row into dst.
func keyOf(dst []uint64, row []uint64, fields []int, kinds []rulelang.Type) []uint64 {
	dst = dst[:0]
	for _, f := range fields {
		dst = append(dst, keyCode(kinds[f], row[f]))
	}
	return dst
}

// sameKey reports whether two rows agree on the given fields.
func sameKey(a, b []uint64, fields []int, kinds []rulelang.Type) bool {
	for _, f := range fields {
		if keyCode(kinds[f], a[f]) != keyCode(kinds[f], b[f]) {
			return false
		}
	}
	return true
}
