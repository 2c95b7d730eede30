package rete

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/accretedb/accrete/rulelang"
)

// The property test generates random programs (aggregation rules over
// chain, star and mixed join trees with all five functions, expressions
// inside aggregates, filters, OR/NOT thresholds and thresholds against
// main-fact fields; join rules of two and three patterns) with random
// streams of assertions, modifications and retractions, and compares the
// engine's event stream, in checking mode, with the reference evaluator's,
// step by step, with each statement a step and with batched steps.

// genType describes a generated fact type.
type genType struct {
	name string
	key  string   // key field
	strs []string // string fields (the key first when it is a string)
	nums []string // number fields (the key first when it is a number)
}

var genTypes = []genType{
	{name: "T0", key: "id", strs: []string{"id", "r", "s"}, nums: []string{"x", "y"}},
	{name: "T1", key: "id", strs: []string{"id", "r", "s"}, nums: []string{"x", "y"}},
	{name: "T2", key: "code", strs: []string{"code", "r"}, nums: []string{"x", "y"}},
	{name: "T3", key: "k", strs: []string{"r"}, nums: []string{"k", "x"}},
}

const genTypeDecls = `type T0 : <id: string, r: string, s: string, x: number, y: number, b: bool>
type T1 : <id: string, r: string, s: string, x: number, y: number, b: bool>
type T2 : <#code: string, r: string, x: number, y: number, b: bool>
type T3 : <r: string, #k: number, x: number, b: bool>
`

var genStrings = []string{"a", "b", "c", "d", "e"}

type gen struct {
	rng   *rand.Rand
	b     strings.Builder
	rules int
	// last is the skeleton of the last aggregation rule, which a later one
	// may reuse so that the two share an accumulate network.
	last *skeleton
}

// skeleton is an aggregation rule without its thresholds and actions.
type skeleton struct {
	vars  []string
	types []genType
	conds []string // joins and filters
	aggs  []string
}

func (g *gen) pick(n int) int { return g.rng.IntN(n) }

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

func (g *gen) str() string { return fmt.Sprintf("%q", genStrings[g.pick(len(genStrings))]) }

func (g *gen) num() string { return fmt.Sprint(g.pick(10) - 3) }

// fact writes an assertion of a random fact of type t.
func (g *gen) fact(t genType) {
	var args []string
	for _, f := range t.strs {
		args = append(args, f+": "+g.str())
	}
	for _, f := range t.nums {
		if f == "k" {
			args = append(args, fmt.Sprintf("k: %d", g.pick(5)))
		} else {
			args = append(args, f+": "+g.num())
		}
	}
	args = append(args, fmt.Sprintf("b: %v", g.chance(0.5)))
	g.rng.Shuffle(len(args), func(i, j int) { args[i], args[j] = args[j], args[i] })
	fmt.Fprintf(&g.b, "%s(%s)\n", t.name, strings.Join(args, ", "))
}

func (g *gen) retract(t genType) {
	if t.key == "k" {
		fmt.Fprintf(&g.b, "retract %s(k: %d)\n", t.name, g.pick(6))
	} else {
		fmt.Fprintf(&g.b, "retract %s(%s: %s)\n", t.name, t.key, g.str())
	}
}

// numExpr returns a number expression over variable v of type t.
func (g *gen) numExpr(v string, t genType) string {
	f := func() string { return v + "." + t.nums[g.pick(len(t.nums))] }
	switch g.pick(6) {
	case 0:
		return f() + " + " + f()
	case 1:
		return f() + " * 2 - " + f()
	case 2:
		return "-" + f()
	case 3:
		return "(" + f() + " - 1) * " + f()
	}
	return f()
}

// filter returns a condition on variable v of type t alone.
func (g *gen) filter(v string, t genType) string {
	switch g.pick(6) {
	case 0:
		return v + ".b == true"
	case 1:
		return "NOT " + v + ".b"
	case 2:
		return v + "." + t.strs[g.pick(len(t.strs))] + " != " + g.str()
	case 3:
		return "(" + v + "." + t.nums[g.pick(len(t.nums))] + " > 2 OR " + v + ".b)"
	case 4:
		return g.numExpr(v, t) + " < 5"
	}
	return v + "." + t.nums[g.pick(len(t.nums))] + " > 0"
}

