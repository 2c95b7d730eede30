package rete

import (
	"fmt"
	"slices"
	"strings"

	"github.com/accretedb/accrete/rulelang"
)

// Explanation says why a rule holds or not for a main fact.
type Explanation struct {
	Rule string
	// Main is the main fact: the aggregation rule's main variable, or a
	// join rule's first variable.
	Main  Fact
	Holds bool
	// Aggregates are the aggregation variables' values (aggregation rules).
	Aggregates []AggregateValue
	// Sources are, per source variable in declaration order, the distinct
	// facts connected to the main fact along the join tree: the facts the
	// aggregates range over (aggregation rules).
	Sources []SourceFacts
	// Thresholds are the threshold conditions with their results
	// (aggregation rules).
	Thresholds []ThresholdResult
	// Tuples are the matching tuples whose first fact is the main fact
	// (join rules), in tuple order.
	Tuples [][]Fact
}

// AggregateValue is the value of an aggregation variable.
type AggregateValue struct {
	Name string
	Expr string // the aggregate as written in canonical form: AVG(e.salary)
	// Value is the aggregate's value; it is meaningless when Null is set
	// (AVG, MIN or MAX over no facts).
	Value float64
	Null  bool
}

// SourceFacts are the facts of one source variable connected to a main
// fact, in first-assert order.
type SourceFacts struct {
	Var   string
	Facts []Fact
}

// ThresholdResult is a threshold condition and its result. A condition
// over a null aggregate is not evaluated: Null is set and Result is false.
type ThresholdResult struct {
	Cond   string
	Result bool
	Null   bool
}

// Explain explains rule's activation for the main fact with the given key:
// the aggregate values, the contributing facts and each threshold's result
// for an aggregation rule, the matching tuples for a join rule. The error
// wraps [ErrUnknownRule] or [ErrNoFact].
func (e *Engine) Explain(rule string, key rulelang.Value) (*Explanation, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.ruleByName[rule]
	if !ok {
		return nil, fmt.Errorf("explain %s: %w", rule, ErrUnknownRule)
	}
	return r.explain(key)
}

func noMain(r *rulelang.Rule, key rulelang.Value) error {
	return fmt.Errorf("explain %s: %s with key %s: %w", r.Name, r.Vars[0].Type.Name, key, ErrNoFact)
}

func (r *aggRule) explain(key rulelang.Value) (*Explanation, error) {
	m, ok := r.e.lookupKey(r.main, key)
	if !ok {
		return nil, noMain(r.rule, key)
	}
	x := &Explanation{Rule: r.rule.Name, Main: r.e.fact(r.main, m)}
	x.Holds = r.evaluate(m)
	for i, a := range r.rule.Aggregates {
		x.Aggregates = append(x.Aggregates, AggregateValue{
			Name:  a.Name,
			Expr:  a.Func.String() + "(" + a.Arg.String() + ")",
			Value: r.vals[i],
			Null:  r.nulls[i],
		})
	}
	for i, t := range r.thresholds {
		tr := ThresholdResult{Cond: t.String()}
		for _, ai := range aggRefs(t, nil) {
			tr.Null = tr.Null || r.nulls[ai]
		}
		if !tr.Null && r.main.isAlive(m) {
			r.rows[0] = r.main.row(m)
			r.en.aggs = r.vals
			tr.Result = r.tests[i](&r.en)
		}
		x.Thresholds = append(x.Thresholds, tr)
	}
	connected := r.tree.connected(m)
	for v := 1; v < len(r.tree.srcs); v++ {
		sf := SourceFacts{Var: r.rule.Vars[v].Name}
		slices.Sort(connected[v])
		for _, s := range connected[v] {
			sf.Facts = append(sf.Facts, r.e.fact(r.tree.srcs[v].t, s))
		}
		x.Sources = append(x.Sources, sf)
	}
	return x, nil
}

// connected returns, per variable, the facts connected to main m, read
// from the groups whose reach holds m.
func (r *accTree) connected(m uint32) [][]uint32 {
	out := make([][]uint32, len(r.srcs))
	if !r.main.isAlive(m) || !r.root.alpha.pass(r.e, r.main.row(m)) {
		return out
	}
	seen := make(map[*group]bool)
	var visit func(v *srcVar, key []uint64)
	visit = func(v *srcVar, key []uint64) {
		g, ok := v.groups.get(key)
		if !ok || seen[g] || !g.has(m) {
			return
		}
		seen[g] = true
		out[v.v] = append(out[v.v], g.members...)
		for _, f := range g.members {
			row := v.t.row(f)
			for i, c := range v.children {
				visit(c, keyOf(nil, row, v.downKey[i], v.t.kinds))
			}
		}
	}
	row := r.main.row(m)
	for i, c := range r.root.children {
		visit(c, keyOf(nil, row, r.root.downKey[i], r.main.kinds))
	}
	return out
}

// aggRefs appends the aggregation variables a term uses.
func aggRefs(t rulelang.Term, dst []int) []int {
	switch t := t.(type) {
	case *rulelang.AggRef:
		return append(dst, t.Agg)
	case *rulelang.Unary:
		return aggRefs(t.X, dst)
	case *rulelang.Binary:
		return aggRefs(t.Y, aggRefs(t.X, dst))
	}
	return dst
}

func (jr *joinRule) explain(key rulelang.Value) (*Explanation, error) {
	t0 := jr.levels[0].t
	m, ok := jr.e.lookupKey(t0, key)
	if !ok {
		return nil, noMain(jr.rule, key)
	}
	x := &Explanation{Rule: jr.rule.Name, Main: jr.e.fact(t0, m)}
	for _, slots := range jr.tuples() {
		if slots[0] != m {
			continue
		}
		tuple := make([]Fact, len(slots))
		for i, s := range slots {
			tuple[i] = jr.e.fact(jr.levels[i].t, s)
		}
		x.Tuples = append(x.Tuples, tuple)
	}
	x.Holds = len(x.Tuples) > 0
	return x, nil
}

// String formats the explanation as accrete run --trace prints it, one
// item per line after a header line:
//
//	dept_avg "d1": holds
//	  avg_sal = AVG(e.salary) = 60000
//	  e: Employee(id: "e1", deptId: "d1", salary: 60000)
//	  avg_sal > 50000: true
func (x *Explanation) String() string {
	var b strings.Builder
	holds := "does not hold"
	if x.Holds {
		holds = "holds"
	}
	key := x.Main.Key()
	if key.Type == rulelang.TypeInvalid {
		fmt.Fprintf(&b, "%s %s: %s\n", x.Rule, x.Main, holds)
	} else {
		fmt.Fprintf(&b, "%s %s: %s\n", x.Rule, key, holds)
	}
	for _, a := range x.Aggregates {
		v := "null"
		if !a.Null {
			v = FormatNumber(a.Value)
		}
		fmt.Fprintf(&b, "  %s = %s = %s\n", a.Name, a.Expr, v)
	}
	for _, s := range x.Sources {
		if len(s.Facts) == 0 {
			fmt.Fprintf(&b, "  %s: none\n", s.Var)
		}
		for _, f := range s.Facts {
			fmt.Fprintf(&b, "  %s: %s\n", s.Var, f)
		}
	}
	for _, t := range x.Thresholds {
		v := fmt.Sprint(t.Result)
		if t.Null {
			v = "null"
		}
		fmt.Fprintf(&b, "  %s: %s\n", t.Cond, v)
	}
	for _, tuple := range x.Tuples {
		b.WriteString("  tuple:")
		for i, f := range tuple {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte(' ')
			b.WriteString(f.String())
		}
		b.WriteByte('\n')
	}
	return b.String()
}
