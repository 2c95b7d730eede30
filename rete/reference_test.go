package rete

import (
	"fmt"
	"slices"
	"strings"

	"github.com/accretedb/accrete/rulelang"
)

// This file is a reference implementation of the rule semantics for the
// property tests: after every step it recomputes every activation of every
// rule from scratch, by brute force over the facts, with its own
// expression interpreter, and derives the events by comparing with the
// previous step. It shares nothing with the engine but the checked program
// and the event formatting.

type refFact struct {
	typ   *rulelang.TypeInfo
	vals  []rulelang.Value
	order int // first-assert order within the type
	alive bool
}

type refType struct {
	info  *rulelang.TypeInfo
	byKey map[string]*refFact
	list  []*refFact // every key ever asserted, in first-assert order
}

// refAct is an activation: the facts it binds, their values and the
// aggregate values when it last fired.
type refAct struct {
	facts []*refFact
	vals  [][]rulelang.Value
	aggs  []float64
}

type refEngine struct {
	types map[string]*refType
	rules []*rulelang.Rule
	prev  []map[string]*refAct // per rule
	out   strings.Builder
}

func newRefEngine() *refEngine {
	return &refEngine{types: make(map[string]*refType)}
}

func refKey(t *rulelang.TypeInfo, vals []rulelang.Value) string {
	if t.Key >= 0 {
		v := vals[t.Key]
		if v.Type == rulelang.TypeNumber && v.Num == 0 {
			v.Num = 0 // -0 and 0 are one key
		}
		return v.String()
	}
	return Fact{Type: t, Values: vals}.String()
}

func (r *refEngine) declare(t *rulelang.TypeInfo) error {
	if old, ok := r.types[t.Name]; ok {
		if !sameDecl(old.info, t) {
			return fmt.Errorf("type %s: %w", t.Name, ErrTypeConflict)
		}
		return nil
	}
	r.types[t.Name] = &refType{info: t, byKey: make(map[string]*refFact)}
	return nil
}

func (r *refEngine) assert(t *rulelang.TypeInfo, vals []rulelang.Value) error {
	rt, ok := r.types[t.Name]
	if !ok {
		return fmt.Errorf("fact of %w %s", ErrUnknownType, t.Name)
	}
	k := refKey(t, vals)
	f, ok := rt.byKey[k]
	if !ok {
		f = &refFact{typ: t, order: len(rt.list)}
		rt.byKey[k] = f
		rt.list = append(rt.list, f)
	}
	f.vals = slices.Clone(vals)
	f.alive = true
	return nil
}

func (r *refEngine) retract(t *rulelang.TypeInfo, key rulelang.Value) error {
	rt, ok := r.types[t.Name]
	if !ok {
		return fmt.Errorf("retract of %w %s", ErrUnknownType, t.Name)
	}
	vals := make([]rulelang.Value, len(t.Fields))
	vals[t.Key] = key
	f, ok := rt.byKey[refKey(t, vals)]
	if !ok || !f.alive {
		return fmt.Errorf("cannot retract %s(%s: %s): %w", t.Name, t.Fields[t.Key].Name, key, ErrNoFact)
	}
	f.alive = false
	return nil
}

// exec runs a program like Engine.Exec and records events and errors in
// the format of formatEvent.
func (r *refEngine) exec(p *rulelang.Program, batch bool) {
	report := func(s rulelang.Statement, err error) {
		se := &StmtError{Pos: p.File.Position(s.Pos()), Err: err}
		r.out.WriteString("error " + se.Error() + "\n")
	}
	pending := false
	for _, s := range p.Stmts {
		switch s := s.(type) {
		case *rulelang.Fact:
			if err := r.assert(s.Type, s.Values); err != nil {
				report(s, err)
				continue
			}
			pending = true
		case *rulelang.Retract:
			if err := r.retract(s.Type, s.Key); err != nil {
				report(s, err)
				continue
			}
			pending = true
		default:
			if pending {
				r.agenda()
				pending = false
			}
			switch s := s.(type) {
			case *rulelang.TypeInfo:
				if err := r.declare(s); err != nil {
					report(s, err)
				}
			case *rulelang.Rule:
				r.rules = append(r.rules, s)
				r.prev = append(r.prev, map[string]*refAct{})
				r.agenda()
			}
			continue
		}
		if !batch && pending {
			r.agenda()
			pending = false
		}
	}
	if pending {
		r.agenda()
	}
}

