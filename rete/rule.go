package rete

import (
	"fmt"
	"slices"
	"strings"

	"github.com/accretedb/accrete/rulelang"
)

// newAggRule builds an aggregation rule on an accumulate network: the one
// of an earlier rule with the same join tree when that network can take
// the rule's aggregates (it holds them all, or it holds no facts yet), else
// a new one fed the facts in working memory.
func (e *Engine) newAggRule(r *rulelang.Rule, types []*typeMem) *aggRule {
	key := e.treeKey(r, types)
	var tr *accTree
	for _, t := range e.trees {
		if t.key == key && (t.facts == 0 || t.hasAggregates(r)) {
			tr = t
			break
		}
	}
	fresh := tr == nil
	if fresh {
		tr = e.newAccTree(r, types, key)
		e.trees = append(e.trees, tr)
	}
	ar := &aggRule{e: e, rule: r, pos: len(e.rules), tree: tr, main: tr.main, epoch: 1}
	ar.en = env{e: e, rows: ar.rows[:]}
	for _, a := range r.Aggregates {
		ar.aggIdx = append(ar.aggIdx, tr.aggregate(a))
	}
	ar.thresholds = r.Thresholds
	for _, t := range r.Thresholds {
		ar.tests = append(ar.tests, single.bool(t))
	}
	ar.actions = compileActions(single, r.Actions)
	ar.vals = make([]float64, len(ar.aggIdx))
	ar.nulls = make([]bool, len(ar.aggIdx))
	tr.rules = append(tr.rules, ar)
	tr.main.tracked = true

	if fresh {
		tr.root.alpha.sinks = append(tr.root.alpha.sinks, tr.root)
		e.prime(tr.root.alpha, tr.root)
		for _, v := range tr.srcs[1:] {
			v.alpha.sinks = append(v.alpha.sinks, v)
			e.prime(v.alpha, v)
		}
		return ar
	}
	// The shared network is up to date: the new rule evaluates every main
	// fact it holds.
	for m := uint32(0); m < tr.main.n; m++ {
		if tr.main.isAlive(m) && tr.root.alpha.pass(e, tr.main.row(m)) {
			ar.markDirty(m)
		}
	}
	return ar
}

// treeKey identifies the join tree of an aggregation rule: the types and
// filters of its variables (as their alpha nodes) and its joins.
func (e *Engine) treeKey(r *rulelang.Rule, types []*typeMem) string {
	var b strings.Builder
	for i, v := range r.Vars {
		fmt.Fprintf(&b, "%s[%s];", types[i].info.Name, e.alphaFor(types[i], v.Filters).key)
	}
	for _, j := range r.Joins {
		fmt.Fprintf(&b, "%d>%d", j.Parent, j.Child)
		for _, k := range j.Keys {
			fmt.Fprintf(&b, ":%d=%d", k.ParentField, k.ChildField)
		}
		b.WriteByte(';')
	}
	return b.String()
}

// aggKey identifies an aggregate within its tree.
func aggKey(a *rulelang.Aggregate) string {
	return fmt.Sprintf("%d %s %s", a.Source, a.Func, canonical(a.Arg))
}

// hasAggregates reports whether the tree computes every aggregate of r.
func (tr *accTree) hasAggregates(r *rulelang.Rule) bool {
	for _, a := range r.Aggregates {
		if !slices.Contains(tr.aggKeys, aggKey(a)) {
			return false
		}
	}
	return true
}

// aggregate returns the tree's index of aggregate a, adding it when the
// tree does not compute it yet (only while the tree holds no facts).
func (tr *accTree) aggregate(a *rulelang.Aggregate) int {
	key := aggKey(a)
	if i := slices.Index(tr.aggKeys, key); i >= 0 {
		return i
	}
	if tr.facts != 0 || tr.mains != 0 {
		panic("BUG: aggregate added to an accumulate network holding facts")
	}
	spec := aggSpec{name: a.Name, fn: a.Func, src: a.Source, field: -1}
	if f, ok := a.Arg.(*rulelang.FieldRef); ok && f.Type() == rulelang.TypeNumber {
		spec.field = f.Field
	} else if a.Func != rulelang.AggCount {
		spec.arg = single.num(a.Arg)
	}
	i := len(tr.aggs)
	tr.aggs = append(tr.aggs, spec)
	tr.aggKeys = append(tr.aggKeys, key)
	tr.srcs[a.Source].aggs = append(tr.srcs[a.Source].aggs, i)
	return i
}

