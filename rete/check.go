package rete

import (
	"fmt"
	"math"
	"slices"

	"github.com/accretedb/accrete/rulelang"
)

// This file is checking mode ([Options.Check]): after each step every
// activation is recomputed from scratch, without the network's memories,
// and compared with the network's.

func (e *Engine) check() error {
	for _, r := range e.rules {
		if err := r.check(); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) mismatch(rule string, format string, args ...any) error {
	return fmt.Errorf("rule %s: %s: %w", rule, fmt.Sprintf(format, args...), ErrMismatch)
}

// check compares every main fact's aggregates, holds and activation with a
// recomputation by walking the join tree over working memory.
func (r *aggRule) check() error {
	e := r.e
	tr := r.tree
	k := len(r.aggIdx)
	vals := make([]float64, k)
	nulls := make([]bool, k)
	for m := uint32(0); m < r.main.n; m++ {
		holds := r.evaluate(m)
		name := func() string { return e.fact(r.main, m).String() }
		want, integral, alive := r.naive(m, vals, nulls)
		if !alive {
			for i, ai := range r.aggIdx {
				if n := tr.state(m, ai).count(tr.aggs[ai].fn); n != 0 {
					return e.mismatch(r.rule.Name, "%s is not connected but %s holds %d values", name(), r.rule.Aggregates[i].Name, n)
				}
			}
		}
		for i, a := range r.rule.Aggregates {
			if nulls[i] != r.nulls[i] {
				return e.mismatch(r.rule.Name, "%s: %s is null=%v, recomputed null=%v", name(), a.Name, r.nulls[i], nulls[i])
			}
			if !nulls[i] && !closeEnough(r.vals[i], vals[i], integral[i]) {
				return e.mismatch(r.rule.Name, "%s: %s = %v, recomputed %v", name(), a.Name, r.vals[i], vals[i])
			}
		}
		if alive && !slices.Contains(nulls, true) {
			r.rows[0] = r.main.row(m)
			r.en.aggs = vals
			want = true
			for _, f := range r.tests {
				if !f(&r.en) {
					want = false
					break
				}
			}
		}
		if want != holds {
			return e.mismatch(r.rule.Name, "%s: holds=%v, recomputed %v", name(), holds, want)
		}
		if r.isHeld(m) != holds {
			return e.mismatch(r.rule.Name, "%s: activation held=%v after the agenda, but the rule holds=%v", name(), r.isHeld(m), holds)
		}
		if holds && !sameValues(r.fired[int(m)*k:int(m)*k+k], r.vals) {
			return e.mismatch(r.rule.Name, "%s: activation holds values %v, current %v", name(), r.fired[int(m)*k:int(m)*k+k], r.vals)
		}
	}
	return nil
}

// closeEnough compares an incremental aggregate with its recomputation:
// exactly when every input was an integer, else to within 1e-9 relative.
func closeEnough(got, want float64, integral bool) bool {
	if got == want || math.IsNaN(got) && math.IsNaN(want) {
		return true
	}
	if integral || math.IsInf(got, 0) || math.IsInf(want, 0) {
		return false
	}
	return math.Abs(got-want) <= 1e-9*math.Max(math.Abs(got), math.Abs(want))
}

// naive recomputes the aggregates of main m into vals and nulls by
// scanning working memory along the join tree. It reports whether the
// main fact exists and passes its filters (alive), and per aggregate
// whether all its inputs were integers. holds is left false; the caller
// evaluates thresholds.
func (r *aggRule) naive(m uint32, vals []float64, nulls []bool) (holds bool, integral []bool, alive bool) {
	e := r.e
	tr := r.tree
	rule := r.rule
	integral = make([]bool, len(r.aggIdx))
	connected := make([][]uint32, len(rule.Vars))
	alive = r.main.isAlive(m) && tr.root.alpha.pass(e, r.main.row(m))
	if alive {
		connected[0] = []uint32{m}
	}
	types := make([]*typeMem, len(rule.Vars))
	types[0] = r.main
	alphas := make([]*alphaNode, len(rule.Vars))
	alphas[0] = tr.root.alpha
	for i := 1; i < len(rule.Vars); i++ {
		types[i], alphas[i] = tr.srcs[i].t, tr.srcs[i].alpha
	}
	for _, j := range rule.Joins {
		pt, ct := types[j.Parent], types[j.Child]
		keys := make(map[string]bool)
		for _, s := range connected[j.Parent] {
			keys[naiveKey(pt, s, j.Keys, true)] = true
		}
		if len(keys) == 0 {
			continue
		}
		for s := uint32(0); s < ct.n; s++ {
			if ct.isAlive(s) && alphas[j.Child].pass(e, ct.row(s)) && keys[naiveKey(ct, s, j.Keys, false)] {
				connected[j.Child] = append(connected[j.Child], s)
			}
		}
	}
	for i, ai := range r.aggIdx {
		a := &tr.aggs[ai]
		facts := connected[a.src]
		integral[i] = true
		var xs []float64
		for _, s := range facts {
			x := a.value(&r.en, types[a.src].row(s))
			xs = append(xs, x)
			if x != math.Trunc(x) {
				integral[i] = false
			}
		}
		v, ok := naiveAggregate(a.fn, xs)
		vals[i], nulls[i] = v, !ok
	}
	return false, integral, alive
}

// naiveKey renders the join fields of a fact (the parent's or the child's
// side of keys) as a string.
func naiveKey(t *typeMem, s uint32, keys []rulelang.JoinKey, parent bool) string {
	row := t.row(s)
	codes := make([]uint64, len(keys))
	for i, k := range keys {
		f := k.ChildField
		if parent {
			f = k.ParentField
		}
		codes[i] = keyCode(t.kinds[f], row[f])
	}
	return string(appendKeyBytes(nil, codes))
}

// naiveAggregate computes an aggregate over xs with plain arithmetic.
func naiveAggregate(fn rulelang.AggFunc, xs []float64) (float64, bool) {
	switch fn {
	case rulelang.AggCount:
		return float64(len(xs)), true
	case rulelang.AggSum, rulelang.AggAvg:
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		if fn == rulelang.AggSum {
			return sum, true
		}
		if len(xs) == 0 {
			return 0, false
		}
		return sum / float64(len(xs)), true
	}
	if len(xs) == 0 {
		return 0, false
	}
	best := xs[0]
	for _, x := range xs[1:] {
		less := totalOrder(x) < totalOrder(best)
		if fn == rulelang.AggMin && less || fn == rulelang.AggMax && totalOrder(x) > totalOrder(best) {
			best = x
		}
	}
	return best, true
}

// totalOrder maps a float to an integer that sorts as IEEE 754 totalOrder.
func totalOrder(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// check compares the network's matching tuples with an enumeration of
// every combination of facts.
func (jr *joinRule) check() error {
	e := jr.e
	have := make(map[string]bool)
	for _, slots := range jr.tuples() {
		have[string(jr.tupleKey(slots))] = true
	}
	n := len(jr.levels)
	slots := make([]uint32, n)
	found := 0
	var err error
	var walk func(i int)
	walk = func(i int) {
		if err != nil {
			return
		}
		if i == n {
			if !have[string(jr.tupleKey(slots))] {
				err = e.mismatch(jr.rule.Name, "tuple %v matches but has no activation", jr.describeTuple(slots))
			}
			found++
			return
		}
		l := jr.levels[i]
		for s := uint32(0); s < l.t.n; s++ {
			if !l.t.isAlive(s) || !l.alpha.pass(e, l.t.row(s)) {
				continue
			}
			slots[i] = s
			for j := 0; j <= i; j++ {
				jr.rows[j] = jr.levels[j].t.row(slots[j])
			}
			ok := true
			for _, j := range jr.rule.Joins {
				if j.Child != i {
					continue
				}
				pr, cr := jr.rows[j.Parent], jr.rows[i]
				pk := jr.levels[j.Parent].t.kinds
				for _, k := range j.Keys {
					if keyCode(pk[k.ParentField], pr[k.ParentField]) != keyCode(l.t.kinds[k.ChildField], cr[k.ChildField]) {
						ok = false
					}
				}
			}
			if ok && l.passes() {
				walk(i + 1)
			}
		}
	}
	walk(0)
	if err != nil {
		return err
	}
	if found != len(have) {
		return e.mismatch(jr.rule.Name, "%d activations, but %d tuples match", len(have), found)
	}
	return nil
}

func (jr *joinRule) describeTuple(slots []uint32) string {
	s := "("
	for i, slot := range slots {
		if i > 0 {
			s += ", "
		}
		s += jr.e.fact(jr.levels[i].t, slot).String()
	}
	return s + ")"
}
