package aggregate

import (
	"math"
	"testing"

	"github.com/accretedb/accrete/model"
)

// exactMerge reports whether merging fn's partials must give the one-pass
// result bit for bit on the values of gen. Float sums are exact on
// integer-valued floats; Welford/Chan standard deviations only to within
// rounding.
func exactMerge(fn Func, gen valueGen) bool {
	switch fn {
	case Stddev:
		return false
	case Sum, Mean:
		return gen.typ != model.TypeFloat || gen.intOnly
	}
	return true
}

// TestMergeEqualsOnePass checks, for every function and input type, that
// random streams split at random into partials, some of them round-tripped
// through their encoding, and merged in random order give the result of one
// state that saw every value.
func TestMergeEqualsOnePass(t *testing.T) {
	r := newRand(7)
	for _, fn := range allFuncs {
		for _, in := range allTypes {
			if !fn.Accepts(in) {
				continue
			}
			gens := []valueGen{{r: r, typ: in, special: fn != Stddev}}
			if in == model.TypeFloat {
				gens = append(gens, valueGen{r: r, typ: in, intOnly: true})
			}
			for _, gen := range gens {
				for iter := range 150 {
					checkMerge(t, fn, in, gen, iter, false)
					if fn.Retractable() && fn != Count && fn != Sum && fn != Mean {
						checkMerge(t, fn, in, gen, iter, true)
					}
				}
			}
		}
	}
}

func checkMerge(t *testing.T, fn Func, in model.FieldType, gen valueGen, iter int, ordered bool) {
	t.Helper()
	mk := func() State {
		if ordered {
			return newOrdered(fn, in)
		}
		return newState(fn, in)
	}
	r := gen.r
	ps := gen.points(r.IntN(60))
	one := addAll(mk(), ps)

	parts := make([]State, 1+r.IntN(5))
	for i := range parts {
		parts[i] = mk()
	}
	for _, p := range ps {
		parts[r.IntN(len(parts))].Add(p.ts, p.v)
	}
	for i, p := range parts {
		if r.IntN(2) == 0 {
			d, err := Decode(mustEncode(t, p))
			if err != nil {
				t.Fatalf("%s of %s: decode of a partial: %v", fn, in, err)
			}
			parts[i] = d
		}
	}
	r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	merged := parts[0]
	for _, p := range parts[1:] {
		merged.Merge(p)
	}

	want, got := outcomeOf(one), outcomeOf(merged)
	if got.equal(want) {
		return
	}
	if !exactMerge(fn, gen) && got.ok && want.ok {
		scale := 0.0
		for _, p := range ps {
			x, _ := p.v.Number()
			scale = math.Max(scale, math.Abs(x))
		}
		scale *= float64(len(ps))
		if closeTo(got.v, want.v, scale, 1e-12) {
			return
		}
	}
	t.Errorf("%s of %s (ordered %v), iteration %d: %d partials merged give %v, one pass %v\npoints %v",
		fn, in, ordered, iter, len(parts), got, want, ps)
}

// TestMergeIntoItself checks that merging a state into itself doubles its
// values, for the states where that is well defined.
func TestMergeIntoItself(t *testing.T) {
	f := func(s State, ps []pt, want model.FieldValue) {
		t.Helper()
		addAll(s, ps)
		s.Merge(s)
		if got, ok := s.Result(); !ok || !got.Equal(want) {
			t.Errorf("%s merged into itself: %#v, %v; want %#v", describe(s), got, ok, want)
		}
	}
	ps := []pt{at(model.Int(3), 1), at(model.Int(5), 2)}
	f(NewCount(model.TypeInteger), ps, model.Int(4))
	f(NewSum(model.TypeInteger), ps, model.Int(16))
	f(NewMedian(model.TypeInteger), ps, model.Float(4))
	s := newOrdered(Min, model.TypeInteger)
	f(s, ps, model.Int(3))
	if s.Len() != 4 {
		t.Errorf("ordered min merged into itself holds %d points, want 4", s.Len())
	}
	var mm FloatMinMax
	mm.Add(1)
	mm.Add(2)
	mm.Merge(&mm)
	if mm.Len() != 4 || mm.Distinct() != 2 {
		t.Errorf("FloatMinMax merged into itself: Len %d, Distinct %d; want 4, 2", mm.Len(), mm.Distinct())
	}
}
