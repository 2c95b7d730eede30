package rulestore

import (
	"errors"
	"slices"
	"testing"

	"github.com/accretedb/accrete/internal/ruleexample"
	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
	"github.com/accretedb/accrete/storage"
)

func TestSharedTypesAndDelete(t *testing.T) {
	h := newHarness(t)
	h.put("a", `type Employee : <id: string, salary: number>
rule rich : {e: Employee} / e.salary > 100 ==> rich(e.id)
`)
	h.put("b", `type Employee : <id: string, salary: number>
type Bonus : <#employee: string, amount: number>
Bonus(employee: "e1", amount: 5)
rule paid : {e: Employee, b: Bonus} / b.employee == e.id ==> pay(e.id, e.salary + b.amount)
`)
	h.take()
	res := h.post(`Employee(id: "e1", salary: 200)`)
	checkEvents(t, h.take(),
		`fire a/rich "e1": rich("e1")`,
		`fire b/paid "e1" "e1": pay("e1", 205)`)
	if res.Events != (EventCounts{Fire: 2}) {
		t.Errorf("step: %+v", res)
	}
	types := h.s.Types()
	if len(types) != 2 || types[0].Name != "Bonus" || !slices.Equal(types[0].Programs, []string{"b"}) ||
		types[1].Name != "Employee" || !slices.Equal(types[1].Programs, []string{"a", "b"}) || types[1].Facts != 1 {
		t.Errorf("types: %+v", types)
	}

	// Deleting a withdraws its activation; Employee stays with b.
	dres, err := h.s.Delete("a")
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, h.take(), `withdraw a/rich "e1"`)
	if len(dres.Dropped) != 0 || dres.Events != (EventCounts{Withdraw: 1}) {
		t.Errorf("delete a: %+v", dres)
	}
	if _, n, _ := h.s.Facts("Employee", 0); n != 1 {
		t.Errorf("employees after deleting a: %d", n)
	}
	if _, err := h.s.Delete("a"); !errors.Is(err, ErrProgramNotFound) {
		t.Errorf("delete a again: %v", err)
	}
	h.restart()
	checkEvents(t, h.take())

	// Deleting b, the last program, drops every fact.
	dres, err = h.s.Delete("b")
	if err != nil {
		t.Fatal(err)
	}
	if want := []TypeCount{{"Employee", 1}, {"Bonus", 1}}; !slices.Equal(dres.Dropped, want) {
		t.Errorf("dropped: %v, want %v", dres.Dropped, want)
	}
	checkEvents(t, h.take(), `withdraw b/paid "e1" "e1"`)
	if len(h.s.Types()) != 0 || len(h.s.Programs()) != 0 {
		t.Errorf("left: %v %v", h.s.Types(), h.s.Programs())
	}
	h.restart()
	if len(h.s.Types()) != 0 {
		t.Errorf("types after restart: %v", h.s.Types())
	}
	// A new program starts without the old facts.
	h.put("a", `type Employee : <id: string, salary: number>
rule rich : {e: Employee} / e.salary > 100 ==> rich(e.id)
`)
	checkEvents(t, h.take())
}

func TestNewProgramFiresOverStoredFacts(t *testing.T) {
	h := newHarness(t)
	h.put("a", "type T : <id: string, v: number>\nT(id: \"x\", v: 3)\nT(id: \"y\", v: 1)\nrule r : {t: T} / t.v > 0 ==> r(t.id)\n")
	h.take()
	res := h.put("b", "type T : <id: string, v: number>\nT(id: \"z\", v: 9)\nrule big : {t: T} / t.v > 2 ==> big(t.id)\n")
	checkEvents(t, h.take(),
		`fire b/big "x": big("x")`,
		`fire b/big "z": big("z")`,
		`fire a/r "z": r("z")`)
	if !res.Created || res.Events != (EventCounts{Fire: 3}) || res.Asserted != 1 {
		t.Errorf("put b: %+v", res)
	}
}

