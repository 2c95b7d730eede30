package query

import (
	"math"
	"testing"

	"github.com/accretedb/accrete/model"
)

// tp is a point in or out of a transformation.
type tp struct {
	ts int64
	v  model.FieldValue
}

func runTransform(t Transform, in []tp) []tp {
	tr := NewTransformer(t)
	var out []tp
	for _, p := range in {
		if ts, v, ok := tr.Push(p.ts, p.v); ok {
			out = append(out, tp{ts, v})
		}
	}
	return out
}

func TestTransforms(t *testing.T) {
	f := func(name string, tf Transform, in, want []tp) {
		t.Helper()
		got := runTransform(tf, in)
		if len(got) != len(want) {
			t.Fatalf("%s: got %v, want %v", name, got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.ts != w.ts || g.v.Type() != w.v.Type() {
				t.Fatalf("%s: point %d = %v, want %v", name, i, got, want)
			}
			if w.v.Type() == model.TypeFloat {
				if math.Abs(g.v.FloatV()-w.v.FloatV()) > 1e-12*math.Abs(w.v.FloatV()) {
					t.Fatalf("%s: point %d = %v, want %v", name, i, g.v, w.v)
				}
			} else if !g.v.Equal(w.v) {
				t.Fatalf("%s: point %d = %v, want %v", name, i, g.v, w.v)
			}
		}
	}
	F, I, U := model.Float, model.Int, model.Uint
	const s = int64(1e9)
	floats := []tp{{0, F(1)}, {10 * s, F(3)}, {20 * s, F(2)}, {40 * s, F(6)}}
	ints := []tp{{0, I(1)}, {10 * s, I(3)}, {20 * s, I(math.MaxInt64)}, {40 * s, I(-math.MaxInt64)}, {50 * s, I(5)}}

	// The first point gives nothing; rates per unit.
	f("derivative", Transform{Func: Derivative, Unit: s}, floats,
		[]tp{{10 * s, F(0.2)}, {20 * s, F(-0.1)}, {40 * s, F(0.2)}})
	f("derivative per 10s", Transform{Func: Derivative, Unit: 10 * s}, floats,
		[]tp{{10 * s, F(2)}, {20 * s, F(-1)}, {40 * s, F(2)}})
	f("non-negative derivative", Transform{Func: NonNegativeDerivative, Unit: s}, floats,
		[]tp{{10 * s, F(0.2)}, {40 * s, F(0.2)}})
	// Integers subtract with wrap-around before the division, as InfluxDB.
	f("integer derivative", Transform{Func: Derivative, Unit: 10 * s}, ints,
		[]tp{{10 * s, F(2)}, {20 * s, F(float64(math.MaxInt64 - 3))}, {40 * s, F(1)}, // -MaxInt64-MaxInt64 wraps to 2
			{50 * s, F(-9223372036854775804)}}) // 5+MaxInt64 wraps
	f("integer non-negative derivative drops wrapped negatives", Transform{Func: NonNegativeDerivative, Unit: 10 * s}, ints,
		[]tp{{10 * s, F(2)}, {20 * s, F(float64(math.MaxInt64 - 3))}, {40 * s, F(1)}})
	// A point at the current time is skipped.
	f("equal times", Transform{Func: Derivative, Unit: s}, []tp{{0, F(1)}, {0, F(100)}, {2 * s, F(5)}},
		[]tp{{2 * s, F(2)}})
	// Newest first: the elapsed time is negated, as InfluxDB divides by it.
	f("descending derivative", Transform{Func: Derivative, Unit: s, Descending: true},
		[]tp{{40 * s, F(6)}, {20 * s, F(2)}, {10 * s, F(3)}},
		[]tp{{20 * s, F(-0.2)}, {10 * s, F(0.1)}})

	f("difference keeps integers and wraps", Transform{Func: Difference}, ints,
		[]tp{{10 * s, I(2)}, {20 * s, I(math.MaxInt64 - 3)}, {40 * s, I(2)}, {50 * s, I(-9223372036854775804)}})
	f("non-negative difference", Transform{Func: NonNegativeDifference}, floats,
		[]tp{{10 * s, F(2)}, {40 * s, F(4)}})
	f("unsigned difference", Transform{Func: NonNegativeDifference}, []tp{{0, U(5)}, {s, U(3)}, {2 * s, U(10)}},
		[]tp{{2 * s, U(7)}})
	f("unsigned derivative", Transform{Func: Derivative, Unit: s}, []tp{{0, U(5)}, {s, U(3)}},
		[]tp{{s, F(-2)}})

	f("moving average", Transform{Func: MovingAverage, N: 2}, floats,
		[]tp{{10 * s, F(2)}, {20 * s, F(2.5)}, {40 * s, F(4)}})
	// The running integer sum wraps around as InfluxDB's does.
	f("integer moving average", Transform{Func: MovingAverage, N: 3}, ints,
		[]tp{{20 * s, F(float64(math.MinInt64+3) / 3)}, {40 * s, F(1)}, {50 * s, F(5.0 / 3)}})

	f("cumulative sum", Transform{Func: CumulativeSum}, floats,
		[]tp{{0, F(1)}, {10 * s, F(4)}, {20 * s, F(6)}, {40 * s, F(12)}})
	f("integer cumulative sum wraps", Transform{Func: CumulativeSum}, ints[:3],
		[]tp{{0, I(1)}, {10 * s, I(4)}, {20 * s, I(math.MinInt64 + 3)}})

	f("elapsed", Transform{Func: Elapsed, Unit: s}, []tp{{0, model.String("a")}, {1500 * 1e6, model.Bool(true)}, {1500 * 1e6, model.Bool(false)}, {5 * s, F(1)}},
		[]tp{{1500 * 1e6, I(1)}, {1500 * 1e6, I(0)}, {5 * s, I(3)}})
	f("descending elapsed is negative", Transform{Func: Elapsed, Unit: s, Descending: true}, []tp{{5 * s, F(1)}, {0, F(2)}},
		[]tp{{0, I(-5)}})
}

func TestTransformFuncs(t *testing.T) {
	for f := Derivative; f <= Elapsed; f++ {
		if got, ok := ParseTransform(f.String()); !ok || got != f {
			t.Errorf("ParseTransform(%q) = %v, %v", f.String(), got, ok)
		}
	}
	if _, ok := ParseTransform("mean"); ok {
		t.Error("ParseTransform(mean) succeeded")
	}
	f := func(tf TransformFunc, in, want model.FieldType) {
		t.Helper()
		if got := tf.ResultType(in); got != want {
			t.Errorf("%s.ResultType(%s) = %s, want %s", tf, in, got, want)
		}
	}
	f(Derivative, model.TypeInteger, model.TypeFloat)
	f(NonNegativeDifference, model.TypeInteger, model.TypeInteger)
	f(CumulativeSum, model.TypeUnsigned, model.TypeUnsigned)
	f(MovingAverage, model.TypeInteger, model.TypeFloat)
	f(Elapsed, model.TypeString, model.TypeInteger)
	f(Difference, model.TypeBoolean, model.TypeInvalid)
	f(Derivative, model.TypeString, model.TypeInvalid)
	for _, c := range []struct {
		t    Transform
		want int64
	}{{Transform{Func: Derivative}, 1}, {Transform{Func: MovingAverage, N: 5}, 1}, {Transform{Func: CumulativeSum}, 0}, {Transform{Func: Elapsed}, 1}} {
		if got := c.t.Lookback(); got != c.want {
			t.Errorf("%s.Lookback() = %d, want %d", c.t.Func, got, c.want)
		}
	}
}
