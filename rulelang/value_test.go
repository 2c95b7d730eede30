package rulelang

import (
	"math"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	f := func(x float64, want string) {
		t.Helper()
		if got := formatNumber(x); got != want {
			t.Errorf("formatNumber(%v) = %q, want %q", x, got, want)
		}
	}
	f(0, "0")
	f(math.Copysign(0, -1), "-0")
	f(52000, "52000")
	f(1234567, "1234567")
	f(-1.5, "-1.5")
	f(0.1, "0.1")
	f(43333.333333333336, "43333.333333333336")
	f(1e-6, "0.000001")
	f(1e-7, "1e-7")
	f(1.5e-300, "1.5e-300")
	f(1e21, "1e+21")
	f(123456789012345678, "123456789012345680")
}

func TestValueString(t *testing.T) {
	f := func(v Value, want string) {
		t.Helper()
		if got := v.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", v, got, want)
		}
	}
	f(StringValue("a\"b\\c\n\t\r\x01\x7fé"), `"a\"b\\c\n\t\r\u0001\u007fé"`)
	f(StringValue("\xff"), "\"\xff\"")
	f(NumberValue(2.5), "2.5")
	f(BoolValue(true), "true")
	f(BoolValue(false), "false")
	f(Value{}, "<invalid>")
}
