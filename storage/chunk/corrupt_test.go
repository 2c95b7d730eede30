package chunk

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/accretedb/accrete/model"
)

// corruptionChunks returns chunks of every type, compressed and not, small
// and big, each with the columns it holds.
func corruptionChunks(t *testing.T) map[string][]byte {
	rng := rand.New(rand.NewPCG(9, 9))
	var sources []*Columns
	for _, n := range []int{1, 3, 100, 700} {
		times := tsbsTimes(n)
		strs := make([]string, n)
		bools := make([]bool, n)
		uints := make([]uint64, n)
		for i := range strs {
			strs[i] = []string{"ok", "warn", "a much longer status text", ""}[rng.IntN(4)]
			bools[i] = rng.IntN(2) == 0
			uints[i] = uint64(i) * 1000
		}
		if n == 700 {
			strs[5] = fmt.Sprint(rng.Uint64()) // some distinct strings
		}
		sources = append(sources,
			cols(model.TypeFloat, times, tsbsWalk(rng, n)),
			cols(model.TypeInteger, times, tsbsIntWalk(rng, n)),
			cols(model.TypeUnsigned, times, uints),
			cols(model.TypeString, times, strs),
			cols(model.TypeBoolean, times, bools))
	}
	chunks := map[string][]byte{}
	for _, comp := range []Compression{NoCompression, Zstd} {
		enc := NewEncoder(&Options{Compression: comp})
		for _, c := range sources {
			b, err := enc.AppendColumns(nil, c)
			if err != nil {
				t.Fatal(err)
			}
			chunks[fmt.Sprintf("%v-%d-comp%d", c.Type, c.Len(), comp)] = b
		}
	}
	return chunks
}

// TestCorruption damages every byte of many chunks: decoding must fail
// with ErrCorrupt (or ErrUnknownVersion for the version byte) or, should a
// flip ever leave the chunk meaning the same, decode identically. It must
// never panic. Truncated and extended chunks must fail.
func TestCorruption(t *testing.T) {
	dec := NewDecoder()
	var want, got Columns
	for name, b := range corruptionChunks(t) {
		if err := dec.Decode(b, &want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want = cloneColumns(&want)
		damaged := make([]byte, len(b))
		for i := range b {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				copy(damaged, b)
				damaged[i] ^= mask
				err := dec.Decode(damaged, &got)
				if err == nil {
					if d := diffColumns(&got, &want); d != "" {
						t.Fatalf("%s: byte %d ^ %#x decodes differently without error: %s", name, i, mask, d)
					}
					continue
				}
				if !errors.Is(err, ErrCorrupt) && !(i == 0 && errors.Is(err, ErrUnknownVersion)) {
					t.Fatalf("%s: byte %d ^ %#x: error %v is not ErrCorrupt", name, i, mask, err)
				}
				if got.Len() != 0 {
					t.Fatalf("%s: byte %d ^ %#x: failed decode left %d points", name, i, mask, got.Len())
				}
			}
		}
		for n := range len(b) {
			if err := dec.Decode(b[:n], &got); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s: truncated to %d bytes: error %v", name, n, err)
			}
		}
		if err := dec.Decode(append(b[:len(b):len(b)], 0), &got); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: with a trailing byte: error %v", name, err)
		}
	}
}

// TestCorruptionPastChecksum damages every byte and then repairs the
// checksum, so the damage reaches the column decoders: they must fail
// cleanly or produce points that are consistent (the header's count and
// time range, strictly increasing times), never panic.
func TestCorruptionPastChecksum(t *testing.T) {
	dec := NewDecoder()
	var got Columns
	decoded, failed := 0, 0
	for name, b := range corruptionChunks(t) {
		damaged := make([]byte, len(b))
		for i := range b {
			// One damage per byte, rotating through low, middle and
			// whole-byte flips, keeps the test fast.
			for _, mask := range []byte{[]byte{0x01, 0x10, 0xff}[i%3]} {
				copy(damaged, b)
				damaged[i] ^= mask
				fixed := withFixedCRC(damaged)
				err := dec.Decode(fixed, &got)
				if err != nil {
					failed++
					continue
				}
				decoded++
				h, herr := ReadHeader(fixed)
				if herr != nil || h.Count != got.Len() || h.Type != got.Type || got.Times[0] != h.MinTime || got.Times[got.Len()-1] != h.MaxTime {
					t.Fatalf("%s: byte %d ^ %#x: header %+v (%v) disagrees with %d decoded points", name, i, mask, h, herr, got.Len())
				}
				for j := 1; j < got.Len(); j++ {
					if got.Times[j] <= got.Times[j-1] {
						t.Fatalf("%s: byte %d ^ %#x: decoded times not increasing at %d", name, i, mask, j)
					}
				}
				if n := got.valuesLen(); n != got.Len() {
					t.Fatalf("%s: byte %d ^ %#x: %d values for %d times", name, i, mask, n, got.Len())
				}
			}
		}
	}
	if decoded == 0 || failed == 0 {
		t.Fatalf("%d damaged chunks decoded, %d failed: want some of each", decoded, failed)
	}
}

func cloneColumns(c *Columns) Columns {
	return Columns{
		Type:    c.Type,
		Times:   append([]int64(nil), c.Times...),
		Floats:  append([]float64(nil), c.Floats...),
		Ints:    append([]int64(nil), c.Ints...),
		Uints:   append([]uint64(nil), c.Uints...),
		Strings: append([]string(nil), c.Strings...),
		Bools:   append([]bool(nil), c.Bools...),
	}
}

func TestReadHeaderErrors(t *testing.T) {
	good, err := NewEncoder(nil).AppendInts(nil, []int64{10, 20, 30}, []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	f := func(name string, b []byte, want error, wantMsg string) {
		t.Helper()
		_, err := ReadHeader(b)
		if !errors.Is(err, want) || err.Error() != wantMsg {
			t.Errorf("%s: error %v, want %q", name, err, wantMsg)
		}
	}
	with := func(i int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[i] = v
		return b
	}
	f("empty", nil, ErrCorrupt, "corrupt chunk: 0 bytes is too short for a header")
	f("version", with(0, 3), ErrUnknownVersion, "unknown chunk format version")
	f("type", with(1, 0), ErrCorrupt, "corrupt chunk: bad value type 0")
	f("type high", with(1, 6), ErrCorrupt, "corrupt chunk: bad value type 6")
	f("compression", with(2, 7), ErrCorrupt, "corrupt chunk: bad compression 7")
	f("count zero", with(3, 0), ErrCorrupt, "corrupt chunk: bad count 0")
	f("count over span", with(3, 30), ErrCorrupt, "corrupt chunk: time span 20 does not fit 30 points")
	f("truncated", good[:5], ErrCorrupt, "corrupt chunk: truncated header")
	f("payload overrun", good[:len(good)-1], ErrCorrupt, fmt.Sprintf("corrupt chunk: payload of %d bytes overruns the %d-byte input", len(good)-12, len(good)-1))
	h, err := ReadHeader(append(good, "next chunk"...))
	if err != nil || h.Len != len(good) || h.Count != 3 || h.MinTime != 10 || h.MaxTime != 30 || h.Type != model.TypeInteger {
		t.Errorf("header of a chunk followed by more bytes: %+v, %v", h, err)
	}
}
