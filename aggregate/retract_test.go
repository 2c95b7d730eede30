package aggregate

import (
	"math"
	"math/big"
	"slices"
	"testing"
	"unsafe"

	"github.com/accretedb/accrete/model"
)

// TestRetractEqualsRecompute runs random sequences of adds and removes on
// every retractable function and input type, and checks after every step
// that the result, the selected point and the size equal those of a state
// computed from scratch over the points remaining. Float sums use
// integer-valued floats of up to 2^40, where compensation makes them exact.
// Now and then the state goes through its encoding and carries on decoded.
func TestRetractEqualsRecompute(t *testing.T) {
	r := newRand(11)
	for _, fn := range allFuncs {
		if !fn.Retractable() {
			continue
		}
		for _, in := range allTypes {
			if !fn.Accepts(in) {
				continue
			}
			gen := valueGen{r: r, typ: in, special: true, intOnly: true}
			for run := range 10 {
				s, err := NewRetractable(fn, in)
				if err != nil {
					t.Fatal(err)
				}
				var live []pt
				for step := range 300 {
					if len(live) > 0 && r.IntN(5) < 2 {
						i := r.IntN(len(live))
						s.Remove(live[i].ts, live[i].v)
						live = slices.Delete(live, i, i+1)
					} else {
						p := gen.points(1)[0]
						if len(live) > 0 && r.IntN(4) == 0 {
							p = live[r.IntN(len(live))] // a duplicate
						}
						s.Add(p.ts, p.v)
						live = append(live, p)
					}
					if step%50 == 49 {
						d, err := Decode(mustEncode(t, s))
						if err != nil {
							t.Fatalf("%s of %s: decode: %v", fn, in, err)
						}
						s = d.(Retractable)
					}
					want := outcomeOf(addAll(New(fn, in), live))
					if got := outcomeOf(s); !got.equal(want) {
						t.Fatalf("%s of %s, run %d step %d: got %v, recomputed %v\nremaining %v", fn, in, run, step, got, want, live)
					}
					if o, ok := s.(*OrderedState); ok && o.Len() != len(live) {
						t.Fatalf("%s of %s, run %d step %d: Len %d, want %d", fn, in, run, step, o.Len(), len(live))
					}
				}
			}
		}
	}
}

// exactSum returns the sum of integer-valued floats rounded to float64 once.
func exactSum(xs []float64) float64 {
	var sum big.Float
	sum.SetPrec(2000)
	for _, x := range xs {
		sum.Add(&sum, new(big.Float).SetFloat64(x))
	}
	f, _ := sum.Float64()
	return f
}

// TestCompensatedRetraction adds random integer streams (magnitudes up to
// 2^40, and up to 2^62 where float64 rounds them to even integers), removes
// a random part in random order, and checks that SumState, MeanState and
// FloatSum give exactly the correctly rounded sum of what remains.
func TestCompensatedRetraction(t *testing.T) {
	r := newRand(3)
	for run := range 400 {
		bits := []int{8, 40, 62}[run%3]
		n := 1 + r.IntN(200)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(r.Int64N(1<<bits) - 1<<(bits-1))
			if r.IntN(10) == 0 {
				xs[i] = float64(r.IntN(7) - 3)
			}
		}
		sum, mean := NewSum(model.TypeFloat), NewMean(model.TypeFloat)
		var fs FloatSum
		for _, x := range xs {
			sum.AddFloat(0, x)
			mean.AddFloat(0, x)
			fs.Add(x)
		}
		r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
		keep := r.IntN(n + 1)
		for _, x := range xs[keep:] {
			sum.Remove(0, model.Float(x))
			mean.Remove(0, model.Float(x))
			fs.Remove(x)
		}
		rest := xs[:keep]
		want := exactSum(rest)
		if keep == 0 {
			if _, ok := sum.Result(); ok {
				t.Fatalf("run %d: sum of nothing has a result", run)
			}
			if fs.Sum() != 0 || fs.Count() != 0 {
				t.Fatalf("run %d: FloatSum of nothing: %v, %d", run, fs.Sum(), fs.Count())
			}
			continue
		}
		if got, _ := sum.Result(); got.FloatV() != want {
			t.Fatalf("run %d (%d bits): SumState %v, exact %v", run, bits, got.FloatV(), want)
		}
		if got := fs.Sum(); got != want {
			t.Fatalf("run %d (%d bits): FloatSum %v, exact %v", run, bits, got, want)
		}
		wantMean := want / float64(keep)
		if got, _ := mean.Result(); got.FloatV() != wantMean {
			t.Fatalf("run %d (%d bits): MeanState %v, exact %v", run, bits, got.FloatV(), wantMean)
		}
		if got, ok := fs.Mean(); !ok || got != wantMean || fs.Count() != int64(keep) {
			t.Fatalf("run %d (%d bits): FloatSum mean %v, %v (count %d); want %v (%d)", run, bits, got, ok, fs.Count(), wantMean, keep)
		}
	}
}