// newAccTree builds the nodes of a join tree, without aggregates.
func (e *Engine) newAccTree(r *rulelang.Rule, types []*typeMem, key string) *accTree {
	tr := &accTree{e: e, key: key, main: types[0]}
	tr.en = env{e: e, rows: tr.rows[:]}
	tr.root = &rootVar{tr: tr, t: types[0], alpha: e.alphaFor(types[0], r.Vars[0].Filters)}
	tr.srcs = make([]*srcVar, len(r.Vars))
	for i := 1; i < len(r.Vars); i++ {
		tr.srcs[i] = &srcVar{tr: tr, v: i, t: types[i], alpha: e.alphaFor(types[i], r.Vars[i].Filters)}
	}
	for _, j := range r.Joins {
		parentFields := make([]int, len(j.Keys))
		childFields := make([]int, len(j.Keys))
		for k, key := range j.Keys {
			parentFields[k], childFields[k] = key.ParentField, key.ChildField
		}
		child := tr.srcs[j.Child]
		child.upKey = childFields
		child.groups = newGroupIndex(childFields, child.t.kinds)
		if j.Parent == 0 {
			tr.root.children = append(tr.root.children, child)
			tr.root.downKey = append(tr.root.downKey, parentFields)
		} else {
			p := tr.srcs[j.Parent]
			p.children = append(p.children, child)
			p.downKey = append(p.downKey, parentFields)
		}
	}
	return tr
}

// newJoinRule builds the join network of a rule without aggregation
// variables and feeds it working memory.
func (e *Engine) newJoinRule(r *rulelang.Rule, types []*typeMem) *joinRule {
	n := len(r.Vars)
	jr := &joinRule{e: e, rule: r, pos: len(e.rules), log: make(map[string]*logEntry)}
	jr.rows = make([][]uint64, n)
	jr.en = env{e: e, rows: jr.rows}
	for i, v := range r.Vars {
		l := &joinLevel{jr: jr, i: i, t: types[i], alpha: e.alphaFor(types[i], v.Filters), byFact: make(map[uint32][]*token)}
		types[i].tracked = true
		jr.levels = append(jr.levels, l)
	}
	for _, j := range r.Joins {
		l := jr.levels[j.Child]
		for _, k := range j.Keys {
			l.rightKey = append(l.rightKey, k.ChildField)
			l.leftKey = append(l.leftKey, varField{j.Parent, k.ParentField})
		}
	}
	for _, f := range r.JoinFilters {
		l := jr.levels[maxVar(f)]
		l.tests = append(l.tests, identity.bool(f))
	}
	for i, l := range jr.levels {
		l.right = newHindex[*slotBucket](len(l.rightKey))
		if i+1 < n {
			l.next = jr.levels[i+1]
			l.mem = newHindex[*tokBucket](len(l.next.leftKey))
		} else {
			l.mem = newHindex[*tokBucket](0)
		}
	}
	jr.actions = compileActions(identity, r.Actions)
	for _, l := range jr.levels {
		l.alpha.sinks = append(l.alpha.sinks, l)
		e.prime(l.alpha, l)
	}
	return jr
}

