package aggregate

import "fmt"

// FloatSum is a retractable count and compensated sum of float64 values,
// the state behind COUNT, SUM and AVG of the rule engine. Add and Remove are
// O(1) and never allocate; after values are added and some removed the
// results equal those computed from scratch over the remaining values
// (exactly for integer-valued inputs, see [CompensatedSum]), infinities and
// NaNs included.
//
// Unlike [SumState], whose sum over no values is no result as in InfluxQL,
// FloatSum follows the rule language: the count and the sum of nothing are
// 0 and only the mean is null.
//
// The zero value is empty and ready to use. A FloatSum is 32 bytes. It is
// not safe for concurrent use.
type FloatSum struct {
	n   int64
	sum CompensatedSum
}

// Add adds f.
func (s *FloatSum) Add(f float64) {
	s.n++
	s.sum.Add(f)
}

// Remove takes back one f that was added. It panics when the state is empty
// or f is an infinity or NaN that was not added.
func (s *FloatSum) Remove(f float64) {
	if s.n == 0 {
		panic(fmt.Sprintf("BUG: remove of %v from an empty FloatSum", f))
	}
	s.n--
	if s.n == 0 {
		s.sum = CompensatedSum{}
		return
	}
	s.sum.Sub(f)
}

// Merge adds o's values.
func (s *FloatSum) Merge(o *FloatSum) {
	s.n += o.n
	s.sum.Merge(o.sum)
}

// Count returns the number of values.
func (s *FloatSum) Count() int64 { return s.n }

// Sum returns the sum of the values, 0 when there are none.
func (s *FloatSum) Sum() float64 { return s.sum.Value() }

// Mean returns the mean of the values, and false when there are none.
func (s *FloatSum) Mean() (float64, bool) {
	if s.n == 0 {
		return 0, false
	}
	return s.sum.Value() / float64(s.n), true
}

// Result returns the value of Count, Sum or Mean, with the rule language's
// empty-set rule: the count and sum of nothing are 0, the mean is absent.
// It panics for other functions.
func (s *FloatSum) Result(f Func) (float64, bool) {
	switch f {
	case Count:
		return float64(s.n), true
	case Sum:
		return s.sum.Value(), true
	case Mean:
		return s.Mean()
	}
	panic(fmt.Sprintf("BUG: FloatSum cannot compute %s", f))
}

// Reset empties the state.
func (s *FloatSum) Reset() { *s = FloatSum{} }
