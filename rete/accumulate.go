package rete

import (
	"math"

	"github.com/accretedb/accrete/rulelang"
)

// This file holds the accumulate network of an aggregation rule: the
// factorised structure that keeps, for every main fact and aggregate, a
// retractable state over the distinct source facts connected to it.
//
// The join tree is rooted at the main variable. A source variable c with
// parent p joins on fields (p.f1 == c.g1 AND ...). The facts of c are kept
// in groups by their values of g1..; all facts of a group are connected to
// the same main facts, so a group carries its reach: for every main fact m,
// the number of facts of p connected to m whose values of f1.. equal the
// group's key (for a child of the root, that is m itself). The aggregates
// over c for m range over the members of every group whose reach holds m;
// groups are disjoint, so each fact counts once, and nothing ever looks at
// c's siblings.
//
// Every group keeps a partial state per aggregate over its members, and
// every main fact a state per aggregate that is the merge of the partial
// states of the groups it reaches. When a fact enters or leaves a group,
// the group's partial and the states of the mains in its reach take its
// value. When a main enters or leaves a group's reach (its count crosses
// zero), the main's states merge or unmerge the group's partial, in O(1)
// for COUNT, SUM and AVG and one multiset operation for MIN and MAX (a
// main's MIN/MAX multiset holds the extreme of each group it reaches); the
// change of reach then flows down to the child groups the members point
// to. Work is proportional to the groups and mains touched; members are
// read only to follow links further down, and the join itself is never
// materialized.

// accTree is an accumulate network: the groups of a join tree and, per main
// fact, the states of the aggregates over it. Aggregation rules with the
// same main variable, sources, filters and joins share one tree, which
// holds the union of their aggregates (each computed once).
type accTree struct {
	e       *Engine
	key     string // identifies the join tree, see treeKey
	main    *typeMem
	root    *rootVar
	srcs    []*srcVar // by variable index; srcs[0] is nil
	aggs    []aggSpec
	aggKeys []string   // identifies each aggregate, see aggKey
	states  []aggState // len(aggs) per main slot
	mains   int        // main slots states has room for
	rules   []*aggRule // the rules sharing the tree
	facts   int        // facts held by the tree's nodes
	en      env
	rows    [1][]uint64
}

// aggRule is an aggregation rule: its aggregates in an accTree, its
// thresholds and actions, and its activations.
type aggRule struct {
	e      *Engine
	rule   *rulelang.Rule
	pos    int // index in Engine.rules
	tree   *accTree
	main   *typeMem
	aggIdx []int // the tree's index of each of the rule's aggregates

	thresholds []rulelang.Term
	tests      []boolFn
	actions    []action
	en         env
	rows       [1][]uint64
	vals       []float64 // scratch: aggregate values
	nulls      []bool    // scratch

	// Activations, per main slot.
	held    []uint64  // bitset: the rule held at the end of the last agenda
	fired   []float64 // len(aggIdx) per main slot: the values it held with
	dirtyAt []uint32  // epoch in which the main was last marked dirty
	dirty   []uint32  // mains whose activation may have changed
	epoch   uint32
}

// aggSpec is a compiled aggregate.
type aggSpec struct {
	name  string
	fn    rulelang.AggFunc
	src   int
	field int   // the argument's field when it is a plain number field, else -1
	arg   numFn // the argument otherwise (nil for COUNT)
}

// value returns the aggregate's argument for a fact of its source.
func (a *aggSpec) value(en *env, row []uint64) float64 {
	switch {
	case a.field >= 0:
		return math.Float64frombits(row[a.field])
	case a.arg == nil:
		return 0
	}
	en.rows[0] = row
	return a.arg(en)
}

// rootVar is the main variable's node.
type rootVar struct {
	tr    *accTree
	t     *typeMem
	alpha *alphaNode
	links // to the groups of the children
}

// srcVar is the node of a source variable.
type srcVar struct {
	tr     *accTree
	v      int
	t      *typeMem
	alpha  *alphaNode
	upKey  []int // this variable's fields in the join with its parent
	links        // to the groups of the children
	aggs   []int // indices of the aggregates over this variable
	groups groupIndex
	pos    pages[int32] // slot → position in its group's members
	kbuf   []uint64
}

// links leads from a node of the join tree (the root or a source variable)
// down to its children: a fact of the node links, in each child, to the
// group whose key is the fact's values of the join fields.
type links struct {
	children []*srcVar
	downKey  [][]int  // per child: the node's join fields
	cbuf     []uint64 // scratch: a child's key
}

