package chunk

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// The float column is Gorilla's XOR encoding (Pelkonen et al., "Gorilla: A
// Fast, Scalable, In-Memory Time Series Database", VLDB 2015) in an LSB-first
// bit stream: the first value's 64 bits, then for each further value v with
// x = bits(v) XOR bits(previous):
//
//	x == 0:                    1 bit  0
//	x fits the current window: 2 bits 1,0 then the window's bits of x
//	otherwise:                 2 bits 1,1, 5 bits leading zeros (at most
//	                           31), 6 bits window width (0 meaning 64),
//	                           then the window's bits of x
//
// and zero bits up to the next byte boundary. The window is the span of x
// between its leading and trailing zeros. The encoder opens a new window
// when the current one does not fit or is more than 11 bits (the cost of
// the new window's header) wider than needed.

const noWindow = 0xff

func appendFloats(dst []byte, vals []float64) []byte {
	w := bitWriter{buf: dst}
	prev := math.Float64bits(vals[0])
	w.write(prev, 64)
	lead, trail := uint(noWindow), uint(0)
	for _, f := range vals[1:] {
		v := math.Float64bits(f)
		x := v ^ prev
		prev = v
		if x == 0 {
			w.write(0, 1)
			continue
		}
		l := min(uint(bits.LeadingZeros64(x)), 31)
		t := uint(bits.TrailingZeros64(x))
		if lead != noWindow && l >= lead && t >= trail && (64-lead-trail) <= (64-l-t)+11 {
			w.write(0b01, 2)
			w.write(x>>trail, 64-lead-trail)
			continue
		}
		lead, trail = l, t
		sig := 64 - l - t
		w.write(0b11|uint64(l)<<2|uint64(sig&63)<<7, 13)
		w.write(x>>t, sig)
	}
	return w.flush()
}

// decodeFloats decodes len(dst) floats from src, which must hold exactly
// the float column.
func decodeFloats(dst []float64, src []byte) error {
	if len(src) < 8 {
		return corruptf("truncated float column")
	}
	prev := binary.LittleEndian.Uint64(src)
	dst[0] = math.Float64frombits(prev)
	lead, trail := uint(noWindow), uint(0)

	// The fast loop reads each field with one unaligned 8-byte load at its
	// bit position, plus a ninth byte for a 64-bit window; it runs while 11
	// bytes remain past the position, enough for a value's control bits
	// (at most 13) and window (at most 64). The bit reader takes over for
	// the tail.
	i, p := 1, uint(64)
	for ; i < len(dst) && int(p>>3)+11 <= len(src); i++ {
		ctl := binary.LittleEndian.Uint64(src[p>>3:]) >> (p & 7)
		if ctl&1 == 0 {
			p++
			dst[i] = math.Float64frombits(prev)
			continue
		}
		if ctl&2 == 0 {
			if lead == noWindow {
				return corruptf("float window used before it is set")
			}
			p += 2
		} else {
			l, sig := uint(ctl>>2)&31, uint(ctl>>7)&63
			if sig == 0 {
				sig = 64
			}
			if l+sig > 64 {
				return corruptf("float window %d+%d bits", l, sig)
			}
			lead, trail = l, 64-l-sig
			p += 13
		}
		b, s, sig := p>>3, p&7, 64-lead-trail
		x := binary.LittleEndian.Uint64(src[b:])>>s | uint64(src[b+8])<<(64-s)
		x &= 1<<sig - 1
		p += sig
		prev ^= x << trail
		dst[i] = math.Float64frombits(prev)
	}

	r := bitReader{src: src[p>>3:]}
	if _, ok := r.read(p & 7); !ok {
		return corruptf("truncated float column")
	}
	for ; i < len(dst); i++ {
		if r.n < 13 {
			r.refill()
		}
		ctl := r.acc
		switch {
		case r.n >= 1 && ctl&1 == 0:
			r.skip(1)
			dst[i] = math.Float64frombits(prev)
			continue
		case r.n >= 2 && ctl&2 == 0:
			if lead == noWindow {
				return corruptf("float window used before it is set")
			}
			r.skip(2)
		case r.n >= 13:
			l, sig := uint(ctl>>2)&31, uint(ctl>>7)&63
			if sig == 0 {
				sig = 64
			}
			if l+sig > 64 {
				return corruptf("float window %d+%d bits", l, sig)
			}
			lead, trail = l, 64-l-sig
			r.skip(13)
		default:
			return corruptf("truncated float column")
		}
		x, ok := r.read64(64 - lead - trail)
		if !ok {
			return corruptf("truncated float column")
		}
		prev ^= x << trail
		dst[i] = math.Float64frombits(prev)
	}
	if len(r.src) > 0 || r.n >= 8 || r.acc&(1<<r.n-1) != 0 {
		return corruptf("trailing data after float column")
	}
	return nil
}

// bitWriter appends an LSB-first bit stream to buf.
type bitWriter struct {
	buf []byte
	acc uint64 // pending bits, the first written in bit 0
	n   uint   // number of pending bits, < 64
}

// write appends the low nb bits of v, which has no bits above them; nb is
// at most 64.
func (w *bitWriter) write(v uint64, nb uint) {
	w.acc |= v << w.n
	w.n += nb
	if w.n >= 64 {
		w.buf = binary.LittleEndian.AppendUint64(w.buf, w.acc)
		w.n -= 64
		w.acc = v >> (nb - w.n) // the bits that did not fit; v>>64 is 0
	}
}

// flush pads the stream with zero bits to a whole byte and returns it.
func (w *bitWriter) flush() []byte {
	for ; w.n > 0; w.n -= min(w.n, 8) {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
	}
	return w.buf
}

// bitReader reads an LSB-first bit stream. acc holds n valid bits; bits of
// acc above n may already hold the following bits of the stream (they are
// ORed in again, unchanged, on the next refill) and are masked off on use.
type bitReader struct {
	src []byte // bytes not yet loaded into acc
	acc uint64
	n   uint
}

// refill loads whole bytes into acc until it holds at least 57 bits or src
// is exhausted.
func (r *bitReader) refill() {
	if len(r.src) >= 8 {
		r.acc |= binary.LittleEndian.Uint64(r.src) << r.n
		k := (64 - r.n) >> 3
		r.src = r.src[k:]
		r.n += k << 3
		return
	}
	for r.n <= 56 && len(r.src) > 0 {
		r.acc |= uint64(r.src[0]) << r.n
		r.src = r.src[1:]
		r.n += 8
	}
}

// skip consumes nb <= n bits.
func (r *bitReader) skip(nb uint) {
	r.acc >>= nb
	r.n -= nb
}

// read returns the next nb <= 56 bits.
func (r *bitReader) read(nb uint) (uint64, bool) {
	if r.n < nb {
		r.refill()
		if r.n < nb {
			return 0, false
		}
	}
	v := r.acc & (1<<nb - 1)
	r.skip(nb)
	return v, true
}

// read64 returns the next nb <= 64 bits.
func (r *bitReader) read64(nb uint) (uint64, bool) {
	if nb <= 56 {
		return r.read(nb)
	}
	lo, ok1 := r.read(32)
	hi, ok2 := r.read(nb - 32)
	return lo | hi<<32, ok1 && ok2
}