func TestFactsInUse(t *testing.T) {
	h := newHarness(t)
	h.put("p", "type T : <id: string, v: number>\ntype U : <id: string>\nrule r : {t: T} / t.v > 0 ==> r(t.id)\n")
	h.post(`T(id: "a", v: 1) T(id: "b", v: 2)`)
	h.take()
	before := dumpState(h.s)

	v2 := "type T : <id: string, v: string>\nT(id: \"c\", v: \"new\")\nrule r : {t: T} / t.v != \"\" ==> r(t.id)\n"
	_, err := h.s.Put("p", []byte(v2), nil)
	var inUse *FactsInUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrFactsInUse) {
		t.Fatalf("put v2: %v", err)
	}
	if want := []TypeLoss{{Type: "T", Facts: 2, Redeclared: true}}; !slices.Equal(inUse.Types, want) {
		t.Errorf("losses: %+v", inUse.Types)
	}
	if want := "program p: type T has 2 facts and the new version declares it differently (retract those facts first, or allow dropping them)"; err.Error() != want {
		t.Errorf("message: %s", err)
	}
	if got := dumpState(h.s); got != before {
		t.Errorf("state changed:\n%s", got)
	}

	res, err := h.s.Put("p", []byte(v2), &PutOptions{DropFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []TypeCount{{"T", 2}}; !slices.Equal(res.Dropped, want) {
		t.Errorf("dropped: %v", res.Dropped)
	}
	checkEvents(t, h.take(), `withdraw p/r "a"`, `withdraw p/r "b"`, `fire p/r "c": r("c")`)
	facts, n, err := h.s.Facts("T", 0)
	if err != nil || n != 1 || len(facts) != 1 || facts[0].String() != `T(id: "c", v: "new")` {
		t.Errorf("facts: %v %d %v", facts, n, err)
	}
	if _, ok := h.s.Type("U"); ok {
		t.Error("U is still declared")
	}
	h.restart()
	if facts, _, _ := h.s.Facts("T", 0); len(facts) != 1 || facts[0].String() != `T(id: "c", v: "new")` {
		t.Errorf("facts after restart: %v", facts)
	}
}

func TestRetractAllExplainAndKeys(t *testing.T) {
	h := newHarness(t)
	h.put("p", `type N : <#n: number, label: string>
type Flag : <#on: bool, why: string>
type Pair : <a: string, b: number>
rule pos : {x: N} / x.n > 0 ==> pos(x.n, x.label)
rule flagged : {f: Flag} / f.on ==> flag(f.why)
rule pairs : {p: Pair} / p.b > 1 ==> pair(p.a, p.b)
`)
	h.post(`N(n: 1.5, label: "one and a half") N(n: -2, label: "minus two") Flag(on: true, why: "yes")
Pair(a: "x", b: 2) Pair(a: "x", b: 3) Pair(a: "x", b: 2)`)
	checkEvents(t, h.take(),
		`fire p/pos 1.5: pos(1.5, "one and a half")`,
		`fire p/flagged true: flag("yes")`,
		`fire p/pairs <invalid>: pair("x", 2)`,
		`fire p/pairs <invalid>: pair("x", 3)`)

	x, err := h.s.Explain("p", "pos", "1.5")
	if err != nil || !x.Holds || x.Main.String() != `N(n: 1.5, label: "one and a half")` {
		t.Errorf("explain pos 1.5: %v %v", x, err)
	}
	if _, err := h.s.Explain("p", "pos", "abc"); !errors.Is(err, ErrBadKey) {
		t.Errorf("explain bad number: %v", err)
	}
	if _, err := h.s.Explain("p", "pairs", "x"); !errors.Is(err, ErrNoKey) {
		t.Errorf("explain no key: %v", err)
	}
	if _, err := h.s.Explain("p", "nope", "1"); !errors.Is(err, ErrRuleNotFound) {
		t.Errorf("explain unknown rule: %v", err)
	}
	if _, err := h.s.Explain("q", "pos", "1"); !errors.Is(err, ErrProgramNotFound) {
		t.Errorf("explain unknown program: %v", err)
	}
	if _, err := h.s.Explain("p", "pos", "7"); !errors.Is(err, rete.ErrNoFact) {
		t.Errorf("explain missing fact: %v", err)
	}

	if _, err := h.s.Retract("Flag", "maybe"); !errors.Is(err, ErrBadKey) {
		t.Errorf("retract bad bool: %v", err)
	}
	if _, err := h.s.Retract("Pair", "x"); !errors.Is(err, ErrNoKey) {
		t.Errorf("retract no key: %v", err)
	}
	if res, err := h.s.Retract("Flag", "true"); err != nil || res.Retracted != 1 {
		t.Errorf("retract flag: %+v %v", res, err)
	}
	checkEvents(t, h.take(), `withdraw p/flagged true`)

	// A fact without a key is retracted by its content.
	res, err := h.s.Step([]Change{{Change: rete.Change{Op: rete.OpRetract, Type: "Pair",
		Values: []rulelang.Value{rulelang.StringValue("x"), rulelang.NumberValue(3)}}}})
	if err != nil || res.Retracted != 1 {
		t.Errorf("retract pair: %+v %v", res, err)
	}
	checkEvents(t, h.take(), `withdraw p/pairs <invalid>`)

	res, err = h.s.RetractAll("N")
	if err != nil || res.Retracted != 2 {
		t.Errorf("retract all N: %+v %v", res, err)
	}
	checkEvents(t, h.take(), `withdraw p/pos 1.5`)
	if _, err := h.s.RetractAll("N"); !errors.Is(err, ErrNoChanges) {
		t.Errorf("retract all N again: %v", err)
	}
	h.restart()
	h.post(`N(n: 3, label: "three") N(n: 1.5, label: "back")`)
	// 1.5 was asserted before 3: it keeps its place.
	checkEvents(t, h.take(), `fire p/pos 1.5: pos(1.5, "back")`, `fire p/pos 3: pos(3, "three")`)
}

func TestEnsure(t *testing.T) {
	h := newHarness(t)
	src := []byte("type T : <id: string>\nT(id: \"a\")\nrule r : {t: T} ==> r(t.id)\n")
	if put, err := h.s.Ensure("p", src); !put || err != nil {
		t.Fatalf("ensure: %v %v", put, err)
	}
	h.post(`retract T(id: "a")`)
	h.take()
	// The same source again is left alone: the retracted fact stays
	// retracted.
	if put, err := h.s.Ensure("p", src); put || err != nil {
		t.Fatalf("ensure again: %v %v", put, err)
	}
	if _, n, _ := h.s.Facts("T", 0); n != 0 {
		t.Errorf("facts: %d", n)
	}
	if put, err := h.s.Ensure("p", append(src, '\n')); !put || err != nil {
		t.Fatalf("ensure changed: %v %v", put, err)
	}
	checkEvents(t, h.take(), `fire p/r "a": r("a")`)
}

// TestCommitFailureChangesNothing closes the database under the service:
// every change fails to commit and leaves memory as it was.
func TestCommitFailureChangesNothing(t *testing.T) {
	db, err := storage.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(db, &Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put("hr", []byte(ruleexample.Program), nil); err != nil {
		t.Fatal(err)
	}
	var events int
	s.Subscribe(func(*Event) { events++ })
	before := dumpState(s)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	changes, err := s.ParseFacts([]byte(`Employee(id: "e1", deptId: "d2", salary: 1) retract Employee(id: "e2")`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Step(changes); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("step: %v", err)
	}
	if _, err := s.Put("hr", []byte(ruleexample.Program+"Department(id: \"d4\", name: \"New\")\n"), nil); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("put: %v", err)
	}
	if _, err := s.Put("new", []byte("type Z : <id: string>\n"), nil); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("put new: %v", err)
	}
	if _, err := s.Delete("hr"); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("delete: %v", err)
	}
	if _, err := s.Retract("Employee", "e1"); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("retract: %v", err)
	}
	if got := dumpState(s); got != before {
		t.Errorf("state changed:\n%s\nbefore:\n%s", got, before)
	}
	if events != 0 {
		t.Errorf("%d events for changes that were not stored", events)
	}
}
