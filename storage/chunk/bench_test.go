package chunk

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/accretedb/accrete/model"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// benchData returns TSBS-like columns of n points of type t: 10 s
// timestamps and a random walk in [0, 100] (rounded for integers).
func benchData(t model.FieldType, n int) *Columns {
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	switch t {
	case model.TypeFloat:
		return cols(t, tsbsTimes(n), tsbsWalk(rng, n))
	case model.TypeInteger:
		return cols(t, tsbsTimes(n), tsbsIntWalk(rng, n))
	}
	panic("BUG: no bench data for " + t.String())
}

var benchSizes = []int{100, 2048, tsbsDay}

func reportValues(b *testing.B, n, chunkBytes int) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
	b.ReportMetric(float64(chunkBytes)/float64(n), "B/value")
}

func BenchmarkEncode(b *testing.B) {
	for _, typ := range []model.FieldType{model.TypeInteger, model.TypeFloat} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%v/n=%d", typ, n), func(b *testing.B) {
				c := benchData(typ, n)
				enc := NewEncoder(nil)
				var buf []byte
				var err error
				b.ReportAllocs()
				for b.Loop() {
					if buf, err = enc.AppendColumns(buf[:0], c); err != nil {
						b.Fatal(err)
					}
				}
				reportValues(b, n, len(buf))
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, typ := range []model.FieldType{model.TypeInteger, model.TypeFloat} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%v/n=%d", typ, n), func(b *testing.B) {
				chunk, err := NewEncoder(nil).AppendColumns(nil, benchData(typ, n))
				if err != nil {
					b.Fatal(err)
				}
				dec := NewDecoder()
				var c Columns
				b.ReportAllocs()
				for b.Loop() {
					if err := dec.Decode(chunk, &c); err != nil {
						b.Fatal(err)
					}
				}
				if c.Len() != n {
					b.Fatalf("decoded %d values", c.Len())
				}
				reportValues(b, n, len(chunk))
			})
		}
	}
}

// BenchmarkBlockCompression compares zstd and S2 as the block compression
// of the encoded payloads of a day of TSBS-like data; it is the measurement
// behind the choice of zstd (see the package documentation). B/value is
// the compressed size, ratio the compressed size over the encoded size.
func BenchmarkBlockCompression(b *testing.B) {
	ints := benchData(model.TypeInteger, tsbsDay)
	floats := benchData(model.TypeFloat, tsbsDay)
	times, _ := appendTimes(nil, ints.Times, nil)
	packed, _ := appendInts(append([]byte(nil), times...), ints.Ints, nil)
	varint := appendVarintInts(append([]byte(nil), times...), ints.Ints)
	gorilla := appendFloats(append([]byte(nil), times...), floats.Floats)
	payloads := []struct {
		name string
		raw  []byte
	}{{"int-packed", packed}, {"int-varint", varint}, {"float-xor", gorilla}}
	zenc := newZstdEncoder()
	zdec := newZstdDecoder()
	for _, p := range payloads {
		zc := zenc.EncodeAll(p.raw, nil)
		sc := s2.Encode(nil, p.raw)
		report := func(b *testing.B, compressed []byte) {
			b.ReportMetric(float64(tsbsDay)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
			b.ReportMetric(float64(len(compressed))/tsbsDay, "B/value")
			b.ReportMetric(float64(len(compressed))/float64(len(p.raw)), "ratio")
		}
		b.Run(p.name+"/zstd/compress", func(b *testing.B) {
			var out []byte
			b.ReportAllocs()
			for b.Loop() {
				out = zenc.EncodeAll(p.raw, out[:0])
			}
			report(b, out)
		})
		b.Run(p.name+"/zstd/decompress", func(b *testing.B) {
			out := make([]byte, 0, len(p.raw))
			var err error
			b.ReportAllocs()
			for b.Loop() {
				if out, err = zdec.DecodeAll(zc, out[:0]); err != nil {
					b.Fatal(err)
				}
			}
			report(b, zc)
		})
		b.Run(p.name+"/s2/compress", func(b *testing.B) {
			out := make([]byte, s2.MaxEncodedLen(len(p.raw)))
			b.ReportAllocs()
			for b.Loop() {
				sc = s2.Encode(out, p.raw)
			}
			report(b, sc)
		})
		b.Run(p.name+"/s2/decompress", func(b *testing.B) {
			out := make([]byte, len(p.raw))
			var err error
			b.ReportAllocs()
			for b.Loop() {
				if _, err = s2.Decode(out, sc); err != nil {
					b.Fatal(err)
				}
			}
			report(b, sc)
		})
	}
	_ = zstd.SpeedFastest
}
