package rete

import (
	"math"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/rulelang"
)

// aggState is the retractable state of one aggregate for one main fact.
// COUNT, SUM and AVG keep an [aggregate.FloatSum] of the finite values and
// count the non-finite ones apart, so that taking an infinity or a NaN back
// out restores the finite sum exactly; MIN and MAX keep an
// [aggregate.FloatMinMax], an ordered multiset that holds a single distinct
// value inline and builds a B-tree only for two or more.
type aggState struct {
	sum             aggregate.FloatSum
	mm              aggregate.FloatMinMax
	nan, pinf, ninf uint32
}

func (s *aggState) add(fn rulelang.AggFunc, x float64) {
	switch fn {
	case rulelang.AggCount:
		s.sum.Add(0)
	case rulelang.AggMin, rulelang.AggMax:
		s.mm.Add(x)
	default:
		switch {
		case math.IsNaN(x):
			s.nan++
		case math.IsInf(x, 1):
			s.pinf++
		case math.IsInf(x, -1):
			s.ninf++
		default:
			s.sum.Add(x)
		}
	}
}

func (s *aggState) remove(fn rulelang.AggFunc, x float64) {
	switch fn {
	case rulelang.AggCount:
		s.sum.Remove(0)
	case rulelang.AggMin, rulelang.AggMax:
		if !s.mm.Remove(x) {
			panic("BUG: remove of a value that is not in a MIN/MAX state")
		}
	default:
		switch {
		case math.IsNaN(x):
			s.nan = mustDec(s.nan)
		case math.IsInf(x, 1):
			s.pinf = mustDec(s.pinf)
		case math.IsInf(x, -1):
			s.ninf = mustDec(s.ninf)
		default:
			s.sum.Remove(x)
		}
	}
}

func mustDec(n uint32) uint32 {
	if n == 0 {
		panic("BUG: remove of a non-finite value that is not in a SUM/AVG state")
	}
	return n - 1
}

// count returns the number of values in the state.
func (s *aggState) count(fn rulelang.AggFunc) int64 {
	if fn == rulelang.AggMin || fn == rulelang.AggMax {
		return int64(s.mm.Len())
	}
	return s.sum.Count() + int64(s.nan) + int64(s.pinf) + int64(s.ninf)
}

// result returns the aggregate's value, and false when it is null (AVG,
// MIN and MAX over nothing).
func (s *aggState) result(fn rulelang.AggFunc) (float64, bool) {
	switch fn {
	case rulelang.AggCount:
		return float64(s.sum.Count()), true
	case rulelang.AggMin:
		return s.mm.Min()
	case rulelang.AggMax:
		return s.mm.Max()
	case rulelang.AggSum:
		return s.total(), true
	case rulelang.AggAvg:
		n := s.count(fn)
		if n == 0 {
			return 0, false
		}
		return s.total() / float64(n), true
	}
	panic("BUG: unknown aggregate function")
}

// total is the sum of every value, non-finite ones included, as plain
// floating-point addition would give it.
func (s *aggState) total() float64 {
	switch {
	case s.nan > 0 || s.pinf > 0 && s.ninf > 0:
		return math.NaN()
	case s.pinf > 0:
		return math.Inf(1)
	case s.ninf > 0:
		return math.Inf(-1)
	}
	return s.sum.Sum()
}
