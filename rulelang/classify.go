package rulelang

import "strings"

// This file splits a rule's condition into the parts the engine builds
// nodes for: join equalities, filters per variable, join filters and
// thresholds; and for aggregation rules it checks that the joins form a tree
// rooted at the main variable.

// conjunctTerms appends the operands of the top-level AND chain of t.
func conjunctTerms(t Term, list []Term) []Term {
	if b, ok := t.(*Binary); ok && b.Op == OpAnd {
		list = conjunctTerms(b.X, list)
		return conjunctTerms(b.Y, list)
	}
	return append(list, t)
}

// joinEdge is the set of equalities between two variables U < V.
type joinEdge struct {
	u, v int
	keys []JoinKey // ParentField is U's field, ChildField V's
	at   Pos
}

// classify sorts the conjuncts of r.Cond (which may be nil). Conjuncts in
// which an error was already reported are skipped.
func (c *checker) classify(r *Rule) {
	agg := r.Kind == AggregationRule
	main := r.Vars[0]
	nerr := len(c.diags.list)
	incomplete := false
	edges := c.edgeBuf[:0]
	var index map[[2]int]int // edge by variable pair, once there are many
	filed := c.filed[:0]
	var conj []Term
	if r.Cond != nil {
		conj = conjunctTerms(r.Cond, c.conjBuf[:0])
		c.conjBuf = conj[:0]
	}
	for _, t := range conj {
		m := c.mentions(t)
		if m.invalid {
			// An error was reported inside; the conjunct cannot be
			// classified, and might have been the missing join.
			incomplete = true
			continue
		}
		vars := m.vars(len(r.Vars))
		if len(m.aggs) > 0 {
			if c.threshold(r, m, vars) {
				filed = append(filed, filedTerm{toThresholds, t})
			}
			continue
		}
		switch len(vars) {
		case 0:
			filed = append(filed, filedTerm{main.Index, t})
			continue
		case 1:
			filed = append(filed, filedTerm{vars[0], t})
			continue
		}
		if x, y, ok := fieldEquality(t); ok {
			if x.Var > y.Var {
				x, y = y, x
			}
			key := JoinKey{ParentField: x.Field, ChildField: y.Field}
			if i := findEdge(edges, index, x.Var, y.Var); i >= 0 {
				edges[i].keys = append(edges[i].keys, key)
				continue
			}
			keys := c.keySlices.alloc(1)
			keys[0] = key
			edges = append(edges, joinEdge{u: x.Var, v: y.Var, keys: keys, at: t.Pos()})
			switch {
			case index != nil:
				index[[2]int{x.Var, y.Var}] = len(edges) - 1
			case len(edges) > manyNames:
				// Many joins: index them so that hostile input stays
				// linear.
				index = make(map[[2]int]int)
				for i, e := range edges {
					index[[2]int{e.u, e.v}] = i
				}
			}
			continue
		}
		if agg {
			c.errorf(t.Pos(), msgJoinNotEquality, r.Vars[vars[0]].Name, r.Vars[vars[1]].Name)
			continue
		}
		filed = append(filed, filedTerm{toJoinFilters, t})
	}
	c.edgeBuf = edges[:0]
	c.fileConjuncts(r, filed)
	c.filed = filed[:0]
	if agg {
		c.joinTree(r, edges, !incomplete && len(c.diags.list) == nerr)
		return
	}
	r.Joins = c.joinSlices.alloc(len(edges))
	for i, e := range edges {
		j := c.joins.new()
		j.Parent, j.Child, j.Keys, j.At = e.u, e.v, e.keys, e.at
		r.Joins[i] = j
	}
}

// filedTerm is a conjunct classified into the list to of its rule: the
// filters of variable to when to >= 0, else the thresholds or the join
// filters.
type filedTerm struct {
	to int
	t  Term
}

const (
	toThresholds  = -1
	toJoinFilters = -2
)

// fileConjuncts stores the classified conjuncts in their lists, each cut
// to its exact size from a shared chunk.
func (c *checker) fileConjuncts(r *Rule, filed []filedTerm) {
	if len(filed) == 0 {
		return
	}
	nthr, njf := 0, 0
	counts := c.countBuf[:0]
	for range r.Vars {
		counts = append(counts, 0)
	}
	c.countBuf = counts
	for _, f := range filed {
		switch f.to {
		case toThresholds:
			nthr++
		case toJoinFilters:
			njf++
		default:
			counts[f.to]++
		}
	}
	r.Thresholds = c.termSlices.alloc(nthr)[:0]
	r.JoinFilters = c.termSlices.alloc(njf)[:0]
	for i, v := range r.Vars {
		v.Filters = c.termSlices.alloc(counts[i])[:0]
	}
	for _, f := range filed {
		switch f.to {
		case toThresholds:
			r.Thresholds = append(r.Thresholds, f.t)
		case toJoinFilters:
			r.JoinFilters = append(r.JoinFilters, f.t)
		default:
			v := r.Vars[f.to]
			v.Filters = append(v.Filters, f.t)
		}
	}
}

