package influxcompat

import (
	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/query"
)

// integralWindows computes integral() per GROUP BY time bucket as InfluxDB
// 1.6's integral reducer does, walking the points of a group's buckets
// (ascending, each holding points) in one stream: each pair of neighbours
// adds its trapezoid to the window of the earlier point, except that a
// pair across a window's end is split there at the linearly interpolated
// value, the part after the end going to the later point's window (however
// many empty windows lie between). Of points with equal times the last
// counts. Over integers InfluxDB's reducer keeps the earlier point's value
// at the split and pairs it with the interpolated value for the part after
// the end, where floats pair the interpolated value with the later point's:
// that is kept too. It returns the integral of each bucket, in the order given, and
// whether InfluxDB emits it: every window but the last is emitted when the
// stream leaves it, the last only when its last point is not at its start.
func integralWindows(buckets []query.Bucket, iv query.Interval) ([]float64, []bool) {
	out := make([]float64, len(buckets))
	emitted := make([]bool, len(buckets))
	var (
		started bool
		pt      int64   // previous point's time
		pv      float64 // and value
		end     int64   // the current window's end
		sum     float64
		cur     int // the current window's bucket
		unit    float64
	)
	for i, b := range buckets {
		st, ok := b.State.(*aggregate.IntegralState)
		if !ok {
			panic("BUG: integral bucket without an integral state")
		}
		unit = float64(st.Unit())
		floats := st.InputType() == model.TypeFloat
		st.Walk(func(ts int64, v float64) {
			orig := v
			if !started {
				started, pt, pv = true, ts, v
				end, cur = iv.Start(ts)+iv.Duration, i
				return
			}
			if ts == pt {
				pv = v
				return
			}
			if ts >= end {
				if pt != end {
					value := pv + (v-pv)/float64(ts-pt)*float64(end-pt)
					sum += 0.5 * (value + pv) * (float64(end-pt) / unit)
					if floats {
						pv = value
					} else {
						v = value // the integer reducer's quirk
					}
					pt = end
				}
				out[cur], emitted[cur] = sum, true
				end, cur, sum = iv.Start(ts)+iv.Duration, i, 0
			}
			sum += 0.5 * (v + pv) * (float64(ts-pt) / unit)
			pt, pv = ts, orig
		})
	}
	if started && pt != end-iv.Duration {
		out[cur], emitted[cur] = sum, true
	}
	return out, emitted
}

// integralTime returns the time of integral() without GROUP BY time and
// whether InfluxDB 1.6 emits it: its float reducer reports the epoch, its
// integer reducer the start of the range (the epoch without one), and
// neither emits when the last point lies at that time.
func integralTime(st *aggregate.IntegralState, rangeMin int64) (int64, bool) {
	t := int64(0)
	if st.InputType() != model.TypeFloat && rangeMin != query.MinTime {
		t = rangeMin
	}
	last, has := int64(0), false
	st.Walk(func(ts int64, _ float64) { last, has = ts, true })
	return t, has && last != t
}
