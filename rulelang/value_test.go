package rulelang

import (
	"math"
	"strconv"
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

// TestParseSimpleNumber checks the fast path against strconv.ParseFloat.
func TestParseSimpleNumber(t *testing.T) {
	for _, s := range []string{"0", "7", "52000", "123456789012345", "0.1", "0.3", "30123.5", "1.00000000000001",
		"99999999.9999999", "0.00000000000001", "12345.6789", "3.14159265358979"} {
		got, ok := parseSimpleNumber([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil || got != want {
			t.Errorf("%s: got %v (%v), want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "1e5", "1234567890123456", "1.234567890123456", "0.000000000000001", ".5", "5.", "1.2.3", "-1", "0x10"} {
		if _, ok := parseSimpleNumber([]byte(s)); ok {
			t.Errorf("%q: fast path accepted it", s)
		}
	}
}

func FuzzParseSimpleNumber(f *testing.F) {
	f.Add(uint64(3012345), uint8(1))
	f.Fuzz(func(t *testing.T, n uint64, frac uint8) {
		s := strconv.FormatUint(n%1e15, 10)
		if k := int(frac % 16); k > 0 && k < len(s) {
			s = s[:len(s)-k] + "." + s[len(s)-k:]
		}
		got, ok := parseSimpleNumber([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil || got != want {
			t.Fatalf("%s: got %v (%v), want %v", s, got, ok, want)
		}
	})
}
