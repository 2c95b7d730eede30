package model

import (
	"math"
	"testing"
)

func TestFieldValue(t *testing.T) {
	f := func(v FieldValue, typ FieldType, lp string, iface any, num float64, numeric bool) {
		t.Helper()
		if v.Type() != typ || !v.IsValid() || v.String() != lp || v.Interface() != iface {
			t.Errorf("%#v: type %v, String %q, Interface %v; want %v %q %v", v, v.Type(), v.String(), v.Interface(), typ, lp, iface)
		}
		if n, ok := v.Number(); n != num || ok != numeric {
			t.Errorf("%#v: Number() = %v, %v; want %v, %v", v, n, ok, num, numeric)
		}
		if typ != TypeString && !FromBits(typ, v.Bits()).Equal(v) {
			t.Errorf("%#v: FromBits(Bits()) differs", v)
		}
	}
	f(Float(1.5), TypeFloat, "1.5", 1.5, 1.5, true)
	f(Float(1e21), TypeFloat, "1e+21", 1e21, 1e21, true)
	f(Int(-3), TypeInteger, "-3i", int64(-3), -3, true)
	f(Uint(math.MaxUint64), TypeUnsigned, "18446744073709551615u", uint64(math.MaxUint64), math.MaxUint64, true)
	f(String(`say "hi" \o/`), TypeString, `"say \"hi\" \\o/"`, `say "hi" \o/`, 0, false)
	f(Bool(true), TypeBoolean, "true", true, 0, false)
	f(Bool(false), TypeBoolean, "false", false, 0, false)

	var zero FieldValue
	if zero.IsValid() || zero.Type() != TypeInvalid || zero.Interface() != nil || zero.String() != "<invalid>" {
		t.Errorf("zero value: %#v", zero)
	}
	// Floats compare by bits.
	if !Float(math.NaN()).Equal(Float(math.NaN())) || Float(0).Equal(Float(math.Copysign(0, -1))) || Int(1).Equal(Uint(1)) {
		t.Error("Equal does not compare type and bits")
	}
	for typ, name := range map[FieldType]string{TypeInvalid: "invalid", TypeFloat: "float", TypeInteger: "integer",
		TypeUnsigned: "unsigned", TypeString: "string", TypeBoolean: "boolean", 9: "FieldType(9)"} {
		if typ.String() != name || typ.Numeric() != (typ == TypeFloat || typ == TypeInteger || typ == TypeUnsigned) {
			t.Errorf("FieldType %d: String %q, Numeric %v", typ, typ.String(), typ.Numeric())
		}
	}
}
