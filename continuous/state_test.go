package continuous

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
)

// TestStateRoundTrip encodes random states of every function and type
// compactly and checks that they decode to the same aggregate encoding.
func TestStateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	value := func(typ model.FieldType) model.FieldValue {
		switch typ {
		case model.TypeFloat:
			switch rng.IntN(20) {
			case 0:
				return model.Float(math.Inf(1))
			case 1:
				return model.Float(math.Inf(-1))
			}
			return model.Float(rng.NormFloat64() * 1e6)
		case model.TypeInteger:
			return model.Int(rng.Int64() >> rng.IntN(64))
		case model.TypeUnsigned:
			return model.Uint(rng.Uint64() >> rng.IntN(64))
		case model.TypeString:
			return model.String(strings.Repeat("x", rng.IntN(300)))
		}
		return model.Bool(rng.IntN(2) == 0)
	}
	for _, fn := range supported {
		for typ := model.TypeFloat; typ <= model.TypeBoolean; typ++ {
			if !fn.Accepts(typ) {
				continue
			}
			a := &agg{outputs: []output{{fn: fn}, {fn: fn}}}
			for range 200 {
				bucket := int64(rng.IntN(1000)-500) * 60e9
				sts := []aggregate.State{aggregate.New(fn, typ), nil}
				for range rng.IntN(5) {
					sts[0].Add(bucket+rng.Int64N(60e9), value(typ))
				}
				enc, _, err := appendStates(nil, a, sts, bucket, nil)
				if err != nil {
					t.Fatal(err)
				}
				parts, err := splitStates(enc, 2)
				if err != nil {
					t.Fatalf("%s of %s: %v", fn, typ, err)
				}
				if len(parts[1]) != 0 {
					t.Fatalf("%s of %s: a missing state decodes as %x", fn, typ, parts[1])
				}
				got, err := decodeState(fn, parts[0], bucket)
				if err != nil {
					t.Fatalf("%s of %s: %v", fn, typ, err)
				}
				want, _ := sts[0].AppendBinary(nil)
				have, _ := got.AppendBinary(nil)
				if !bytes.Equal(have, want) {
					t.Fatalf("%s of %s: round trip gives %x, want %x", fn, typ, have, want)
				}
			}
		}
	}
}

// FuzzDecodeStates checks that no stored bytes make decoding panic.
func FuzzDecodeStates(f *testing.F) {
	a := &agg{outputs: []output{{fn: aggregate.Mean}, {fn: aggregate.Last}, {fn: aggregate.Sum}}}
	for _, typ := range []model.FieldType{model.TypeFloat, model.TypeInteger} {
		sts := []aggregate.State{aggregate.New(aggregate.Mean, typ), aggregate.New(aggregate.Last, typ), aggregate.New(aggregate.Sum, typ)}
		for i, v := range []float64{1.5, -2, 1e300} {
			fv := model.Float(v)
			if typ == model.TypeInteger {
				fv = model.Int(int64(v))
			}
			for _, s := range sts {
				s.Add(int64(i)*1e9, fv)
			}
		}
		enc, _, err := appendStates(nil, a, sts, 0, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		parts, err := splitStates(v, len(a.outputs))
		if err != nil {
			return
		}
		for i, p := range parts {
			if len(p) > 0 {
				_, _ = decodeState(a.outputs[i].fn, p, 0)
			}
		}
	})
}

func ExampleStatement() {
	fmt.Println(Statement(Definition{Name: "cpu_1m", Database: "db", RetentionPolicy: "autogen", Source: "cpu", Target: "cpu_1m",
		Interval: Duration(60e9), GroupBy: []string{"host"}, Fields: []Field{{Field: "usage", Function: "mean", As: "usage_mean"}}}))
	// Output:
	// CREATE CONTINUOUS QUERY cpu_1m ON db BEGIN SELECT mean(usage) AS usage_mean INTO db.autogen.cpu_1m FROM db.autogen.cpu GROUP BY time(1m), host END
}