// group holds the facts of a source variable with one key, and the main
// facts connected to them.
type group struct {
	members []uint32
	reach   reachSet
	// The partial states of the variable's aggregates: the first inline,
	// the others in more.
	part aggState
	more *[]aggState
}

// partial returns the partial state of the variable's j-th aggregate.
func (g *group) partial(j int) *aggState {
	if j == 0 {
		return &g.part
	}
	return &(*g.more)[j-1]
}

// reachSet counts, per main fact, the parent facts that connect it to a
// group. Most groups reach one main fact, held inline; more go to a list,
// and many to a map.
type reachSet struct {
	one  reachEntry // valid when n > 0
	n    int32      // number of main facts
	more *reachMore
}

type reachMore struct {
	list []reachEntry     // the others, when few
	big  map[uint32]int32 // all but one, when many
}

// reachEntry counts the parent facts that connect main fact m to a group.
type reachEntry struct {
	m uint32
	n int32
}

// bigReach is the reach size from which a group switches to a map.
const bigReach = 16

// inc adds one link from main m and reports whether m is new.
func (g *group) inc(m uint32) bool {
	r := &g.reach
	if r.n > 0 && r.one.m == m {
		r.one.n++
		return false
	}
	if r.n == 0 {
		r.one = reachEntry{m, 1}
		r.n = 1
		return true
	}
	if r.more == nil {
		r.more = &reachMore{}
	}
	mo := r.more
	if mo.big != nil {
		mo.big[m]++
		if mo.big[m] == 1 {
			r.n++
			return true
		}
		return false
	}
	for i := range mo.list {
		if mo.list[i].m == m {
			mo.list[i].n++
			return false
		}
	}
	r.n++
	if len(mo.list) < bigReach {
		mo.list = append(mo.list, reachEntry{m, 1})
		return true
	}
	mo.big = make(map[uint32]int32, 2*bigReach)
	for _, re := range mo.list {
		mo.big[re.m] = re.n
	}
	mo.list = nil
	mo.big[m] = 1
	return true
}

// dec removes one link from main m and reports whether m is gone.
func (g *group) dec(m uint32) bool {
	r := &g.reach
	if r.n > 0 && r.one.m == m {
		if r.one.n > 1 {
			r.one.n--
			return false
		}
		// Move another main into the inline entry.
		r.n--
		switch {
		case r.n == 0:
			r.one = reachEntry{}
		case r.more.big != nil:
			for k, v := range r.more.big {
				r.one = reachEntry{k, v}
				delete(r.more.big, k)
				break
			}
		default:
			last := len(r.more.list) - 1
			r.one = r.more.list[last]
			r.more.list = r.more.list[:last]
		}
		r.shrink()
		return true
	}
	if r.more != nil && r.more.big != nil {
		n, ok := r.more.big[m]
		if !ok {
			panic("BUG: reach of a group lost a main it does not hold")
		}
		if n > 1 {
			r.more.big[m] = n - 1
			return false
		}
		delete(r.more.big, m)
		r.n--
		r.shrink()
		return true
	}
	if r.more != nil {
		l := r.more.list
		for i := range l {
			if l[i].m == m {
				if l[i].n > 1 {
					l[i].n--
					return false
				}
				last := len(l) - 1
				l[i] = l[last]
				r.more.list = l[:last]
				r.n--
				r.shrink()
				return true
			}
		}
	}
	panic("BUG: reach of a group lost a main it does not hold")
}

// shrink drops the overflow storage once the inline entry suffices.
func (r *reachSet) shrink() {
	if r.n <= 1 {
		r.more = nil
	}
}

// mains appends the main facts the group reaches to dst.
func (g *group) mains(dst []uint32) []uint32 {
	r := &g.reach
	if r.n == 0 {
		return dst
	}
	dst = append(dst, r.one.m)
	if r.more == nil {
		return dst
	}
	for _, re := range r.more.list {
		dst = append(dst, re.m)
	}
	for m := range r.more.big {
		dst = append(dst, m)
	}
	return dst
}

func (g *group) reaches() bool { return g.reach.n > 0 }

func (g *group) has(m uint32) bool {
	r := &g.reach
	if r.n == 0 {
		return false
	}
	if r.one.m == m {
		return true
	}
	if r.more == nil {
		return false
	}
	if r.more.big != nil {
		_, ok := r.more.big[m]
		return ok
	}
	for _, re := range r.more.list {
		if re.m == m {
			return true
		}
	}
	return false
}

