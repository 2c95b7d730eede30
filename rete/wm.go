package rete

import (
	"fmt"
	"math"

	"github.com/accretedb/accrete/rulelang"
)

// typeMem is the working memory of one fact type. Facts live in slots,
// numbered in the order their keys were first asserted; a slot is never
// given to another key, so a key retracted and asserted again keeps its
// slot, and slot order is first-assert order. A retracted fact's slot is a
// tombstone: it keeps its key (and, for types without a key field, its whole
// content) so that the key finds its slot again.
type typeMem struct {
	info  *rulelang.TypeInfo
	nf    int             // number of fields
	kinds []rulelang.Type // field types
	key   int             // key field, or -1: the whole content is the key

	vals  rowPages // nf codes per slot
	alive []uint64 // bitset of slots holding a fact
	n     uint32   // number of slots
	live  int      // number of facts

	// The key index. A string key's code is its string index, so slots
	// are found by array lookup; other keys go through maps.
	slotByStr pages[uint32]     // string index → slot+1 (string key fields)
	byKey     map[uint64]uint32 // key code → slot (number and bool key fields)
	byContent map[string]uint32 // content codes → slot (no key field)

	alphas []*alphaNode
	// tracked is set when a rule reacts to changes of this type's field
	// values beyond its aggregates: it is the main type of an aggregation
	// rule or a type of a join rule. Modifications of tracked facts record
	// the content the fact had when the step began.
	tracked bool
}

func newTypeMem(info *rulelang.TypeInfo) *typeMem {
	t := &typeMem{info: info, nf: len(info.Fields), key: info.Key, vals: rowPages{n: len(info.Fields)}}
	t.kinds = make([]rulelang.Type, t.nf)
	for i, f := range info.Fields {
		t.kinds[i] = f.Type
	}
	switch {
	case t.key < 0:
		t.byContent = make(map[string]uint32)
	case t.kinds[t.key] != rulelang.TypeString:
		t.byKey = make(map[uint64]uint32)
	}
	return t
}

// slotOfKey returns the slot of the fact (or tombstone) with key code c.
func (t *typeMem) slotOfKey(c uint64) (uint32, bool) {
	if t.byKey != nil {
		s, ok := t.byKey[keyCode(t.kinds[t.key], c)]
		return s, ok
	}
	if s := t.slotByStr.get(uint32(c)); s != 0 {
		return s - 1, true
	}
	return 0, false
}

// setKeySlot records the slot of key code c.
func (t *typeMem) setKeySlot(c uint64, slot uint32) {
	if t.byKey != nil {
		t.byKey[keyCode(t.kinds[t.key], c)] = slot
		return
	}
	t.slotByStr.set(uint32(c), slot+1)
}

func (t *typeMem) row(slot uint32) []uint64 { return t.vals.row(slot) }

func (t *typeMem) isAlive(slot uint32) bool {
	return t.alive[slot>>6]&(1<<(slot&63)) != 0
}

func (t *typeMem) setAlive(slot uint32, on bool) {
	if on {
		t.alive[slot>>6] |= 1 << (slot & 63)
		t.live++
	} else {
		t.alive[slot>>6] &^= 1 << (slot & 63)
		t.live--
	}
}

// sameDecl reports whether two declarations of a type agree.
func sameDecl(a, b *rulelang.TypeInfo) bool {
	if a.Name != b.Name || a.Key != b.Key || len(a.Fields) != len(b.Fields) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i].Name != b.Fields[i].Name || a.Fields[i].Type != b.Fields[i].Type {
			return false
		}
	}
	return true
}

// contentKey returns the normalized content codes of a row as bytes, the
// key of a fact of a type without a key field.
func (e *Engine) contentKey(t *typeMem, codes []uint64) []byte {
	b := e.keyBytes[:0]
	for i, c := range codes {
		var k [8]byte
		c = keyCode(t.kinds[i], c)
		for j := range k {
			k[j] = byte(c >> (8 * j))
		}
		b = append(b, k[:]...)
	}
	e.keyBytes = b
	return b
}

// find returns the slot of the fact whose key the codes carry.
func (e *Engine) find(t *typeMem, codes []uint64) (uint32, bool) {
	if t.key >= 0 {
		return t.slotOfKey(codes[t.key])
	}
	s, ok := t.byContent[string(e.contentKey(t, codes))]
	return s, ok
}