// join returns equalities joining variables p and c.
func (g *gen) join(p string, pt genType, c string, ct genType) string {
	var parts []string
	n := 1
	if g.chance(0.15) {
		n = 2
	}
	for range n {
		var pf, cf string
		if g.chance(0.8) {
			pf, cf = pt.strs[g.pick(len(pt.strs))], ct.strs[g.pick(len(ct.strs))]
		} else {
			pf, cf = pt.nums[g.pick(len(pt.nums))], ct.nums[g.pick(len(ct.nums))]
		}
		if g.chance(0.5) {
			parts = append(parts, c+"."+cf+" == "+p+"."+pf)
		} else {
			parts = append(parts, p+"."+pf+" == "+c+"."+cf)
		}
	}
	return strings.Join(parts, " AND ")
}

var genFuncs = []string{"AVG", "SUM", "COUNT", "MIN", "MAX"}

// aggRule writes an aggregation rule.
func (g *gen) aggRule() {
	name := fmt.Sprintf("R%d", g.rules)
	g.rules++
	var sk skeleton
	if g.last != nil && g.chance(0.4) {
		// The same join tree, so the same accumulate network; the same
		// aggregates too, sometimes.
		sk = *g.last
		if g.chance(0.5) {
			sk.aggs = nil
		}
	} else {
		sk = g.tree()
	}
	vars, types := sk.vars, sk.types
	conds := slices.Clone(sk.conds)
	if len(sk.aggs) == 0 {
		nagg := 1 + g.pick(3)
		for a := range nagg {
			src := 1 + g.pick(len(vars)-1)
			fn := genFuncs[g.pick(len(genFuncs))]
			arg := g.numExpr(vars[src], types[src])
			if fn == "COUNT" && g.chance(0.5) {
				arg = vars[src] + "." + types[src].strs[0]
			}
			sk.aggs = append(sk.aggs, fmt.Sprintf("g%d: %s(%s)", a, fn, arg))
		}
	}
	g.last = &sk
	aggs := sk.aggs
	nagg := len(aggs)
	agg := func() string { return fmt.Sprintf("g%d", g.pick(nagg)) }
	mt := types[0]
	for range g.pick(3) {
		switch g.pick(6) {
		case 0:
			conds = append(conds, agg()+" > "+g.num())
		case 1:
			conds = append(conds, agg()+" <= "+fmt.Sprint(g.pick(12)))
		case 2:
			conds = append(conds, agg()+" > m."+mt.nums[g.pick(len(mt.nums))])
		case 3:
			conds = append(conds, "("+agg()+" > 1 OR "+agg()+" < 0)")
		case 4:
			conds = append(conds, "NOT ("+agg()+" == "+fmt.Sprint(g.pick(4))+")")
		default:
			conds = append(conds, agg()+" + m."+mt.nums[g.pick(len(mt.nums))]+" >= 2")
		}
	}
	g.rng.Shuffle(len(conds), func(i, j int) { conds[i], conds[j] = conds[j], conds[i] })
	blocks := []string{"{" + vars[0] + ": " + mt.name + ", " + strings.Join(aggs, ", ") + "}"}
	for i := 1; i < len(vars); i++ {
		blocks = append(blocks, "{"+vars[i]+": "+types[i].name+"}")
	}
	args := []string{fmt.Sprintf("%q", name), "m." + mt.key}
	for a := range nagg {
		args = append(args, fmt.Sprintf("g%d", a))
	}
	action := "print(" + strings.Join(args, ", ") + ")"
	if g.chance(0.3) {
		action += ", note(m." + mt.nums[len(mt.nums)-1] + ", m.b, " + agg() + " * 2)"
	}
	fmt.Fprintf(&g.b, "rule %s : %s / %s ==> %s\n", name, strings.Join(blocks, " / "), strings.Join(conds, " AND "), action)
}