// ensureMain makes room for the states of main slot m.
func (tr *accTree) ensureMain(m uint32) {
	n := int(m) + 1
	if tr.mains >= n {
		return
	}
	size := max(n, 2*tr.mains, 64)
	tr.states = append(tr.states, make([]aggState, size*len(tr.aggs)-len(tr.states))...)
	tr.mains = size
}

// markDirty notes, for every rule sharing the tree, that the activation of
// main m may have changed.
func (tr *accTree) markDirty(m uint32) {
	for _, r := range tr.rules {
		r.markDirty(m)
	}
}

func (tr *accTree) state(m uint32, ai int) *aggState {
	return &tr.states[int(m)*len(tr.aggs)+ai]
}

// ensureMain makes room for the activation of main slot m.
func (r *aggRule) ensureMain(m uint32) {
	n := int(m) + 1
	if len(r.dirtyAt) >= n {
		return
	}
	size := max(n, 2*len(r.dirtyAt), 64)
	k := len(r.aggIdx)
	r.fired = append(r.fired, make([]float64, size*k-len(r.fired))...)
	r.dirtyAt = append(r.dirtyAt, make([]uint32, size-len(r.dirtyAt))...)
	if words := (size + 63) / 64; words > len(r.held) {
		r.held = append(r.held, make([]uint64, words-len(r.held))...)
	}
}

func (r *aggRule) markDirty(m uint32) {
	r.ensureMain(m)
	if r.dirtyAt[m] != r.epoch {
		r.dirtyAt[m] = r.epoch
		if len(r.dirty) == 0 {
			r.e.pendingRules = append(r.e.pendingRules, r)
		}
		r.dirty = append(r.dirty, m)
	}
}

func (r *aggRule) position() int { return r.pos }

// memberChanged updates the partial states of g and the states of the
// mains it reaches for a member whose values go from old to new: old is
// nil for a fact entering g, new nil for one leaving.
func (v *srcVar) memberChanged(g *group, old, new []uint64) {
	if len(v.aggs) == 0 {
		return
	}
	tr := v.tr
	if len(v.aggs) > 1 && g.more == nil {
		more := make([]aggState, len(v.aggs)-1)
		g.more = &more
	}
	ms := tr.e.mainsBuf(g)
	changed := false
	for j, ai := range v.aggs {
		a := &tr.aggs[ai]
		p := g.partial(j)
		var x, y float64
		if old != nil {
			x = a.value(&tr.en, old)
		}
		if new != nil {
			y = a.value(&tr.en, new)
		}
		if old != nil && new != nil && math.Float64bits(x) == math.Float64bits(y) {
			continue
		}
		if !isMinMax(a.fn) {
			if old != nil {
				p.remove(a.fn, x)
			}
			if new != nil {
				p.add(a.fn, y)
			}
			for _, m := range ms {
				st := tr.state(m, ai)
				if old != nil {
					st.remove(a.fn, x)
				}
				if new != nil {
					st.add(a.fn, y)
				}
			}
			changed = true
			continue
		}
		before, had := p.extreme(a.fn)
		if old != nil {
			p.remove(a.fn, x)
		}
		if new != nil {
			p.add(a.fn, y)
		}
		after, has := p.extreme(a.fn)
		if had == has && math.Float64bits(before) == math.Float64bits(after) {
			continue
		}
		for _, m := range ms {
			st := tr.state(m, ai)
			if had {
				st.remove(a.fn, before)
			}
			if has {
				st.add(a.fn, after)
			}
		}
		changed = true
	}
	if changed {
		for _, m := range ms {
			tr.markDirty(m)
		}
	}
	tr.e.freeMains(ms)
}

// merge adds the partial states of g to main m, which has just entered
// g's reach; unmerge takes them back.
func (v *srcVar) merge(m uint32, g *group, undo bool) {
	if len(g.members) == 0 {
		return
	}
	tr := v.tr
	for j, ai := range v.aggs {
		a := &tr.aggs[ai]
		p, st := g.partial(j), tr.state(m, ai)
		if isMinMax(a.fn) {
			if x, ok := p.extreme(a.fn); ok {
				if undo {
					st.remove(a.fn, x)
				} else {
					st.add(a.fn, x)
				}
			}
		} else if undo {
			st.unmerge(p)
		} else {
			st.merge(p)
		}
	}
	tr.markDirty(m)
}

// The root: a main fact that enters links itself to the groups its join
// fields name.