func TestCompensatedSum(t *testing.T) {
	f := func(xs []float64, want float64) {
		t.Helper()
		var s CompensatedSum
		for _, x := range xs {
			s.Add(x)
		}
		if got := s.Value(); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("compensated sum of %v = %v, want %v", xs, got, want)
		}
	}
	f(nil, 0)
	f([]float64{1, 1e100, 1, -1e100}, 2)
	f([]float64{1e100, 1, -1e100}, 1)
	f([]float64{0.1, 0.2, 0.3}, 0.6)     // naive: 0.6000000000000001
	f([]float64{1 << 53, 1, 1}, 1<<53+2) // naive: 2^53
	f([]float64{3, math.Inf(1)}, math.Inf(1))
	f([]float64{math.Inf(-1), 3, math.Inf(-1)}, math.Inf(-1))
	f([]float64{math.Inf(1), math.Inf(-1)}, math.NaN())
	f([]float64{math.NaN(), 1}, math.NaN())
	f([]float64{math.MaxFloat64, math.MaxFloat64}, math.Inf(1)) // overflow

	var a, b CompensatedSum
	for _, x := range []float64{1e100, 1} {
		a.Add(x)
	}
	for _, x := range []float64{-1e100, 1} {
		b.Add(x)
	}
	a.Merge(b)
	if got := a.Value(); got != 2 {
		t.Errorf("merged compensated sums = %v, want 2", got)
	}
	a.Reset()
	if a.Value() != 0 {
		t.Errorf("reset sum = %v", a.Value())
	}

	// Infinities and NaNs subtract again.
	g := func(add, sub []float64, want float64) {
		t.Helper()
		var s CompensatedSum
		for _, x := range add {
			s.Add(x)
		}
		for _, x := range sub {
			s.Sub(x)
		}
		if got := s.Value(); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("compensated sum of %v minus %v = %v, want %v", add, sub, got, want)
		}
	}
	inf, nan := math.Inf(1), math.NaN()
	g([]float64{1, inf, 2}, []float64{inf}, 3)
	g([]float64{1, inf, -inf}, []float64{-inf}, inf)
	g([]float64{1, nan, 2}, []float64{nan}, 3)
	g([]float64{nan, inf}, []float64{nan}, inf)
	g([]float64{inf, inf}, []float64{inf}, inf)
	g([]float64{0.5, -inf, 0.25}, []float64{0.5, -inf}, 0.25)
	var m1, m2 CompensatedSum
	m1.Add(inf)
	m2.Add(-inf)
	m2.Add(4)
	m1.Merge(m2)
	m1.Sub(inf)
	m1.Sub(-inf)
	if got := m1.Value(); got != 4 {
		t.Errorf("merged sums with infinities, taken out again: %v, want 4", got)
	}
	expectPanic(t, "Sub of an absent infinity", "subtracting a +Inf", func() {
		var s CompensatedSum
		s.Sub(inf)
	})
}

// TestFloatMinMax checks FloatMinMax against a sorted slice under random
// adds and removes with many duplicates.
func TestFloatMinMax(t *testing.T) {
	r := newRand(5)
	var m FloatMinMax
	var live []float64
	check := func(step int) {
		t.Helper()
		sorted := slices.Clone(live)
		slices.SortFunc(sorted, func(a, b float64) int { return cmpKey(floatKey(a), floatKey(b)) })
		lo, okLo := m.Min()
		hi, okHi := m.Max()
		if len(live) == 0 {
			if okLo || okHi || m.Len() != 0 || m.Distinct() != 0 || m.tree != nil {
				t.Fatalf("step %d: empty multiset: Min %v %v, Max %v %v, Len %d, tree %v", step, lo, okLo, hi, okHi, m.Len(), m.tree != nil)
			}
			return
		}
		if !okLo || floatKey(lo) != floatKey(sorted[0]) || !okHi || floatKey(hi) != floatKey(sorted[len(sorted)-1]) {
			t.Fatalf("step %d: Min %v, Max %v; want %v, %v", step, lo, hi, sorted[0], sorted[len(sorted)-1])
		}
		if sp, _ := m.Result(Spread); sp != hi-lo && !math.IsNaN(sp) {
			t.Fatalf("step %d: spread %v, want %v", step, sp, hi-lo)
		}
		distinct := slices.CompactFunc(slices.Clone(sorted), func(a, b float64) bool { return floatKey(a) == floatKey(b) })
		if m.Len() != len(live) || m.Distinct() != len(distinct) {
			t.Fatalf("step %d: Len %d, Distinct %d; want %d, %d", step, m.Len(), m.Distinct(), len(live), len(distinct))
		}
		var seen []float64
		m.Ascend(func(v float64, c int) bool {
			for range c {
				seen = append(seen, v)
			}
			return true
		})
		if !slices.EqualFunc(seen, sorted, func(a, b float64) bool { return floatKey(a) == floatKey(b) }) {
			t.Fatalf("step %d: Ascend gives %v, want %v", step, seen, sorted)
		}
	}
	values := []float64{-3, -1.5, math.Copysign(0, -1), 0, 1, 2.25, 7, math.Inf(1), math.Inf(-1), math.NaN()}
	for step := range 5000 {
		switch {
		case len(live) > 0 && r.IntN(9) < 4:
			i := r.IntN(len(live))
			if !m.Remove(live[i]) {
				t.Fatalf("step %d: Remove(%v) of a value held reports false", step, live[i])
			}
			live = slices.Delete(live, i, i+1)
		case r.IntN(20) == 0:
			absent := 1e9 + float64(step)
			if m.Remove(absent) {
				t.Fatalf("step %d: Remove of an absent value reports true", step)
			}
		default:
			v := values[r.IntN(len(values))]
			if r.IntN(3) == 0 {
				v = r.Float64() * 100
			}
			m.Add(v)
			live = append(live, v)
		}
		check(step)
	}
}

