package rete

import (
	"math"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/rulelang"
)

// aggState is a retractable, mergeable aggregate state: the partial state
// of one aggregate over the members of a group, or the state of one
// aggregate for one main fact.
//
// COUNT, SUM and AVG keep the number of values and a Neumaier-compensated
// sum of the finite ones, counting infinities and NaNs apart so that taking
// them back out restores the finite sum exactly. A main fact's state is
// the merge of its connected groups' partial states, so connecting or
// disconnecting a group merges or unmerges its partial in O(1).
//
// MIN and MAX keep an [aggregate.FloatMinMax], an ordered multiset holding
// a single distinct value inline and a B-tree for more. A group's multiset
// holds its members' values; a main fact's holds the current extreme of
// each connected group, so connecting a group is one insertion.
type aggState struct {
	n               int64 // number of values (COUNT, SUM, AVG)
	sum             ksum
	nan, pinf, ninf uint32
	mm              aggregate.FloatMinMax
}

func isMinMax(fn rulelang.AggFunc) bool { return fn == rulelang.AggMin || fn == rulelang.AggMax }

// add adds a value (for MIN and MAX: one value of the multiset).
func (s *aggState) add(fn rulelang.AggFunc, x float64) {
	switch {
	case isMinMax(fn):
		s.mm.Add(x)
	case fn == rulelang.AggCount:
		s.n++
	default:
		s.n++
		switch {
		case math.IsNaN(x):
			s.nan++
		case math.IsInf(x, 1):
			s.pinf++
		case math.IsInf(x, -1):
			s.ninf++
		default:
			s.sum.add(x)
		}
	}
}

// remove takes back a value that was added.
func (s *aggState) remove(fn rulelang.AggFunc, x float64) {
	switch {
	case isMinMax(fn):
		if !s.mm.Remove(x) {
			panic("BUG: remove of a value that is not in a MIN/MAX state")
		}
	case s.n == 0:
		panic("BUG: remove from an empty aggregate state")
	case fn == rulelang.AggCount:
		s.n--
	default:
		s.n--
		switch {
		case math.IsNaN(x):
			s.nan = mustDec(s.nan, 1)
		case math.IsInf(x, 1):
			s.pinf = mustDec(s.pinf, 1)
		case math.IsInf(x, -1):
			s.ninf = mustDec(s.ninf, 1)
		default:
			s.sum.add(-x)
		}
		if s.n == 0 {
			s.sum = ksum{}
		}
	}
}

// merge adds the values of p (COUNT, SUM, AVG).
func (s *aggState) merge(p *aggState) {
	s.n += p.n
	s.sum.merge(p.sum)
	s.nan += p.nan
	s.pinf += p.pinf
	s.ninf += p.ninf
}

// unmerge takes back the values of p, merged before (COUNT, SUM, AVG).
func (s *aggState) unmerge(p *aggState) {
	if s.n < p.n {
		panic("BUG: unmerge of more values than an aggregate state holds")
	}
	s.n -= p.n
	s.nan = mustDec(s.nan, p.nan)
	s.pinf = mustDec(s.pinf, p.pinf)
	s.ninf = mustDec(s.ninf, p.ninf)
	if s.n == 0 {
		s.sum = ksum{}
		return
	}
	s.sum.unmerge(p.sum)
}

func mustDec(n, by uint32) uint32 {
	if n < by {
		panic("BUG: remove of a non-finite value that is not in a SUM/AVG state")
	}
	return n - by
}

// extreme returns the smallest (MIN) or largest (MAX) value.
func (s *aggState) extreme(fn rulelang.AggFunc) (float64, bool) {
	if fn == rulelang.AggMin {
		return s.mm.Min()
	}
	return s.mm.Max()
}

// count returns the number of values in the state.
func (s *aggState) count(fn rulelang.AggFunc) int64 {
	if isMinMax(fn) {
		return int64(s.mm.Len())
	}
	return s.n
}

// result returns the aggregate's value, and false when it is null (AVG,
// MIN and MAX over nothing).
func (s *aggState) result(fn rulelang.AggFunc) (float64, bool) {
	switch fn {
	case rulelang.AggCount:
		return float64(s.n), true
	case rulelang.AggMin, rulelang.AggMax:
		return s.extreme(fn)
	case rulelang.AggSum:
		return s.total(), true
	case rulelang.AggAvg:
		if s.n == 0 {
			return 0, false
		}
		return s.total() / float64(s.n), true
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
	return s.sum.value()
}

// ksum is a float64 sum with Neumaier's compensation: the plainly rounded
// running sum and, apart, the sum of the rounding errors of every addition.
// Unlike [aggregate.CompensatedSum] it can take back a sum merged into it
// (unmerge), which connecting and disconnecting groups needs. On integer
// values (with sums below 2^53) every result is exact.
type ksum struct {
	s, c float64
}

func (k *ksum) add(x float64) {
	t := k.s + x
	if math.Abs(k.s) >= math.Abs(x) {
		k.c += (k.s - t) + x
	} else {
		k.c += (x - t) + k.s
	}
	k.s = t
}

func (k *ksum) merge(o ksum) {
	k.add(o.s)
	k.c += o.c
}

func (k *ksum) unmerge(o ksum) {
	k.add(-o.s)
	k.c -= o.c
}

func (k ksum) value() float64 { return k.s + k.c }