func (rt *rootVar) add(m uint32) {
	tr := rt.tr
	tr.ensureMain(m)
	tr.facts++
	rt.follow([]uint32{m}, rt.t.row(m), rt.t.kinds, false)
	tr.markDirty(m)
}

func (rt *rootVar) remove(m uint32) {
	rt.follow([]uint32{m}, rt.t.row(m), rt.t.kinds, true)
	rt.tr.facts--
	rt.tr.markDirty(m)
}

// inPlace holds when the main keeps its links: only its other fields
// change, which the agenda sees.
func (rt *rootVar) inPlace(old, new []uint64) bool {
	for _, k := range rt.downKey {
		if !sameKey(old, new, k, rt.t.kinds) {
			return false
		}
	}
	return true
}

func (rt *rootVar) modify(m uint32, _, _ []uint64) { rt.tr.markDirty(m) }

func (rt *rootVar) touch([]uint64) uint64 { return 0 }

// touch reads the group a fact with these codes joins: its header and the
// end of its members.
func (v *srcVar) touch(codes []uint64) uint64 {
	if !v.groups.dense {
		return 0
	}
	id := v.groups.byStr.get(uint32(keyCode(v.t.kinds[v.upKey[0]], codes[v.upKey[0]])))
	if id == 0 {
		return 0
	}
	g := v.groups.at(id)
	if n := len(g.members); n > 0 {
		return uint64(g.members[n-1]) + uint64(g.part.n)
	}
	return uint64(g.reach.n)
}

// groupFor returns the group with the given key, creating it.
func (v *srcVar) groupFor(key []uint64) *group {
	return v.groups.getOrCreate(key)
}

func (v *srcVar) mustGroup(key []uint64) *group {
	g, ok := v.groups.get(key)
	if !ok {
		panic("BUG: missing group in the accumulate network")
	}
	return g
}

// dropIfEmpty forgets a group without members and reach.
func (v *srcVar) dropIfEmpty(key []uint64, g *group) {
	if len(g.members) == 0 && !g.reaches() {
		v.groups.del(key)
	}
}

// follow counts mains ms into (undo: out of) the reach of the group that
// a fact with codes row and types kinds links to in each child.
func (l *links) follow(ms []uint32, row []uint64, kinds []rulelang.Type, undo bool) {
	for i, c := range l.children {
		l.cbuf = keyOf(l.cbuf, row, l.downKey[i], kinds)
		c.reach(ms, l.cbuf, undo)
	}
}

// reach counts mains ms into the reach of the group with the given key,
// creating it, and connects each main that has just entered the reach.
// With undo it counts them out, disconnects each main that has just left
// the reach and drops the group when it is left empty.
func (v *srcVar) reach(ms []uint32, key []uint64, undo bool) {
	if undo {
		g := v.mustGroup(key)
		for _, m := range ms {
			if g.dec(m) {
				v.connect(m, g, true)
			}
		}
		v.dropIfEmpty(key, g)
		return
	}
	g := v.groupFor(key)
	for _, m := range ms {
		if g.inc(m) {
			v.connect(m, g, false)
		}
	}
}

// connect adds the partial states of g (and, below, of everything its
// members lead to) to main m, which has just entered g's reach. With undo
// it takes them out again: m has just left g's reach.
func (v *srcVar) connect(m uint32, g *group, undo bool) {
	v.merge(m, g, undo)
	if len(v.children) == 0 {
		return
	}
	ms := []uint32{m}
	for _, f := range g.members {
		v.follow(ms, v.t.row(f), v.t.kinds, undo)
	}
}

func (v *srcVar) setPos(slot uint32, p int) { v.pos.set(slot, int32(p)) }

func (v *srcVar) add(slot uint32) {
	row := v.t.row(slot)
	v.kbuf = keyOf(v.kbuf, row, v.upKey, v.t.kinds)
	g := v.groupFor(v.kbuf)
	v.setPos(slot, len(g.members))
	g.members = append(g.members, slot)
	v.tr.facts++
	v.memberChanged(g, nil, row)
	if !g.reaches() || len(v.children) == 0 {
		return
	}
	ms := v.tr.e.mainsBuf(g)
	v.follow(ms, row, v.t.kinds, false)
	v.tr.e.freeMains(ms)
}

