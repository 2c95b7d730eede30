package chunk

import "encoding/binary"

// The integer and unsigned columns start with a mode byte, then the first
// value (a varint for integers, a uvarint for unsigned), then the wrapping
// differences between neighbours:
//
//	intsPacked: the differences as a packed stream
//	intsVarint: the differences zig-zag encoded, each a uvarint
//
// Packing per block of 128 against the block's smallest difference stores a
// random walk in the few bits its step range needs (3 bits for TSBS-like
// data) and a counter growing at a steady rate in the bits of its jitter;
// it needs no compression and wins on small chunks. The varint form is
// byte-aligned, which lets zstd's entropy coder get close to the entropy of
// the steps: on big chunks it is about 15% smaller after compression (see
// the package documentation for numbers). The encoder writes both for big
// chunks and keeps the smaller.
const (
	intsPacked = 0
	intsVarint = 1
)

// minVarintInts is the smallest chunk for which the encoder also tries the
// varint form; below it zstd has too little data to beat packing.
const minVarintInts = 512

func appendInts(dst []byte, vals, scratch []int64) ([]byte, []int64) {
	dst = append(dst, intsPacked)
	dst = binary.AppendVarint(dst, vals[0])
	scratch = appendDeltas(scratch[:0], vals)
	return appendPacked(dst, scratch), scratch
}

func appendUints(dst []byte, vals []uint64, scratch []int64) ([]byte, []int64) {
	dst = append(dst, intsPacked)
	dst = binary.AppendUvarint(dst, vals[0])
	scratch = appendDeltas(scratch[:0], vals)
	return appendPacked(dst, scratch), scratch
}

func appendVarintInts(dst []byte, vals []int64) []byte {
	dst = append(dst, intsVarint)
	dst = binary.AppendVarint(dst, vals[0])
	return appendVarintDeltas(dst, vals)
}

func appendVarintUints(dst []byte, vals []uint64) []byte {
	dst = append(dst, intsVarint)
	dst = binary.AppendUvarint(dst, vals[0])
	return appendVarintDeltas(dst, vals)
}

func appendDeltas[T int64 | uint64](dst []int64, vals []T) []int64 {
	for i := 1; i < len(vals); i++ {
		dst = append(dst, int64(vals[i]-vals[i-1]))
	}
	return dst
}

func appendVarintDeltas[T int64 | uint64](dst []byte, vals []T) []byte {
	for i := 1; i < len(vals); i++ {
		dst = binary.AppendUvarint(dst, zigzag(int64(vals[i]-vals[i-1])))
	}
	return dst
}

// decodeInts decodes len(dst) integers from src and returns the rest.
func decodeInts(dst []int64, src []byte) ([]byte, error) {
	if len(src) < 2 {
		return nil, corruptf("truncated integer column")
	}
	mode := src[0]
	v, k := binary.Varint(src[1:])
	if k <= 0 {
		return nil, corruptf("bad first integer")
	}
	dst[0] = v
	return undelta(dst, mode, src[1+k:])
}

// decodeUints decodes len(dst) unsigned integers from src and returns the
// rest.
func decodeUints(dst []uint64, src []byte) ([]byte, error) {
	if len(src) < 2 {
		return nil, corruptf("truncated unsigned column")
	}
	mode := src[0]
	v, k := binary.Uvarint(src[1:])
	if k <= 0 {
		return nil, corruptf("bad first unsigned")
	}
	dst[0] = v
	return undelta(dst, mode, src[1+k:])
}

// undelta decodes the differences of dst[1:] in the given mode from src
// and turns them into the values following dst[0].
func undelta[T int64 | uint64](dst []T, mode byte, src []byte) ([]byte, error) {
	acc := dst[0]
	switch mode {
	case intsPacked:
		return unpackSum(dst[1:], src, acc)
	case intsVarint:
		for i := 1; i < len(dst); i++ {
			var u uint64
			if len(src) > 0 && src[0] < 0x80 {
				u = uint64(src[0])
				src = src[1:]
			} else {
				var k int
				if u, k = binary.Uvarint(src); k <= 0 {
					return nil, corruptf("bad varint difference")
				}
				src = src[k:]
			}
			acc += T(unzigzag(u))
			dst[i] = acc
		}
		return src, nil
	}
	return nil, corruptf("unknown integer mode %d", mode)
}
