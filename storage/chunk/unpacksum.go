package chunk

import (
	"encoding/binary"
	"math"
)

// unpackSum decodes a packed stream of len(dst) differences from src, as
// unpack does, and stores their running sums after acc instead of the
// differences: dst[i] = acc + d[0] + ... + d[i], wrapping. It returns the
// rest of src. Decoding and summing in one pass saves undelta a second
// pass over the values.
func unpackSum[T int64 | uint64](dst []T, src []byte, acc T) ([]byte, error) {
	for len(dst) > 0 {
		n := min(len(dst), blockLen)
		w, zlo, size, rest, err := blockHeader(src, n)
		if err != nil {
			return nil, err
		}
		src = rest
		lo := T(unzigzag(zlo))
		// Hand sumBlock the bytes after the block too, up to 8: they let
		// its 8-byte loads run to the block's end (the values are masked).
		acc = sumBlock(dst[:n], src[:min(len(src), size+8)], lo, w, acc)
		src = src[size:]
		dst = dst[n:]
	}
	return src, nil
}

// sumBlock is unpackBlock storing running sums after acc; it returns the
// last sum. src may extend past the block's packedBytes(len(dst), w)
// bytes: the bytes beyond are read but masked off.
func sumBlock[T int64 | uint64](dst []T, src []byte, lo T, w uint, acc T) T {
	if w == 0 {
		for i := range dst {
			acc += lo
			dst[i] = acc
		}
		return acc
	}
	mask := uint64(1)<<w - 1 // 0-1 = all ones when w is 64
	i := 0
	if w <= 56 {
		// One unaligned 8-byte load at the byte where value i starts holds
		// at least 57 of the following bits: all of per values.
		per := 57 / int(w)
		p := uint(0)
		for i < len(dst) {
			b := p >> 3
			if b+8 > uint(len(src)) {
				break
			}
			word := binary.LittleEndian.Uint64(src[b:]) >> (p & 7)
			m := min(len(dst)-i, per)
			out := dst[i : i+m]
			for j := range out {
				acc += lo + T(word&mask)
				word >>= w
				out[j] = acc
			}
			i += m
			p += uint(m) * w
		}
	}
	for ; i < len(dst); i++ {
		acc += lo + T(bitsAt(src, uint(i)*w, w)&mask)
		dst[i] = acc
	}
	return acc
}

// unpackTimes decodes a packed stream of len(dst) delta-of-deltas from src
// into timestamps: starting from the delta d and the time prev before
// dst[0], each delta-of-delta x makes d += x and the next time prev + d,
// wrapping. It checks in the same pass that the times increase strictly
// and returns the rest of src.
func unpackTimes(dst []int64, src []byte, d, prev int64) ([]byte, error) {
	for len(dst) > 0 {
		n := min(len(dst), blockLen)
		w, zlo, size, rest, err := blockHeader(src, n)
		if err != nil {
			return nil, err
		}
		src = rest
		lo := unzigzag(zlo)
		var ok bool
		if d, prev, ok = timesBlock(dst[:n], src[:min(len(src), size+8)], lo, w, d, prev); !ok {
			return nil, corruptf("timestamps not increasing")
		}
		src = src[size:]
		dst = dst[n:]
	}
	return src, nil
}

// timesBlock is sumBlock for unpackTimes: it returns the last delta and
// time, and false when the times do not increase strictly.
func timesBlock(dst []int64, src []byte, lo int64, w uint, d, prev int64) (int64, int64, bool) {
	if w == 0 && lo == 0 && d > 0 && d <= math.MaxInt64/int64(blockLen) &&
		prev <= math.MaxInt64-int64(len(dst))*d {
		// A regular interval: every time is d after the previous one, and
		// the last does not overflow.
		for i := range dst {
			prev += d
			dst[i] = prev
		}
		return d, prev, true
	}
	if w == 0 {
		for i := range dst {
			d += lo
			t := prev + d
			if t <= prev {
				return d, prev, false
			}
			dst[i] = t
			prev = t
		}
		return d, prev, true
	}
	mask := uint64(1)<<w - 1
	i := 0
	if w <= 56 {
		p := uint(0)
		for ; i < len(dst); i++ {
			b := p >> 3
			if b+8 > uint(len(src)) {
				break
			}
			d += lo + int64(binary.LittleEndian.Uint64(src[b:])>>(p&7)&mask)
			t := prev + d
			if t <= prev {
				return d, prev, false
			}
			dst[i] = t
			prev = t
			p += w
		}
	}
	for ; i < len(dst); i++ {
		d += lo + int64(bitsAt(src, uint(i)*w, w)&mask)
		t := prev + d
		if t <= prev {
			return d, prev, false
		}
		dst[i] = t
		prev = t
	}
	return d, prev, true
}
