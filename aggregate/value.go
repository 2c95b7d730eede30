package aggregate

import (
	"math"
	"strings"

	"github.com/accretedb/accrete/model"
)

// val is a field value in comparable form. For every type but strings, key is
// an order key: the value's 64 bits mapped so that unsigned comparison of
// keys orders values (see orderKey), and str is empty. For strings key is 0
// and str the string. Comparing key and then str therefore orders values of
// one type, and val can key a Go map.
type val struct {
	key uint64
	str string
}

const signBit = 1 << 63

// floatKey maps a float64 to an order key: -NaN < -Inf < ... < -0 < +0 <
// ... < +Inf < +NaN, IEEE 754's totalOrder. Numbers compare as usual; the
// order only settles what < leaves open (zeros, NaNs), so that every
// selection is deterministic.
func floatKey(f float64) uint64 {
	b := math.Float64bits(f)
	if b&signBit != 0 {
		return ^b
	}
	return b | signBit
}

// floatFromKey inverts floatKey.
func floatFromKey(k uint64) float64 {
	if k&signBit != 0 {
		return math.Float64frombits(k &^ signBit)
	}
	return math.Float64frombits(^k)
}

// orderKey maps the bits of a non-string value of type t (model.FieldValue's
// Bits) to its order key: floats by floatKey, integers with the sign bit
// flipped, unsigned and boolean (0, 1) as they are.
func orderKey(t model.FieldType, bits uint64) uint64 {
	switch t {
	case model.TypeFloat:
		if bits&signBit != 0 {
			return ^bits
		}
		return bits | signBit
	case model.TypeInteger:
		return bits ^ signBit
	}
	return bits
}

// bitsFromKey inverts orderKey.
func bitsFromKey(t model.FieldType, k uint64) uint64 {
	switch t {
	case model.TypeFloat:
		if k&signBit != 0 {
			return k &^ signBit
		}
		return ^k
	case model.TypeInteger:
		return k ^ signBit
	}
	return k
}

func makeVal(t model.FieldType, v model.FieldValue) val {
	if t == model.TypeString {
		return val{str: v.StringV()}
	}
	return val{key: orderKey(t, v.Bits())}
}

// field returns v as a field value of type t.
func (v val) field(t model.FieldType) model.FieldValue {
	if t == model.TypeString {
		return model.String(v.str)
	}
	return model.FromBits(t, bitsFromKey(t, v.key))
}

// number returns v, of numeric type t, as a float64.
func (v val) number(t model.FieldType) float64 {
	switch t {
	case model.TypeFloat:
		return floatFromKey(v.key)
	case model.TypeInteger:
		return float64(int64(v.key ^ signBit))
	}
	return float64(v.key)
}

func cmpVal(a, b val) int {
	switch {
	case a.key < b.key:
		return -1
	case a.key > b.key:
		return 1
	}
	return strings.Compare(a.str, b.str)
}

// entry is a timestamped value; n is a multiplicity where one is needed.
type entry struct {
	ts int64
	v  val
	n  uint64
}
