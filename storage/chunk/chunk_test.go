package chunk

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/accretedb/accrete/model"
)

// diffColumns describes the first difference between two Columns, or
// returns "" when they hold the same points. Floats compare by bits.
func diffColumns(got, want *Columns) string {
	if got.Type != want.Type {
		return fmt.Sprintf("type %v, want %v", got.Type, want.Type)
	}
	if got.Len() != want.Len() {
		return fmt.Sprintf("%d points, want %d", got.Len(), want.Len())
	}
	if n := got.valuesLen(); n != got.Len() {
		return fmt.Sprintf("%d values for %d times", n, got.Len())
	}
	for i := range want.Times {
		if got.Times[i] != want.Times[i] {
			return fmt.Sprintf("time %d is %d, want %d", i, got.Times[i], want.Times[i])
		}
		if g, w := got.Value(i), want.Value(i); !g.Equal(w) {
			return fmt.Sprintf("value %d is %#v, want %#v", i, g, w)
		}
	}
	for name, n := range map[string]int{"Floats": len(got.Floats), "Ints": len(got.Ints), "Uints": len(got.Uints), "Strings": len(got.Strings), "Bools": len(got.Bools)} {
		if n != 0 && n != got.Len() {
			return fmt.Sprintf("column %s has %d values", name, n)
		}
	}
	return ""
}

// roundTrip encodes c with every compression, checks the header and
// decodes it back, failing t on any difference. It returns the chunk made
// with the default options.
func roundTrip(t testing.TB, c *Columns) []byte {
	t.Helper()
	var def []byte
	for _, comp := range []Compression{DefaultCompression, NoCompression} {
		enc := NewEncoder(&Options{Compression: comp})
		prefix := []byte("prefix")
		b, err := enc.AppendColumns(prefix, c)
		if err != nil {
			t.Fatalf("compression %d: encode: %v", comp, err)
		}
		if !bytes.Equal(b[:len(prefix)], []byte("prefix")) {
			t.Fatalf("compression %d: encode changed the prefix of dst", comp)
		}
		b = b[len(prefix):]
		h, err := ReadHeader(b)
		if err != nil {
			t.Fatalf("compression %d: ReadHeader: %v", comp, err)
		}
		want := Header{Type: c.Type, Count: c.Len(), MinTime: c.Times[0], MaxTime: c.Times[c.Len()-1], Len: len(b)}
		if h != want {
			t.Fatalf("compression %d: header %+v, want %+v", comp, h, want)
		}
		var got Columns
		if err := NewDecoder().Decode(b, &got); err != nil {
			t.Fatalf("compression %d: decode: %v", comp, err)
		}
		if d := diffColumns(&got, c); d != "" {
			t.Fatalf("compression %d: round trip: %s", comp, d)
		}
		if comp == DefaultCompression {
			def = b
		}
	}
	return def
}

func cols(t model.FieldType, times []int64, values any) *Columns {
	c := &Columns{Type: t, Times: times}
	switch v := values.(type) {
	case []float64:
		c.Floats = v
	case []int64:
		c.Ints = v
	case []uint64:
		c.Uints = v
	case []string:
		c.Strings = v
	case []bool:
		c.Bools = v
	default:
		panic(fmt.Sprintf("cols of %T", values))
	}
	return c
}

func seq(n int, start, step int64) []int64 {
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = start + int64(i)*step
	}
	return ts
}