// checkValues checks the values of a fact of t.
func checkValues(t *typeMem, values []rulelang.Value) error {
	if len(values) != t.nf {
		return fmt.Errorf("fact %s has %d values, but the type has %d fields: %w", t.info.Name, len(values), t.nf, ErrBadFact)
	}
	for i, v := range values {
		if v.Type != t.kinds[i] {
			return typeMismatch(t.info, i, v)
		}
	}
	return nil
}

// encode converts values (already checked) into codes, taking a reference
// to every string.
func (e *Engine) encode(t *typeMem, values []rulelang.Value, codes []uint64) {
	for i, v := range values {
		switch t.kinds[i] {
		case rulelang.TypeString:
			codes[i] = uint64(e.strs.intern(v.Str))
		case rulelang.TypeNumber:
			codes[i] = math.Float64bits(v.Num)
		case rulelang.TypeBool:
			if v.Bool {
				codes[i] = 1
			} else {
				codes[i] = 0
			}
		}
	}
}

// releaseLater drops the string references of the given fields of codes
// once the step's agenda has run: until then tombstones and the contents
// recorded at the start of the step can still be read.
func (e *Engine) releaseLater(t *typeMem, codes []uint64, skipKey bool) {
	for i, c := range codes {
		if t.kinds[i] == rulelang.TypeString && !(skipKey && i == t.key) {
			e.pending = append(e.pending, uint32(c))
		}
	}
}

// releaseNow drops the string references of codes at once.
func (e *Engine) releaseNow(t *typeMem, codes []uint64) {
	for i, c := range codes {
		if t.kinds[i] == rulelang.TypeString {
			e.strs.release(uint32(c))
		}
	}
}

// equalContent reports whether two rows hold equal values (-0 equals 0).
func equalContent(t *typeMem, a, b []uint64) bool {
	for i := range a {
		if keyCode(t.kinds[i], a[i]) != keyCode(t.kinds[i], b[i]) {
			return false
		}
	}
	return true
}

// recordOld remembers the content a tracked fact had when the step began,
// before its first change in the step.
func (e *Engine) recordOld(t *typeMem, slot uint32) {
	if !t.tracked {
		return
	}
	ref := factRef{t, slot}
	if _, ok := e.stepOld[ref]; ok {
		return
	}
	e.stepOld[ref] = append([]uint64(nil), t.row(slot)...)
}

// changedInStep reports whether the content of a fact differs from the one
// it had when the step began.
func (e *Engine) changedInStep(t *typeMem, slot uint32) bool {
	old, ok := e.stepOld[factRef{t, slot}]
	return ok && !equalContent(t, old, t.row(slot))
}

// factRef names a fact.
type factRef struct {
	t    *typeMem
	slot uint32
}

// assertCodes adds a fact or, when its key exists, replaces it. The codes
// hold string references, which the fact takes over.
func (e *Engine) assertCodes(t *typeMem, codes []uint64) {
	slot, ok := e.find(t, codes)
	switch {
	case !ok:
		slot = t.n
		t.n++
		t.vals.ensure(t.n)
		copy(t.row(slot), codes)
		if int(slot>>6) >= len(t.alive) {
			t.alive = append(t.alive, 0)
		}
		t.setAlive(slot, true)
		if t.key >= 0 {
			t.setKeySlot(codes[t.key], slot)
		} else {
			t.byContent[string(e.contentKey(t, codes))] = slot
		}
		e.propagateAdd(t, slot)
	case t.isAlive(slot):
		old := t.row(slot)
		if equalContent(t, old, codes) {
			e.releaseNow(t, codes)
			return
		}
		e.recordOld(t, slot)
		e.releaseLater(t, old, false)
		e.propagateModify(t, slot, codes)
	default:
		// A tombstone: it kept references to its key (or its whole
		// content); the new codes hold their own.
		old := t.row(slot)
		switch {
		case t.key < 0:
			e.releaseLater(t, old, false)
		case t.kinds[t.key] == rulelang.TypeString:
			e.pending = append(e.pending, uint32(old[t.key]))
		}
		copy(old, codes)
		t.setAlive(slot, true)
		e.propagateAdd(t, slot)
	}
}

