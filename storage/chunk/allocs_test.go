package chunk

import (
	"math/rand/v2"
	"testing"

	"github.com/accretedb/accrete/model"
)

// TestSteadyStateAllocs checks the promise of the hot path: once an
// Encoder, a Decoder and a Columns have been used, encoding allocates
// nothing and decoding allocates nothing but the one string of a string
// chunk.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts do not hold under the race detector")
	}
	rng := rand.New(rand.NewPCG(11, 11))
	n := 2000
	strs := make([]string, n)
	bools := make([]bool, n)
	uints := make([]uint64, n)
	for i := range strs {
		strs[i] = []string{"ok", "warn", "fail"}[rng.IntN(3)]
		bools[i] = rng.IntN(2) == 0
		uints[i] = uint64(i) * 7
	}
	f := func(c *Columns, wantDecodeAllocs float64) {
		t.Helper()
		for _, comp := range []Compression{NoCompression, Zstd} {
			enc := NewEncoder(&Options{Compression: comp})
			dec := NewDecoder()
			var buf []byte
			var got Columns
			encode := func() {
				var err error
				if buf, err = enc.AppendColumns(buf[:0], c); err != nil {
					t.Fatal(err)
				}
			}
			decode := func() {
				if err := dec.Decode(buf, &got); err != nil {
					t.Fatal(err)
				}
			}
			encode()
			decode()
			if a := testing.AllocsPerRun(20, encode); a != 0 {
				t.Errorf("%v, compression %d: %v allocations per encode", c.Type, comp, a)
			}
			if a := testing.AllocsPerRun(20, decode); a != wantDecodeAllocs {
				t.Errorf("%v, compression %d: %v allocations per decode, want %v", c.Type, comp, a, wantDecodeAllocs)
			}
		}
	}
	times := tsbsTimes(n)
	f(cols(model.TypeFloat, times, tsbsWalk(rng, n)), 0)
	f(cols(model.TypeInteger, times, tsbsIntWalk(rng, n)), 0)
	f(cols(model.TypeUnsigned, times, uints), 0)
	f(cols(model.TypeBoolean, times, bools), 0)
	f(cols(model.TypeString, times, strs), 1)
}
