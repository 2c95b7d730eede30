package query

import "math"

// The smallest and largest timestamps a query can name, in nanoseconds since
// the Unix epoch. They are InfluxDB's: one above math.MinInt64+1 and one
// below math.MaxInt64, so that the extremes stay free as sentinels. A time
// range whose Min is MinTime has no lower bound; one whose Max is MaxTime has
// no upper bound.
const (
	MinTime = int64(math.MinInt64) + 2
	MaxTime = int64(math.MaxInt64) - 1
)

// TimeRange is an inclusive range of timestamps [Min, Max] in nanoseconds.
// The zero TimeRange holds only the Unix epoch; [Unbounded] holds every
// time.
type TimeRange struct {
	Min, Max int64
}

// Unbounded returns the range of all times.
func Unbounded() TimeRange { return TimeRange{Min: MinTime, Max: MaxTime} }

// Empty reports whether the range holds no time.
func (r TimeRange) Empty() bool { return r.Min > r.Max }

// Contains reports whether t is in the range.
func (r TimeRange) Contains(t int64) bool { return t >= r.Min && t <= r.Max }

// HasMin reports whether the range has a lower bound.
func (r TimeRange) HasMin() bool { return r.Min > MinTime }

// HasMax reports whether the range has an upper bound.
func (r TimeRange) HasMax() bool { return r.Max < MaxTime }

// Intersect returns the times in both ranges.
func (r TimeRange) Intersect(o TimeRange) TimeRange {
	return TimeRange{Min: max(r.Min, o.Min), Max: min(r.Max, o.Max)}
}

// Interval is a GROUP BY time interval: buckets of Duration nanoseconds whose
// starts are Offset (mod Duration) after the Unix epoch. The zero Interval
// means no time grouping: one bucket spans the whole query range.
type Interval struct {
	Duration int64 // bucket width in ns; 0 means no time grouping
	Offset   int64 // in [0, Duration)
}

// IsZero reports whether the interval groups by time at all.
func (iv Interval) IsZero() bool { return iv.Duration <= 0 }

// Start returns the start of the bucket holding t. Buckets start at
// Offset + k*Duration for every integer k; the bucket that would start
// before MinTime starts at MinTime instead, as in InfluxDB. For the zero
// Interval it returns MinTime.
func (iv Interval) Start(t int64) int64 {
	if iv.IsZero() {
		return MinTime
	}
	d := iv.Duration
	// t - Offset cannot overflow for t >= MinTime+Offset; below that the
	// bucket is the first one anyway.
	if t < MinTime+iv.Offset {
		return MinTime
	}
	u := t - iv.Offset
	dt := u % d
	if dt < 0 {
		dt += d
	}
	if u <= MinTime+dt {
		return MinTime
	}
	return u - dt + iv.Offset
}

// Next returns the start of the bucket after the one starting at start, or
// MaxTime when that would pass the largest time.
func (iv Interval) Next(start int64) int64 {
	if start > MaxTime-iv.Duration {
		return MaxTime
	}
	return start + iv.Duration
}
