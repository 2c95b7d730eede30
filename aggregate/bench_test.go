package aggregate

import (
	"testing"

	"github.com/accretedb/accrete/model"
)

func benchFloats(n int) []float64 {
	r := newRand(42)
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = float64(r.IntN(1_000_000)) / 100
	}
	return vs
}

// BenchmarkAddFloat measures the float fast path of every function through
// the FloatAdder interface, as a query scan or rollup calls it. Median and
// Percentile are reset every 64Ki values to bound their memory.
func BenchmarkAddFloat(b *testing.B) {
	vals := benchFloats(4096)
	for _, fn := range allFuncs {
		b.Run(fn.String(), func(b *testing.B) {
			s := newState(fn, model.TypeFloat)
			add := s.(FloatAdder)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i&(1<<16-1) == 0 {
					s.Reset()
				}
				add.AddFloat(int64(i), vals[i&4095])
				i++
			}
		})
	}
}

// BenchmarkAdd measures the generic path, one model.FieldValue per value.
func BenchmarkAdd(b *testing.B) {
	f := func(fn Func, in model.FieldType, v model.FieldValue) {
		b.Run(fn.String()+"/"+in.String(), func(b *testing.B) {
			s := New(fn, in)
			b.ReportAllocs()
			i := int64(0)
			for b.Loop() {
				s.Add(i, v)
				i++
			}
		})
	}
	f(Sum, model.TypeInteger, model.Int(7))
	f(Mean, model.TypeFloat, model.Float(7.5))
	f(Max, model.TypeInteger, model.Int(7))
	f(Last, model.TypeString, model.String("seven"))
}

func benchState(fn Func, n int) State {
	s := newState(fn, model.TypeFloat)
	add := s.(FloatAdder)
	for i, v := range benchFloats(n) {
		add.AddFloat(int64(i), v)
	}
	return s
}

// BenchmarkMerge merges a partial of 1000 values into an emptied state.
func BenchmarkMerge(b *testing.B) {
	for _, fn := range allFuncs {
		b.Run(fn.String(), func(b *testing.B) {
			src := benchState(fn, 1000)
			dst := newState(fn, model.TypeFloat)
			b.ReportAllocs()
			for b.Loop() {
				dst.Reset()
				dst.Merge(src)
			}
		})
	}
}

// BenchmarkEncode appends the encoding of a state of 1000 values to a
// reused buffer.
func BenchmarkEncode(b *testing.B) {
	for _, fn := range allFuncs {
		b.Run(fn.String(), func(b *testing.B) {
			s := benchState(fn, 1000)
			buf, _ := s.AppendBinary(nil)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = s.AppendBinary(buf[:0])
			}
		})
	}
}

// BenchmarkDecode decodes a state of 1000 values into a reused state.
func BenchmarkDecode(b *testing.B) {
	for _, fn := range allFuncs {
		b.Run(fn.String(), func(b *testing.B) {
			enc := mustEncode(b, benchState(fn, 1000))
			d := newState(fn, model.TypeFloat)
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			for b.Loop() {
				if err := d.UnmarshalBinary(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRetractableMin holds 10^6 values and replaces one per operation
// (a Remove and an Add), then reads the minimum: the rule engine's MIN
// under fact modification.
func BenchmarkRetractableMin(b *testing.B) {
	const n = 1_000_000
	vals := benchFloats(n)
	fresh := benchFloats(n + 4096)[n:]
	b.Run("FloatMinMax", func(b *testing.B) {
		var m FloatMinMax
		for _, v := range vals {
			m.Add(v)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			j := i % n
			m.Remove(vals[j])
			vals[j] = fresh[i&4095] + float64(i&7)
			m.Add(vals[j])
			if _, ok := m.Min(); !ok {
				b.Fatal("empty")
			}
			i++
		}
	})
	b.Run("OrderedState", func(b *testing.B) {
		s := newOrdered(Min, model.TypeFloat)
		for i, v := range vals {
			s.Add(int64(i), model.Float(v))
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			j := i % n
			s.Remove(int64(j), model.Float(vals[j]))
			vals[j] = fresh[i&4095] + float64(i&7)
			s.Add(int64(j), model.Float(vals[j]))
			if _, ok := s.Result(); !ok {
				b.Fatal("empty")
			}
			i++
		}
	})
	b.Run("FloatMinMax/one-value", func(b *testing.B) {
		var m FloatMinMax
		b.ReportAllocs()
		for b.Loop() {
			m.Add(3)
			m.Remove(3)
		}
	})
	b.Run("FloatSum", func(b *testing.B) {
		var s FloatSum
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			v := fresh[i&4095]
			s.Add(v)
			s.Remove(v)
			i++
		}
	})
}
