package retention

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	f := func(s string, want time.Duration, formatted string) {
		t.Helper()
		d, err := ParseDuration(s)
		if err != nil {
			t.Fatalf("ParseDuration(%q): %v", s, err)
		}
		if time.Duration(d) != want || d.String() != formatted {
			t.Errorf("ParseDuration(%q) = %v (%s), want %v (%s)", s, time.Duration(d), d, want, formatted)
		}
	}
	f("7d", 7*24*time.Hour, "1w")
	f("2d", 48*time.Hour, "2d")
	f("1h30m", 90*time.Minute, "90m")
	f("120m", 2*time.Hour, "2h")
	f("1500ms", 1500*time.Millisecond, "1500ms")
	f("3u", 3*time.Microsecond, "3u")
	f("3µ", 3*time.Microsecond, "3u")
	f("10ns", 10, "10ns")
	f("0s", 0, "0s")
	f("1w1d", 8*24*time.Hour, "8d")

	bad := func(s, want string) {
		t.Helper()
		if _, err := ParseDuration(s); err == nil || err.Error() != want {
			t.Errorf("ParseDuration(%q) = %v, want %s", s, err, want)
		}
	}
	bad("", `invalid duration "": empty`)
	bad("7", `invalid duration "7": want a unit (ns, u, ms, s, m, h, d, w) at offset 1`)
	bad("h", `invalid duration "h": want a number at offset 0`)
	bad("-1h", `invalid duration "-1h": want a number at offset 0`)
	bad("1y", `invalid duration "1y": want a unit (ns, u, ms, s, m, h, d, w) at offset 1`)
	bad("100000000w", `invalid duration "100000000w": overflow`)
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"7d", "1h30m", "1500ms", "3µ", "0s", "9223372036854775807ns", "1w1d1h1m1s1ms1u1ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %d, negative", s, d)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %d formatted %q parses to %d, %v", s, d, d.String(), back, err)
		}
	})
}