// retract removes the fact of t whose key (for a type without a key field:
// whose content) the values give.
func (e *Engine) retract(t *typeMem, key rulelang.Value, values []rulelang.Value) error {
	var slot uint32
	var ok bool
	if t.key >= 0 {
		if key.Type != t.kinds[t.key] {
			return typeMismatch(t.info, t.key, key)
		}
		var c uint64
		switch key.Type {
		case rulelang.TypeString:
			var id uint32
			id, ok = e.strs.lookup(key.Str)
			c = uint64(id)
		case rulelang.TypeNumber:
			c, ok = math.Float64bits(key.Num), true
		case rulelang.TypeBool:
			ok = true
			if key.Bool {
				c = 1
			}
		}
		if ok {
			slot, ok = t.slotOfKey(c)
		}
	} else {
		if err := checkValues(t, values); err != nil {
			return err
		}
		codes := e.codes[:0]
		for i, v := range values {
			switch t.kinds[i] {
			case rulelang.TypeString:
				id, found := e.strs.lookup(v.Str)
				if !found {
					return e.noFact(t, key, values)
				}
				codes = append(codes, uint64(id))
			case rulelang.TypeNumber:
				codes = append(codes, math.Float64bits(v.Num))
			default:
				if v.Bool {
					codes = append(codes, 1)
				} else {
					codes = append(codes, 0)
				}
			}
		}
		e.codes = codes
		slot, ok = e.find(t, codes)
	}
	if !ok || !t.isAlive(slot) {
		return e.noFact(t, key, values)
	}
	e.recordOld(t, slot)
	e.propagateRemove(t, slot)
	t.setAlive(slot, false)
	if t.key >= 0 {
		e.releaseLater(t, t.row(slot), true)
	}
	return nil
}

func (e *Engine) noFact(t *typeMem, key rulelang.Value, values []rulelang.Value) error {
	if t.key >= 0 {
		return fmt.Errorf("cannot retract %s(%s: %s): %w", t.info.Name, t.info.Fields[t.key].Name, key, ErrNoFact)
	}
	f := Fact{Type: t.info, Values: values}
	return fmt.Errorf("cannot retract %s: %w", f, ErrNoFact)
}

// propagateAdd hands a new fact to the alpha nodes of its type.
func (e *Engine) propagateAdd(t *typeMem, slot uint32) {
	row := t.row(slot)
	for _, a := range t.alphas {
		if a.pass(e, row) {
			for _, s := range a.sinks {
				s.add(slot)
			}
		}
	}
}

// propagateRemove takes a fact, still holding its values, out of the alpha
// nodes of its type.
func (e *Engine) propagateRemove(t *typeMem, slot uint32) {
	row := t.row(slot)
	for _, a := range t.alphas {
		if a.pass(e, row) {
			for _, s := range a.sinks {
				s.remove(slot)
			}
		}
	}
}

// propagateModify replaces the values of a fact with codes. First every
// sink the fact leaves, or that cannot take the change in place, sees the
// fact removed with its old values; then the sinks that can update it in
// place do; then the new values are stored; then the sinks it enters see
// it added. Each phase thus finds the network consistent with the values
// in working memory: in-place updates never precede a removal that reads
// the old values.
func (e *Engine) propagateModify(t *typeMem, slot uint32, codes []uint64) {
	old := t.row(slot)
	adds, inPlace := e.pendingAdds[:0], e.pendingInPlace[:0]
	for _, a := range t.alphas {
		before, after := a.pass(e, old), a.pass(e, codes)
		for _, s := range a.sinks {
			switch {
			case before && after && s.inPlace(old, codes):
				inPlace = append(inPlace, s)
			case before:
				s.remove(slot)
				if after {
					adds = append(adds, s)
				}
			case after:
				adds = append(adds, s)
			}
		}
	}
	for _, s := range inPlace {
		s.modify(slot, old, codes)
	}
	copy(old, codes)
	for _, s := range adds {
		s.add(slot)
	}
	clear(adds)
	clear(inPlace)
	e.pendingAdds, e.pendingInPlace = adds[:0], inPlace[:0]
}
