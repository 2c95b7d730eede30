package continuous

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
)

// The partial states of one (aggregate, group, bucket) are stored as
//
//	version (1 byte, 1) | per output: length (uvarint) | state
//
// where length 0 means the output has no values in the bucket. A state is
// the aggregate package's encoding made compact, since states are most of
// what a refresh writes: the 4-byte header shrinks to the input type (the
// function is the output's), compensated sums drop their zero parts, and
// selected points keep their time relative to the bucket's start:
//
//	state      type (1 byte) | body
//	count      n:uvarint
//	sum        n:uvarint | float: csum'  integer: varint  unsigned: uvarint
//	mean       n:uvarint | csum'
//	min, max,  has:flag | [ (ts - bucket):varint | value ]
//	first, last
//	csum'      flags (1 byte: 1 compensation, 2 +Inf count, 4 -Inf count) |
//	           sum:f64 | [compensation:f64] | [+Inf count:uvarint] | [-Inf count:uvarint]
//
// (see the aggregate package for n, value, f64 and the compensated sum).
// expandState rebuilds the aggregate encoding for aggregate.Decode.
const stateVersion = 1

// appendStates encodes the states of one bucket of a's outputs.
func appendStates(dst []byte, a *agg, sts []aggregate.State, bucket int64, scratch []byte) ([]byte, []byte, error) {
	dst = append(dst, stateVersion)
	for i, s := range sts {
		if s == nil {
			dst = append(dst, 0)
			continue
		}
		full, err := s.AppendBinary(scratch[:0])
		if err != nil {
			return nil, scratch, err
		}
		// The compact form is never longer than the full one less its
		// header: write it after a one-byte length and move it when the
		// length needs more.
		at := len(dst)
		dst = append(dst, 0)
		dst, err = compactState(dst, a.outputs[i].fn, full, bucket)
		if err != nil {
			return nil, full, err
		}
		n := len(dst) - at - 1
		if n >= 0x80 {
			var l [binary.MaxVarintLen64]byte
			k := binary.PutUvarint(l[:], uint64(n))
			dst = append(dst, l[1:k]...)
			copy(dst[at+k:], dst[at+1:at+1+n])
			copy(dst[at:], l[:k])
		} else {
			dst[at] = byte(n)
		}
		scratch = full
	}
	return dst, scratch, nil
}

// splitStates splits the encoding of a bucket's states into the compact
// states of its n outputs (empty for none).
func splitStates(v []byte, n int) ([][]byte, error) {
	if len(v) == 0 || v[0] != stateVersion {
		return nil, fmt.Errorf("%w: partial states of unknown version", ErrCorrupt)
	}
	v = v[1:]
	out := make([][]byte, n)
	for i := range out {
		l, k := binary.Uvarint(v)
		if k <= 0 || uint64(len(v)-k) < l {
			return nil, fmt.Errorf("%w: truncated partial states", ErrCorrupt)
		}
		out[i] = v[k : k+int(l)]
		v = v[k+int(l):]
	}
	if len(v) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the partial states", ErrCorrupt, len(v))
	}
	return out, nil
}

// stateReader reads an aggregate or compact encoding.
type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) bytes(n int) []byte {
	if len(r.b) < n {
		r.fail()
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *stateReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated partial state", ErrCorrupt)
	}
	r.b = nil
}

