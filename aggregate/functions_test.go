package aggregate

import (
	"math"
	"slices"
	"testing"

	"github.com/accretedb/accrete/model"
)

// The dataset 3, 1, 4, 1, 5, 9 at times 1 to 6, computed by hand.
func TestFunctionsByHand(t *testing.T) {
	values := []float64{3, 1, 4, 1, 5, 9}
	f := func(fn Func, in model.FieldType, want model.FieldValue, wantTS int64) {
		t.Helper()
		s := newState(fn, in)
		if fn == Percentile {
			s = NewPercentile(50, in)
		}
		for i, v := range values {
			s.Add(int64(i+1), numberValue(in, v))
		}
		got, ok := s.Result()
		// Welford's update can differ from the two-pass formula in the
		// last bits.
		if !ok || !got.Equal(want) && !(fn == Stddev && closeTo(got, want, want.FloatV(), 4e-16)) {
			t.Errorf("%s(%s) = %#v, %v; want %#v", fn, in, got, ok, want)
		}
		if sel, isSel := s.(Selector); isSel {
			if ts, _, _ := sel.Selected(); ts != wantTS {
				t.Errorf("%s(%s) selected time %d, want %d", fn, in, ts, wantTS)
			}
		}
	}
	F, I, U := model.TypeFloat, model.TypeInteger, model.TypeUnsigned
	f(Count, F, model.Int(6), 0)
	f(Sum, F, model.Float(23), 0)
	f(Sum, I, model.Int(23), 0)
	f(Sum, U, model.Uint(23), 0)
	f(Mean, F, model.Float(3.8333333333333335), 0)
	f(Mean, I, model.Float(3.8333333333333335), 0)
	f(Min, F, model.Float(1), 2) // two 1s: the earlier
	f(Min, I, model.Int(1), 2)
	f(Max, U, model.Uint(9), 6)
	f(First, I, model.Int(3), 1)
	f(Last, F, model.Float(9), 6)
	f(Spread, F, model.Float(8), 0)
	f(Spread, I, model.Int(8), 0)
	f(Stddev, F, model.Float(2.9944392908634274), 0)
	f(Stddev, U, model.Float(2.9944392908634274), 0)
	f(Median, F, model.Float(3.5), 0) // 1 1 [3 4] 5 9
	f(Median, I, model.Float(3.5), 0)
	f(Percentile, F, model.Float(3), 1) // rank floor(6*0.5+0.5) = 3
	f(Percentile, U, model.Uint(3), 1)
	f(Distinct, F, model.Float(3), 0)
}

// results adds the points (value, time) to a new state and returns its
// outcome.
func result(s State, ps ...pt) outcome {
	return outcomeOf(addAll(s, ps))
}

func at(v model.FieldValue, ts int64) pt { return pt{ts: ts, v: v} }