func TestRoundTripEdgeCases(t *testing.T) {
	f := func(name string, c *Columns) {
		t.Helper()
		t.Run(name, func(t *testing.T) { roundTrip(t, c) })
	}
	nan1 := math.Float64frombits(0x7ff8000000000001)
	nanSig := math.Float64frombits(0x7ff0000000000001)
	nanNeg := math.Float64frombits(0xfff8000000000000)

	f("float one", cols(model.TypeFloat, []int64{5}, []float64{1.5}))
	f("float NaN payloads", cols(model.TypeFloat, seq(6, 0, 1), []float64{math.NaN(), nan1, nanSig, nanNeg, nan1, math.NaN()}))
	f("float zeros", cols(model.TypeFloat, seq(5, 0, 1), []float64{0, math.Copysign(0, -1), 0, math.Copysign(0, -1), math.Copysign(0, -1)}))
	f("float infinities", cols(model.TypeFloat, seq(4, 0, 1), []float64{math.Inf(1), math.Inf(-1), math.Inf(1), 1}))
	f("float extremes", cols(model.TypeFloat, seq(6, 0, 1), []float64{math.MaxFloat64, math.SmallestNonzeroFloat64, -math.MaxFloat64, 1e-300, 0, math.MaxFloat64}))
	f("float constant", cols(model.TypeFloat, seq(1000, 0, 10), slicesRepeat(1000, 42.5)))
	f("float all bits flip", cols(model.TypeFloat, seq(4, 0, 1), []float64{
		math.Float64frombits(0), math.Float64frombits(^uint64(0)), math.Float64frombits(1), math.Float64frombits(1 << 63)}))

	f("int one", cols(model.TypeInteger, []int64{-5}, []int64{math.MinInt64}))
	f("int delta overflow", cols(model.TypeInteger, seq(6, 0, 1), []int64{math.MinInt64, math.MaxInt64, math.MinInt64, 0, math.MaxInt64, -1}))
	f("int constant", cols(model.TypeInteger, seq(300, 0, 1), make([]int64, 300)))
	intWalk := tsbsIntWalk(rand.New(rand.NewPCG(1, 1)), 2000)
	intWalk[700] = math.MaxInt64 // an outlier in one block
	f("int walk with outlier", cols(model.TypeInteger, seq(2000, 0, 1), intWalk))
	f("int big walk", cols(model.TypeInteger, seq(tsbsDay, 0, 1), tsbsIntWalk(rand.New(rand.NewPCG(1, 2)), tsbsDay)))

	f("uint one", cols(model.TypeUnsigned, []int64{0}, []uint64{math.MaxUint64}))
	f("uint extremes", cols(model.TypeUnsigned, seq(5, 0, 1), []uint64{math.MaxUint64, 0, math.MaxUint64, 1, math.MaxUint64 - 1}))
	counter := make([]uint64, 3000)
	for i := range counter {
		counter[i] = math.MaxUint64 - 5000 + uint64(i)*3 // wraps past MaxUint64
	}
	f("uint wrapping counter", cols(model.TypeUnsigned, seq(3000, 0, 1), counter))

	f("string one empty", cols(model.TypeString, []int64{1}, []string{""}))
	f("string all empty", cols(model.TypeString, seq(200, 0, 1), make([]string, 200)))
	f("string mixed", cols(model.TypeString, seq(5, 0, 1), []string{"", "a", "\x00\xff\"\\", "héllo, wörld", ""}))
	f("string long", cols(model.TypeString, seq(3, 0, 1), []string{strings.Repeat("x", 70000), "", strings.Repeat("yz", 1000)}))
	levels := make([]string, 1000)
	for i := range levels {
		levels[i] = []string{"debug", "info", "warning", "error", ""}[i*7%5]
	}
	f("string dictionary", cols(model.TypeString, seq(1000, 0, 1), levels))
	distinct := make([]string, 1000)
	for i := range distinct {
		distinct[i] = fmt.Sprint("value-", i)
	}
	f("string distinct", cols(model.TypeString, seq(1000, 0, 1), distinct))

	for _, n := range []int{1, 7, 8, 9, 16, 1001} {
		bs := make([]bool, n)
		for i := range bs {
			bs[i] = i%3 == 0
		}
		f(fmt.Sprint("bool ", n), cols(model.TypeBoolean, seq(n, 0, 1), bs))
	}
	f("bool all true", cols(model.TypeBoolean, seq(9, 0, 1), []bool{true, true, true, true, true, true, true, true, true}))

	f("times negative", cols(model.TypeInteger, []int64{-3e18, -1, 0, 1}, []int64{1, 2, 3, 4}))
	f("times extremes", cols(model.TypeInteger, []int64{math.MinInt64, math.MinInt64 + 1, 0, math.MaxInt64 - 1, math.MaxInt64}, []int64{1, 2, 3, 4, 5}))
	f("times whole range", cols(model.TypeInteger, []int64{math.MinInt64, math.MaxInt64}, []int64{1, 2}))
	f("times huge gaps", cols(model.TypeBoolean, []int64{math.MinInt64, -1, 1 << 62, math.MaxInt64}, []bool{true, false, true, false}))
	irregular := make([]int64, 500)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range irregular {
		irregular[i] = tsbsStart + int64(i)*tsbsInterval + rng.Int64N(1e6)
	}
	f("times jitter", cols(model.TypeFloat, irregular, tsbsWalk(rng, 500)))
	f("times regular", cols(model.TypeFloat, tsbsTimes(tsbsDay), tsbsWalk(rng, tsbsDay)))
}

