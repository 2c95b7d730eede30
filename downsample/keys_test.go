package downsample

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
)

// FuzzDecodeStates: decoding never panics, and what decodes encodes back
// to the same bytes.
func FuzzDecodeStates(f *testing.F) {
	mean := aggregate.New(aggregate.Mean, model.TypeFloat)
	mean.Add(1, model.Float(2.5))
	last := aggregate.New(aggregate.Last, model.TypeInteger)
	last.Add(7, model.Int(-3))
	enc, err := appendStates(nil, []aggregate.State{mean, nil, last})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc, 3)
	f.Add([]byte{0}, 1)
	f.Add([]byte{5, 1, 2}, 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n < 0 || n > 16 {
			return
		}
		sts, err := decodeStates(b, n)
		if err != nil {
			return
		}
		again, err := appendStates(nil, sts)
		if err != nil {
			t.Fatal(err)
		}
		sts2, err := decodeStates(again, n)
		if err != nil {
			t.Fatalf("re-encoded states do not decode: %v", err)
		}
		third, _ := appendStates(nil, sts2)
		if !bytes.Equal(again, third) {
			t.Fatalf("encoding not stable: %x then %x", again, third)
		}
	})
}

// FuzzRangeValue: range values round-trip and bad ones are rejected.
func FuzzRangeValue(f *testing.F) {
	f.Add(",host=a", int64(-5), int64(100))
	f.Add("", int64(0), int64(0))
	f.Fuzz(func(t *testing.T, series string, lo, hi int64) {
		s, l, h, ok := parseRangeValue(rangeValue(series, lo, hi))
		if !ok || s != series || l != lo || h != hi {
			t.Fatalf("round trip: %q %d %d → %q %d %d %v", series, lo, hi, s, l, h, ok)
		}
		parseRangeValue([]byte(series)) // must not panic
		parseMarker([]byte(series))
	})
}

// TestOverflow: with room for two open buckets, points for more series
// are not held in memory; their buckets are re-aggregated from the stored
// data when they close, and the result is the same.
func TestOverflow(t *testing.T) {
	clk := &fakeClock{}
	clk.set(60 * time.Second)
	db := openDB(t, t.TempDir())
	defer db.Close()
	e := openEngine(t, db, clk, &Options{MaxOpenBuckets: 2})
	defer e.Close()
	c, _ := NewDownsample("cpu", "cpu_1m", time.Minute).Database("db", "").Sum("v").Max("v").Build()
	if err := e.Register(c); err != nil {
		t.Fatal(err)
	}
	for s := 60; s < 120; s += 10 {
		for h := range 5 {
			write(t, db, fmt.Sprintf("cpu,host=h%d v=%d %d\n", h, h+s, s))
		}
	}
	st, _ := e.Status("cpu_1m")
	if st.OpenBuckets != 2 || st.Overflowed != 3*6 || st.OpenBytes <= 0 {
		t.Fatalf("status %+v: want 2 open buckets and 18 points overflowed", st)
	}
	clk.set(121 * time.Second)
	if err := e.Flush(clk.now()); err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, db, "cpu_1m")
	if len(rows) != 5 {
		t.Fatalf("%d buckets, want 5", len(rows))
	}
	for h := range 5 {
		r := rows[fmt.Sprintf(",host=h%d@%d", h, 60*time.Second)]
		if r.fields["v_sum"].FloatV() != float64(6*h+60+70+80+90+100+110) || r.fields["v_max"].FloatV() != float64(h+110) {
			t.Errorf("host h%d: %v", h, r.fields)
		}
	}
	st, _ = e.Status("cpu_1m")
	if st.BucketsWritten != 2 || st.BucketsRecomputed != 3 || st.OpenBuckets != 0 || st.OpenBytes != 0 {
		t.Fatalf("status after the flush %+v: want 2 written from memory, 3 re-aggregated, nothing open", st)
	}
}
