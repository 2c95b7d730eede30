package rulestore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
)

// propertyProgram has an aggregation rule and a join rule over two types.
const propertyProgram = `type G : <id: string, lim: number>
type A : <id: string, g: string, v: number>
rule over : {g: G, s: SUM(a.v), n: COUNT(a.id)} / {a: A} / a.g == g.id AND s > g.lim ==> over(g.id, s, n)
rule pair : {a: A, g: G} / a.g == g.id AND a.v > 3 ==> pair(a.id, g.id, a.v)
`

// TestRestartIsInvisible runs random steps through a service that is
// restarted at random points and through a plain engine that never is:
// both must emit the same events, step by step, and hold the same
// activations in the same order.
func TestRestartIsInvisible(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			h := newHarness(t)
			h.put("p", propertyProgram)
			prog, err := rulelang.Compile("", []byte(propertyProgram))
			if err != nil {
				t.Fatal(err)
			}
			ref, err := rete.Compile(prog, &rete.Options{Check: true})
			if err != nil {
				t.Fatal(err)
			}
			var refEvents []string
			ref.Subscribe(func(ev rete.Event) {
				refEvents = append(refEvents, formatEvent(&Event{Program: "p", Event: ev}))
			})
			live := map[string]bool{} // "A/a3", "G/g1"

			for step := 0; step < 150; step++ {
				var changes []Change
				for range 1 + rng.IntN(6) {
					changes = append(changes, randomChange(rng, live))
				}
				if _, err := h.s.Step(changes); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				rc := make([]rete.Change, len(changes))
				for i, c := range changes {
					rc[i] = c.Change
				}
				if err := ref.Step(rc...); err != nil {
					t.Fatalf("reference step %d: %v", step, err)
				}
				if got := h.take(); !slices.Equal(got, refEvents) {
					t.Fatalf("step %d: events\n  %s\nreference:\n  %s", step, strings.Join(got, "\n  "), strings.Join(refEvents, "\n  "))
				}
				refEvents = refEvents[:0]
				if rng.IntN(10) == 0 {
					h.restart()
				}
				acts, err := h.s.Activations("p")
				if err != nil {
					t.Fatal(err)
				}
				var refActs []Activation
				for _, a := range ref.Activations() {
					refActs = append(refActs, Activation{Program: "p", Activation: a})
				}
				if got, want := formatActivations(acts), formatActivations(refActs); got != want {
					t.Fatalf("step %d: activations\n%s\nreference:\n%s", step, got, want)
				}
			}
		})
	}
}

// randomChange returns a valid change and records it in live: an
// assertion of a new or existing key, or a retraction of a live key.
func randomChange(rng *rand.Rand, live map[string]bool) Change {
	s, n := rulelang.StringValue, rulelang.NumberValue
	if rng.IntN(4) == 0 {
		var keys []string
		for k, ok := range live {
			if ok {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			slices.Sort(keys)
			k := keys[rng.IntN(len(keys))]
			live[k] = false
			typ, id, _ := strings.Cut(k, "/")
			return Change{Change: rete.Retract(typ, s(id))}
		}
	}
	if rng.IntN(3) == 0 {
		id := fmt.Sprintf("g%d", rng.IntN(3))
		live["G/"+id] = true
		return Change{Change: rete.Assert("G", s(id), n(float64(rng.IntN(12))))}
	}
	id := fmt.Sprintf("a%d", rng.IntN(12))
	live["A/"+id] = true
	return Change{Change: rete.Assert("A", s(id), s(fmt.Sprintf("g%d", rng.IntN(4))), n(float64(rng.IntN(7))))}
}
