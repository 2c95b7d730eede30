package rulestore

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/internal/ruleexample"
	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
	"github.com/accretedb/accrete/storage"
)

// harness is a Service over a real database in a temporary directory,
// with a subscriber recording events as text.
type harness struct {
	t      *testing.T
	dir    string
	db     *storage.DB
	s      *Service
	events []string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, dir: filepath.Join(t.TempDir(), "data")}
	h.open()
	t.Cleanup(func() {
		if h.db != nil {
			h.checkStored()
			if err := h.db.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		}
	})
	return h
}

// open opens the database and the service and subscribes the recorder.
func (h *harness) open() {
	h.t.Helper()
	db, err := storage.Open(h.dir, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	s, err := Open(db, &Options{Check: true, Clock: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		db.Close()
		h.t.Fatal(err)
	}
	h.db, h.s = db, s
	s.Subscribe(func(ev *Event) { h.events = append(h.events, formatEvent(ev)) })
}

// restart closes and reopens the database and the service.
func (h *harness) restart() {
	h.t.Helper()
	if err := h.db.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.db, h.s = nil, nil
	h.open()
}

// checkStored checks that a service opened from storage now has the same
// programs, facts and activations as the running one.
func (h *harness) checkStored() {
	h.t.Helper()
	fresh, err := Open(h.db, &Options{Check: true})
	if err != nil {
		h.t.Errorf("reopen from storage: %v", err)
		return
	}
	if got, want := dumpState(fresh), dumpState(h.s); got != want {
		h.t.Errorf("state rebuilt from storage differs:\n%s\nrunning:\n%s", got, want)
	}
}

// take returns the recorded events and forgets them.
func (h *harness) take() []string {
	evs := h.events
	h.events = nil
	return evs
}

func (h *harness) put(name, src string) *PutResult {
	h.t.Helper()
	res, err := h.s.Put(name, []byte(src), nil)
	if err != nil {
		h.t.Fatalf("put %s: %v", name, err)
	}
	return res
}

func (h *harness) post(src string) *StepResult {
	h.t.Helper()
	changes, err := h.s.ParseFacts([]byte(src))
	if err != nil {
		h.t.Fatalf("parse %q: %v", src, err)
	}
	res, err := h.s.Step(changes)
	if err != nil {
		h.t.Fatalf("step %q: %v", src, err)
	}
	return res
}

// formatEvent writes an event as "kind program/rule key: actions".
func formatEvent(ev *Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s", ev.Kind, ev.Program, ev.Rule)
	for _, f := range ev.Facts {
		fmt.Fprintf(&b, " %s", f.Key())
	}
	for i, a := range ev.Actions {
		if i == 0 {
			b.WriteString(":")
		}
		fmt.Fprintf(&b, " %s", a)
	}
	return b.String()
}

// formatActivations writes activations one per line with their values.
func formatActivations(acts []Activation) string {
	var b strings.Builder
	for _, a := range acts {
		fmt.Fprintf(&b, "%s/%s", a.Program, a.Rule)
		for _, f := range a.Facts {
			fmt.Fprintf(&b, " %s", f)
		}
		for _, g := range a.Aggregates {
			fmt.Fprintf(&b, " %s=%s", g.Name, rete.FormatNumber(g.Value))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// dumpState writes programs, facts in first-assert order and activations.
func dumpState(s *Service) string {
	var b strings.Builder
	for _, p := range s.Programs() {
		pi, _ := s.Program(p.Name)
		fmt.Fprintf(&b, "program %s %q\n", pi.Name, pi.Source)
		for _, r := range pi.Rules {
			fmt.Fprintf(&b, "  rule %s %d\n", r.Name, r.Activations)
		}
	}
	for _, t := range s.Types() {
		facts, n, err := s.Facts(t.Name, 0)
		fmt.Fprintf(&b, "type %s %d %v %v\n", t.Name, n, t.Programs, err)
		for _, f := range facts {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	acts, err := s.Activations("")
	if err != nil {
		fmt.Fprintf(&b, "activations: %v\n", err)
	}
	b.WriteString(formatActivations(acts))
	return b.String()
}

func checkEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestExample1(t *testing.T) {
	h := newHarness(t)
	res := h.put("hr", ruleexample.Program)
	if !res.Created || res.Asserted != 11 || res.Retracted != 0 || res.Events != (EventCounts{Fire: 2}) {
		t.Errorf("put: %+v", res)
	}
	checkEvents(t, h.take(),
		`fire hr/dept_combined_metric "d1": dept d1 60000 80`,
		`fire hr/dept_combined_metric "d2": dept d2 30000 95`)

	h.post(`retract Employee(id: "e3")`)
	checkEvents(t, h.take(), `update hr/dept_combined_metric "d1": dept d1 50000 80`)
	h.post(`Performance(id: "p5", employeeId: "e2", score: 100)`)
	checkEvents(t, h.take(), `update hr/dept_combined_metric "d1": dept d1 50000 85`)
	res2 := h.post(`Employee(id: "e4", deptId: "d1", salary: 30000)`)
	checkEvents(t, h.take(),
		`update hr/dept_combined_metric "d1": dept d1 43333.333333333336 87`,
		`withdraw hr/dept_combined_metric "d2"`)
	if *res2 != (StepResult{Asserted: 1, Events: EventCounts{Update: 1, Withdraw: 1}}) {
		t.Errorf("step result: %+v", res2)
	}

	st := h.s.Stats()
	if want := []TypeCount{{"Department", 3}, {"Employee", 3}, {"Performance", 5}}; !slices.Equal(st.Facts, want) {
		t.Errorf("facts: %v, want %v", st.Facts, want)
	}
	if want := []RuleCount{{"hr", "dept_combined_metric", 1}}; !slices.Equal(st.Activations, want) {
		t.Errorf("activations: %v, want %v", st.Activations, want)
	}
	if want := []ActionCount{{"hr", "dept_combined_metric", "print", 5}}; !slices.Equal(st.Actions, want) {
		t.Errorf("actions: %v, want %v", st.Actions, want)
	}
	if st.Steps != 3 || st.StepBuckets[len(st.StepBuckets)-1].Steps != 3 {
		t.Errorf("steps: %d, buckets %v", st.Steps, st.StepBuckets)
	}
}

// TestOneStep posts the last three statements of EXAMPLES §1 as one step:
// d1 updates once, d2 is withdrawn.
func TestOneStep(t *testing.T) {
	h := newHarness(t)
	h.put("hr", ruleexample.Program)
	h.take()
	res := h.post(`retract Employee(id: "e3")
Performance(id: "p5", employeeId: "e2", score: 100)
Employee(id: "e4", deptId: "d1", salary: 30000)`)
	checkEvents(t, h.take(),
		`update hr/dept_combined_metric "d1": dept d1 43333.333333333336 87`,
		`withdraw hr/dept_combined_metric "d2"`)
	if *res != (StepResult{Asserted: 2, Retracted: 1, Events: EventCounts{Update: 1, Withdraw: 1}}) {
		t.Errorf("step result: %+v", res)
	}
}

func TestRestartRunsNoAction(t *testing.T) {
	h := newHarness(t)
	h.put("hr", ruleexample.Program)
	h.post(`retract Employee(id: "e3")`)
	before := dumpState(h.s)
	h.take()

	h.restart()
	if got := dumpState(h.s); got != before {
		t.Errorf("after restart:\n%s\nbefore:\n%s", got, before)
	}
	checkEvents(t, h.take())
	st := h.s.Stats()
	if len(st.Actions) != 0 || st.Steps != 0 {
		t.Errorf("actions or steps after restart: %+v", st)
	}
	if want := []RuleCount{{"hr", "dept_combined_metric", 2}}; !slices.Equal(st.Activations, want) {
		t.Errorf("activations: %v, want %v", st.Activations, want)
	}
	// Asserting a fact equal to the stored one changes nothing; a real
	// change fires only what changed.
	h.post(`Employee(id: "e1", deptId: "d1", salary: 60000)`)
	checkEvents(t, h.take())
	h.post(`Employee(id: "e1", deptId: "d1", salary: 70000)`)
	checkEvents(t, h.take(), `update hr/dept_combined_metric "d1": dept d1 55000 80`)
}

// TestRestartKeepsOrder checks that a retracted key asserted again after a
// restart keeps its place in the agenda order, as without the restart.
func TestRestartKeepsOrder(t *testing.T) {
	const src = `type D : <id: string, n: number>
rule big : {d: D} / d.n > 10 ==> alert(d.id)
`
	run := func(restart bool) []string {
		h := newHarness(t)
		h.put("p", src)
		h.post(`D(id: "a", n: 1)
D(id: "b", n: 1)
D(id: "c", n: 1)`)
		h.post(`retract D(id: "a")`)
		if restart {
			h.restart()
		}
		h.post(`D(id: "c", n: 20)
D(id: "b", n: 20)
D(id: "a", n: 20)`)
		return h.take()
	}
	want := []string{
		`fire p/big "a": alert("a")`,
		`fire p/big "b": alert("b")`,
		`fire p/big "c": alert("c")`,
	}
	checkEvents(t, run(false), want...)
	checkEvents(t, run(true), want...)
}

func TestReplaceFiresDifferences(t *testing.T) {
	h := newHarness(t)
	const v1 = `type D : <id: string, n: number>
D(id: "a", n: 5)
D(id: "b", n: 15)
D(id: "c", n: 25)
rule big : {d: D} / d.n > 10 ==> alert(d.id)
rule huge : {d: D} / d.n > 20 ==> page(d.id, d.n)
`
	h.put("p", v1)
	checkEvents(t, h.take(),
		`fire p/big "b": alert("b")`,
		`fire p/big "c": alert("c")`,
		`fire p/huge "c": page("c", 25)`)

	// The same program again: same facts, same activations, nothing fires.
	res := h.put("p", v1)
	checkEvents(t, h.take())
	if res.Created || res.Events != (EventCounts{}) || res.Asserted != 3 {
		t.Errorf("put again: %+v", res)
	}

	// Other actions, same bound values: quiet. A new threshold: a, b
	// leave big; d joins it; huge goes; c's fact changes: update.
	const v2 = `type D : <id: string, n: number>
D(id: "c", n: 26)
rule big : {d: D} / d.n > 20 ==> alert2(d.id)
rule small : {d: D} / d.n < 10 ==> low(d.id)
`
	res = h.put("p", v2)
	checkEvents(t, h.take(),
		`withdraw p/big "b"`,
		`withdraw p/huge "c"`,
		`update p/big "c": alert2("c")`,
		`fire p/small "a": low("a")`)
	if res.Created || res.Events != (EventCounts{Fire: 1, Update: 1, Withdraw: 2}) || res.Asserted != 1 {
		t.Errorf("put v2: %+v", res)
	}
	pi, err := h.s.Program("p")
	if err != nil {
		t.Fatal(err)
	}
	want := []RuleInfo{{"big", rulelang.JoinRule, 1}, {"small", rulelang.JoinRule, 1}}
	if !slices.Equal(pi.Rules, want) || pi.Source != v2 {
		t.Errorf("program: %+v", pi)
	}
	// The counters of rules that are gone go with them.
	wantActions := []ActionCount{{"p", "big", "alert", 2}, {"p", "big", "alert2", 1}, {"p", "small", "low", 1}}
	if got := h.s.Stats().Actions; !slices.Equal(got, wantActions) {
		t.Errorf("actions: %v, want %v", got, wantActions)
	}
	// Facts stayed: a and b came from v1.
	if _, n, _ := h.s.Facts("D", 0); n != 3 {
		t.Errorf("facts of D: %d, want 3", n)
	}
}

func TestBadProgramChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.put("hr", ruleexample.Program)
	h.put("other", `type X : <id: string, v: number>
rule r : {x: X} / x.v > 1 ==> hit(x.id)
`)
	h.take()
	before := dumpState(h.s)
	f := func(name, src, want string) {
		t.Helper()
		_, err := h.s.Put(name, []byte(src), nil)
		var diags rulelang.ErrorList
		if !errors.As(err, &diags) {
			t.Fatalf("put %q: %v, want diagnostics", src, err)
		}
		if err.Error() != want {
			t.Errorf("put %q:\n%s\nwant:\n%s", src, err, want)
		}
		if got := dumpState(h.s); got != before {
			t.Errorf("state changed:\n%s", got)
		}
		checkEvents(t, h.take())
	}
	f("hr", "type A : <id: strin>\nrule r : {a: B} / a.x > 1 ==> p(a.id)\n",
		"1:15: unknown field type strin (want string, number or bool)\n2:14: unknown type B")
	f("new", "type X : <id: string, v: string>\n",
		"1:6: type X is declared differently by program other: type X : <#id: string, v: number>")
	f("hr", ruleexample.Program+`retract Employee(id: "e9")`+"\n",
		`22:1: retract of Employee "e9": no such fact`)
	_, err := h.s.Put("bad/name", []byte(ruleexample.Program), nil)
	if !errors.Is(err, ErrInvalidName) {
		t.Errorf("bad name: %v", err)
	}
}

func TestBadFactsChangeNothing(t *testing.T) {
	h := newHarness(t)
	h.put("hr", ruleexample.Program)
	h.take()
	before := dumpState(h.s)
	f := func(changes []Change, want string) {
		t.Helper()
		_, err := h.s.Step(changes)
		var errs FactErrors
		if !errors.As(err, &errs) {
			t.Fatalf("step: %v, want FactErrors", err)
		}
		if err.Error() != want {
			t.Errorf("step:\n%s\nwant:\n%s", err, want)
		}
		if got := dumpState(h.s); got != before {
			t.Errorf("state changed:\n%s", got)
		}
		checkEvents(t, h.take())
	}
	s, n := rulelang.StringValue, rulelang.NumberValue
	good := Change{Change: rete.Assert("Employee", s("e9"), s("d1"), n(1)), At: "facts[0]"}
	f([]Change{good,
		{Change: rete.Assert("Employee", s("e10"), s("d1"), s("x")), At: "facts[1]"},
		{Change: rete.Assert("Nope", s("x")), At: "facts[2]"},
		{Change: rete.Retract("Employee", s("e77"))},
		{Change: rete.Retract("Employee", s("e9"))},
		{Change: rete.Retract("Employee", s("e9"))},
		{Change: rete.Assert("Employee", s("e1"), s("d1"))},
	}, `facts[1]: bad fact: field salary of Employee is number, but the value is string
facts[2]: unknown type Nope
change 3: retract of Employee "e77": no such fact
change 5: retract of Employee "e9": no such fact
change 6: bad fact: Employee has 3 fields, but the fact has 2 values`)

	_, err := h.s.ParseFacts([]byte("Employee(id: \"e1\", deptId: 1, salary: 5)\nNope(id: 1)\ntype T : <a: number>\n"))
	if err == nil || err.Error() != "3:1: "+msgNotFact {
		t.Errorf("parse with a type: %v", err)
	}
	_, err = h.s.ParseFacts([]byte("Employee(id: \"e1\", deptId: 1, salary: 5)\n  Nope(id: 1)\n"))
	if want := "1:28: field deptId of Employee is string, but the value is number\n2:3: unknown type Nope"; err == nil || err.Error() != want {
		t.Errorf("parse: %v, want %s", err, want)
	}
	if _, err := h.s.ParseFacts([]byte("// nothing\n")); !errors.Is(err, ErrNoChanges) {
		t.Errorf("empty: %v", err)
	}
	if _, err := h.s.Retract("Employee", "e77"); !errors.Is(err, ErrNoFact) {
		t.Errorf("retract e77: %v", err)
	}
	if _, err := h.s.Retract("Nope", "e77"); !errors.Is(err, ErrUnknownType) {
		t.Errorf("retract Nope: %v", err)
	}
	if got := dumpState(h.s); got != before {
		t.Errorf("state changed:\n%s", got)
	}
}

func TestParseFactsPositions(t *testing.T) {
	h := newHarness(t)
	h.put("hr", ruleexample.Program)
	changes, err := h.s.ParseFacts([]byte(`Employee(id: "e5", deptId: "d2", salary: 1)
  retract Employee(id: "e1") Performance(id: "p9", employeeId: "e5", score: -2.5)`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, fmt.Sprintf("%s %d %s %v %v", c.At, c.Op, c.Type, c.Values, c.Key))
	}
	want := []string{
		`1:1 0 Employee ["e5" "d2" 1] <invalid>`,
		`2:3 1 Employee [] "e1"`,
		`2:30 0 Performance ["p9" "e5" -2.5] <invalid>`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
