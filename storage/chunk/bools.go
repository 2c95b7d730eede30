package chunk

// The boolean column is a bitmap: value i is bit i%8 of byte i/8, the
// unused high bits of the last byte zero.

func appendBools(dst []byte, vals []bool) []byte {
	var b byte
	for i, v := range vals {
		if v {
			b |= 1 << (i & 7)
		}
		if i&7 == 7 {
			dst = append(dst, b)
			b = 0
		}
	}
	if len(vals)&7 != 0 {
		dst = append(dst, b)
	}
	return dst
}

// decodeBools decodes len(dst) booleans from src, which must hold exactly
// the boolean column.
func decodeBools(dst []bool, src []byte) error {
	if len(src) != (len(dst)+7)/8 {
		return corruptf("boolean column is %d bytes for %d values", len(src), len(dst))
	}
	for i := range dst {
		dst[i] = src[i>>3]&(1<<(i&7)) != 0
	}
	if r := len(dst) & 7; r != 0 && src[len(src)-1]>>r != 0 {
		return corruptf("boolean column has padding bits set")
	}
	return nil
}