func slicesRepeat[T any](n int, v T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestEncodeErrors(t *testing.T) {
	enc := NewEncoder(nil)
	f := func(name string, encode func(dst []byte) ([]byte, error), want error, wantMsg string) {
		t.Helper()
		dst := []byte("keep")
		got, err := encode(dst)
		if !errors.Is(err, want) {
			t.Errorf("%s: error %v, want %v", name, err, want)
			return
		}
		if err.Error() != wantMsg {
			t.Errorf("%s: message %q, want %q", name, err, wantMsg)
		}
		if string(got) != "keep" {
			t.Errorf("%s: dst changed to %q", name, got)
		}
	}
	f("empty", func(dst []byte) ([]byte, error) { return enc.AppendFloats(dst, nil, nil) },
		ErrEmpty, "chunk has no values")
	f("length mismatch", func(dst []byte) ([]byte, error) { return enc.AppendInts(dst, []int64{1, 2}, []int64{1}) },
		ErrLengthMismatch, "time and value columns differ in length: 2 times, 1 values")
	f("equal times", func(dst []byte) ([]byte, error) { return enc.AppendUints(dst, []int64{1, 2, 2}, []uint64{1, 2, 3}) },
		ErrUnsorted, "timestamps are not strictly increasing: time 2 at index 2 follows 2")
	f("decreasing times", func(dst []byte) ([]byte, error) {
		return enc.AppendStrings(dst, []int64{math.MaxInt64, math.MinInt64}, []string{"a", "b"})
	}, ErrUnsorted, "timestamps are not strictly increasing: time -9223372036854775808 at index 1 follows 9223372036854775807")
	f("too many", func(dst []byte) ([]byte, error) {
		n := MaxCount + 1
		return enc.AppendBools(dst, seq(n, 0, 1), make([]bool, n))
	}, ErrTooLarge, "chunk is too large: 1048577 values, more than 1048576")
	big := strings.Repeat("x", MaxPayload/2)
	f("too large strings", func(dst []byte) ([]byte, error) {
		return enc.AppendStrings(dst, []int64{1, 2, 3}, []string{big, "y", big})
	}, ErrTooLarge, "chunk is too large: strings of more than 67108864 bytes")
	f("too large payload", func(dst []byte) ([]byte, error) {
		// The strings fit, their lengths and the timestamps do not.
		return enc.AppendStrings(dst, []int64{1, 2}, []string{big, strings.Repeat("z", MaxPayload/2)})
	}, ErrTooLarge, "chunk is too large: payload of 67108871 bytes, more than 67108864")
	f("wrong value type", func(dst []byte) ([]byte, error) {
		return enc.Append(dst, model.TypeFloat, []int64{1, 2}, []model.FieldValue{model.Float(1), model.Int(2)})
	}, ErrWrongType, "wrong field type: integer value at index 1 of a float chunk")
	f("invalid type", func(dst []byte) ([]byte, error) {
		return enc.Append(dst, model.TypeInvalid, []int64{1}, []model.FieldValue{{}})
	},
		ErrWrongType, "wrong field type: cannot encode invalid values")
	f("invalid columns", func(dst []byte) ([]byte, error) { return enc.AppendColumns(dst, &Columns{Times: []int64{1}}) },
		ErrWrongType, "wrong field type: cannot encode invalid columns")
	f("FieldValue length mismatch", func(dst []byte) ([]byte, error) {
		return enc.Append(dst, model.TypeBoolean, []int64{1}, []model.FieldValue{model.Bool(true), model.Bool(false)})
	}, ErrLengthMismatch, "time and value columns differ in length: 1 times, 2 values")
	f("package Append", func(dst []byte) ([]byte, error) {
		return Append(dst, model.TypeBoolean, []int64{1}, []model.FieldValue{model.String("x")})
	}, ErrWrongType, "wrong field type: string value at index 0 of a boolean chunk")

	// The encoder still works after errors.
	b, err := enc.AppendInts(nil, []int64{1, 2}, []int64{3, 4})
	if err != nil {
		t.Fatal(err)
	}
	var c Columns
	if err := Decode(b, &c); err != nil || diffColumns(&c, cols(model.TypeInteger, []int64{1, 2}, []int64{3, 4})) != "" {
		t.Fatalf("decode after errors: %v %+v", err, c)
	}
}

func TestAppendFieldValues(t *testing.T) {
	f := func(typ model.FieldType, values ...model.FieldValue) {
		t.Helper()
		times := seq(len(values), 100, 7)
		b, err := Append(nil, typ, times, values)
		if err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
		var c Columns
		if err := Decode(b, &c); err != nil {
			t.Fatalf("%v: decode: %v", typ, err)
		}
		if c.Type != typ || c.Len() != len(values) {
			t.Fatalf("%v: decoded %v with %d points", typ, c.Type, c.Len())
		}
		for i, v := range values {
			if c.Times[i] != times[i] || !c.Value(i).Equal(v) {
				t.Fatalf("%v: point %d is %d %#v, want %d %#v", typ, i, c.Times[i], c.Value(i), times[i], v)
			}
		}
	}
	f(model.TypeFloat, model.Float(1), model.Float(math.Inf(-1)), model.Float(math.Copysign(0, -1)))
	f(model.TypeInteger, model.Int(-1), model.Int(math.MaxInt64))
	f(model.TypeUnsigned, model.Uint(math.MaxUint64))
	f(model.TypeString, model.String(""), model.String("a\"b"))
	f(model.TypeBoolean, model.Bool(true), model.Bool(false), model.Bool(true))
}

func TestColumns(t *testing.T) {
	var c Columns
	if err := c.Append(1, model.Int(5)); err != nil {
		t.Fatal(err)
	}
	if err := c.Append(2, model.Int(6)); err != nil {
		t.Fatal(err)
	}
	err := c.Append(3, model.Float(1))
	if !errors.Is(err, ErrWrongType) || err.Error() != "wrong field type: float value in integer columns" {
		t.Fatalf("Append of a float to integers: %v", err)
	}
	if c.Type != model.TypeInteger || c.Len() != 2 || c.Ints[1] != 6 || c.Times[1] != 2 {
		t.Fatalf("columns %+v", c)
	}
	c.Reset()
	if c.Type != model.TypeInvalid || c.Len() != 0 || len(c.Ints) != 0 || cap(c.Ints) < 2 {
		t.Fatalf("after Reset %+v (cap %d)", c, cap(c.Ints))
	}
	var empty Columns
	if err := empty.Append(1, model.FieldValue{}); !errors.Is(err, ErrWrongType) {
		t.Fatalf("Append of an invalid value: %v", err)
	}
}

// TestDecodeReuse decodes chunks of every type into one Columns in turn:
// each decode must replace the previous contents entirely.
func TestDecodeReuse(t *testing.T) {
	chunks := []*Columns{
		cols(model.TypeString, seq(3, 0, 1), []string{"a", "b", "c"}),
		cols(model.TypeFloat, seq(2, 5, 1), []float64{1, 2}),
		cols(model.TypeInteger, seq(1000, 5, 1), make([]int64, 1000)),
		cols(model.TypeBoolean, seq(1, 5, 1), []bool{true}),
		cols(model.TypeUnsigned, seq(4, -5, 1), []uint64{1, 2, 3, 4}),
		cols(model.TypeString, seq(2, 0, 1), []string{"x", "x"}),
	}
	dec := NewDecoder()
	var got Columns
	for i, c := range chunks {
		b := roundTrip(t, c)
		if err := dec.Decode(b, &got); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if d := diffColumns(&got, c); d != "" {
			t.Fatalf("chunk %d: %s", i, d)
		}
	}
}

// TestChunksBackToBack steps over concatenated chunks with Header.Len.
func TestChunksBackToBack(t *testing.T) {
	enc := NewEncoder(nil)
	var buf []byte
	var err error
	for i := range 5 {
		buf, err = enc.AppendInts(buf, seq(10*(i+1), int64(i)*1000, 10), make([]int64, 10*(i+1)))
		if err != nil {
			t.Fatal(err)
		}
	}
	var c Columns
	for i := range 5 {
		h, err := ReadHeader(buf)
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if h.Count != 10*(i+1) || h.MinTime != int64(i)*1000 || h.MaxTime != int64(i)*1000+int64(h.Count-1)*10 {
			t.Fatalf("chunk %d: header %+v", i, h)
		}
		if err := Decode(buf[:h.Len], &c); err != nil || c.Len() != h.Count {
			t.Fatalf("chunk %d: decode: %v", i, err)
		}
		buf = buf[h.Len:]
	}
	if len(buf) != 0 {
		t.Fatalf("%d bytes left", len(buf))
	}
}

// TestEncodingChoices checks that the encoder picks the encodings the
// package documentation promises, through the size of what it writes.
func TestEncodingChoices(t *testing.T) {
	f := func(name string, c *Columns, comp Compression, maxBytesPerValue float64, wantStored byte) {
		t.Helper()
		b, err := NewEncoder(&Options{Compression: comp}).AppendColumns(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		if got := float64(len(b)) / float64(c.Len()); got > maxBytesPerValue {
			t.Errorf("%s: %.3f bytes/value, want at most %.3f", name, got, maxBytesPerValue)
		}
		h, err := parseHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		if h.comp != wantStored {
			t.Errorf("%s: stored with compression %d, want %d", name, h.comp, wantStored)
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	// Regular timestamps and a constant value: a few bytes per block.
	f("regular constant", cols(model.TypeBoolean, tsbsTimes(tsbsDay), make([]bool, tsbsDay)), NoCompression, 0.15, storedRaw)
	// Packed random walk: 3 bits a value plus the block headers.
	f("int walk packed", cols(model.TypeInteger, tsbsTimes(tsbsDay), tsbsIntWalk(rng, tsbsDay)), NoCompression, 0.42, storedRaw)
	// zstd'd varint steps are 15% smaller than packed ones, less than the
	// quarter worth their read cost: the walk stays packed.
	f("int walk not worth zstd", cols(model.TypeInteger, tsbsTimes(tsbsDay), tsbsIntWalk(rng, tsbsDay)), Zstd, 0.42, storedRaw)
	// A repeating pattern: packed differences take 4 bits, zstd'd varints
	// almost nothing.
	saw := make([]int64, tsbsDay)
	for i := range saw {
		saw[i] = int64(i % 10)
	}
	f("int sawtooth zstd", cols(model.TypeInteger, tsbsTimes(tsbsDay), saw), Zstd, 0.05, storedZstd)
	// Small chunks stay packed, uncompressed; the ~21-byte header weighs.
	f("int walk small", cols(model.TypeInteger, tsbsTimes(100), tsbsIntWalk(rng, 100)), Zstd, 0.75, storedRaw)
	levels := make([]string, 1000)
	for i := range levels {
		levels[i] = []string{"a-long-status-value", "another-long-status-value", "yet-another-one"}[rng.IntN(3)]
	}
	// A dictionary of three: 2 bits an index.
	f("string dictionary", cols(model.TypeString, seq(1000, 0, 1), levels), NoCompression, 0.4, storedRaw)
}
