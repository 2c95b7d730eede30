package chunk

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestUnpackSumMatchesUnpack checks that unpackSum stores the running sums
// of what unpack decodes, and consumes the same bytes, for random widths
// including 0 and 64 and wrapping sums.
func TestUnpackSumMatchesUnpack(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := range 2000 {
		n := r.IntN(700)
		w := r.IntN(65)
		vals := make([]int64, n)
		for i := range vals {
			switch {
			case w == 64:
				vals[i] = int64(r.Uint64())
			case r.IntN(100) == 0:
				vals[i] = []int64{math.MaxInt64, math.MinInt64, 0}[r.IntN(3)]
			default:
				vals[i] = int64(r.Uint64()>>uint(64-w)) - int64(uint64(1)<<uint(w)>>1)
			}
		}
		src := appendPacked(nil, vals)
		src = append(src, 0xAB) // trailing data
		want := make([]int64, n)
		restWant, err := unpack(want, src)
		if err != nil {
			t.Fatal(err)
		}
		acc := r.Int64()
		for i := range want {
			acc += want[i]
			want[i] = acc
		}
		acc0 := acc
		for i := range want {
			acc0 -= vals[i]
		}
		got := make([]int64, n)
		rest, err := unpackSum(got, src, acc0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || len(rest) != len(restWant) {
			t.Fatalf("iter %d (n %d, w %d): sums differ or rest %d bytes, want %d", iter, n, w, len(rest), len(restWant))
		}
		if n > 0 {
			// A truncated stream is an error for both, never a panic.
			_, errWant := unpack(want, src[:len(src)/2])
			if _, err := unpackSum(got, src[:len(src)/2], acc0); (err == nil) != (errWant == nil) {
				t.Fatalf("iter %d: truncated stream: error %v, unpack's %v", iter, err, errWant)
			}
		}
	}
}

// BenchmarkUndeltaPacked decodes 2,048 packed integer differences (a
// TSBS-like random walk) into values, as a chunk's integer column.
func BenchmarkUndeltaPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]int64, 2048)
	for i := 1; i < len(vals); i++ {
		vals[i] = vals[i-1] + int64(r.IntN(7)) - 3
	}
	var deltas []int64
	deltas = appendDeltas(deltas, vals)
	src := appendPacked(nil, deltas)
	dst := make([]int64, len(vals))
	b.ReportAllocs()
	for b.Loop() {
		dst[0] = vals[0]
		if _, err := undelta(dst, intsPacked, src); err != nil {
			b.Fatal(err)
		}
	}
	if !slices.Equal(dst, vals) {
		b.Fatal("decoded values differ")
	}
}

// TestUnpackTimesMatchesUnpack checks unpackTimes against unpack followed
// by the double summation, on increasing and non-increasing times.
func TestUnpackTimesMatchesUnpack(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := range 2000 {
		n := r.IntN(700)
		dods := make([]int64, n)
		regular := r.IntN(3) == 0
		for i := range dods {
			if regular {
				continue
			}
			switch r.IntN(4) {
			case 0: // regular
			case 1:
				dods[i] = r.Int64N(21) - 10
			case 2:
				dods[i] = r.Int64N(1<<40) - 1<<39
			default:
				if r.IntN(20) == 0 {
					dods[i] = int64(r.Uint64())
				}
			}
		}
		src := append(appendPacked(nil, dods), 1, 2, 3)
		d0, prev0 := r.Int64N(1<<30)+1, r.Int64N(1<<50)
		switch r.IntN(4) {
		case 0: // near the end of time, to overflow
			prev0 = math.MaxInt64 - r.Int64N(int64(n)*d0+2)
		case 1: // a huge step
			d0 = math.MaxInt64/int64(r.IntN(200)+1) + r.Int64N(3) - 1
			prev0 = math.MinInt64 + r.Int64N(1<<20)
		}
		raw := make([]int64, n)
		restWant, err := unpack(raw, src)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int64, n)
		okWant := true
		d, prev := d0, prev0
		for i := range raw {
			d += raw[i]
			tm := prev + d
			if tm <= prev {
				okWant = false
				break
			}
			want[i] = tm
			prev = tm
		}
		got := make([]int64, n)
		rest, err := unpackTimes(got, src, d0, prev0)
		if (err == nil) != okWant {
			t.Fatalf("iter %d: error %v, want ok %v", iter, err, okWant)
		}
		if okWant && (!slices.Equal(got, want) || len(rest) != len(restWant)) {
			t.Fatalf("iter %d: times differ or rest %d bytes, want %d", iter, len(rest), len(restWant))
		}
	}
}
