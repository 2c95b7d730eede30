package chunk

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"testing"

	"github.com/accretedb/accrete/model"
)

// lastCases are chunks of every type whose last value the header carries.
func lastCases() []struct {
	name string
	typ  model.FieldType
	vals []model.FieldValue
} {
	return []struct {
		name string
		typ  model.FieldType
		vals []model.FieldValue
	}{
		{"float", model.TypeFloat, []model.FieldValue{model.Float(1.5), model.Float(-0.25)}},
		{"float NaN", model.TypeFloat, []model.FieldValue{model.Float(1), model.Float(math.NaN())}},
		{"integer", model.TypeInteger, []model.FieldValue{model.Int(7), model.Int(math.MinInt64)}},
		{"unsigned", model.TypeUnsigned, []model.FieldValue{model.Uint(3), model.Uint(math.MaxUint64)}},
		{"string", model.TypeString, []model.FieldValue{model.String("a"), model.String("the last one")}},
		{"empty string", model.TypeString, []model.FieldValue{model.String("a"), model.String("")}},
		{"boolean", model.TypeBoolean, []model.FieldValue{model.Bool(false), model.Bool(true)}},
	}
}

func TestReadLast(t *testing.T) {
	for _, c := range lastCases() {
		times := make([]int64, len(c.vals))
		for i := range times {
			times[i] = int64(100 + 10*i)
		}
		b, err := Append(nil, c.typ, times, c.vals)
		if err != nil {
			t.Fatal(err)
		}
		h, v, ok, err := ReadLast(b)
		want := c.vals[len(c.vals)-1]
		if err != nil || !ok || v.Type() != c.typ || v.Bits() != want.Bits() || v.StringV() != want.StringV() || h.MaxTime != times[len(times)-1] {
			t.Errorf("%s: ReadLast = %+v, %v, %v, %v; want %v at %d", c.name, h, v, ok, err, want, times[len(times)-1])
		}
		var cols Columns
		if err := Decode(b, &cols); err != nil || cols.Len() != len(c.vals) {
			t.Errorf("%s: Decode: %v, %d values", c.name, err, cols.Len())
		}
		// The version 1 form of the same chunk still decodes; its header
		// has no last value.
		v1 := toVersion1(t, b)
		if _, _, ok, err := ReadLast(v1); ok || err != nil {
			t.Errorf("%s: ReadLast of version 1: ok %v, %v", c.name, ok, err)
		}
		var cols1 Columns
		if err := Decode(v1, &cols1); err != nil || cols1.Len() != len(c.vals) || cols1.Value(cols1.Len()-1).Bits() != want.Bits() {
			t.Errorf("%s: Decode of version 1: %v", c.name, err)
		}
	}
}

// toVersion1 rewrites a version 2 chunk in version 1: without the last
// value in its header, with the checksum recomputed.
func toVersion1(t *testing.T, b []byte) []byte {
	t.Helper()
	h, err := parseHeader(b)
	if err != nil || h.lastOff == 0 {
		t.Fatalf("not a version 2 chunk: %v", err)
	}
	out := append([]byte{1}, b[1:h.lastOff]...)
	out = append(out, 0, 0, 0, 0)
	out = append(out, b[h.payloadOff:]...)
	crcOff := h.lastOff
	crc := crc32.Update(crc32.Checksum(out[:crcOff], castagnoli), castagnoli, out[crcOff+4:])
	binary.LittleEndian.PutUint32(out[crcOff:], crc)
	return out
}

// A header whose last value disagrees with the payload is corrupt, even
// with a valid checksum.
func TestDecodeLastMismatch(t *testing.T) {
	for _, c := range lastCases() {
		times := []int64{100, 110}
		b, err := Append(nil, c.typ, times, c.vals)
		if err != nil {
			t.Fatal(err)
		}
		h, err := parseHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		other := c.vals[0]
		if other.Bits() == c.vals[1].Bits() && other.StringV() == c.vals[1].StringV() {
			continue
		}
		// Rebuild the chunk with the first value as the header's last.
		bad := append([]byte(nil), b[:h.lastOff]...)
		bad = appendLastValue(bad, other)
		crcOff := len(bad)
		bad = append(bad, 0, 0, 0, 0)
		bad = append(bad, b[h.payloadOff:]...)
		crc := crc32.Update(crc32.Checksum(bad[:crcOff], castagnoli), castagnoli, bad[crcOff+4:])
		binary.LittleEndian.PutUint32(bad[crcOff:], crc)
		var cols Columns
		if err := Decode(bad, &cols); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Decode with a wrong last value: %v, want ErrCorrupt", c.name, err)
		}
		if _, v, ok, err := ReadLast(bad); err != nil || !ok || v.Bits() != other.Bits() {
			t.Errorf("%s: ReadLast reads the header as it is: %v %v %v", c.name, v, ok, err)
		}
	}
}

func TestReadLastTruncated(t *testing.T) {
	b, err := Append(nil, model.TypeString, []int64{1}, []model.FieldValue{model.String("abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	h, err := parseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < h.payloadOff; n++ {
		if _, _, ok, err := ReadLast(b[:n]); ok || !errors.Is(err, ErrCorrupt) {
			t.Errorf("ReadLast of %d of %d header bytes: ok %v, %v; want ErrCorrupt", n, h.payloadOff, ok, err)
		}
	}
}

func BenchmarkReadLast(b *testing.B) {
	times, vals := make([]int64, 8640), make([]model.FieldValue, 8640)
	for i := range times {
		times[i], vals[i] = int64(i)*10e9, model.Int(int64(i%97))
	}
	src, err := Append(nil, model.TypeInteger, times, vals)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok, err := ReadLast(src); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