// evaluate computes the aggregates of main m into r.vals and r.nulls and
// reports whether the rule holds for m.
func (r *aggRule) evaluate(m uint32) bool {
	r.ensureMain(m)
	tr := r.tree
	tr.ensureMain(m)
	anyNull := false
	for i, ai := range r.aggIdx {
		v, ok := tr.state(m, ai).result(tr.aggs[ai].fn)
		r.vals[i], r.nulls[i] = v, !ok
		anyNull = anyNull || !ok
	}
	t := r.main
	if !t.isAlive(m) || anyNull {
		return false
	}
	row := t.row(m)
	if !tr.root.alpha.pass(r.e, row) {
		return false
	}
	r.rows[0] = row
	r.en.aggs = r.vals
	for _, f := range r.tests {
		if !f(&r.en) {
			return false
		}
	}
	return true
}

func (r *aggRule) isHeld(m uint32) bool {
	return int(m>>6) < len(r.held) && r.held[m>>6]&(1<<(m&63)) != 0
}

func (r *aggRule) setHeld(m uint32, on bool) {
	if on {
		r.held[m>>6] |= 1 << (m & 63)
	} else {
		r.held[m>>6] &^= 1 << (m & 63)
	}
}

// sameValues compares aggregate values as the language's == does, except
// that NaN equals NaN.
func sameValues(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] && (a[i] == a[i] || b[i] == b[i]) {
			return false
		}
	}
	return true
}

// agenda evaluates the mains marked dirty during the step, in first-assert
// order, and emits fires, updates and withdrawals.
func (r *aggRule) agenda(out *[]Event) {
	if len(r.dirty) == 0 {
		return
	}
	slices.Sort(r.dirty)
	k := len(r.aggIdx)
	for _, m := range r.dirty {
		holds := r.evaluate(m)
		held := r.isHeld(m)
		fired := r.fired[int(m)*k : int(m)*k+k]
		switch {
		case holds && !held:
			r.setHeld(m, true)
			copy(fired, r.vals)
			r.emit(out, Fire, m)
		case holds:
			if !sameValues(fired, r.vals) || r.e.changedInStep(r.main, m) {
				copy(fired, r.vals)
				r.emit(out, Update, m)
			}
		case held:
			r.setHeld(m, false)
			r.emit(out, Withdraw, m)
		}
	}
	r.dirty = r.dirty[:0]
	r.epoch++
	if r.epoch == 0 {
		clear(r.dirtyAt)
		r.epoch = 1
	}
}

// emit appends the event of main m to out, unless out is nil (nobody
// listens).
func (r *aggRule) emit(out *[]Event, kind EventKind, m uint32) {
	if out != nil {
		*out = append(*out, r.event(kind, m))
	}
}

// event builds an event for main m; for a fire or an update r.vals holds
// its aggregate values.
func (r *aggRule) event(kind EventKind, m uint32) Event {
	ev := Event{Kind: kind, Rule: r.rule.Name, Facts: []Fact{r.e.fact(r.main, m)}}
	if kind == Withdraw {
		return ev
	}
	ev.Aggregates = r.bindings(r.vals)
	r.rows[0] = r.main.row(m)
	r.en.aggs = r.vals
	ev.Actions = runActions(r.actions, &r.en)
	return ev
}

func (r *aggRule) bindings(vals []float64) []Binding {
	b := make([]Binding, len(r.aggIdx))
	for i, a := range r.rule.Aggregates {
		b[i] = Binding{Name: a.Name, Value: vals[i]}
	}
	return b
}

func (r *aggRule) activations(out *[]Activation) {
	k := len(r.aggIdx)
	for m := uint32(0); m < r.main.n; m++ {
		if r.isHeld(m) {
			*out = append(*out, Activation{
				Rule:       r.rule.Name,
				Facts:      []Fact{r.e.fact(r.main, m)},
				Aggregates: r.bindings(r.fired[int(m)*k : int(m)*k+k]),
			})
		}
	}
}

func (jr *joinRule) activations(out *[]Activation) {
	for _, slots := range jr.tuples() {
		a := Activation{Rule: jr.rule.Name, Facts: make([]Fact, len(slots))}
		for i, s := range slots {
			a.Facts[i] = jr.e.fact(jr.levels[i].t, s)
		}
		*out = append(*out, a)
	}
}