func (v *srcVar) remove(slot uint32) {
	row := v.t.row(slot)
	v.kbuf = keyOf(v.kbuf, row, v.upKey, v.t.kinds)
	g := v.mustGroup(v.kbuf)
	v.memberChanged(g, row, nil)
	if g.reaches() && len(v.children) > 0 {
		ms := v.tr.e.mainsBuf(g)
		v.follow(ms, row, v.t.kinds, true)
		v.tr.e.freeMains(ms)
	}
	v.tr.facts--
	p := *v.pos.at(slot)
	last := len(g.members) - 1
	moved := g.members[last]
	g.members[p] = moved
	*v.pos.at(moved) = p
	g.members = g.members[:last]
	if last == 0 {
		g.members = nil
		g.more = nil
	}
	v.kbuf = keyOf(v.kbuf, row, v.upKey, v.t.kinds)
	v.dropIfEmpty(v.kbuf, g)
}

// inPlace holds when the fact stays in its group with the same links:
// only its aggregate values may change.
func (v *srcVar) inPlace(old, new []uint64) bool {
	kinds := v.t.kinds
	if !sameKey(old, new, v.upKey, kinds) {
		return false
	}
	for _, k := range v.downKey {
		if !sameKey(old, new, k, kinds) {
			return false
		}
	}
	return true
}

func (v *srcVar) modify(slot uint32, old, new []uint64) {
	v.kbuf = keyOf(v.kbuf, old, v.upKey, v.t.kinds)
	v.memberChanged(v.mustGroup(v.kbuf), old, new)
}

// mainsBuf returns the mains of g in a scratch slice; release it with
// freeMains. Calls nest (connect may add facts further down), so the
// buffers form a stack.
func (e *Engine) mainsBuf(g *group) []uint32 {
	var buf []uint32
	if n := len(e.mainStack); n > 0 {
		buf = e.mainStack[n-1]
		e.mainStack = e.mainStack[:n-1]
	}
	return g.mains(buf[:0])
}

func (e *Engine) freeMains(buf []uint32) {
	e.mainStack = append(e.mainStack, buf[:0])
}

// groupIndex finds the groups of a source variable by key. A key of one
// string field indexes an array by string index; other keys go through a
// hash index. Groups live in fixed-size chunks, so their addresses never
// change, and freed groups are reused.
type groupIndex struct {
	dense  bool
	byStr  pages[uint32]  // string index → group id (0: none)
	byKey  hindex[uint32] // key → group id, for other keys
	chunks [][]group      // group id n is chunks[(n-1)/groupChunk][(n-1)%groupChunk]
	free   []uint32
	live   int
}

const groupChunk = 256

func newGroupIndex(fields []int, kinds []rulelang.Type) groupIndex {
	if len(fields) == 1 && kinds[fields[0]] == rulelang.TypeString {
		return groupIndex{dense: true}
	}
	return groupIndex{byKey: newHindex[uint32](len(fields))}
}

func (x *groupIndex) at(id uint32) *group {
	return &x.chunks[(id-1)/groupChunk][(id-1)%groupChunk]
}

func (x *groupIndex) id(key []uint64) uint32 {
	if x.dense {
		return x.byStr.get(uint32(key[0]))
	}
	id, _ := x.byKey.get(key)
	return id
}

func (x *groupIndex) get(key []uint64) (*group, bool) {
	id := x.id(key)
	if id == 0 {
		return nil, false
	}
	return x.at(id), true
}

func (x *groupIndex) getOrCreate(key []uint64) *group {
	if id := x.id(key); id != 0 {
		return x.at(id)
	}
	var id uint32
	if n := len(x.free); n > 0 {
		id = x.free[n-1]
		x.free = x.free[:n-1]
	} else {
		n := len(x.chunks)
		if n == 0 || len(x.chunks[n-1]) == groupChunk {
			x.chunks = append(x.chunks, make([]group, 0, groupChunk))
			n++
		}
		x.chunks[n-1] = x.chunks[n-1][:len(x.chunks[n-1])+1]
		id = uint32((n-1)*groupChunk + len(x.chunks[n-1]))
	}
	x.live++
	if x.dense {
		x.byStr.set(uint32(key[0]), id)
	} else {
		x.byKey.put(key, id)
	}
	return x.at(id)
}

// del forgets the (empty) group with the given key.
func (x *groupIndex) del(key []uint64) {
	id := x.id(key)
	if id == 0 {
		panic("BUG: delete of a missing group")
	}
	*x.at(id) = group{}
	x.free = append(x.free, id)
	x.live--
	if x.dense {
		*x.byStr.at(uint32(key[0])) = 0
	} else {
		x.byKey.del(key)
	}
}

func (x *groupIndex) len() int { return x.live }
