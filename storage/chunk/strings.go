package chunk

import (
	"encoding/binary"
	"math/bits"
)

// The string column starts with a mode byte.
//
//	stringsPlain: packed lengths (count) | the strings' bytes, concatenated
//	stringsDict:  uvarint d | packed lengths (d) | the d distinct strings'
//	              bytes | packed dictionary indices (count)
//
// The encoder uses the dictionary when it is the smaller of the two, which
// is the case when few distinct values repeat (states, hostnames, levels).
const (
	stringsPlain = 0
	stringsDict  = 1
)

// stringScratch is the encoder's reusable state for string columns.
type stringScratch struct {
	index map[string]int64 // distinct string → dictionary index
	dict  []string         // distinct strings in first-seen order
	ints  []int64          // lengths or indices to pack
}

func (s *stringScratch) appendStrings(dst []byte, vals []string) []byte {
	if s.index == nil {
		s.index = make(map[string]int64)
	}
	clear(s.index)
	s.dict = s.dict[:0]
	s.ints = s.ints[:0]
	plainBytes, dictBytes := 0, 0
	useDict := true
	for _, v := range vals {
		plainBytes += len(v)
		if !useDict {
			continue
		}
		i, ok := s.index[v]
		if !ok {
			i = int64(len(s.dict))
			s.index[v] = i
			s.dict = append(s.dict, v)
			dictBytes += len(v)
			// Past half the values distinct, the dictionary cannot win
			// by enough to pay for its indices; stop building it.
			if len(s.dict) > len(vals)/2+1 {
				useDict = false
			}
		}
		s.ints = append(s.ints, i)
	}
	if useDict {
		// The lengths cost about as much in both layouts (a dictionary has
		// fewer); compare the string bytes against the indices' bits.
		idxBytes := len(vals) * bits.Len(uint(len(s.dict)-1)) / 8
		useDict = dictBytes+idxBytes < plainBytes
	}
	if useDict {
		dst = append(dst, stringsDict)
		dst = binary.AppendUvarint(dst, uint64(len(s.dict)))
		idx := s.ints
		s.ints = lengths(s.ints[len(s.ints):], s.dict)
		dst = appendPacked(dst, s.ints)
		for _, v := range s.dict {
			dst = append(dst, v...)
		}
		dst = appendPacked(dst, idx)
		s.ints = idx
		return dst
	}
	dst = append(dst, stringsPlain)
	s.ints = lengths(s.ints[:0], vals)
	dst = appendPacked(dst, s.ints)
	for _, v := range vals {
		dst = append(dst, v...)
	}
	return dst
}

func lengths(dst []int64, vals []string) []int64 {
	for _, v := range vals {
		dst = append(dst, int64(len(v)))
	}
	return dst
}

// decodeStrings decodes len(dst) strings from src, which must hold exactly
// the string column. All strings share one allocation; ints and dict are
// scratch space, returned for reuse.
func decodeStrings(dst []string, src []byte, ints []int64, dict []string) ([]int64, []string, error) {
	if len(src) == 0 {
		return ints, dict, corruptf("truncated string column")
	}
	mode := src[0]
	src = src[1:]
	switch mode {
	case stringsPlain:
		ints = grow(ints, len(dst))
		rest, err := unpack(ints, src)
		if err != nil {
			return ints, dict, err
		}
		if err := sliceStrings(dst, ints, rest); err != nil {
			return ints, dict, err
		}
		return ints, dict, nil
	case stringsDict:
		d, k := binary.Uvarint(src)
		if k <= 0 || d == 0 || d > uint64(len(dst)) {
			return ints, dict, corruptf("bad string dictionary size")
		}
		src = src[k:]
		dict = grow(dict, int(d))
		ints = grow(ints, max(int(d), len(dst)))
		src, err := unpack(ints[:d], src)
		if err != nil {
			return ints, dict, err
		}
		total, err := sumLengths(ints[:d], len(src))
		if err != nil {
			return ints, dict, err
		}
		if err := sliceStrings(dict, ints[:d], src[:total]); err != nil {
			return ints, dict, err
		}
		src, err = unpack(ints[:len(dst)], src[total:])
		if err != nil {
			return ints, dict, err
		}
		if len(src) != 0 {
			return ints, dict, corruptf("trailing data after string column")
		}
		for i, x := range ints[:len(dst)] {
			if uint64(x) >= d {
				return ints, dict, corruptf("string index %d out of range", x)
			}
			dst[i] = dict[x]
		}
		return ints, dict, nil
	}
	return ints, dict, corruptf("unknown string mode %d", mode)
}

// sliceStrings cuts data, which must be exactly the concatenation, into
// strings of the given lengths, using one allocation.
func sliceStrings(dst []string, lens []int64, data []byte) error {
	total, err := sumLengths(lens, len(data))
	if err != nil {
		return err
	}
	if total != len(data) {
		return corruptf("string lengths do not match their data")
	}
	all := string(data)
	off := 0
	for i, n := range lens {
		dst[i] = all[off : off+int(n)]
		off += int(n)
	}
	return nil
}

// sumLengths adds up lens, failing on a negative length or a sum beyond
// limit.
func sumLengths(lens []int64, limit int) (int, error) {
	total := 0
	for _, n := range lens {
		if n < 0 || n > int64(limit-total) {
			return 0, corruptf("string length %d out of range", n)
		}
		total += int(n)
	}
	return total, nil
}

// grow returns s resliced to length n, reallocated when too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