// compactState appends the compact form of full, the aggregate encoding of
// a state of fn, for the bucket starting at bucket.
func compactState(dst []byte, fn aggregate.Func, full []byte, bucket int64) ([]byte, error) {
	if len(full) < 4 || full[0] != 1 || aggregate.Func(full[1]) != fn || full[3] != 0 {
		return nil, fmt.Errorf("BUG: unexpected encoding %x of a %s state", full, fn)
	}
	typ := model.FieldType(full[2])
	dst = append(dst, byte(typ))
	r := &stateReader{b: full[4:]}
	switch fn {
	case aggregate.Count:
		dst = binary.AppendUvarint(dst, r.uvarint())
	case aggregate.Sum, aggregate.Mean:
		dst = binary.AppendUvarint(dst, r.uvarint())
		if fn == aggregate.Mean || typ == model.TypeFloat {
			sum, comp := r.bytes(8), r.bytes(8)
			pos, neg := r.uvarint(), r.uvarint()
			var flags byte
			if binary.LittleEndian.Uint64(comp) != 0 {
				flags |= 1
			}
			if pos != 0 {
				flags |= 2
			}
			if neg != 0 {
				flags |= 4
			}
			dst = append(append(dst, flags), sum...)
			if flags&1 != 0 {
				dst = append(dst, comp...)
			}
			if flags&2 != 0 {
				dst = binary.AppendUvarint(dst, pos)
			}
			if flags&4 != 0 {
				dst = binary.AppendUvarint(dst, neg)
			}
		} else {
			dst = append(dst, r.b...)
			r.b = nil
		}
	case aggregate.Min, aggregate.Max, aggregate.First, aggregate.Last:
		has := r.bytes(1)[0]
		dst = append(dst, has)
		if has == 1 {
			dst = binary.AppendVarint(dst, r.varint()-bucket)
			dst = append(dst, r.b...)
			r.b = nil
		}
	default:
		return nil, fmt.Errorf("BUG: no compact encoding of %s states", fn)
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, fmt.Errorf("BUG: unexpected encoding %x of a %s state", full, fn)
	}
	return dst, nil
}

// expandState appends the aggregate encoding of c, the compact form of a
// state of fn for the bucket starting at bucket.
func expandState(dst []byte, fn aggregate.Func, c []byte, bucket int64) ([]byte, error) {
	if len(c) < 1 {
		return nil, fmt.Errorf("%w: empty partial state", ErrCorrupt)
	}
	typ := model.FieldType(c[0])
	dst = append(dst, 1, byte(fn), byte(typ), 0)
	r := &stateReader{b: c[1:]}
	switch fn {
	case aggregate.Count:
		dst = binary.AppendUvarint(dst, r.uvarint())
	case aggregate.Sum, aggregate.Mean:
		dst = binary.AppendUvarint(dst, r.uvarint())
		if fn == aggregate.Mean || typ == model.TypeFloat {
			flags := r.bytes(1)[0]
			dst = append(dst, r.bytes(8)...)
			if flags&1 != 0 {
				dst = append(dst, r.bytes(8)...)
			} else {
				dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(0))
			}
			var pos, neg uint64
			if flags&2 != 0 {
				pos = r.uvarint()
			}
			if flags&4 != 0 {
				neg = r.uvarint()
			}
			dst = binary.AppendUvarint(binary.AppendUvarint(dst, pos), neg)
		} else {
			dst = append(dst, r.b...)
			r.b = nil
		}
	case aggregate.Min, aggregate.Max, aggregate.First, aggregate.Last:
		has := r.bytes(1)[0]
		dst = append(dst, has)
		if has == 1 {
			dst = binary.AppendVarint(dst, r.varint()+bucket)
			dst = append(dst, r.b...)
			r.b = nil
		}
	default:
		return nil, fmt.Errorf("%w: %s states are not stored", ErrCorrupt, fn)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after a %s state", ErrCorrupt, len(r.b), fn)
	}
	return dst, nil
}

// decodeState decodes the compact state c of fn for a bucket.
func decodeState(fn aggregate.Func, c []byte, bucket int64) (aggregate.State, error) {
	full, err := expandState(nil, fn, c, bucket)
	if err != nil {
		return nil, err
	}
	st, err := aggregate.Decode(full)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if st.Func() != fn {
		return nil, fmt.Errorf("%w: a %s state stored for %s", ErrCorrupt, st.Func(), fn)
	}
	return st, nil
}
