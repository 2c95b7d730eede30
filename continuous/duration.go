package continuous

import (
	"fmt"
	"time"

	"github.com/influxdata/influxql"
)

// Duration is a time.Duration written in InfluxQL duration syntax in JSON
// and YAML: "10s", "1m", "1h30m", "7d", "2w". An empty string or 0 is the
// zero Duration.
type Duration time.Duration

// ParseDuration parses an InfluxQL duration.
func ParseDuration(s string) (Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	d, err := influxql.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: %w", s, err)
	}
	return Duration(d), nil
}

// String formats d in InfluxQL syntax ("0s" for zero).
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	return influxql.FormatDuration(time.Duration(d))
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