func (r *refEngine) facts(t *rulelang.TypeInfo, filters []rulelang.Term, v int, n int) []*refFact {
	var out []*refFact
	for _, f := range r.types[t.Name].list {
		if !f.alive {
			continue
		}
		bound := make([][]rulelang.Value, n)
		bound[v] = f.vals
		ok := true
		for _, c := range filters {
			if !refEval(c, bound, nil).Bool {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, f)
		}
	}
	return out
}

// agenda recomputes every rule's activations and emits the differences.
func (r *refEngine) agenda() {
	for i, rule := range r.rules {
		cur := map[string]*refAct{}
		if rule.Kind == rulelang.AggregationRule {
			r.aggActivations(rule, cur)
		} else {
			r.joinActivations(rule, cur)
		}
		prev := r.prev[i]
		var keys []string
		for k := range cur {
			keys = append(keys, k)
		}
		for k := range prev {
			if _, ok := cur[k]; !ok {
				keys = append(keys, k)
			}
		}
		act := func(k string) *refAct {
			if a, ok := cur[k]; ok {
				return a
			}
			return prev[k]
		}
		slices.SortFunc(keys, func(a, b string) int {
			fa, fb := act(a).facts, act(b).facts
			for j := range fa {
				if c := fa[j].order - fb[j].order; c != 0 {
					return c
				}
			}
			return 0
		})
		for _, k := range keys {
			c, inCur := cur[k]
			p, inPrev := prev[k]
			switch {
			case inCur && !inPrev:
				r.emit(rule, Fire, c)
			case !inCur:
				r.emit(rule, Withdraw, p)
			case !slices.Equal(c.aggs, p.aggs) || !sameRows(c.vals, p.vals):
				r.emit(rule, Update, c)
			}
		}
		r.prev[i] = cur
	}
}

func sameRows(a, b [][]rulelang.Value) bool {
	for i := range a {
		for j := range a[i] {
			if !sameValue(a[i][j], b[i][j]) {
				return false
			}
		}
	}
	return true
}

func (r *refEngine) emit(rule *rulelang.Rule, kind EventKind, a *refAct) {
	ev := Event{Kind: kind, Rule: rule.Name}
	for _, f := range a.facts {
		ev.Facts = append(ev.Facts, Fact{Type: f.typ, Values: f.vals})
	}
	if kind != Withdraw {
		for i, ag := range rule.Aggregates {
			ev.Aggregates = append(ev.Aggregates, Binding{Name: ag.Name, Value: a.aggs[i]})
		}
		bound := make([][]rulelang.Value, len(rule.Vars))
		copy(bound, a.vals)
		for _, ac := range rule.Actions {
			call := ActionCall{Name: ac.Name, Print: ac.Print}
			for _, t := range ac.Args {
				call.Args = append(call.Args, refEval(t, bound, a.aggs))
			}
			ev.Actions = append(ev.Actions, call)
		}
	}
	formatEvent(&r.out, &ev)
}

func actKey(facts []*refFact) string {
	var b strings.Builder
	for _, f := range facts {
		fmt.Fprintf(&b, "%d,", f.order)
	}
	return b.String()
}

func (r *refEngine) aggActivations(rule *rulelang.Rule, cur map[string]*refAct) {
	n := len(rule.Vars)
	mains := r.facts(rule.Vars[0].Type, rule.Vars[0].Filters, 0, n)
	for _, m := range mains {
		connected := make([][]*refFact, n)
		connected[0] = []*refFact{m}
		for _, j := range rule.Joins {
			cv := rule.Vars[j.Child]
			for _, c := range r.facts(cv.Type, cv.Filters, j.Child, n) {
				for _, p := range connected[j.Parent] {
					match := true
					for _, k := range j.Keys {
						if !sameValue(p.vals[k.ParentField], c.vals[k.ChildField]) {
							match = false
						}
					}
					if match {
						connected[j.Child] = append(connected[j.Child], c)
						break
					}
				}
			}
		}
		aggs := make([]float64, len(rule.Aggregates))
		holds := true
		for i, a := range rule.Aggregates {
			var xs []float64
			for _, f := range connected[a.Source] {
				bound := make([][]rulelang.Value, n)
				bound[a.Source] = f.vals
				xs = append(xs, refEval(a.Arg, bound, nil).Num)
			}
			switch a.Func {
			case rulelang.AggCount:
				aggs[i] = float64(len(xs))
			case rulelang.AggSum, rulelang.AggAvg:
				for _, x := range xs {
					aggs[i] += x
				}
				if a.Func == rulelang.AggAvg {
					if len(xs) == 0 {
						holds = false
					} else {
						aggs[i] /= float64(len(xs))
					}
				}
			case rulelang.AggMin, rulelang.AggMax:
				if len(xs) == 0 {
					holds = false
					break
				}
				aggs[i] = xs[0]
				for _, x := range xs {
					if a.Func == rulelang.AggMin && x < aggs[i] || a.Func == rulelang.AggMax && x > aggs[i] {
						aggs[i] = x
					}
				}
			}
		}
		if !holds {
			continue
		}
		bound := make([][]rulelang.Value, n)
		bound[0] = m.vals
		for _, t := range rule.Thresholds {
			if !refEval(t, bound, aggs).Bool {
				holds = false
				break
			}
		}
		if holds {
			facts := []*refFact{m}
			cur[actKey(facts)] = &refAct{facts: facts, vals: [][]rulelang.Value{slices.Clone(m.vals)}, aggs: aggs}
		}
	}
}

