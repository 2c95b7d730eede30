package aggregate

import (
	"bytes"
	"math"
	"testing"

	"github.com/accretedb/accrete/model"
)

// TestMeanAddIntsMatchesAdd checks that AddInts leaves a mean in exactly
// the state Add makes value by value: same result bits, count and
// encoding, over random batches of small, large and extreme integers.
func TestMeanAddIntsMatchesAdd(t *testing.T) {
	r := newRand(7)
	extremes := []int64{math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1,
		1 << 53, -(1 << 53), 1<<53 + 1, -(1<<53 + 1), 1 << 52, 0, -1, 1}
	gen := func(kind int) int64 {
		switch kind {
		case 0:
			return int64(r.IntN(201)) - 100
		case 1:
			return r.Int64N(1<<40) - 1<<39
		case 2:
			return int64(r.Uint64())
		default:
			return extremes[r.IntN(len(extremes))]
		}
	}
	for iter := range 3000 {
		fast, slow := NewMean(model.TypeInteger), NewMean(model.TypeInteger)
		for range 1 + r.IntN(4) {
			kind := r.IntN(4)
			if iter%3 == 0 {
				kind = 0 // mostly small values: the exact path
			}
			vs := make([]int64, r.IntN(3000))
			for i := range vs {
				if r.IntN(50) == 0 {
					vs[i] = gen(3)
				} else {
					vs[i] = gen(kind)
				}
			}
			fast.AddInts(vs)
			for i, v := range vs {
				slow.Add(int64(i), model.Int(v))
			}
			if fast.Count() != slow.Count() {
				t.Fatalf("iter %d: count %d, want %d", iter, fast.Count(), slow.Count())
			}
			fr, fok := fast.Result()
			sr, sok := slow.Result()
			if fok != sok {
				t.Fatalf("iter %d: ok %v, want %v", iter, fok, sok)
			}
			if fok {
				ff, _ := fr.Number()
				sf, _ := sr.Number()
				if math.Float64bits(ff) != math.Float64bits(sf) {
					t.Fatalf("iter %d: mean %v, want %v", iter, ff, sf)
				}
			}
			fb, _ := fast.AppendBinary(nil)
			sb, _ := slow.AppendBinary(nil)
			if !bytes.Equal(fb, sb) {
				t.Fatalf("iter %d: encoding %x, want %x", iter, fb, sb)
			}
		}
	}
}

func TestMeanAddIntsTypeCheck(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("AddInts on a mean of floats did not panic")
		}
	}()
	NewMean(model.TypeFloat).AddInts([]int64{1})
}

// BenchmarkMeanAddInts folds 2,048 integers at a time, value by value with
// Add and at once with AddInts.
func BenchmarkMeanAddInts(b *testing.B) {
	r := newRand(1)
	vs := make([]int64, 2048)
	for i := range vs {
		vs[i] = int64(r.IntN(100))
	}
	b.Run("Add", func(b *testing.B) {
		s := NewMean(model.TypeInteger)
		b.ReportAllocs()
		for b.Loop() {
			for i, v := range vs {
				s.Add(int64(i), model.Int(v))
			}
		}
	})
	b.Run("AddInts", func(b *testing.B) {
		s := NewMean(model.TypeInteger)
		b.ReportAllocs()
		for b.Loop() {
			s.AddInts(vs)
		}
	})
}
