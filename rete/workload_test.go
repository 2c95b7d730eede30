package rete_test

import (
	"testing"

	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rete/internal/workload"
)

// activeDepts returns, per department of w, whether the engine holds an
// activation for it.
func activeDepts(e *rete.Engine, w *workload.Workload) []bool {
	index := make(map[string]int, len(w.Depts))
	for i, d := range w.Depts {
		index[d] = i
	}
	out := make([]bool, len(w.Depts))
	for _, a := range e.Activations() {
		out[index[a.Facts[0].Key().Str]] = true
	}
	return out
}

// TestWorkload loads the benchmark workload in checking mode, compares the
// departments that fired with a direct computation, then applies random
// single changes (each checked) and compares again.
func TestWorkload(t *testing.T) {
	w := workload.Generate(2000, 7)
	e := newWorkloadEngine(t, &rete.Options{Check: true})
	fires := map[string]int{}
	cancel := e.Subscribe(func(ev rete.Event) {
		if ev.Kind == rete.Withdraw {
			t.Errorf("withdrawal during a one-step load: %v", ev.Key())
		}
		fires[ev.Key().Str]++
	})
	if err := e.Step(w.Changes()...); err != nil {
		t.Fatal(err)
	}
	cancel()
	want := w.Expected()
	got := activeDepts(e, w)
	n := 0
	for i, d := range w.Depts {
		if got[i] != want[i] {
			t.Errorf("%s: active=%v, want %v", d, got[i], want[i])
		}
		if want[i] {
			n++
			if fires[d] != 1 {
				t.Errorf("%s fired %d times, want once", d, fires[d])
			}
		}
	}
	if n == 0 || n == len(w.Depts) {
		t.Fatalf("%d of %d departments hold: the workload does not discriminate", n, len(w.Depts))
	}
	for i := range 300 {
		var c rete.Change
		switch i % 4 {
		case 0:
			c = w.ModifySalary()
		case 1:
			c = w.MoveEmployee()
		case 2:
			var restore rete.Change
			c, restore = w.RetractRecord()
			if err := e.Step(c); err != nil {
				t.Fatal(err)
			}
			c = restore
		default:
			c = w.DropRecord()
		}
		if err := e.Step(c); err != nil {
			t.Fatal(err)
		}
	}
	want = w.Expected()
	got = activeDepts(e, w)
	for i, d := range w.Depts {
		if got[i] != want[i] {
			t.Errorf("after changes, %s: active=%v, want %v", d, got[i], want[i])
		}
	}
}
