package rete

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/accretedb/accrete/rulelang"
)

func str(s string) rulelang.Value  { return rulelang.StringValue(s) }
func num(f float64) rulelang.Value { return rulelang.NumberValue(f) }

// compile compiles src into an engine in checking mode that records its
// events as text.
func compile(t *testing.T, src string) (*Engine, *strings.Builder) {
	t.Helper()
	p, err := rulelang.Compile("test.rules", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(p, &Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	e.Subscribe(func(ev Event) { formatEvent(&b, &ev) })
	return e, &b
}

// step runs one step, fails on error, and returns the events as text.
func step(t *testing.T, e *Engine, b *strings.Builder, changes ...Change) string {
	t.Helper()
	b.Reset()
	if err := e.Step(changes...); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func wantEvents(t *testing.T, got string, want ...string) {
	t.Helper()
	w := strings.Join(want, "\n")
	if len(want) > 0 {
		w += "\n"
	}
	if got != w {
		t.Errorf("events:\n%s\nwant:\n%s", got, w)
	}
}

const deptSrc = `type Department : <id: string, budget: number>
type Employee : <id: string, deptId: string, salary: number>
type Performance : <id: string, employeeId: string, score: number>
rule metric : {d: Department, avg_sal: AVG(e.salary), avg_score: AVG(p.score), n: COUNT(e.id)}
  / {e: Employee} / {p: Performance}
  / e.deptId == d.id AND p.employeeId == e.id AND (avg_sal < d.budget OR n > 2)
  ==> print(d.id, avg_sal, avg_score, n)
`

func emp(id, dept string, salary float64) Change {
	return Assert("Employee", str(id), str(dept), num(salary))
}

func perf(id, e string, score float64) Change {
	return Assert("Performance", str(id), str(e), num(score))
}

// TestStepManyChanges applies many changes as one step: each activation
// fires once, with its final values.
func TestStepManyChanges(t *testing.T) {
	e, b := compile(t, deptSrc)
	got := step(t, e, b,
		Assert("Department", str("d1"), num(100000)),
		Assert("Department", str("d2"), num(10)),
		emp("e1", "d1", 60000), emp("e2", "d1", 40000), emp("e3", "d2", 30000),
		perf("p1", "e1", 90), perf("p2", "e1", 80), perf("p3", "e3", 50),
		emp("e2", "d1", 50000), // modify within the step
		perf("p9", "e3", 1),
		Retract("Performance", str("p9")), // cancels out
	)
	wantEvents(t, got,
		`fire metric "d1" avg_sal=55000 avg_score=85 n=2`,
		`  d1 55000 85 2`)
	// d2 holds once it has three employees (its budget is too low).
	got = step(t, e, b, emp("e4", "d2", 1), emp("e5", "d2", 2))
	wantEvents(t, got,
		`fire metric "d2" avg_sal=10001 avg_score=50 n=3`,
		`  d2 10001 50 3`)
	// A main-fact field change re-fires; a change that cancels does not.
	got = step(t, e, b, Assert("Department", str("d1"), num(200000)))
	wantEvents(t, got,
		`update metric "d1" avg_sal=55000 avg_score=85 n=2`,
		`  d1 55000 85 2`)
	got = step(t, e, b, emp("e1", "d2", 60000), emp("e1", "d1", 60000))
	wantEvents(t, got)
	// Retracting the main fact withdraws.
	got = step(t, e, b, Retract("Department", str("d2")))
	wantEvents(t, got, `withdraw metric "d2"`)
}

// TestApplyErrors checks that bad changes are reported one by one and do
// not stop the others.
func TestApplyErrors(t *testing.T) {
	e, b := compile(t, deptSrc)
	b.Reset()
	err := e.Step(
		Assert("Department", str("d1"), num(100)),
		Assert("Nope", str("x")),
		Retract("Employee", str("e9")),
		Assert("Employee", str("e1"), str("d1")),
		Assert("Employee", str("e1"), str("d1"), str("high")),
		Retract("Department", num(1)),
		emp("e1", "d1", 50),
		perf("p1", "e1", 5),
	)
	var ces ChangeErrors
	if !errors.As(err, &ces) {
		t.Fatalf("error %v is not ChangeErrors", err)
	}
	want := []struct {
		index int
		is    error
		msg   string
	}{
		{1, ErrUnknownType, "fact of undeclared type Nope"},
		{2, ErrNoFact, `cannot retract Employee(id: "e9"): no such fact`},
		{3, ErrBadFact, "fact Employee has 2 values, but the type has 3 fields: bad fact"},
		{4, ErrBadFact, "field salary of Employee is number, but the value is string: bad fact"},
		{5, ErrBadFact, "field id of Department is string, but the value is number: bad fact"},
	}
	if len(ces) != len(want) {
		t.Fatalf("%d errors, want %d: %v", len(ces), len(want), err)
	}
	for i, w := range want {
		if ces[i].Index != w.index || !errors.Is(ces[i], w.is) || ces[i].Error() != w.msg {
			t.Errorf("error %d: index %d, %q; want index %d, %q wrapping %v", i, ces[i].Index, ces[i].Error(), w.index, w.msg, w.is)
		}
	}
	if !errors.Is(err, ErrNoFact) || !errors.Is(err, ErrUnknownType) {
		t.Errorf("errors.Is does not see through %v", err)
	}
	wantEvents(t, b.String(), `fire metric "d1" avg_sal=50 avg_score=5 n=1`, `  d1 50 5 1`)
}

func TestSubscribeCancel(t *testing.T) {
	e, b := compile(t, deptSrc)
	n := 0
	cancel := e.Subscribe(func(Event) { n++ })
	step(t, e, b, Assert("Department", str("d1"), num(100)), emp("e1", "d1", 5), perf("p1", "e1", 1))
	cancel()
	step(t, e, b, emp("e1", "d1", 6))
	if n != 1 {
		t.Errorf("cancelled handler saw %d events, want 1", n)
	}
	if !strings.Contains(b.String(), "update metric") {
		t.Errorf("other handler missed the update: %q", b.String())
	}
}

// TestExplain checks the explanation of an aggregation rule: values,
// contributing facts (an employee without records counts; a record
// reached twice counts once) and threshold results.
func TestExplain(t *testing.T) {
	e, b := compile(t, `type Department : <id: string, budget: number>
type Employee : <id: string, deptId: string, salary: number, mentor: string>
type Performance : <id: string, employeeId: string, score: number>
rule metric : {d: Department, avg_sal: AVG(e.salary), top: MAX(p.score)}
  / {e: Employee} / {p: Performance}
  / e.deptId == d.id AND p.employeeId == e.mentor AND avg_sal > d.budget AND top > 50
  ==> print(d.id)
`)
	step(t, e, b,
		Assert("Department", str("d1"), num(100)),
		Assert("Department", str("d2"), num(100)),
		Assert("Employee", str("e1"), str("d1"), num(300), str("m")),
		Assert("Employee", str("e2"), str("d1"), num(200), str("m")),
		Assert("Employee", str("e3"), str("d1"), num(100), str("nobody")),
		perf("p1", "m", 40), perf("p2", "m", 70), perf("p3", "x", 99),
	)
	x, err := e.Explain("metric", str("d1"))
	if err != nil {
		t.Fatal(err)
	}
	want := `metric "d1": holds
  avg_sal = AVG(e.salary) = 200
  top = MAX(p.score) = 70
  e: Employee(id: "e1", deptId: "d1", salary: 300, mentor: "m")
  e: Employee(id: "e2", deptId: "d1", salary: 200, mentor: "m")
  e: Employee(id: "e3", deptId: "d1", salary: 100, mentor: "nobody")
  p: Performance(id: "p1", employeeId: "m", score: 40)
  p: Performance(id: "p2", employeeId: "m", score: 70)
  avg_sal > d.budget: true
  top > 50: true
`
	if got := x.String(); got != want {
		t.Errorf("explanation:\n%s\nwant:\n%s", got, want)
	}
	x, err = e.Explain("metric", str("d2"))
	if err != nil {
		t.Fatal(err)
	}
	if x.Holds || !x.Aggregates[0].Null || !x.Thresholds[0].Null || x.Thresholds[0].Result || len(x.Sources[0].Facts) != 0 {
		t.Errorf("explanation of d2: %+v", x)
	}
	if _, err := e.Explain("nope", str("d1")); !errors.Is(err, ErrUnknownRule) {
		t.Errorf("unknown rule: %v", err)
	}
	if _, err := e.Explain("metric", str("d9")); !errors.Is(err, ErrNoFact) {
		t.Errorf("unknown main fact: %v", err)
	}
}

func TestExplainJoinRule(t *testing.T) {
	e, b := compile(t, `type P : <id: string>
type O : <id: string, p: string>
rule r : {p: P, o: O} / o.p == p.id ==> r(p.id, o.id)
`)
	step(t, e, b, Assert("P", str("a")), Assert("P", str("b")), Assert("O", str("o1"), str("a")), Assert("O", str("o2"), str("a")))
	x, err := e.Explain("r", str("a"))
	if err != nil {
		t.Fatal(err)
	}
	want := `r "a": holds
  tuple: P(id: "a"), O(id: "o1", p: "a")
  tuple: P(id: "a"), O(id: "o2", p: "a")
`
	if got := x.String(); got != want {
		t.Errorf("explanation:\n%s\nwant:\n%s", got, want)
	}
	if x, _ := e.Explain("r", str("b")); x.Holds || len(x.Tuples) != 0 {
		t.Errorf("b: %+v", x)
	}
}

func TestActivations(t *testing.T) {
	e, b := compile(t, deptSrc+`rule rich : {e: Employee, p: Performance} / p.employeeId == e.id AND e.salary > 100 ==> rich(e.id)
`)
	step(t, e, b,
		Assert("Department", str("d1"), num(1000)), Assert("Department", str("d2"), num(1)),
		emp("e1", "d1", 500), emp("e2", "d2", 50), perf("p1", "e1", 3), perf("p2", "e2", 4),
	)
	var got []string
	for _, a := range e.Activations() {
		s := a.Rule
		for _, f := range a.Facts {
			s += " " + f.String()
		}
		for _, g := range a.Aggregates {
			s += fmt.Sprintf(" %s=%v", g.Name, g.Value)
		}
		got = append(got, s)
	}
	want := []string{
		`metric Department(id: "d1", budget: 1000) avg_sal=500 avg_score=3 n=1`,
		`rich Employee(id: "e1", deptId: "d1", salary: 500) Performance(id: "p1", employeeId: "e1", score: 3)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("activations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if facts := e.Facts("Employee"); len(facts) != 2 || facts[1].Key() != str("e2") {
		t.Errorf("facts: %v", facts)
	}
}

// TestKeylessType checks facts identified by their whole content.
func TestKeylessType(t *testing.T) {
	e, b := compile(t, `type Tag : <name: string, weight: number>
type Item : <name: string>
rule heavy : {i: Item, w: SUM(t.weight), n: COUNT(t.name)} / {t: Tag} / t.name == i.name ==> print(i.name, w, n)
`)
	got := step(t, e, b, Assert("Item", str("x")), Assert("Tag", str("x"), num(2)), Assert("Tag", str("x"), num(2)), Assert("Tag", str("x"), num(-0.0)))
	wantEvents(t, got, `fire heavy Item(name: "x") w=2 n=2`, `  x 2 2`)
	got = step(t, e, b, Change{Op: OpRetract, Type: "Tag", Values: []rulelang.Value{str("x"), num(2)}})
	wantEvents(t, got, `update heavy Item(name: "x") w=0 n=1`, `  x 0 1`)
	err := e.Step(Change{Op: OpRetract, Type: "Tag", Values: []rulelang.Value{str("x"), num(2)}})
	if !errors.Is(err, ErrNoFact) {
		t.Errorf("second retract: %v", err)
	}
	if _, err := e.Explain("heavy", str("x")); !errors.Is(err, ErrNoFact) {
		t.Errorf("explain of a keyless main fact: %v", err)
	}
}

// TestNonFinite checks that infinities and NaNs inside SUM and AVG can be
// taken out again exactly, and that MIN and MAX order them.
func TestNonFinite(t *testing.T) {
	e, b := compile(t, `type G : <id: string>
type V : <id: string, g: string, a: number, b: number>
rule r : {g: G, s: SUM(v.a / v.b), m: AVG(v.a / v.b), lo: MIN(v.a / v.b), hi: MAX(v.a)} / {v: V} / v.g == g.id ==> print(g.id, s, m, lo, hi)
`)
	v := func(id string, a, bb float64) Change { return Assert("V", str(id), str("g"), num(a), num(bb)) }
	got := step(t, e, b, Assert("G", str("g")), v("v1", 3, 2), v("v2", 1, 0))
	wantEvents(t, got, `fire r "g" s=Infinity m=Infinity lo=1.5 hi=3`, `  g Infinity Infinity 1.5 3`)
	got = step(t, e, b, v("v3", -1, 0))
	wantEvents(t, got, `update r "g" s=NaN m=NaN lo=-Infinity hi=3`, `  g NaN NaN -Infinity 3`)
	got = step(t, e, b, Retract("V", str("v2")), Retract("V", str("v3")))
	wantEvents(t, got, `update r "g" s=1.5 m=1.5 lo=1.5 hi=3`, `  g 1.5 1.5 1.5 3`)
}

// TestIntegerSumsExact checks that sums of integers stay exact after many
// additions and removals of large and small values.
func TestIntegerSumsExact(t *testing.T) {
	e, b := compile(t, `type G : <id: string>
type V : <id: string, g: string, a: number>
rule r : {g: G, s: SUM(v.a), m: AVG(v.a)} / {v: V} / v.g == g.id ==> print(g.id, s, m)
`)
	rng := rand.New(rand.NewPCG(1, 2))
	changes := []Change{Assert("G", str("g"))}
	live := map[string]float64{}
	for i := range 2000 {
		id := fmt.Sprint("v", rng.IntN(50))
		if rng.IntN(3) == 0 {
			if _, ok := live[id]; ok {
				changes = append(changes, Retract("V", str(id)))
				delete(live, id)
				continue
			}
		}
		a := float64(rng.Int64N(1<<40)) - float64(1<<39)
		if i%7 == 0 {
			a *= 1 << 12
		}
		live[id] = a
		changes = append(changes, Assert("V", str(id), str("g"), num(a)))
	}
	for _, c := range changes {
		if err := e.Step(c); err != nil {
			t.Fatal(err)
		}
	}
	x, err := e.Explain("r", str("g"))
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range x.Sources[0].Facts {
		sum += f.Values[2].Num
	}
	if x.Aggregates[0].Value != sum || len(x.Sources[0].Facts) != len(live) {
		t.Errorf("sum %v over %d facts, want %v over %d", x.Aggregates[0].Value, len(x.Sources[0].Facts), sum, len(live))
	}
	_ = b
}

// TestDeclarations checks type and rule errors.
func TestDeclarations(t *testing.T) {
	p, err := rulelang.Compile("a.rules", []byte(`type A : <id: string, x: number>
rule r : {a: A} / a.x > 1 ==> r(a.id)
`))
	if err != nil {
		t.Fatal(err)
	}
	q, err := rulelang.Compile("b.rules", []byte(`type A : <id: string, y: number>
type B : <id: string>
rule s : {b: B} ==> s(b.id)
`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Declare(p.Types[0]); err != nil {
		t.Errorf("identical redeclaration: %v", err)
	}
	if err := e.Declare(q.Types[0]); !errors.Is(err, ErrTypeConflict) {
		t.Errorf("conflicting declaration: %v", err)
	}
	if err := e.AddRule(q.Rules[0]); !errors.Is(err, ErrUnknownType) {
		t.Errorf("rule over an undeclared type: %v", err)
	}
	if err := e.Declare(q.Types[1]); err != nil {
		t.Fatal(err)
	}
	if err := e.AddRule(q.Rules[0]); err != nil {
		t.Fatal(err)
	}
	if err := e.AddRule(q.Rules[0]); !errors.Is(err, ErrDuplicateRule) {
		t.Errorf("duplicate rule: %v", err)
	}
	if err := e.AddRule(p.Rules[0]); !errors.Is(err, ErrDuplicateRule) {
		t.Errorf("duplicate rule: %v", err)
	}
	if _, err := Compile(q, nil); err != nil {
		t.Errorf("compile: %v", err)
	}
}

// TestDescribe checks the network description and the sharing of alpha
// nodes between rules with equal filters.
func TestDescribe(t *testing.T) {
	e, _ := compile(t, `type D : <id: string>
type E : <id: string, d: string, s: number, ok: bool>
rule a : {d: D, n: COUNT(e.id)} / {e: E} / e.d == d.id AND e.s > 10 AND e.ok ==> a(d.id)
rule b : {x: E, y: E} / x.ok AND 10 < x.s AND y.d == x.d AND x.id < y.id ==> b(x.id, y.id)
rule c : {d: D, m: MAX(e.s)} / {e: E} / e.d == d.id ==> c(d.id)
`)
	want := `type D: 0 facts
  alpha [all] -> a.d c.d
type E: 0 facts
  alpha [$.ok AND ($.s > 10)] -> a.e b.x
  alpha [all] -> b.y c.e
rule a: accumulate over d: D
    e: E grouped by e.d == d.id, 0 groups
  aggregate n = COUNT(e.id)
rule b: join
  x: E, 0 tokens
  y: E hash join on y.d == x.d test x.id < y.id, 0 tokens
rule c: accumulate over d: D
    e: E grouped by e.d == d.id, 0 groups
  aggregate m = MAX(e.s)
`
	if got := e.Describe(); got != want {
		t.Errorf("network:\n%s\nwant:\n%s", got, want)
	}
}

func TestFormatNumber(t *testing.T) {
	f := func(x float64, want string) {
		t.Helper()
		if got := FormatNumber(x); got != want {
			t.Errorf("FormatNumber(%v) = %q, want %q", x, got, want)
		}
	}
	f(0, "0")
	f(math.Copysign(0, -1), "0")
	f(1234567, "1234567")
	f(43333.333333333336, "43333.333333333336")
	f(0.1, "0.1")
	f(-2.5, "-2.5")
	f(1e-6, "0.000001")
	f(1.5e-7, "1.5e-7")
	f(1e20, "100000000000000000000")
	f(1e21, "1e+21")
	f(-1.2345e300, "-1.2345e+300")
	f(5e-324, "5e-324")
	f(math.Inf(1), "Infinity")
	f(math.Inf(-1), "-Infinity")
	f(math.NaN(), "NaN")
}

func TestActionString(t *testing.T) {
	f := func(a ActionCall, want string) {
		t.Helper()
		if got := a.String(); got != want {
			t.Errorf("%+v: %q, want %q", a, got, want)
		}
	}
	f(ActionCall{Name: "print", Print: true, Args: []rulelang.Value{str("a b"), num(1.5), rulelang.BoolValue(false)}}, "a b 1.5 false")
	f(ActionCall{Name: "print", Print: true}, "")
	f(ActionCall{Name: "alert", Args: []rulelang.Value{str("x\"y\n"), num(2e21), rulelang.BoolValue(true)}}, `alert("x\"y\n", 2e+21, true)`)
	f(ActionCall{Name: "ping"}, "ping()")
}

// TestStrTable checks interning, release and reuse against a map.
func TestStrTable(t *testing.T) {
	st := newStrTable()
	rng := rand.New(rand.NewPCG(3, 4))
	refs := map[string]int{}
	ids := map[string]uint32{}
	for range 200000 {
		// Short strings (packed into slots, some with NUL bytes) and long
		// ones (hashed).
		var s string
		switch k := rng.IntN(3000); k % 3 {
		case 0:
			s = fmt.Sprint("s", k)
		case 1:
			s = strings.Repeat("\x00", k%9)
		default:
			s = fmt.Sprint("a longer string, number ", k)
		}
		if rng.IntN(2) == 0 || refs[s] == 0 {
			id := st.intern(s)
			if old, ok := ids[s]; ok && refs[s] > 0 && old != id {
				t.Fatalf("%s interned as %d, then %d", s, old, id)
			}
			ids[s] = id
			refs[s]++
		} else {
			st.release(ids[s])
			refs[s]--
		}
	}
	live := 0
	for s, n := range refs {
		id, ok := st.lookup(s)
		if ok != (n > 0) {
			t.Fatalf("%s: found=%v with %d references", s, ok, n)
		}
		if n > 0 {
			live++
			if id != ids[s] || st.str(id) != s || *st.refs.at(id) != uint32(n) {
				t.Fatalf("%s: id %d (want %d), string %q, refs %d (want %d)", s, id, ids[s], st.str(id), *st.refs.at(id), n)
			}
		}
	}
	if st.used != live {
		t.Errorf("%d strings in the index, want %d", st.used, live)
	}
	if int(st.n) > len(refs) {
		t.Errorf("%d indices handed out for %d distinct strings", st.n, len(refs))
	}
}

// TestConcurrentUse runs steps, explanations and queries from several
// goroutines (meaningful under -race).
func TestConcurrentUse(t *testing.T) {
	p, err := rulelang.Compile("test.rules", []byte(deptSrc))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(p, &Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	// Handlers run on the goroutines that call Run, so they synchronize.
	var mu sync.Mutex
	events := 0
	e.Subscribe(func(Event) {
		mu.Lock()
		events++
		mu.Unlock()
	})
	if err := e.Step(Assert("Department", str("d1"), num(1e9))); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				id := fmt.Sprintf("e%d_%d", g, i%5)
				if err := e.Step(emp(id, "d1", float64(i)), perf("p"+id, id, float64(i))); err != nil {
					t.Error(err)
				}
				if _, err := e.Explain("metric", str("d1")); err != nil {
					t.Error(err)
				}
				e.Activations()
			}
		})
	}
	wg.Wait()
	x, err := e.Explain("metric", str("d1"))
	if err != nil {
		t.Fatal(err)
	}
	if n := x.Aggregates[2].Value; n != 20 {
		t.Errorf("COUNT = %v, want 20", n)
	}
	// Each employee ends with salary and score 45..49.
	if x.Aggregates[0].Value != 47 || x.Aggregates[1].Value != 47 {
		t.Errorf("averages %v, %v, want 47, 47", x.Aggregates[0].Value, x.Aggregates[1].Value)
	}
	if events == 0 || events > 201 {
		t.Errorf("%d events for 201 steps", events)
	}
}

// TestLargeReach drives groups whose reach holds many main facts (a map
// rather than a list) through links, moves and retractions, in checking
// mode.
func TestLargeReach(t *testing.T) {
	e, b := compile(t, `type D : <id: string, floor: number>
type E : <id: string, deptId: string, salary: number>
type S : <id: string, floor: number, seats: number>
rule colleagues : {e: E, n: COUNT(c.id), top: MAX(c.salary), seats: SUM(s.seats)}
  / {d: D} / {c: E} / {s: S}
  / d.id == e.deptId AND c.deptId == d.id AND s.floor == d.floor AND n > 1
  ==> print(e.id, n, top, seats)
`)
	rng := rand.New(rand.NewPCG(5, 6))
	var changes []Change
	for i := range 3 {
		changes = append(changes, Assert("D", str(fmt.Sprint("d", i)), num(float64(i%2))))
		changes = append(changes, Assert("S", str(fmt.Sprint("s", i)), num(float64(i%2)), num(float64(10*i))))
	}
	for i := range 60 {
		changes = append(changes, Assert("E", str(fmt.Sprint("e", i)), str(fmt.Sprint("d", i%3)), num(float64(rng.IntN(1000)))))
	}
	step(t, e, b, changes...)
	if got := strings.Count(b.String(), "fire colleagues"); got != 60 {
		t.Errorf("%d fires, want 60", got)
	}
	for i := range 400 {
		id := fmt.Sprint("e", rng.IntN(70))
		var c Change
		switch rng.IntN(4) {
		case 0:
			c = Retract("E", str(id))
		case 1:
			c = Assert("D", str(fmt.Sprint("d", rng.IntN(3))), num(float64(rng.IntN(2))))
		default:
			c = Assert("E", str(id), str(fmt.Sprint("d", rng.IntN(4))), num(float64(rng.IntN(1000))))
		}
		if err := e.Step(c); err != nil && !errors.Is(err, ErrNoFact) {
			t.Fatalf("change %d: %v", i, err)
		}
	}
}

// TestSharedAccumulate checks that aggregation rules with the same join
// tree share an accumulate network: a rule added before any fact adds its
// aggregates to it; a rule added later shares it only when it needs no new
// aggregate.
func TestSharedAccumulate(t *testing.T) {
	e, b := compile(t, `type D : <id: string>
type E : <id: string, d: string, s: number>
rule a : {d: D, n: COUNT(e.id)} / {e: E} / e.d == d.id ==> print("a", d.id, n)
rule b : {d: D, top: MAX(e.s), n: COUNT(e.id)} / {e: E} / e.d == d.id AND top > 10 ==> print("b", d.id, top, n)
`)
	got := step(t, e, b, Assert("D", str("d1")), Assert("E", str("e1"), str("d1"), num(5)), Assert("E", str("e2"), str("d1"), num(20)))
	wantEvents(t, got,
		`fire a "d1" n=2`, `  a d1 2`,
		`fire b "d1" top=20 n=2`, `  b d1 20 2`)
	p, err := rulelang.Compile("more.rules", []byte(`type D : <id: string>
type E : <id: string, d: string, s: number>
rule c : {d: D, n: COUNT(e.id)} / {e: E} / e.d == d.id AND n > 1 ==> print("c", d.id, n)
rule f : {d: D, low: MIN(e.s)} / {e: E} / e.d == d.id ==> print("f", d.id, low)
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Rules {
		if err := e.AddRule(r); err != nil {
			t.Fatal(err)
		}
	}
	got = step(t, e, b)
	wantEvents(t, got, `fire c "d1" n=2`, `  c d1 2`, `fire f "d1" low=5`, `  f d1 5`)
	got = step(t, e, b, Retract("E", str("e2")))
	wantEvents(t, got,
		`update a "d1" n=1`, `  a d1 1`,
		`withdraw b "d1"`,
		`withdraw c "d1"`)
	want := `type D: 1 facts
  alpha [all] -> a.d f.d
type E: 1 facts
  alpha [all] -> a.e f.e
rule a: accumulate over d: D
    e: E grouped by e.d == d.id, 1 groups
  aggregate n = COUNT(e.id)
rule b: accumulate network of rule a
  aggregate top = MAX(e.s)
  aggregate n = COUNT(e.id)
  threshold top > 10
rule c: accumulate network of rule a
  aggregate n = COUNT(e.id)
  threshold n > 1
rule f: accumulate over d: D
    e: E grouped by e.d == d.id, 1 groups
  aggregate low = MIN(e.s)
`
	if got := e.Describe(); got != want {
		t.Errorf("network:\n%s\nwant:\n%s", got, want)
	}
}
