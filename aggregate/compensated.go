package aggregate

import (
	"math"
	"strconv"
)

// CompensatedSum is a float64 sum with Neumaier's compensation: it keeps the
// running sum and, separately, the rounding error of every addition, so the
// result is as if the additions had been carried out in about twice the
// precision. Sub takes a value back as exactly as Add adds it, so after
// values are added and some of them subtracted again the value equals the
// sum of the remaining values computed from scratch: bit for bit when the
// values are integers and the sums stay below 2^100 or so (the rounding
// errors are then integers collected exactly), to within an ulp or two
// otherwise.
//
// Infinities and NaNs are counted apart from the finite values, so they too
// can be subtracted again: the sum is NaN while it holds a NaN or infinities
// of both signs, ±Inf while it holds infinities of one sign. (A sum of
// finite values beyond ±MaxFloat64 overflows to an infinity for good.) It
// holds at most 2^32-1 infinities of each sign.
//
// The zero value is an empty sum. A CompensatedSum is 24 bytes and never
// allocates.
type CompensatedSum struct {
	sum    float64 // the plainly rounded running sum of the finite values
	c      float64 // the sum of the rounding errors of every addition
	posInf uint32  // number of +Inf added; a NaN counts as one of each sign
	negInf uint32  // number of -Inf added
}

// Add adds x to the sum.
func (s *CompensatedSum) Add(x float64) {
	if x-x != 0 { // ±Inf or NaN
		s.countNonFinite(x, false)
		return
	}
	s.add(x)
}

// Sub subtracts x, an earlier Add's argument, from the sum. It panics when x
// is an infinity or NaN that was not added.
func (s *CompensatedSum) Sub(x float64) {
	if x-x != 0 {
		s.countNonFinite(x, true)
		return
	}
	s.add(-x)
}

// add is one step of Neumaier's summation.
func (s *CompensatedSum) add(x float64) {
	t := s.sum + x
	if t-t == 0 { // t is finite; an overflow is not compensated
		if math.Abs(s.sum) >= math.Abs(x) {
			s.c += (s.sum - t) + x
		} else {
			s.c += (x - t) + s.sum
		}
	}
	s.sum = t
}

// countNonFinite counts an infinity or NaN in (sub false) or out (sub true).
func (s *CompensatedSum) countNonFinite(x float64, sub bool) {
	if !math.IsInf(x, -1) { // +Inf or NaN
		s.posInf = count(s.posInf, 1, sub, "+Inf")
	}
	if !math.IsInf(x, 1) { // -Inf or NaN
		s.negInf = count(s.negInf, 1, sub, "-Inf")
	}
}

// count returns n+k, or n-k when sub is set, and panics beyond the range of
// a uint32.
func count(n, k uint32, sub bool, what string) uint32 {
	switch {
	case sub && n < k:
		panic("BUG: subtracting a " + what + " that is not in the CompensatedSum")
	case sub:
		return n - k
	case n+k < n:
		panic("BUG: more than " + strconv.FormatUint(math.MaxUint32, 10) + " " + what + " in a CompensatedSum")
	}
	return n + k
}

// Merge adds the sum o to s.
func (s *CompensatedSum) Merge(o CompensatedSum) {
	s.add(o.sum)
	s.c += o.c
	s.posInf = count(s.posInf, o.posInf, false, "+Inf")
	s.negInf = count(s.negInf, o.negInf, false, "-Inf")
}

// Value returns the compensated sum.
func (s *CompensatedSum) Value() float64 {
	switch {
	case s.posInf > 0 && s.negInf > 0:
		return math.NaN()
	case s.posInf > 0:
		return math.Inf(1)
	case s.negInf > 0:
		return math.Inf(-1)
	}
	return s.sum + s.c
}

// Reset empties the sum.
func (s *CompensatedSum) Reset() { *s = CompensatedSum{} }
