package rete

import (
	"encoding/binary"
	"slices"

	"github.com/accretedb/accrete/rulelang"
)

// This file holds the network of a join rule (a rule without aggregation
// variables): one level per pattern variable, in declaration order. Level
// 0 holds the facts of the first variable as tokens; level i joins the
// tokens of level i-1 (left) with the facts of variable i (right) on the
// equalities between variable i and earlier variables, through hash
// indexes on both sides, and tests the join filters whose last variable is
// i. Every token of the last level is a matching tuple, an activation.

// joinRule is the network of a join rule.
type joinRule struct {
	e       *Engine
	rule    *rulelang.Rule
	pos     int // index in Engine.rules
	levels  []*joinLevel
	actions []action
	en      env
	rows    [][]uint64
	tbuf    []byte

	// log records, for the current step, the tuples that appeared or
	// disappeared, keyed by their slots.
	log map[string]*logEntry
}

// logEntry is the change of one tuple during a step.
type logEntry struct {
	before bool   // the tuple matched when the step began
	tok    *token // the tuple's token now, or nil
	slots  []uint32
}

// joinLevel joins variable i.
type joinLevel struct {
	jr    *joinRule
	i     int
	t     *typeMem
	alpha *alphaNode

	rightKey []int      // variable i's fields equal to earlier variables' fields
	leftKey  []varField // those earlier fields, in the same order
	right    hindex[*slotBucket]
	rpos     []int32 // slot → position in its right bucket

	tests []boolFn // join filters whose last variable is i

	// mem holds this level's tokens, indexed by the next level's leftKey
	// (one bucket for the last level).
	mem    hindex[*tokBucket]
	next   *joinLevel
	byFact map[uint32][]*token // tokens whose last fact is the slot
	kbuf   []uint64
}

type varField struct{ v, f int }

type slotBucket struct{ slots []uint32 }

type tokBucket struct{ toks []*token }

// token is a partial tuple: a fact of variable level and its parent token.
type token struct {
	parent   *token
	slot     uint32
	children []*token
	bucket   *tokBucket
	childPos int32
	memPos   int32
	factPos  int32
}

// fill binds the rows of the variables of tok and its ancestors.
func (jr *joinRule) fill(tok *token, level int) {
	for ; tok != nil; tok, level = tok.parent, level-1 {
		jr.rows[level] = jr.levels[level].t.row(tok.slot)
	}
}

// slotsOf returns the slots of a token's tuple.
func slotsOf(tok *token, level int) []uint32 {
	s := make([]uint32, level+1)
	for ; tok != nil; tok, level = tok.parent, level-1 {
		s[level] = tok.slot
	}
	return s
}

func (jr *joinRule) tupleKey(slots []uint32) []byte {
	b := jr.tbuf[:0]
	for _, s := range slots {
		b = binary.BigEndian.AppendUint32(b, s)
	}
	jr.tbuf = b
	return b
}

// leftKeyOf computes the next level's left key from the bound rows.
func (l *joinLevel) leftKeyOf() []uint64 {
	n := l.next
	l.kbuf = l.kbuf[:0]
	for _, vf := range n.leftKey {
		kind := n.jr.levels[vf.v].t.kinds[vf.f]
		l.kbuf = append(l.kbuf, keyCode(kind, n.jr.rows[vf.v][vf.f]))
	}
	return l.kbuf
}

func (l *joinLevel) passes() bool {
	for _, f := range l.tests {
		if !f(&l.jr.en) {
			return false
		}
	}
	return true
}

// add is the right activation: a fact enters variable i.
func (l *joinLevel) add(slot uint32) {
	jr := l.jr
	row := l.t.row(slot)
	if l.i == 0 {
		jr.rows[0] = row
		if l.passes() {
			l.makeToken(nil, slot)
		}
		return
	}
	l.kbuf = keyOf(l.kbuf, row, l.rightKey, l.t.kinds)
	b, ok := l.right.get(l.kbuf)
	if !ok {
		b = new(slotBucket)
		l.right.put(l.kbuf, b)
	}
	if int(slot) >= len(l.rpos) {
		l.rpos = append(l.rpos, make([]int32, int(slot)+1-len(l.rpos))...)
	}
	l.rpos[slot] = int32(len(b.slots))
	b.slots = append(b.slots, slot)

	prev := jr.levels[l.i-1]
	lb, ok := prev.mem.get(l.kbuf)
	if !ok {
		return
	}
	for _, left := range lb.toks {
		jr.fill(left, l.i-1)
		jr.rows[l.i] = row
		if l.passes() {
			l.makeToken(left, slot)
		}
	}
}

// makeToken records a new token of this level and left-activates the next
// level with it. The rows of its tuple are bound.
func (l *joinLevel) makeToken(parent *token, slot uint32) {
	jr := l.jr
	tok := &token{parent: parent, slot: slot}
	if parent != nil {
		tok.childPos = int32(len(parent.children))
		parent.children = append(parent.children, tok)
	}
	list := l.byFact[slot]
	tok.factPos = int32(len(list))
	l.byFact[slot] = append(list, tok)

	var key []uint64
	if l.next != nil {
		key = l.leftKeyOf()
	}
	b, ok := l.mem.get(key)
	if !ok {
		b = new(tokBucket)
		l.mem.put(key, b)
	}
	tok.bucket = b
	tok.memPos = int32(len(b.toks))
	b.toks = append(b.toks, tok)

	if l.next == nil {
		jr.logAdd(tok)
		return
	}
	n := l.next
	rb, ok := n.right.get(key)
	if !ok {
		return
	}
	for _, s := range rb.slots {
		jr.fill(tok, l.i)
		jr.rows[n.i] = n.t.row(s)
		if n.passes() {
			n.makeToken(tok, s)
		}
	}
}

