package chunk

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/accretedb/accrete/model"
)

// TestDecodeUntilMatchesDecode checks that DecodeUntil returns the points
// of Decode at or before maxT, for random chunks of every numeric type and
// random bounds, and still rejects a corrupted chunk.
func TestDecodeUntilMatchesDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	enc := NewEncoder(nil)
	dec := NewDecoder()
	for iter := range 1500 {
		typ := []model.FieldType{model.TypeInteger, model.TypeUnsigned, model.TypeFloat}[r.IntN(3)]
		n := 1 + r.IntN(3000)
		c := &Columns{Type: typ}
		tm := r.Int64N(1 << 40)
		v := int64(0)
		for range n {
			tm += 1 + r.Int64N(3)*r.Int64N(10)
			switch r.IntN(50) {
			case 0:
				v = []int64{math.MaxInt64, math.MinInt64, 0}[r.IntN(3)]
			default:
				v += r.Int64N(9) - 4
			}
			c.Times = append(c.Times, tm)
			switch typ {
			case model.TypeInteger:
				c.Ints = append(c.Ints, v)
			case model.TypeUnsigned:
				c.Uints = append(c.Uints, uint64(v))
			case model.TypeFloat:
				c.Floats = append(c.Floats, float64(v))
			}
		}
		src, err := enc.AppendColumns(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		var full, part Columns
		if err := dec.Decode(src, &full); err != nil {
			t.Fatal(err)
		}
		maxT := c.Times[0] - 1 + r.Int64N(c.Times[n-1]-c.Times[0]+3)
		if err := dec.DecodeUntil(src, &part, maxT); err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		k := n
		if typ != model.TypeFloat {
			k, _ = slices.BinarySearch(full.Times, maxT+1)
		}
		if !slices.Equal(part.Times, full.Times[:k]) || part.Type != typ ||
			!slices.Equal(part.Ints, full.Ints[:min(k, len(full.Ints))]) ||
			!slices.Equal(part.Uints, full.Uints[:min(k, len(full.Uints))]) ||
			!slices.Equal(part.Floats, full.Floats) {
			t.Fatalf("iter %d (%s, %d points, maxT %d): DecodeUntil differs from Decode", iter, typ, n, maxT)
		}
		bad := slices.Clone(src)
		bad[len(bad)-1-r.IntN(len(bad)/2)] ^= 1 << r.IntN(8)
		if err := dec.DecodeUntil(bad, &part, maxT); err == nil {
			t.Fatalf("iter %d: a corrupted chunk decoded", iter)
		}
	}
}
