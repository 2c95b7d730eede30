package query

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage/chunk"
)

// TestAddColumnsMeanInts checks that the buckets addColumns makes of a
// mean of integers, batch by batch, hold exactly the states Add makes
// value by value, on random data with int64 extremes.
func TestAddColumnsMeanInts(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	extremes := []int64{math.MaxInt64, math.MinInt64, 1 << 53, -(1 << 53), 1<<53 + 1, 0}
	for iter := range 300 {
		iv := Interval{Duration: 1 + r.Int64N(100)}
		call := Call{Func: aggregate.Mean, Field: "v"}
		acc := bucketAcc{call: &call, typ: model.TypeInteger, iv: iv, hint: r.IntN(20)}
		type point struct{ t, v int64 }
		var all []point
		tm := r.Int64N(1000) - 500
		for range 1 + r.IntN(5) {
			cols := &chunk.Columns{Type: model.TypeInteger}
			big := iter%4 == 0
			for range 1 + r.IntN(300) {
				tm += 1 + r.Int64N(20)
				v := r.Int64N(2001) - 1000
				switch {
				case r.IntN(200) == 0:
					v = extremes[r.IntN(len(extremes))]
				case big:
					v = int64(r.Uint64())
				}
				cols.Times = append(cols.Times, tm)
				cols.Ints = append(cols.Ints, v)
				all = append(all, point{tm, v})
			}
			addColumns(cols, iv, []*bucketAcc{&acc})
		}
		var want []Bucket
		for _, p := range all {
			start := iv.Start(p.t)
			if n := len(want); n == 0 || want[n-1].Start != start {
				want = append(want, Bucket{Start: start, State: aggregate.NewMean(model.TypeInteger)})
			}
			want[len(want)-1].State.Add(p.t, model.Int(p.v))
		}
		if len(acc.buckets) != len(want) {
			t.Fatalf("iter %d: %d buckets, want %d", iter, len(acc.buckets), len(want))
		}
		for k := range want {
			got, _ := acc.buckets[k].State.AppendBinary(nil)
			exp, _ := want[k].State.AppendBinary(nil)
			if acc.buckets[k].Start != want[k].Start || !bytes.Equal(got, exp) {
				t.Fatalf("iter %d bucket %d: start %d state %x, want %d %x", iter, k,
					acc.buckets[k].Start, got, want[k].Start, exp)
			}
			gr, _ := acc.buckets[k].State.Result()
			wr, _ := want[k].State.Result()
			if gr.Bits() != wr.Bits() {
				t.Fatalf("iter %d bucket %d: mean %v, want %v", iter, k, gr, wr)
			}
		}
	}
}