// remove: a fact leaves variable i, with every token that holds it there.
func (l *joinLevel) remove(slot uint32) {
	if l.i > 0 {
		row := l.t.row(slot)
		l.kbuf = keyOf(l.kbuf, row, l.rightKey, l.t.kinds)
		b, ok := l.right.get(l.kbuf)
		if !ok {
			panic("BUG: join right memory lost a fact")
		}
		p := l.rpos[slot]
		last := len(b.slots) - 1
		moved := b.slots[last]
		b.slots[p] = moved
		l.rpos[moved] = p
		b.slots = b.slots[:last]
		if last == 0 {
			l.right.del(l.kbuf)
		}
	}
	toks := l.byFact[slot]
	for len(toks) > 0 {
		l.removeToken(toks[len(toks)-1])
		toks = l.byFact[slot]
	}
}

// removeToken removes a token of this level and its descendants.
func (l *joinLevel) removeToken(tok *token) {
	jr := l.jr
	for len(tok.children) > 0 {
		l.next.removeToken(tok.children[len(tok.children)-1])
	}
	if p := tok.parent; p != nil {
		last := len(p.children) - 1
		moved := p.children[last]
		p.children[tok.childPos] = moved
		moved.childPos = tok.childPos
		p.children[last] = nil
		p.children = p.children[:last]
	}
	list := l.byFact[tok.slot]
	last := len(list) - 1
	moved := list[last]
	list[tok.factPos] = moved
	moved.factPos = tok.factPos
	list[last] = nil
	if last == 0 {
		delete(l.byFact, tok.slot)
	} else {
		l.byFact[tok.slot] = list[:last]
	}
	b := tok.bucket
	last = len(b.toks) - 1
	mt := b.toks[last]
	b.toks[tok.memPos] = mt
	mt.memPos = tok.memPos
	b.toks[last] = nil
	b.toks = b.toks[:last]
	if last == 0 {
		var key []uint64
		if l.next != nil {
			jr.fill(tok, l.i)
			key = l.leftKeyOf()
		}
		l.mem.del(key)
	}
	if l.next == nil {
		jr.logRemove(tok)
	}
}

func (l *joinLevel) touch([]uint64) uint64 { return 0 }

// inPlace never holds: the tuples are joined again.
func (l *joinLevel) inPlace(_, _ []uint64) bool { return false }

func (l *joinLevel) modify(uint32, []uint64, []uint64) {
	panic("BUG: in-place modify of a join level")
}

func (jr *joinRule) position() int { return jr.pos }

// entry returns the log entry of a tuple, creating it.
func (jr *joinRule) entry(slots []uint32, before bool) (*logEntry, bool) {
	k := jr.tupleKey(slots)
	if e, ok := jr.log[string(k)]; ok {
		return e, true
	}
	if len(jr.log) == 0 {
		jr.e.pendingRules = append(jr.e.pendingRules, jr)
	}
	e := &logEntry{before: before, slots: slots}
	jr.log[string(k)] = e
	return e, false
}

func (jr *joinRule) logAdd(tok *token) {
	e, _ := jr.entry(slotsOf(tok, len(jr.levels)-1), false)
	e.tok = tok
}

func (jr *joinRule) logRemove(tok *token) {
	e, _ := jr.entry(slotsOf(tok, len(jr.levels)-1), true)
	e.tok = nil
}

// agenda turns the step's tuple changes into events, in tuple order.
func (jr *joinRule) agenda(out *[]Event) {
	if len(jr.log) == 0 {
		return
	}
	entries := make([]*logEntry, 0, len(jr.log))
	for _, e := range jr.log {
		if e.before || e.tok != nil {
			entries = append(entries, e)
		}
	}
	if len(jr.log) > 1024 {
		// Clearing costs the map's capacity: start small again.
		jr.log = make(map[string]*logEntry)
	} else {
		clear(jr.log)
	}
	slices.SortFunc(entries, func(a, b *logEntry) int { return slices.Compare(a.slots, b.slots) })
	for _, en := range entries {
		kind := EventKind(0)
		switch {
		case en.tok != nil && !en.before:
			kind = Fire
		case en.tok == nil:
			kind = Withdraw
		case jr.changed(en.slots):
			kind = Update
		}
		if kind != 0 && out != nil {
			*out = append(*out, jr.event(kind, en.slots))
		}
	}
}

// changed reports whether a fact of the tuple changed during the step.
func (jr *joinRule) changed(slots []uint32) bool {
	for i, s := range slots {
		if jr.e.changedInStep(jr.levels[i].t, s) {
			return true
		}
	}
	return false
}

func (jr *joinRule) event(kind EventKind, slots []uint32) Event {
	ev := Event{Kind: kind, Rule: jr.rule.Name, Facts: make([]Fact, len(slots))}
	for i, s := range slots {
		t := jr.levels[i].t
		ev.Facts[i] = jr.e.fact(t, s)
		jr.rows[i] = t.row(s)
	}
	if kind != Withdraw {
		ev.Actions = runActions(jr.actions, &jr.en)
	}
	return ev
}

// tuples returns the slots of every matching tuple, in tuple order.
func (jr *joinRule) tuples() [][]uint32 {
	last := jr.levels[len(jr.levels)-1]
	var out [][]uint32
	b, ok := last.mem.get(nil)
	if ok {
		for _, tok := range b.toks {
			out = append(out, slotsOf(tok, last.i))
		}
	}
	slices.SortFunc(out, slices.Compare)
	return out
}
