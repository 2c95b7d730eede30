package chunk

import (
	"math"
	"math/rand/v2"
)

// Benchmark and test data shaped like the Time Series Benchmark Suite's
// devops data: one point every 10 s, values following a random walk with
// normally distributed steps clamped to [0, 100].

const (
	tsbsStart    = 1451606400e9 // 2016-01-01T00:00:00Z, TSBS's default start
	tsbsInterval = 10e9
	tsbsDay      = 8640 // points of one day at 10 s
)

func tsbsTimes(n int) []int64 {
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = tsbsStart + int64(i)*tsbsInterval
	}
	return ts
}

// tsbsWalk returns n values of a random walk starting uniformly in
// [0, 100] with N(0, 1) steps, clamped to [0, 100].
func tsbsWalk(rng *rand.Rand, n int) []float64 {
	vs := make([]float64, n)
	v := rng.Float64() * 100
	for i := range vs {
		v = min(max(v+rng.NormFloat64(), 0), 100)
		vs[i] = v
	}
	return vs
}

// tsbsIntWalk is tsbsWalk rounded to integers.
func tsbsIntWalk(rng *rand.Rand, n int) []int64 {
	fs := tsbsWalk(rng, n)
	vs := make([]int64, n)
	for i, f := range fs {
		vs[i] = int64(math.Round(f))
	}
	return vs
}
