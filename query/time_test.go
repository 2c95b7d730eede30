package query

import (
	"testing"
	"time"
)

func TestIntervalStart(t *testing.T) {
	f := func(d, offset time.Duration, ts, want int64) {
		t.Helper()
		iv := Interval{Duration: int64(d), Offset: int64(offset)}
		if got := iv.Start(ts); got != want {
			t.Errorf("Interval{%v, %v}.Start(%d) = %d, want %d", d, offset, ts, got, want)
		}
	}
	m := int64(time.Minute)
	f(time.Minute, 0, 0, 0)
	f(time.Minute, 0, 1, 0)
	f(time.Minute, 0, m-1, 0)
	f(time.Minute, 0, m, m)
	f(time.Minute, 0, 90*int64(time.Second), m)
	// Negative times round down, not toward zero.
	f(time.Minute, 0, -1, -m)
	f(time.Minute, 0, -m, -m)
	f(time.Minute, 0, -m-1, -2*m)
	// Offsets shift the boundaries.
	f(2*time.Minute, time.Minute, 0, -m)
	f(2*time.Minute, time.Minute, m, m)
	f(2*time.Minute, time.Minute, 3*m-1, m)
	f(2*time.Minute, time.Minute, 3*m, 3*m)
	f(time.Hour, 15*time.Minute, 0, -45*m)
	// TSBS's day.
	day := int64(1451606400) * int64(time.Second)
	f(time.Hour, 0, day+59*m+59*int64(time.Second), day)
	// The bucket that would start before MinTime starts at MinTime.
	f(time.Hour, 0, MinTime, MinTime)
	f(time.Hour, 0, MinTime+5, MinTime)
	f(time.Hour, 30*time.Minute, MinTime+1, MinTime)
	// The last bucket.
	f(time.Nanosecond, 0, MaxTime, MaxTime)
	f(time.Hour, 0, MaxTime, MaxTime-MaxTime%int64(time.Hour))
	// No interval: one bucket.
	f(0, 0, 12345, MinTime)
}

func TestIntervalNext(t *testing.T) {
	iv := Interval{Duration: int64(time.Hour)}
	if got := iv.Next(0); got != int64(time.Hour) {
		t.Errorf("Next(0) = %d", got)
	}
	if got := iv.Next(MaxTime - 10); got != MaxTime {
		t.Errorf("Next(MaxTime-10) = %d, want MaxTime", got)
	}
}

func TestTimeRange(t *testing.T) {
	r := Unbounded()
	if r.HasMin() || r.HasMax() || r.Empty() {
		t.Errorf("Unbounded() = %+v", r)
	}
	r = r.Intersect(TimeRange{Min: 10, Max: 20})
	if r != (TimeRange{Min: 10, Max: 20}) || !r.HasMin() || !r.HasMax() || !r.Contains(10) || !r.Contains(20) || r.Contains(21) {
		t.Errorf("intersection = %+v", r)
	}
	if e := r.Intersect(TimeRange{Min: 21, Max: 30}); !e.Empty() {
		t.Errorf("disjoint intersection %+v is not empty", e)
	}
}
