package chunk

import "encoding/binary"

// appendTimes appends the timestamp column of a chunk whose first timestamp
// is stored in the header: for two or more values the first delta as a
// uvarint, then for three or more the delta-of-deltas as a packed stream.
// A regular interval has delta-of-deltas of 0, which pack to width 0: one
// width byte and one minimum byte per block of 128 timestamps. Arithmetic
// wraps, so any strictly increasing int64 sequence round-trips, even one
// spanning the whole int64 range. scratch is reused and returned.
func appendTimes(dst []byte, times, scratch []int64) ([]byte, []int64) {
	if len(times) < 2 {
		return dst, scratch
	}
	d := times[1] - times[0]
	dst = binary.AppendUvarint(dst, uint64(d))
	if len(times) < 3 {
		return dst, scratch
	}
	scratch = scratch[:0]
	for i := 2; i < len(times); i++ {
		nd := times[i] - times[i-1]
		scratch = append(scratch, nd-d)
		d = nd
	}
	return appendPacked(dst, scratch), scratch
}

// decodeTimes decodes a timestamp column of len(times) values starting at
// minTime from src into times and returns the rest of src. It checks that
// the timestamps increase strictly and end at maxTime.
func decodeTimes(times []int64, src []byte, minTime, maxTime int64) ([]byte, error) {
	times[0] = minTime
	if len(times) >= 2 {
		ud, k := binary.Uvarint(src)
		if k <= 0 {
			return nil, corruptf("bad first time delta")
		}
		src = src[k:]
		times[1] = minTime + int64(ud)
		if times[1] <= minTime {
			return nil, corruptf("timestamps not increasing")
		}
	}
	if len(times) >= 3 {
		var err error
		if src, err = unpackTimes(times[2:], src, times[1]-times[0], times[1]); err != nil {
			return nil, err
		}
	}
	if times[len(times)-1] != maxTime {
		return nil, corruptf("last timestamp %d differs from header %d", times[len(times)-1], maxTime)
	}
	return src, nil
}
