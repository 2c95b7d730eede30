package aggregate

import "math"

// CompensatedSum is a float64 sum with Neumaier's compensation: it keeps the
// running sum and, separately, the rounding error of every addition, so the
// result is as if the additions had been carried out in about twice the
// precision. Subtracting (Add of -x) is as exact as adding, so after
// values are added and some of them removed again the value equals the sum
// of the remaining values computed from scratch: bit for bit when the values
// are integers and the sums stay below 2^100 or so (the rounding errors are
// then integers collected exactly), to within an ulp or two otherwise.
//
// Non-finite values are not compensated: once an infinity has been added
// the value is infinite, and subtracting it again gives NaN.
//
// The zero value is an empty sum. A CompensatedSum is 16 bytes and never
// allocates.
type CompensatedSum struct {
	sum float64 // the plainly rounded running sum
	c   float64 // the sum of the rounding errors of every addition
}

// Add adds x to the sum.
func (s *CompensatedSum) Add(x float64) {
	t := s.sum + x
	if t-t == 0 { // t is finite
		if math.Abs(s.sum) >= math.Abs(x) {
			s.c += (s.sum - t) + x
		} else {
			s.c += (x - t) + s.sum
		}
	}
	s.sum = t
}

// Merge adds the sum o to s.
func (s *CompensatedSum) Merge(o CompensatedSum) {
	s.Add(o.sum)
	s.c += o.c
}

// Value returns the compensated sum.
func (s CompensatedSum) Value() float64 { return s.sum + s.c }

// Reset empties the sum.
func (s *CompensatedSum) Reset() { *s = CompensatedSum{} }
