package chunk

import (
	"encoding/binary"
	"math/bits"
)

// blockLen is the number of values in one block of a packed integer stream;
// the last block of a stream may be shorter.
const blockLen = 128

// appendPacked appends vals as a packed integer stream: blocks of blockLen
// values, each block written as
//
//	width byte | uvarint zig-zag(block minimum) | len*width bits, LSB first
//
// where each value is stored as its (wrapping) offset from the block
// minimum. The stream is not self-delimiting: the reader must know how many
// values it holds.
func appendPacked(dst []byte, vals []int64) []byte {
	for len(vals) > 0 {
		n := min(len(vals), blockLen)
		dst = appendBlock(dst, vals[:n])
		vals = vals[n:]
	}
	return dst
}

func appendBlock(dst []byte, vals []int64) []byte {
	lo, hi := vals[0], vals[0]
	for _, v := range vals[1:] {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	w := uint(bits.Len64(uint64(hi - lo)))
	dst = append(dst, byte(w))
	dst = binary.AppendUvarint(dst, zigzag(lo))
	if w == 0 {
		return dst
	}
	var acc uint64
	var n uint
	for _, v := range vals {
		x := uint64(v - lo)
		acc |= x << n
		n += w
		if n >= 64 {
			dst = binary.LittleEndian.AppendUint64(dst, acc)
			n -= 64
			// The top n bits of x did not fit; x>>64 is 0 in Go.
			acc = x >> (w - n)
		}
	}
	for ; n > 0; n -= min(n, 8) {
		dst = append(dst, byte(acc))
		acc >>= 8
	}
	return dst
}

// packedBytes returns the number of bytes len values of width w occupy.
func packedBytes(n int, w uint) int { return (n*int(w) + 7) >> 3 }

// unpack decodes a packed stream of len(dst) values from src into dst and
// returns the rest of src.
func unpack[T int64 | uint64](dst []T, src []byte) ([]byte, error) {
	for len(dst) > 0 {
		n := min(len(dst), blockLen)
		w, zlo, size, rest, err := blockHeader(src, n)
		if err != nil {
			return nil, err
		}
		src = rest
		lo := T(unzigzag(zlo))
		unpackBlock(dst[:n], src[:size], lo, w)
		src = src[size:]
		dst = dst[n:]
	}
	return src, nil
}

// blockHeader reads the header of a packed block of n values from src: the
// width w, the zig-zag encoded minimum, and the size of the packed values,
// which src holds after the header. It returns src after the header.
func blockHeader(src []byte, n int) (w uint, zlo uint64, size int, rest []byte, err error) {
	if len(src) < 2 {
		return 0, 0, 0, nil, corruptf("truncated packed block")
	}
	w = uint(src[0])
	if w > 64 {
		return 0, 0, 0, nil, corruptf("packed width %d", w)
	}
	zlo, k := binary.Uvarint(src[1:])
	if k <= 0 {
		return 0, 0, 0, nil, corruptf("bad packed block minimum")
	}
	rest = src[1+k:]
	size = packedBytes(n, w)
	if len(rest) < size {
		return 0, 0, 0, nil, corruptf("truncated packed block")
	}
	return w, zlo, size, rest, nil
}

// unpackBlock decodes len(dst) values of width w from src, which holds
// exactly packedBytes(len(dst), w) bytes.
func unpackBlock[T int64 | uint64](dst []T, src []byte, lo T, w uint) {
	if w == 0 {
		for i := range dst {
			dst[i] = lo
		}
		return
	}
	mask := uint64(1)<<w - 1 // 0-1 = all ones when w is 64
	i := 0
	if w <= 56 {
		// One unaligned 8-byte load holds all w bits of a value that starts
		// within its first byte; stop where fewer than 8 bytes remain.
		p := uint(0)
		for ; i < len(dst); i++ {
			b := p >> 3
			if b+8 > uint(len(src)) {
				break
			}
			dst[i] = lo + T(binary.LittleEndian.Uint64(src[b:])>>(p&7)&mask)
			p += w
		}
	}
	for ; i < len(dst); i++ {
		dst[i] = lo + T(bitsAt(src, uint(i)*w, w)&mask)
	}
}

// bitsAt returns the (unmasked) bits of src starting at bit p, enough for a
// value of width w, reading no byte past the end of src.
func bitsAt(src []byte, p, w uint) uint64 {
	b, s := p>>3, p&7
	var v uint64
	for k := uint(0); k < 8 && b+k < uint(len(src)); k++ {
		v |= uint64(src[b+k]) << (8 * k)
	}
	v >>= s
	if s+w > 64 && b+8 < uint(len(src)) {
		v |= uint64(src[b+8]) << (64 - s)
	}
	return v
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }
