package aggregate

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/accretedb/accrete/model"
)

// AddInts adds the integers vs to a mean of integers. The state is then
// exactly, bit for bit, what Add would make of them one by one in order.
//
// When every running sum of the state and vs is an integer of magnitude
// below 2^53, every float64 addition Add makes is exact and its rounding
// error zero: the state then only needs the count and the int64 sum of
// vs, added as one exact float64. AddInts checks a bound implying this,
// and adds value by value as Add does otherwise (large values, or a state
// already holding a rounding error).
func (s *MeanState) AddInts(vs []int64) {
	if s.typ != model.TypeInteger {
		panic(fmt.Sprintf("BUG: %s state of %s values given integers", Mean, s.typ))
	}
	if len(vs) == 0 {
		return
	}
	var sum int64
	var mag uint64 // |v|-1 or |v| for each v, or-ed: an upper bound of their bit lengths
	for _, v := range vs {
		sum += v
		mag |= uint64(v ^ (v >> 63))
	}
	// Every |v| <= 2^bits.Len64(mag), so the values add up, in any prefix,
	// to less than len(vs) * 2^bits.Len64(mag) <= 2^52 in magnitude (which
	// also keeps the int64 sum from overflowing).
	cur := s.sum.sum
	if bits.Len64(mag)+bits.Len(uint(len(vs))) <= 52 && s.sum.c == 0 &&
		math.Abs(cur) <= 1<<52 && cur == math.Trunc(cur) {
		s.n += int64(len(vs))
		s.sum.add(float64(sum))
		return
	}
	for _, v := range vs {
		s.n++
		s.sum.Add(float64(v))
	}
}

// NewMeans returns n empty means of values of numeric type in, in one
// allocation: a caller needing many states (one per time bucket) takes
// their addresses instead of calling NewMean for each.
func NewMeans(in model.FieldType, n int) []MeanState {
	mustAccept(Mean, in)
	s := make([]MeanState, n)
	for i := range s {
		s[i].typ = in
	}
	return s
}