func TestEdgeCases(t *testing.T) {
	none := outcome{}
	some := func(v model.FieldValue, ts int64) outcome { return outcome{v: v, ok: true, ts: ts} }
	f := func(name string, s State, ps []pt, want outcome) {
		t.Helper()
		got := result(s, ps...)
		got.values = nil
		if !got.equal(want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
		// The same points in reverse order give the same result.
		s.Reset()
		rev := slices.Clone(ps)
		slices.Reverse(rev)
		got = result(s, rev...)
		got.values = nil
		if !got.equal(want) {
			t.Errorf("%s, points reversed: got %v, want %v", name, got, want)
		}
	}
	fl, in, un, st, bo := model.Float, model.Int, model.Uint, model.String, model.Bool
	F, I, U, S, B := model.TypeFloat, model.TypeInteger, model.TypeUnsigned, model.TypeString, model.TypeBoolean
	negZero := math.Copysign(0, -1)

	f("count of nothing", NewCount(F), nil, some(in(0), 0))
	f("count of strings", NewCount(S), []pt{at(st("a"), 1), at(st("a"), 1)}, some(in(2), 0))
	f("sum of nothing", NewSum(F), nil, none)
	f("sum of integers wraps", NewSum(I), []pt{at(in(math.MaxInt64), 1), at(in(2), 2)}, some(in(math.MinInt64+1), 0))
	f("sum of unsigned wraps", NewSum(U), []pt{at(un(math.MaxUint64), 1), at(un(2), 2)}, some(un(1), 0))
	f("compensated sum", NewSum(F), []pt{at(fl(1e100), 1), at(fl(1), 2), at(fl(-1e100), 3)}, some(fl(1), 0))
	f("compensated sum of tenths", NewSum(F), []pt{at(fl(0.1), 1), at(fl(0.2), 2), at(fl(-0.3), 3)}, some(fl(2.7755575615628914e-17), 0))
	f("mean of nothing", NewMean(I), nil, none)
	f("mean of large integers", NewMean(I), []pt{at(in(math.MaxInt64), 1), at(in(math.MaxInt64), 2)}, some(fl(9.223372036854776e18), 0))
	f("mean, compensated", NewMean(F), []pt{at(fl(1e100), 1), at(fl(3), 2), at(fl(-1e100), 3)}, some(fl(1), 0))

	f("min of nothing", NewMin(F), nil, none)
	f("min of booleans", NewMin(B), []pt{at(bo(true), 1), at(bo(false), 2), at(bo(true), 3)}, some(bo(false), 2))
	f("max of booleans", NewMax(B), []pt{at(bo(false), 1), at(bo(true), 2), at(bo(true), 3)}, some(bo(true), 2))
	f("min ties: earliest", NewMin(I), []pt{at(in(5), 3), at(in(5), 1), at(in(7), 0)}, some(in(5), 1))
	f("max ties: earliest", NewMax(U), []pt{at(un(5), 3), at(un(5), 1), at(un(2), 0)}, some(un(5), 1))
	f("min of zeros: -0", NewMin(F), []pt{at(fl(0), 1), at(fl(negZero), 2)}, some(fl(negZero), 2))
	f("max of zeros: +0", NewMax(F), []pt{at(fl(0), 1), at(fl(negZero), 2)}, some(fl(0), 1))
	f("min with NaN", NewMin(F), []pt{at(fl(1), 1), at(fl(math.NaN()), 2)}, some(fl(1), 1))
	f("max with NaN", NewMax(F), []pt{at(fl(1), 1), at(fl(math.NaN()), 2)}, some(fl(math.NaN()), 2))
	f("min of negatives", NewMin(F), []pt{at(fl(-1), 1), at(fl(-2.5), 2), at(fl(math.Inf(-1)), 3)}, some(fl(math.Inf(-1)), 3))
	f("min of integers", NewMin(I), []pt{at(in(-1), 1), at(in(math.MinInt64), 2), at(in(math.MaxInt64), 3)}, some(in(math.MinInt64), 2))
	f("max of integers", NewMax(I), []pt{at(in(-1), 1), at(in(math.MinInt64), 2), at(in(3), 3)}, some(in(3), 3))

	f("first of nothing", NewFirst(S), nil, none)
	f("first of strings", NewFirst(S), []pt{at(st("z"), 2), at(st("y"), 1), at(st("x"), 3)}, some(st("y"), 1))
	f("first tie: larger number", NewFirst(F), []pt{at(fl(3), 5), at(fl(7), 5), at(fl(1), 6)}, some(fl(7), 5))
	f("first tie: larger string", NewFirst(S), []pt{at(st("a"), 1), at(st("b"), 1)}, some(st("b"), 1))
	f("first tie: false", NewFirst(B), []pt{at(bo(true), 1), at(bo(false), 1)}, some(bo(false), 1))
	f("last tie: larger number", NewLast(I), []pt{at(in(-3), 5), at(in(7), 5), at(in(100), 4)}, some(in(7), 5))
	f("last tie: true", NewLast(B), []pt{at(bo(true), 1), at(bo(false), 1)}, some(bo(true), 1))
	f("last of negative times", NewLast(U), []pt{at(un(1), -5), at(un(2), -7)}, some(un(1), -5))

	f("spread of nothing", NewSpread(F), nil, none)
	f("spread of one value", NewSpread(F), []pt{at(fl(4.5), 1)}, some(fl(0), 0))
	f("spread of unsigned", NewSpread(U), []pt{at(un(10), 1), at(un(3), 2), at(un(7), 3)}, some(un(7), 0))
	f("spread of integers wraps", NewSpread(I), []pt{at(in(math.MaxInt64), 1), at(in(math.MinInt64), 2)}, some(in(-1), 0))

	f("stddev of one value", NewStddev(F), []pt{at(fl(1), 1)}, none)
	f("stddev", NewStddev(I), []pt{at(in(2), 1), at(in(4), 2), at(in(4), 3), at(in(4), 4), at(in(5), 5), at(in(5), 6), at(in(7), 7), at(in(9), 8)}, some(fl(math.Sqrt(32.0/7)), 0))
	f("stddev of equal values", NewStddev(F), []pt{at(fl(0.1), 1), at(fl(0.1), 2), at(fl(0.1), 3)}, some(fl(0), 0))

	f("median of nothing", NewMedian(F), nil, none)
	f("median of one", NewMedian(U), []pt{at(un(7), 1)}, some(fl(7), 0))
	f("median, odd", NewMedian(F), []pt{at(fl(3), 1), at(fl(1), 2), at(fl(2), 3)}, some(fl(2), 0))
	f("median, even", NewMedian(U), []pt{at(un(1), 1), at(un(2), 2)}, some(fl(1.5), 0))
	f("median of extreme integers", NewMedian(I), []pt{at(in(math.MinInt64), 1), at(in(math.MaxInt64), 2)}, some(fl(0), 0))
	f("median of negative integers", NewMedian(I), []pt{at(in(-3), 1), at(in(-8), 2)}, some(fl(-5.5), 0))

	p := func(p float64) *PercentileState { return NewPercentile(p, I) }
	five := []pt{at(in(50), 1), at(in(10), 2), at(in(40), 3), at(in(20), 4), at(in(30), 5)}
	f("percentile 0", p(0), five, none)
	f("percentile 9: rank 0", p(9), five, none)
	f("percentile 10: rank 1", p(10), five, some(in(10), 2))
	f("percentile 50", p(50), five, some(in(30), 5))
	f("percentile 100", p(100), five, some(in(50), 1))
	f("percentile 110: rank 6", p(110), five, none)
	f("percentile -5", p(-5), five, none)
	f("percentile 1e300", p(1e300), five, none)
	f("percentile NaN", p(math.NaN()), five, none)
	f("percentile of nothing", p(50), nil, none)
	f("percentile ties: by time", p(50), []pt{at(in(1), 9), at(in(1), 3), at(in(1), 5)}, some(in(1), 5))
}

func TestDistinctValues(t *testing.T) {
	f := func(in model.FieldType, ps []pt, want []model.FieldValue) {
		t.Helper()
		s := NewDistinct(in)
		addAll(s, ps)
		if got := s.Values(); !slices.EqualFunc(got, want, model.FieldValue.Equal) {
			t.Errorf("Values() = %v, want %v", got, want)
		}
		if s.Len() != len(want) {
			t.Errorf("Len() = %d, want %d", s.Len(), len(want))
		}
	}
	fl, st := model.Float, model.String
	nan := math.NaN()
	f(model.TypeFloat, nil, nil)
	// Ordered by the earliest time each value was seen, then by value.
	f(model.TypeFloat, []pt{at(fl(5), 9), at(fl(3), 4), at(fl(5), 2), at(fl(1), 4)}, []model.FieldValue{fl(5), fl(1), fl(3)})
	// -0 and +0 are distinct; a NaN is one value.
	f(model.TypeFloat, []pt{at(fl(0), 1), at(fl(math.Copysign(0, -1)), 1), at(fl(nan), 2), at(fl(nan), 3)},
		[]model.FieldValue{fl(math.Copysign(0, -1)), fl(0), fl(nan)})
	f(model.TypeString, []pt{at(st("b"), 1), at(st("a"), 1), at(st(""), 0)}, []model.FieldValue{st(""), st("a"), st("b")})
}

func TestResetEmpties(t *testing.T) {
	for _, fn := range allFuncs {
		for _, in := range allTypes {
			if !fn.Accepts(in) {
				continue
			}
			fresh := mustEncode(t, newState(fn, in))
			s := newState(fn, in)
			addAll(s, valueGen{r: newRand(1), typ: in}.points(20))
			s.Reset()
			if got := mustEncode(t, s); string(got) != string(fresh) {
				t.Errorf("%s of %s after Reset encodes as % x, want % x", fn, in, got, fresh)
			}
			if fn.Retractable() {
				r, _ := NewRetractable(fn, in)
				freshR := mustEncode(t, r)
				addAll(r, valueGen{r: newRand(1), typ: in}.points(20))
				r.Reset()
				if got := mustEncode(t, r); string(got) != string(freshR) {
					t.Errorf("retractable %s of %s after Reset encodes as % x, want % x", fn, in, got, freshR)
				}
			}
		}
	}
}
