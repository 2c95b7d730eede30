package rete

import (
	"fmt"
	"strings"

	"github.com/accretedb/accrete/rulelang"
)

// Describe returns a readable description of the network: every type with
// its alpha nodes (and the rule variables sharing each), then every rule's
// nodes. It is meant for debugging and tests; the format may change.
func (e *Engine) Describe() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, t := range e.typeList {
		fmt.Fprintf(&b, "type %s: %d facts\n", t.info.Name, t.live)
		for _, a := range t.alphas {
			filters := a.key
			if filters == "" {
				filters = "all"
			}
			fmt.Fprintf(&b, "  alpha [%s] ->", filters)
			for _, s := range a.sinks {
				fmt.Fprintf(&b, " %s", sinkName(s))
			}
			b.WriteByte('\n')
		}
	}
	for _, r := range e.rules {
		r.describe(&b)
	}
	return b.String()
}

func sinkName(s sink) string {
	switch s := s.(type) {
	case *rootVar:
		r := s.tr.rules[0].rule
		return r.Name + "." + r.Vars[0].Name
	case *srcVar:
		r := s.tr.rules[0].rule
		return r.Name + "." + r.Vars[s.v].Name
	case *joinLevel:
		return s.jr.rule.Name + "." + s.jr.rule.Vars[s.i].Name
	}
	panic("BUG: unknown sink")
}

func (r *aggRule) describe(b *strings.Builder) {
	rule := r.rule
	if first := r.tree.rules[0]; first != r {
		fmt.Fprintf(b, "rule %s: accumulate network of rule %s\n", rule.Name, first.rule.Name)
	} else {
		r.tree.describe(b, rule)
	}
	for _, a := range rule.Aggregates {
		fmt.Fprintf(b, "  aggregate %s = %s(%s)\n", a.Name, a.Func, a.Arg)
	}
	for _, t := range r.thresholds {
		fmt.Fprintf(b, "  threshold %s\n", t)
	}
}

// describe writes the nodes of the tree, with the variable names of rule.
func (tr *accTree) describe(b *strings.Builder, rule *rulelang.Rule) {
	fmt.Fprintf(b, "rule %s: accumulate over %s: %s\n", rule.Name, rule.Vars[0].Name, rule.Vars[0].Type.Name)
	var walk func(v *srcVar, depth int)
	walk = func(v *srcVar, depth int) {
		fmt.Fprintf(b, "%s%s: %s grouped by %s, %d groups\n", strings.Repeat("  ", depth), rule.Vars[v.v].Name, v.t.info.Name,
			joinText(rule, v.v), v.groups.len())
		for _, c := range v.children {
			walk(c, depth+1)
		}
	}
	for _, c := range tr.root.children {
		walk(c, 2)
	}
}

// joinText writes the equalities joining variable v to its parent.
func joinText(rule *rulelang.Rule, v int) string {
	for _, j := range rule.Joins {
		if j.Child != v {
			continue
		}
		var parts []string
		p, c := rule.Vars[j.Parent], rule.Vars[j.Child]
		for _, k := range j.Keys {
			parts = append(parts, fmt.Sprintf("%s.%s == %s.%s", c.Name, c.Type.Fields[k.ChildField].Name,
				p.Name, p.Type.Fields[k.ParentField].Name))
		}
		return strings.Join(parts, " AND ")
	}
	return "nothing"
}

func (jr *joinRule) describe(b *strings.Builder) {
	rule := jr.rule
	fmt.Fprintf(b, "rule %s: join\n", rule.Name)
	for _, l := range jr.levels {
		v := rule.Vars[l.i]
		fmt.Fprintf(b, "  %s: %s", v.Name, l.t.info.Name)
		if l.i > 0 {
			var keys []string
			for k, f := range l.rightKey {
				vf := l.leftKey[k]
				pv := rule.Vars[vf.v]
				keys = append(keys, fmt.Sprintf("%s.%s == %s.%s", v.Name, v.Type.Fields[f].Name, pv.Name, pv.Type.Fields[vf.f].Name))
			}
			if len(keys) == 0 {
				keys = []string{"every token"}
			}
			fmt.Fprintf(b, " hash join on %s", strings.Join(keys, " AND "))
		}
		for _, f := range rule.JoinFilters {
			if maxVar(f) == l.i {
				fmt.Fprintf(b, " test %s", f)
			}
		}
		tokens := 0
		for _, bk := range l.mem.many {
			tokens += len(bk.toks)
		}
		for _, bk := range l.mem.one {
			tokens += len(bk.toks)
		}
		fmt.Fprintf(b, ", %d tokens\n", tokens)
	}
}