func cmpKey(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestLeanStatesAreSmall checks the memory promises of FloatSum and
// FloatMinMax: 32 and 24 bytes, and no allocation while a FloatMinMax holds one
// distinct value, however often.
func TestLeanStatesAreSmall(t *testing.T) {
	if n := unsafe.Sizeof(FloatSum{}); n != 32 {
		t.Errorf("FloatSum is %d bytes, want 32", n)
	}
	if n := unsafe.Sizeof(FloatMinMax{}); n != 24 {
		t.Errorf("FloatMinMax is %d bytes, want 24", n)
	}
	var m FloatMinMax
	var s FloatSum
	allocs := testing.AllocsPerRun(100, func() {
		m.Add(42)
		m.Add(42)
		m.Remove(42)
		s.Add(42)
		s.Remove(42)
	})
	if allocs != 0 {
		t.Errorf("single-valued FloatMinMax and FloatSum allocate %v times per run", allocs)
	}
	if m.tree != nil || m.Len() != 101 {
		t.Errorf("single-valued FloatMinMax: tree %v, Len %d; want no tree, 101", m.tree != nil, m.Len())
	}
	m.Add(1)
	if m.tree == nil {
		t.Errorf("FloatMinMax with two distinct values has no tree")
	}
	for m.Len() > 0 {
		v, _ := m.Min()
		m.Remove(v)
	}
	if m.tree != nil {
		t.Errorf("emptied FloatMinMax keeps its tree")
	}
}

func TestFloatSumRuleSemantics(t *testing.T) {
	f := func(xs []float64, fn Func, want float64, wantOK bool) {
		t.Helper()
		var s FloatSum
		for _, x := range xs {
			s.Add(x)
		}
		if got, ok := s.Result(fn); got != want || ok != wantOK {
			t.Errorf("FloatSum of %v: %s = %v, %v; want %v, %v", xs, fn, got, ok, want, wantOK)
		}
	}
	f(nil, Count, 0, true)
	f(nil, Sum, 0, true)
	f(nil, Mean, 0, false)
	f([]float64{52000, 48000}, Count, 2, true)
	f([]float64{52000, 48000}, Sum, 100000, true)
	f([]float64{52000, 48000}, Mean, 50000, true)

	g := func(xs []float64, fn Func, want float64, wantOK bool) {
		t.Helper()
		var m FloatMinMax
		for _, x := range xs {
			m.Add(x)
		}
		if got, ok := m.Result(fn); got != want || ok != wantOK {
			t.Errorf("FloatMinMax of %v: %s = %v, %v; want %v, %v", xs, fn, got, ok, want, wantOK)
		}
	}
	g(nil, Min, 0, false)
	g(nil, Max, 0, false)
	g(nil, Count, 0, true)
	g([]float64{5, -2, 5}, Min, -2, true)
	g([]float64{5, -2, 5}, Max, 5, true)
	g([]float64{5, -2, 5}, Spread, 7, true)
	g([]float64{5, -2, 5}, Count, 3, true)

	var a, b FloatSum
	a.Add(1)
	b.Add(2)
	b.Add(3)
	a.Merge(&b)
	if mean, _ := a.Mean(); mean != 2 || a.Count() != 3 {
		t.Errorf("merged FloatSum: mean %v, count %d; want 2, 3", mean, a.Count())
	}
	a.Reset()
	if a.Count() != 0 || a.Sum() != 0 {
		t.Errorf("reset FloatSum: count %d, sum %v", a.Count(), a.Sum())
	}
}
