package retention

import (
	"fmt"
	"strconv"
	"time"
)

// Duration is a time.Duration written in InfluxQL duration syntax in JSON
// and YAML: "90m", "1h30m", "7d", "2w".
type Duration time.Duration

// durationUnits are InfluxQL's duration units, largest first.
var durationUnits = []struct {
	name string
	d    time.Duration
}{
	{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute},
	{"s", time.Second}, {"ms", time.Millisecond}, {"u", time.Microsecond}, {"µ", time.Microsecond},
	{"ns", time.Nanosecond},
}

// ParseDuration parses an InfluxQL duration: one or more integers each
// followed by a unit (ns, u or µ, ms, s, m, h, d, w).
func ParseDuration(s string) (Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("invalid duration %q: empty", s)
	}
	var total time.Duration
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			return 0, fmt.Errorf("invalid duration %q: want a number at offset %d", s, i)
		}
		n, err := strconv.ParseInt(s[i:j], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: %w", s, err)
		}
		unit := time.Duration(0)
		k := j
		for _, u := range durationUnits {
			if len(s)-j >= len(u.name) && s[j:j+len(u.name)] == u.name && len(u.name) > k-j {
				unit, k = u.d, j+len(u.name)
			}
		}
		if unit == 0 {
			return 0, fmt.Errorf("invalid duration %q: want a unit (ns, u, ms, s, m, h, d, w) at offset %d", s, j)
		}
		if n > int64(1<<63-1)/int64(unit) || total > time.Duration(1<<63-1)-time.Duration(n)*unit {
			return 0, fmt.Errorf("invalid duration %q: overflow", s)
		}
		total += time.Duration(n) * unit
		i = k
	}
	return Duration(total), nil
}

// String formats d in the largest InfluxQL unit dividing it: "1w", "36h",
// "0s".
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	for _, u := range durationUnits {
		if time.Duration(d)%u.d == 0 {
			return strconv.FormatInt(int64(time.Duration(d)/u.d), 10) + u.name
		}
	}
	panic("BUG: no duration unit divides " + strconv.FormatInt(int64(d), 10))
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
