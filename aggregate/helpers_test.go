package aggregate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/accretedb/accrete/model"
)

var allTypes = []model.FieldType{
	model.TypeFloat, model.TypeInteger, model.TypeUnsigned, model.TypeString, model.TypeBoolean,
}

var allFuncs = []Func{Count, Sum, Mean, Min, Max, First, Last, Spread, Stddev, Median, Percentile, Distinct, Mode, Integral}

// newState returns an empty state of f, with p = 90 for Percentile.
func newState(f Func, t model.FieldType) State {
	if f == Percentile {
		return NewPercentile(90, t)
	}
	return New(f, t)
}

// pt is one input point.
type pt struct {
	ts int64
	v  model.FieldValue
}

func (p pt) String() string { return fmt.Sprintf("%s@%d", p.v, p.ts) }

// valueGen generates values of one type, with many duplicates and ties.
type valueGen struct {
	r       *rand.Rand
	typ     model.FieldType
	special bool // floats may be NaN, ±Inf, -0 (not for sums)
	intOnly bool // floats are integer-valued, so sums are exact
}

func (g valueGen) value() model.FieldValue {
	r := g.r
	switch g.typ {
	case model.TypeFloat:
		if g.special && r.IntN(10) == 0 {
			return model.Float([]float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0}[r.IntN(5)])
		}
		switch {
		case r.IntN(3) == 0:
			return model.Float(float64(r.IntN(20) - 10))
		case g.intOnly:
			return model.Float(float64(r.Int64N(1<<41) - 1<<40))
		default:
			return model.Float((r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(12)-4)))
		}
	case model.TypeInteger:
		if r.IntN(3) == 0 {
			return model.Int(int64(r.IntN(20) - 10))
		}
		return model.Int(int64(r.Uint64()))
	case model.TypeUnsigned:
		if r.IntN(3) == 0 {
			return model.Uint(uint64(r.IntN(20)))
		}
		return model.Uint(r.Uint64())
	case model.TypeString:
		return model.String(string([]byte{'a' + byte(r.IntN(4)), 'a' + byte(r.IntN(3))})[:1+r.IntN(2)])
	case model.TypeBoolean:
		return model.Bool(r.IntN(2) == 0)
	}
	panic("bad type")
}

func (g valueGen) points(n int) []pt {
	ps := make([]pt, n)
	for i := range ps {
		ps[i] = pt{ts: int64(g.r.IntN(40)) - 10, v: g.value()}
	}
	return ps
}

func addAll(s State, ps []pt) State {
	for _, p := range ps {
		s.Add(p.ts, p.v)
	}
	return s
}

// outcome is everything observable about a state's result.
type outcome struct {
	v      model.FieldValue
	ok     bool
	ts     int64              // Selectors only
	values []model.FieldValue // Distinct only
}

func outcomeOf(s State) outcome {
	var o outcome
	o.v, o.ok = s.Result()
	if sel, ok := s.(Selector); ok {
		var v model.FieldValue
		var ok2 bool
		o.ts, v, ok2 = sel.Selected()
		if ok2 != o.ok && !(s.Func() == Spread) {
			panic(fmt.Sprintf("Selected ok %v, Result ok %v", ok2, o.ok))
		}
		if ok2 && !v.Equal(o.v) {
			panic(fmt.Sprintf("Selected %v, Result %v", v, o.v))
		}
	}
	if d, ok := s.(*DistinctState); ok {
		o.values = d.Values()
	}
	return o
}

func (o outcome) String() string {
	if !o.ok {
		return "none"
	}
	s := fmt.Sprintf("%#v@%d", o.v, o.ts)
	if o.values != nil {
		s += fmt.Sprint(o.values)
	}
	return s
}

func (o outcome) equal(p outcome) bool {
	return o.ok == p.ok && (!o.ok || o.v.Equal(p.v) && o.ts == p.ts &&
		slices.EqualFunc(o.values, p.values, model.FieldValue.Equal))
}

// close reports whether two float results are within tol of each other
// (relative to scale), for sums and deviations of non-integer floats.
func closeTo(a, b model.FieldValue, scale, tol float64) bool {
	x, y := a.FloatV(), b.FloatV()
	return x == y || math.Abs(x-y) <= tol*scale
}

func mustEncode(t testing.TB, s State) []byte {
	t.Helper()
	b, err := s.AppendBinary(nil)
	if err != nil {
		t.Fatalf("AppendBinary of %s: %v", describe(s), err)
	}
	return b
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