// threshold checks a conjunct mentioning aggregation variables and reports
// whether it is a threshold.
func (c *checker) threshold(r *Rule, m *mentions, vars []int) bool {
	var source *FieldRef
	for _, f := range m.fields {
		if f.Var != 0 {
			source = f
			break
		}
	}
	switch {
	case source == nil:
		return true
	case len(vars) >= 2:
		c.errorf(m.aggs[0].At, msgAggVarInJoin, m.aggs[0].Name)
	default:
		c.errorf(source.At, msgThresholdSource, m.aggs[0].Name, source.VarName, r.Vars[0].Name)
	}
	return false
}

// fieldEquality reports whether t is "a.f == b.g" for two different
// variables.
func fieldEquality(t Term) (x, y *FieldRef, ok bool) {
	b, ok := t.(*Binary)
	if !ok || b.Op != OpEq {
		return nil, nil, false
	}
	x, okx := b.X.(*FieldRef)
	y, oky := b.Y.(*FieldRef)
	if !okx || !oky || x.Var == y.Var {
		return nil, nil, false
	}
	return x, y, true
}

// findEdge returns the index of the edge between u and v, or -1.
func findEdge(edges []joinEdge, index map[[2]int]int, u, v int) int {
	if index != nil {
		if i, ok := index[[2]int{u, v}]; ok {
			return i
		}
		return -1
	}
	for i := range edges {
		if edges[i].u == u && edges[i].v == v {
			return i
		}
	}
	return -1
}

// joinTree checks that the join edges of an aggregation rule form a tree
// spanning its variables, and orients them from the main variable in
// breadth-first order. Edges are taken in order of appearance, so a cycle
// is reported at the equality that closes it. Unless reportUnconnected is
// false, a source that no join reaches is reported.
func (c *checker) joinTree(r *Rule, edges []joinEdge, reportUnconnected bool) {
	n := len(r.Vars)
	// Scratch space, reused across rules.
	for len(c.adjBuf) < n {
		c.adjBuf = append(c.adjBuf, nil)
	}
	adj := c.adjBuf[:n] // tree edge indices per variable
	for i := range adj {
		adj[i] = adj[i][:0]
	}
	c.intBuf = append(c.intBuf[:0], make([]int, 2*n)...)
	comp := c.intBuf[:n] // union-find parents
	queue := c.intBuf[n : n : 2*n]
	for i := range comp {
		comp[i] = i
	}
	find := func(x int) int {
		for comp[x] != x {
			comp[x] = comp[comp[x]]
			x = comp[x]
		}
		return x
	}
	for i, e := range edges {
		a, b := find(e.u), find(e.v)
		if a == b {
			c.errorf(e.at, msgJoinCycle, cyclePath(r, edges, adj, e.u, e.v))
			continue
		}
		comp[a] = b
		adj[e.u] = append(adj[e.u], i)
		adj[e.v] = append(adj[e.v], i)
	}

	c.boolBuf = append(c.boolBuf[:0], make([]bool, n)...)
	visited := c.boolBuf
	visited[0] = true
	queue = append(queue, 0)
	r.Joins = c.joinSlices.alloc(n - 1)[:0]
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, ei := range adj[u] {
			e := edges[ei]
			if e.u == u && !visited[e.v] {
				visited[e.v] = true
				queue = append(queue, e.v)
				j := c.joins.new()
				j.Parent, j.Child, j.Keys, j.At = u, e.v, e.keys, e.at
				r.Joins = append(r.Joins, j)
			} else if e.v == u && !visited[e.u] {
				visited[e.u] = true
				queue = append(queue, e.u)
				for i, k := range e.keys {
					e.keys[i] = JoinKey{ParentField: k.ChildField, ChildField: k.ParentField}
				}
				j := c.joins.new()
				j.Parent, j.Child, j.Keys, j.At = u, e.u, e.keys, e.at
				r.Joins = append(r.Joins, j)
			}
		}
	}
	if !reportUnconnected {
		return
	}
	for i, v := range r.Vars {
		if !visited[i] {
			c.errorf(v.At, msgSourceNotConnected, v.Name, r.Vars[0].Name)
		}
	}
}

// cyclePath renders the cycle that the edge u–v closes in the forest adj:
// from the earlier declared of u and v along the forest to the other, and
// back.
func cyclePath(r *Rule, edges []joinEdge, adj [][]int, u, v int) string {
	from, to := min(u, v), max(u, v)
	prev := make([]int, len(r.Vars))
	for i := range prev {
		prev[i] = -1
	}
	prev[from] = from
	queue := []int{from}
	for len(queue) > 0 && prev[to] < 0 {
		x := queue[0]
		queue = queue[1:]
		for _, ei := range adj[x] {
			y := edges[ei].u
			if y == x {
				y = edges[ei].v
			}
			if prev[y] < 0 {
				prev[y] = x
				queue = append(queue, y)
			}
		}
	}
	if prev[to] < 0 {
		panic("BUG: cycle endpoints are not connected")
	}
	var path []string
	for x := to; x != from; x = prev[x] {
		path = append(path, r.Vars[x].Name)
	}
	names := []string{r.Vars[from].Name}
	for i := len(path) - 1; i >= 0; i-- {
		names = append(names, path[i])
	}
	names = append(names, r.Vars[from].Name)
	return strings.Join(names, " -> ")
}