func (r *refEngine) joinActivations(rule *rulelang.Rule, cur map[string]*refAct) {
	n := len(rule.Vars)
	cands := make([][]*refFact, n)
	for i, v := range rule.Vars {
		cands[i] = r.facts(v.Type, nil, i, n)
	}
	tuple := make([]*refFact, n)
	var walk func(i int)
	walk = func(i int) {
		if i == n {
			bound := make([][]rulelang.Value, n)
			for j, f := range tuple {
				bound[j] = f.vals
			}
			if rule.Cond != nil && !refEval(rule.Cond, bound, nil).Bool {
				return
			}
			facts := slices.Clone(tuple)
			vals := make([][]rulelang.Value, n)
			for j, f := range facts {
				vals[j] = slices.Clone(f.vals)
			}
			cur[actKey(facts)] = &refAct{facts: facts, vals: vals}
			return
		}
		for _, f := range cands[i] {
			tuple[i] = f
			walk(i + 1)
		}
	}
	walk(0)
}

// refEval interprets a term over bound field values and aggregate values.
func refEval(t rulelang.Term, bound [][]rulelang.Value, aggs []float64) rulelang.Value {
	switch t := t.(type) {
	case *rulelang.Const:
		return t.Value
	case *rulelang.FieldRef:
		return bound[t.Var][t.Field]
	case *rulelang.AggRef:
		return rulelang.NumberValue(aggs[t.Agg])
	case *rulelang.Unary:
		x := refEval(t.X, bound, aggs)
		if t.Op == rulelang.OpNot {
			return rulelang.BoolValue(!x.Bool)
		}
		return rulelang.NumberValue(-x.Num)
	case *rulelang.Binary:
		x := refEval(t.X, bound, aggs)
		switch t.Op {
		case rulelang.OpAnd:
			if !x.Bool {
				return x
			}
			return refEval(t.Y, bound, aggs)
		case rulelang.OpOr:
			if x.Bool {
				return x
			}
			return refEval(t.Y, bound, aggs)
		}
		y := refEval(t.Y, bound, aggs)
		switch t.Op {
		case rulelang.OpAdd:
			return rulelang.NumberValue(x.Num + y.Num)
		case rulelang.OpConcat:
			return rulelang.StringValue(x.Str + y.Str)
		case rulelang.OpSub:
			return rulelang.NumberValue(x.Num - y.Num)
		case rulelang.OpMul:
			return rulelang.NumberValue(x.Num * y.Num)
		case rulelang.OpDiv:
			return rulelang.NumberValue(x.Num / y.Num)
		case rulelang.OpEq:
			return rulelang.BoolValue(sameValue(x, y))
		case rulelang.OpNe:
			return rulelang.BoolValue(!sameValue(x, y))
		}
		var c int
		if x.Type == rulelang.TypeString {
			c = strings.Compare(x.Str, y.Str)
		} else {
			switch {
			case x.Num < y.Num:
				c = -1
			case x.Num > y.Num:
				c = 1
			case x.Num != y.Num:
				return rulelang.BoolValue(false) // NaN
			}
		}
		switch t.Op {
		case rulelang.OpLt:
			return rulelang.BoolValue(c < 0)
		case rulelang.OpLe:
			return rulelang.BoolValue(c <= 0)
		case rulelang.OpGt:
			return rulelang.BoolValue(c > 0)
		case rulelang.OpGe:
			return rulelang.BoolValue(c >= 0)
		}
	}
	panic("reference: unknown term")
}
