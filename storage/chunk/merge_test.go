package chunk

import (
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/accretedb/accrete/model"
)

func TestMergeRuns(t *testing.T) {
	f := func(older, newer, want []int64) {
		t.Helper()
		// Values are the times tagged with the run: older 1000+t, newer
		// 2000+t, so the result shows which run won.
		vals := func(ts []int64, tag int64) []int64 {
			vs := make([]int64, len(ts))
			for i, x := range ts {
				vs[i] = tag + x
			}
			return vs
		}
		gotT, gotV := MergeRuns(nil, nil, older, vals(older, 1000), newer, vals(newer, 2000))
		wantV := make([]int64, len(want))
		for i, x := range want {
			wantV[i] = 1000 + x
			if slices.Contains(newer, x) {
				wantV[i] = 2000 + x
			}
		}
		if !slices.Equal(gotT, want) || !slices.Equal(gotV, wantV) {
			t.Fatalf("MergeRuns(%v, %v) = %v %v, want %v %v", older, newer, gotT, gotV, want, wantV)
		}
	}
	f(nil, nil, nil)
	f([]int64{1, 2}, nil, []int64{1, 2})
	f(nil, []int64{1, 2}, []int64{1, 2})
	f([]int64{1, 2}, []int64{3, 4}, []int64{1, 2, 3, 4})
	f([]int64{3, 4}, []int64{1, 2}, []int64{1, 2, 3, 4})
	f([]int64{1, 3, 5}, []int64{2, 4, 6}, []int64{1, 2, 3, 4, 5, 6})
	f([]int64{1, 2, 3}, []int64{1, 2, 3}, []int64{1, 2, 3})
	f([]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, []int64{5}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f([]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, []int64{0, 5, 11}, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f([]int64{2, 4}, []int64{1, 2, 3, 4, 5}, []int64{1, 2, 3, 4, 5})
	f([]int64{-5, 0, 5}, []int64{-10, 0, 10}, []int64{-10, -5, 0, 5, 10})

	// MergeRuns appends to what dst already holds.
	ts, vs := MergeRuns([]int64{-1}, []string{"kept"}, []int64{1}, []string{"old"}, []int64{1}, []string{"new"})
	if !slices.Equal(ts, []int64{-1, 1}) || !slices.Equal(vs, []string{"kept", "new"}) {
		t.Fatalf("MergeRuns onto dst: %v %v", ts, vs)
	}
}

// TestMergeRunsRandom checks MergeRuns against a map of time to value
// filled with the older run and then overwritten by the newer one.
func TestMergeRunsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	run := func(n int, span int64) ([]int64, []uint64) {
		set := map[int64]bool{}
		for range n {
			set[rng.Int64N(span)] = true
		}
		ts := slices.Sorted(maps.Keys(set))
		vs := make([]uint64, len(ts))
		for i := range vs {
			vs[i] = rng.Uint64()
		}
		return ts, vs
	}
	var dstT []int64
	var dstV []uint64
	for range 2000 {
		span := int64(1 + rng.IntN(1000))
		ot, ov := run(rng.IntN(300), span)
		nt, nv := run(rng.IntN(50), span+int64(rng.IntN(100)))
		want := map[int64]uint64{}
		for i, x := range ot {
			want[x] = ov[i]
		}
		for i, x := range nt {
			want[x] = nv[i]
		}
		dstT, dstV = MergeRuns(dstT[:0], dstV[:0], ot, ov, nt, nv)
		wantT := slices.Sorted(maps.Keys(want))
		if !slices.Equal(dstT, wantT) {
			t.Fatalf("merged times %v, want %v", dstT, wantT)
		}
		for i, x := range dstT {
			if dstV[i] != want[x] {
				t.Fatalf("value at %d is %d, want %d", x, dstV[i], want[x])
			}
		}
	}
}

func TestMergeColumns(t *testing.T) {
	older := cols(model.TypeString, []int64{1, 2, 3}, []string{"a", "b", "c"})
	newer := cols(model.TypeString, []int64{2, 4}, []string{"B", "D"})
	dst := cols(model.TypeFloat, []int64{9}, []float64{9}) // replaced
	if err := MergeColumns(dst, older, newer); err != nil {
		t.Fatal(err)
	}
	if d := diffColumns(dst, cols(model.TypeString, []int64{1, 2, 3, 4}, []string{"a", "B", "c", "D"})); d != "" {
		t.Fatal(d)
	}
	if len(dst.Floats) != 0 {
		t.Fatalf("old float column kept: %v", dst.Floats)
	}
	for _, typ := range []model.FieldType{model.TypeFloat, model.TypeInteger, model.TypeUnsigned, model.TypeBoolean} {
		var o, n, want Columns
		for i := range 4 {
			v := model.FromBits(typ, uint64(i%2))
			if err := o.Append(int64(2*i), v); err != nil {
				t.Fatal(err)
			}
			if err := want.Append(int64(2*i), v); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Append(3, model.FromBits(typ, 1)); err != nil {
			t.Fatal(err)
		}
		want.Reset()
		for i, x := range []int64{0, 2, 3, 4, 6} {
			if err := want.Append(x, model.FromBits(typ, uint64([]int{0, 1, 1, 0, 1}[i]))); err != nil {
				t.Fatal(err)
			}
		}
		var got Columns
		if err := MergeColumns(&got, &o, &n); err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
		if d := diffColumns(&got, &want); d != "" {
			t.Fatalf("%v: %s", typ, d)
		}
	}

	f := func(older, newer *Columns, want error, wantMsg string) {
		t.Helper()
		var dst Columns
		err := MergeColumns(&dst, older, newer)
		if !errors.Is(err, want) || err.Error() != wantMsg {
			t.Errorf("error %v, want %q", err, wantMsg)
		}
	}
	f(older, cols(model.TypeInteger, []int64{1}, []int64{1}), ErrWrongType, "wrong field type: cannot merge integer columns into string columns")
	f(older, cols(model.TypeString, []int64{1, 2}, []string{"x"}), ErrLengthMismatch, "time and value columns differ in length: 2 times, 1 values")
	f(&Columns{}, &Columns{}, ErrWrongType, "wrong field type: cannot merge invalid columns")
}

func BenchmarkMergeRuns(b *testing.B) {
	// A day of 10 s points and 10 late points scattered through it.
	older := tsbsTimes(tsbsDay)
	ov := make([]float64, len(older))
	newer := make([]int64, 10)
	for i := range newer {
		newer[i] = older[(i+1)*tsbsDay/11] + 5e9
	}
	nv := make([]float64, len(newer))
	var dt []int64
	var dv []float64
	b.ReportAllocs()
	for b.Loop() {
		dt, dv = MergeRuns(dt[:0], dv[:0], older, ov, newer, nv)
	}
	b.ReportMetric(float64(len(dt))*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}