// tree draws the variables, joins (a chain, a star or a mixed tree) and
// filters of an aggregation rule.
func (g *gen) tree() skeleton {
	var sk skeleton
	sk.vars = []string{"m", "u", "v", "w"}[:2+g.pick(3)]
	sk.types = make([]genType, len(sk.vars))
	for i := range sk.vars {
		sk.types[i] = genTypes[g.pick(len(genTypes))]
	}
	shape := g.pick(3) // 0 chain, 1 star, 2 mixed
	for i := 1; i < len(sk.vars); i++ {
		p := i - 1
		switch shape {
		case 1:
			p = 0
		case 2:
			p = g.pick(i)
		}
		sk.conds = append(sk.conds, g.join(sk.vars[p], sk.types[p], sk.vars[i], sk.types[i]))
	}
	for i, v := range sk.vars {
		if g.chance(0.25) {
			sk.conds = append(sk.conds, g.filter(v, sk.types[i]))
		}
	}
	return sk
}

// joinRule writes a rule without aggregates of two or three patterns.
func (g *gen) joinRule() {
	name := fmt.Sprintf("J%d", g.rules)
	g.rules++
	vars := []string{"a", "b", "c"}[:2+g.pick(2)]
	types := make([]genType, len(vars))
	for i := range vars {
		types[i] = genTypes[g.pick(len(genTypes))]
	}
	var conds []string
	for i := 1; i < len(vars); i++ {
		if g.chance(0.85) {
			p := g.pick(i)
			conds = append(conds, g.join(vars[p], types[p], vars[i], types[i]))
		}
	}
	for i, v := range vars {
		if g.chance(0.3) {
			conds = append(conds, g.filter(v, types[i]))
		}
	}
	if g.chance(0.4) {
		i := 1 + g.pick(len(vars)-1)
		j := g.pick(i)
		conds = append(conds, vars[j]+"."+types[j].nums[0]+" < "+vars[i]+"."+types[i].nums[len(types[i].nums)-1])
	}
	var blocks []string
	var args []string
	for i, v := range vars {
		blocks = append(blocks, v+": "+types[i].name)
		args = append(args, v+"."+types[i].key)
	}
	cond := ""
	if len(conds) > 0 {
		cond = " / " + strings.Join(conds, " AND ")
	}
	fmt.Fprintf(&g.b, "rule %s : {%s}%s ==> print(%q, %s)\n", name, strings.Join(blocks, ", "), cond, name, strings.Join(args, ", "))
}

// program generates a whole program.
func (g *gen) program() string {
	g.b.Reset()
	g.rules = 0
	g.last = nil
	g.b.WriteString(genTypeDecls)
	nrules := 1 + g.pick(4)
	nstmts := 30 + g.pick(50)
	ruleAt := make(map[int]int)
	for range nrules {
		ruleAt[g.pick(nstmts)]++
	}
	for i := range nstmts {
		for range ruleAt[i] {
			if g.chance(0.7) {
				g.aggRule()
			} else {
				g.joinRule()
			}
		}
		t := genTypes[g.pick(len(genTypes))]
		if g.chance(0.25) {
			g.retract(t)
		} else {
			g.fact(t)
		}
	}
	return g.b.String()
}

func TestPropertyRandomPrograms(t *testing.T) {
	n := 400
	if s := os.Getenv("RETE_SEEDS"); s != "" {
		// A longer hunt: RETE_SEEDS=20000 go test -run Property ./rete/
		fmt.Sscan(s, &n)
	}
	if testing.Short() {
		n = 60
	}
	for seed := range uint64(n) {
		g := &gen{rng: rand.New(rand.NewPCG(seed, 7))}
		src := g.program()
		p, err := rulelang.Compile("gen.rules", []byte(src))
		if err != nil {
			t.Fatalf("seed %d: generated program does not check: %v\n%s", seed, err, src)
		}
		for _, batch := range []bool{false, true} {
			ref := newRefEngine()
			ref.exec(p, batch)
			got := runEvents(t, "gen.rules", []byte(src), batch)
			if got != ref.out.String() {
				path := fmt.Sprintf("%s/seed%d.rules", t.TempDir(), seed)
				os.WriteFile(path, []byte(src), 0o644)
				t.Fatalf("seed %d (batch=%v): events differ from the reference (program in %s)\n%s",
					seed, batch, path, firstDiff(got, ref.out.String()))
			}
		}
	}
}

// firstDiff shows the first differing line of two event streams with some
// context.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			from := max(0, i-3)
			return fmt.Sprintf("line %d:\n  engine:    %q\n  reference: %q\ncontext (engine):\n%s", i+1, gl, wl,
				strings.Join(g[from:min(len(g), i+3)], "\n"))
		}
	}
	return "no difference"
}
