package chunk

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"testing"

	"github.com/accretedb/accrete/model"
)

// The round-trip fuzz tests build a chunk from two byte strings, one for
// the timestamps and one for the values, encode it (compressed or not) and
// check that it decodes to the same points. The generators turn bytes into
// the shapes the codecs care about: repeated gaps and values, small steps,
// arbitrary 64-bit patterns.

// maxFuzzPoints bounds the chunks the fuzzers build.
const maxFuzzPoints = 4096

// fuzzBytes hands out the bytes of a fuzz input; past the end it returns
// zeros and sets done.
type fuzzBytes struct {
	b    []byte
	done bool
}

func (r *fuzzBytes) byte() byte {
	if len(r.b) == 0 {
		r.done = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// uint reads k little-endian bytes.
func (r *fuzzBytes) uint(k int) uint64 {
	var v uint64
	for i := range k {
		v |= uint64(r.byte()) << (8 * i)
	}
	return v
}

// fuzzTimes turns data into strictly increasing timestamps: 8 bytes of
// start, then per point a gap byte g: g < 0xf8 means a gap of g+1, and
// 0xf8 + k means a gap of 1 + the next k+1 bytes. It stops at the end of
// data, at maxFuzzPoints and before overflowing int64.
func fuzzTimes(data []byte) []int64 {
	r := fuzzBytes{b: data}
	t := int64(r.uint(8))
	ts := []int64{t}
	for len(ts) < maxFuzzPoints {
		g := r.byte()
		if r.done {
			break
		}
		gap := uint64(g) + 1
		if g >= 0xf8 {
			gap = r.uint(int(g-0xf8)+1) + 1
		}
		next := t + int64(gap)
		if gap == 0 || next <= t { // wrapped: out of range
			break
		}
		t = next
		ts = append(ts, t)
	}
	return ts
}

// fuzzColumns builds the columns of type typ from times data and values
// data; each value consumes an operation byte and its operands, and the
// chunk ends with whichever input runs out first.
func fuzzColumns(typ model.FieldType, timesData, valuesData []byte) *Columns {
	times := fuzzTimes(timesData)
	r := fuzzBytes{b: valuesData}
	c := &Columns{Type: typ}
	var prev uint64
	var seen []string
	for i := range times {
		op := r.byte()
		if r.done && i > 0 {
			break
		}
		switch typ {
		case model.TypeFloat:
			switch op % 4 {
			case 1: // flip a few bits of the previous value
				prev ^= uint64(r.byte()) << (op >> 2 % 57)
			case 2: // any 64 bits: NaN payloads, infinities, -0
				prev = r.uint(8)
			case 3: // a small number
				prev = math.Float64bits(float64(int8(r.byte())) / 4)
			}
			c.Floats = append(c.Floats, math.Float64frombits(prev))
		case model.TypeInteger, model.TypeUnsigned:
			switch op % 4 {
			case 1: // a small step
				prev += uint64(int64(int8(r.byte())))
			case 2: // any 64 bits
				prev = r.uint(8)
			case 3: // a bigger step
				prev += uint64(int64(int16(r.uint(2))))
			}
			if typ == model.TypeInteger {
				c.Ints = append(c.Ints, int64(prev))
			} else {
				c.Uints = append(c.Uints, prev)
			}
		case model.TypeString:
			var s string
			switch {
			case op%3 == 0 && len(seen) > 0: // repeat: dictionary material
				s = seen[int(r.byte())%len(seen)]
			case op%3 == 1:
				b := make([]byte, r.byte()%40)
				for j := range b {
					b[j] = r.byte()
				}
				s = string(b)
				seen = append(seen, s)
			}
			c.Strings = append(c.Strings, s)
		case model.TypeBoolean:
			c.Bools = append(c.Bools, op&1 != 0)
		}
		c.Times = append(c.Times, times[i])
	}
	return c
}

// The fuzz tests reuse one encoder per compression and one decoder across
// inputs, as the engine does: state left over from one chunk must never
// change the next. (A fuzz worker runs its inputs one at a time.)
var (
	fuzzEncoders = map[Compression]*Encoder{NoCompression: NewEncoder(&Options{Compression: NoCompression}), Zstd: NewEncoder(nil)}
	fuzzDecoder  = NewDecoder()
)

func fuzzRoundTrip(f *testing.F, typ model.FieldType) {
	f.Fuzz(func(t *testing.T, timesData, valuesData []byte, compress bool) {
		c := fuzzColumns(typ, timesData, valuesData)
		comp := NoCompression
		if compress {
			comp = Zstd
		}
		b, err := fuzzEncoders[comp].AppendColumns(nil, c)
		if err != nil {
			t.Fatalf("encode %d points: %v", c.Len(), err)
		}
		h, err := ReadHeader(b)
		if err != nil {
			t.Fatalf("ReadHeader: %v", err)
		}
		if h.Count != c.Len() || h.MinTime != c.Times[0] || h.MaxTime != c.Times[c.Len()-1] || h.Len != len(b) || h.Type != typ {
			t.Fatalf("header %+v for %d points from %d to %d in %d bytes", h, c.Len(), c.Times[0], c.Times[c.Len()-1], len(b))
		}
		var got Columns
		if err := fuzzDecoder.Decode(b, &got); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if d := diffColumns(&got, c); d != "" {
			t.Fatalf("round trip: %s", d)
		}
	})
}

func FuzzChunkFloat(f *testing.F)  { fuzzRoundTrip(f, model.TypeFloat) }
func FuzzChunkInt(f *testing.F)    { fuzzRoundTrip(f, model.TypeInteger) }
func FuzzChunkUint(f *testing.F)   { fuzzRoundTrip(f, model.TypeUnsigned) }
func FuzzChunkString(f *testing.F) { fuzzRoundTrip(f, model.TypeString) }
func FuzzChunkBool(f *testing.F)   { fuzzRoundTrip(f, model.TypeBoolean) }

// FuzzDecode decodes arbitrary bytes. Decoding must not panic; it fails,
// leaving the columns empty, or yields valid columns that agree with the
// header and re-encode to a chunk that decodes to the same points. With
// fixCRC the checksum is recomputed first, so that the fuzzer gets past it
// into the column decoders.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, fixCRC bool) {
		if fixCRC {
			data = withFixedCRC(data)
		}
		var c Columns
		c.Ints = append(c.Ints, 1) // must be cleared on failure
		err := fuzzDecoder.Decode(data, &c)
		h, herr := ReadHeader(data)
		if err != nil {
			if c.Len() != 0 || c.Type != model.TypeInvalid || len(c.Ints) != 0 {
				t.Fatalf("failed decode (%v) left %d points of type %v", err, c.Len(), c.Type)
			}
			return
		}
		if herr != nil {
			t.Fatalf("decoded a chunk whose header fails: %v", herr)
		}
		if h.Len != len(data) || h.Type != c.Type || h.Count != c.Len() || h.MinTime != c.Times[0] || h.MaxTime != c.Times[c.Len()-1] {
			t.Fatalf("header %+v disagrees with %d decoded points of type %v", h, c.Len(), c.Type)
		}
		for i := 1; i < c.Len(); i++ {
			if c.Times[i] <= c.Times[i-1] {
				t.Fatalf("decoded times not increasing at %d: %d after %d", i, c.Times[i], c.Times[i-1])
			}
		}
		b, err := fuzzEncoders[Zstd].AppendColumns(nil, &c)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var again Columns
		if err := fuzzDecoder.Decode(b, &again); err != nil {
			t.Fatalf("decode of re-encoded chunk: %v", err)
		}
		if d := diffColumns(&again, &c); d != "" {
			t.Fatalf("re-encoded chunk: %s", d)
		}
	})
}

// withFixedCRC returns a copy of data with the checksum of the chunk it
// starts with recomputed, or data itself when its header does not parse.
func withFixedCRC(data []byte) []byte {
	h, err := parseHeader(data)
	if err != nil {
		return data
	}
	data = append([]byte(nil), data...)
	crc := crc32.Update(crc32.Checksum(data[:h.crcOff], castagnoli), castagnoli, data[h.payloadOff:h.Len])
	binary.LittleEndian.PutUint32(data[h.crcOff:], crc)
	return data
}
