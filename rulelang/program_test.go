package rulelang

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustCompile(t *testing.T, src string) *Program {
	t.Helper()
	prog, err := Compile("p.rules", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

func TestKeyField(t *testing.T) {
	prog := mustCompile(t, `type Marked : <name: string, #code: number, id: string>
type ByID : <name: string, id: string>
type None : <a: string, b: bool>
`)
	f := func(name string, key int) {
		t.Helper()
		ty := prog.Type(name)
		if ty == nil || ty.Key != key {
			t.Errorf("%s: key %v, want %d", name, ty, key)
		}
	}
	f("Marked", 1)
	f("ByID", 1)
	f("None", -1)
	if prog.Type("Nope") != nil {
		t.Error("Type found an undeclared type")
	}
	if i := prog.Type("Marked").FieldIndex("id"); i != 2 {
		t.Errorf("FieldIndex(id) = %d", i)
	}
}

func TestStatementsInFileOrder(t *testing.T) {
	prog := mustCompile(t, `A(id: "early", n: -2.5, ok: true)
type A : <id: string, n: number, ok: bool>
rule r : {a: A} / a.ok ==> print(a.id)
retract A(id: "early")
A(id: "late", n: 1e3, ok: false)
`)
	var kinds string
	for _, s := range prog.Stmts {
		switch s.(type) {
		case *TypeInfo:
			kinds += "T"
		case *Fact:
			kinds += "F"
		case *Retract:
			kinds += "X"
		case *Rule:
			kinds += "R"
		}
	}
	if kinds != "FTRXF" {
		t.Fatalf("statement kinds %q, want FTRXF", kinds)
	}
	first := prog.Stmts[0].(*Fact)
	if first.Type != prog.Types[0] || first.Values[0].Str != "early" || first.Values[1].Num != -2.5 || !first.Values[2].Bool {
		t.Fatalf("first fact %+v", first)
	}
	if last := prog.Stmts[4].(*Fact); last.Values[1].Num != 1000 || last.Values[2].Bool {
		t.Fatalf("last fact %+v", last)
	}
	if x := prog.Stmts[3].(*Retract); x.Key != StringValue("early") {
		t.Fatalf("retract key %v", x.Key)
	}
	if prog.Rules[0] != prog.Stmts[2] || prog.Rules[0].Kind != JoinRule || prog.Rules[0].Index != 0 {
		t.Fatalf("rule %+v", prog.Rules[0])
	}
}

// TestTermString checks the canonical rendering of checked terms: minimal
// parentheses that keep the meaning.
func TestTermString(t *testing.T) {
	prog := mustCompile(t, `type P : <a: number, b: number, s: string, ok: bool>
rule r1 : {p: P} / ((p.a + p.b) * 2 > -(p.a - 1)) AND (p.ok OR NOT (p.a == 1 AND p.ok)) ==> print((p.s + "x") + p.s, p.a - (p.b - 1), (p.a - p.b) - 1, p.a / (p.b * 2))
rule r2 : {p: P} / (p.a > 1) == (p.b < 2) OR (p.ok OR p.ok) AND p.ok ==> print(1)
`)
	f := func(got Term, want string) {
		t.Helper()
		if got.String() != want {
			t.Errorf("got %q, want %q", got.String(), want)
		}
	}
	r1 := prog.Rules[0]
	f(r1.Cond, "(p.a + p.b) * 2 > -(p.a - 1) AND (p.ok OR NOT (p.a == 1 AND p.ok))")
	f(r1.Actions[0].Args[0], `p.s + "x" + p.s`)
	f(r1.Actions[0].Args[1], "p.a - (p.b - 1)")
	f(r1.Actions[0].Args[2], "p.a - p.b - 1")
	f(r1.Actions[0].Args[3], "p.a / (p.b * 2)")
	f(prog.Rules[1].Cond, "(p.a > 1) == (p.b < 2) OR (p.ok OR p.ok) AND p.ok")
	// The rendering parses back to the same term.
	for _, r := range prog.Rules {
		again := mustCompile(t, "type P : <a: number, b: number, s: string, ok: bool>\nrule r : {p: P} / "+r.Cond.String()+" ==> print(1)\n")
		if got := again.Rules[0].Cond.String(); got != r.Cond.String() {
			t.Errorf("reparsed %q as %q", r.Cond.String(), got)
		}
	}
	if c := r1.Actions[0].Args[0].(*Binary); c.Op != OpConcat || c.Type() != TypeString {
		t.Errorf("string + is %s of type %s", c.Op, c.Type())
	}
}

// TestResolvedIndices checks the indices the engine evaluates with.
func TestResolvedIndices(t *testing.T) {
	prog := mustCompile(t, `type D : <name: string, id: string>
type E : <salary: number, deptId: string, id: string>
rule r : {d: D, total: SUM(e.salary), n: COUNT(e.id)} / {e: E} / d.id == e.deptId AND n > 0 AND total > 10 ==> print(total, d.name)
`)
	r := prog.Rules[0]
	if r.Kind != AggregationRule || r.Main() != r.Vars[0] || r.Vars[1].Name != "e" || r.Vars[1].Type != prog.Types[1] {
		t.Fatalf("vars %+v", r.Vars)
	}
	agg := r.Aggregates[1]
	if agg.Func != AggCount || agg.Source != 1 || agg.Index != 1 {
		t.Fatalf("aggregate %+v", agg)
	}
	if ref := agg.Arg.(*FieldRef); ref.Var != 1 || ref.Field != 2 || ref.Type() != TypeString {
		t.Fatalf("aggregate argument %+v", ref)
	}
	if len(r.Joins) != 1 || r.Joins[0].Parent != 0 || r.Joins[0].Child != 1 ||
		len(r.Joins[0].Keys) != 1 || r.Joins[0].Keys[0] != (JoinKey{ParentField: 1, ChildField: 1}) {
		t.Fatalf("joins %+v", r.Joins[0])
	}
	if len(r.Thresholds) != 2 {
		t.Fatalf("thresholds %v", r.Thresholds)
	}
	if ref := r.Thresholds[0].(*Binary).X.(*AggRef); ref.Agg != 1 || ref.Type() != TypeNumber {
		t.Fatalf("threshold %+v", ref)
	}
	a := r.Actions[0]
	if !a.Print || a.Args[0].(*AggRef).Agg != 0 || a.Args[1].(*FieldRef).Field != 0 {
		t.Fatalf("action %+v", a)
	}
}

// TestHugeDeclarationsStayLinear checks a program with one very wide type
// and one rule with very many variables and joins: name lookups must not
// be quadratic, and the results must be right.
func TestHugeDeclarationsStayLinear(t *testing.T) {
	const n = 20000
	var b strings.Builder
	b.WriteString("type W : <")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "f%d: number", i)
	}
	b.WriteString(", id: string>\nW(id: \"w\"")
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, ", f%d: %d", i, i)
	}
	b.WriteString(")\nrule r : {v0: W, total: SUM(v1.f1)}")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, " / {v%d: W}", i)
	}
	b.WriteString(" / v1.id == v0.id")
	for i := 2; i < n; i++ {
		fmt.Fprintf(&b, " AND v%d.f%d == v%d.f%d", i, i, i-1, i)
	}
	b.WriteString(" AND total > v0.f7 ==> print(total)\n")
	start := time.Now()
	prog := mustCompile(t, b.String())
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("took %v", d)
	}
	fact := prog.Stmts[1].(*Fact)
	if fact.Values[123].Num != 123 || fact.Values[n].Str != "w" || prog.Types[0].Key != n {
		t.Fatalf("fact values misplaced: %v %v, key %d", fact.Values[123], fact.Values[n], prog.Types[0].Key)
	}
	r := prog.Rules[0]
	if len(r.Vars) != n || len(r.Joins) != n-1 || len(r.Thresholds) != 1 {
		t.Fatalf("%d vars, %d joins, %d thresholds", len(r.Vars), len(r.Joins), len(r.Thresholds))
	}
	last := r.Joins[n-2]
	if last.Parent != n-2 || last.Child != n-1 || last.Keys[0] != (JoinKey{ParentField: n - 1, ChildField: n - 1}) {
		t.Fatalf("last join %+v", last)
	}
}

func TestExtend(t *testing.T) {
	base, err := Compile("types.rules", []byte("type D : <id: string, budget: number>\ntype E : <id: string, deptId: string, salary: number>\nrule first : {d: D} ==> print(d.id)\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, "more.rules", []byte(`type P : <id: string, employeeId: string, score: number>
D(id: "d1", budget: 10)
rule second : {d: D, s: AVG(p.score)} / {e: E} / {p: P} / e.deptId == d.id AND p.employeeId == e.id ==> print(s)
retract E(id: "e1")
`))
	more, err := base.Extend(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(more.Types) != 3 || more.Types[2].Name != "P" || more.Types[2].Index != 2 || more.Types[0] != base.Types[0] {
		t.Fatalf("types %v", more.Types)
	}
	if len(more.Rules) != 2 || more.Rules[1].Name != "second" || more.Rules[1].Index != 1 {
		t.Fatalf("rules %v", more.Rules)
	}
	if len(more.Stmts) != 4 || more.Stmts[0] != more.Types[2] || more.Stmts[2] != more.Rules[1] {
		t.Fatalf("statements %v", more.Stmts)
	}
	if fact := more.Stmts[1].(*Fact); fact.Type != base.Types[0] {
		t.Fatalf("fact type %v", fact.Type)
	}
	if len(base.Types) != 2 || len(base.Rules) != 1 || len(base.Stmts) != 3 {
		t.Fatal("Extend modified the base program")
	}

	bad := mustParse(t, "bad.rules", []byte("type E : <id: string>\nrule first : {e: E} ==> print(e.id)\nX(id: \"x\")\n"))
	_, err = base.Extend(bad)
	want := "bad.rules:1:6: duplicate type E (first declared at types.rules:2:6)\n" +
		"bad.rules:2:6: duplicate rule first (first declared at types.rules:3:6)\n" +
		"bad.rules:3:1: unknown type X"
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
}
