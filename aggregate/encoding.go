package aggregate

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/accretedb/accrete/model"
)

// encodingVersion is the first byte of every encoded state.
const encodingVersion = 1

// The forms of an encoded state, its fourth byte.
const (
	formPartial  = 0 // the function's compact partial state
	formMultiset = 1 // the ordered multiset of an *OrderedState
)

const headerLen = 4

func appendHeader(dst []byte, f Func, t model.FieldType, form byte) []byte {
	return append(dst, encodingVersion, byte(f), byte(t), form)
}

// appendValue appends a value of type t: floats as 8 bytes of IEEE 754 bits
// in little-endian order, integers as zig-zag varints, unsigned as uvarints,
// booleans as one byte 0 or 1, strings as a uvarint length and the bytes.
func appendValue(dst []byte, t model.FieldType, v val) []byte {
	switch t {
	case model.TypeFloat:
		return binary.LittleEndian.AppendUint64(dst, bitsFromKey(t, v.key))
	case model.TypeInteger:
		return binary.AppendVarint(dst, int64(bitsFromKey(t, v.key)))
	case model.TypeUnsigned:
		return binary.AppendUvarint(dst, v.key)
	case model.TypeBoolean:
		return append(dst, byte(v.key))
	case model.TypeString:
		dst = binary.AppendUvarint(dst, uint64(len(v.str)))
		return append(dst, v.str...)
	}
	panic(fmt.Sprintf("BUG: cannot encode a value of type %s", t))
}

func appendFloat(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// appendCompensated appends a compensated sum: the running sum and the
// compensation as f64, the numbers of +Inf and -Inf as uvarints.
func appendCompensated(dst []byte, s CompensatedSum) []byte {
	dst = appendFloat(dst, s.sum)
	dst = appendFloat(dst, s.c)
	dst = binary.AppendUvarint(dst, uint64(s.posInf))
	return binary.AppendUvarint(dst, uint64(s.negInf))
}

type header struct {
	fn   Func
	typ  model.FieldType
	form byte
}

func corruptf(f Func, format string, args ...any) error {
	return fmt.Errorf("cannot decode %s state: %s: %w", f, fmt.Sprintf(format, args...), ErrCorruptState)
}

// readHeader reads and checks the header of an encoded state.
func readHeader(data []byte) (header, error) {
	if len(data) < headerLen {
		return header{}, fmt.Errorf("cannot decode aggregate state: %d bytes, shorter than the %d-byte header: %w", len(data), headerLen, ErrCorruptState)
	}
	if data[0] != encodingVersion {
		return header{}, fmt.Errorf("cannot decode aggregate state: version %d, want %d: %w", data[0], encodingVersion, ErrUnsupportedVersion)
	}
	h := header{fn: Func(data[1]), typ: model.FieldType(data[2]), form: data[3]}
	if !h.fn.valid() {
		return header{}, fmt.Errorf("cannot decode aggregate state: unknown function %d: %w", data[1], ErrCorruptState)
	}
	if !h.fn.Accepts(h.typ) {
		return header{}, corruptf(h.fn, "%s does not take values of type %s", h.fn, h.typ)
	}
	if h.form != formPartial && h.form != formMultiset {
		return header{}, corruptf(h.fn, "unknown form %d", h.form)
	}
	return h, nil
}

// decoder reads the fields of an encoded state. The first error sticks:
// later reads return zero values, and finish reports it.
type decoder struct {
	fn   Func
	typ  model.FieldType
	data []byte
	err  error
}

// newDecoder checks that data's header names f, t and form and returns a
// decoder positioned after it.
func newDecoder(data []byte, f Func, t model.FieldType, form byte) decoder {
	d := decoder{fn: f, typ: t}
	h, err := readHeader(data)
	switch {
	case err != nil:
		d.err = err
	case h.fn != f || h.typ != t || h.form != form:
		d.err = corruptf(f, "header is of a %s state of %s values in form %d, want %s of %s in form %d", h.fn, h.typ, h.form, f, t, form)
	default:
		d.data = data[headerLen:]
	}
	return d
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = corruptf(d.fn, format, args...)
		d.data = nil
	}
}

// failVarint reports the failure of a varint read that returned n <= 0.
func (d *decoder) failVarint(n int) {
	if n == 0 {
		d.fail("unexpected end of data")
	} else {
		d.fail("varint overflows 64 bits")
	}
}

// finish returns the first error, or an error when bytes are left over.
func (d *decoder) finish() error {
	if d.err == nil && len(d.data) > 0 {
		d.fail("%d trailing bytes", len(d.data))
	}
	return d.err
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.data) == 0 {
		d.fail("unexpected end of data")
		return 0
	}
	b := d.data[0]
	d.data = d.data[1:]
	return b
}

// flag reads a byte that must be 0 or 1.
func (d *decoder) flag() bool {
	b := d.byte()
	if b > 1 {
		d.fail("flag byte %d is not 0 or 1", b)
	}
	return b == 1
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	u, n := binary.Uvarint(d.data)
	if n <= 0 {
		d.failVarint(n)
		return 0
	}
	d.data = d.data[n:]
	return u
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	i, n := binary.Varint(d.data)
	if n <= 0 {
		d.failVarint(n)
		return 0
	}
	d.data = d.data[n:]
	return i
}

// count reads a uvarint that must fit an int64.
func (d *decoder) count() int64 {
	u := d.uvarint()
	if u > math.MaxInt64 {
		d.fail("count %d out of range", u)
		return 0
	}
	return int64(u)
}

// length reads a number of items each at least minSize bytes long, and fails
// when fewer bytes are left than they need, so a corrupt length never
// causes a large allocation.
func (d *decoder) length(minSize int) int {
	u := d.uvarint()
	if d.err == nil && u > uint64(len(d.data)/minSize) {
		d.fail("length %d exceeds the %d bytes left", u, len(d.data))
		return 0
	}
	return int(u)
}

func (d *decoder) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.data) < 8 {
		d.fail("unexpected end of data")
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.data))
	d.data = d.data[8:]
	return f
}

// compensated reads a compensated sum written by appendCompensated.
func (d *decoder) compensated() CompensatedSum {
	s := CompensatedSum{sum: d.float(), c: d.float()}
	pos, neg := d.uvarint(), d.uvarint()
	if pos > math.MaxUint32 || neg > math.MaxUint32 {
		d.fail("infinity counts %d, %d out of range", pos, neg)
		return CompensatedSum{}
	}
	s.posInf, s.negInf = uint32(pos), uint32(neg)
	return s
}

// value reads a value of the decoder's type.
func (d *decoder) value() val {
	switch d.typ {
	case model.TypeFloat:
		if d.err != nil {
			return val{}
		}
		if len(d.data) < 8 {
			d.fail("unexpected end of data")
			return val{}
		}
		b := binary.LittleEndian.Uint64(d.data)
		d.data = d.data[8:]
		return val{key: orderKey(model.TypeFloat, b)}
	case model.TypeInteger:
		return val{key: orderKey(model.TypeInteger, uint64(d.varint()))}
	case model.TypeUnsigned:
		return val{key: d.uvarint()}
	case model.TypeBoolean:
		if d.flag() {
			return val{key: 1}
		}
		return val{}
	case model.TypeString:
		n := d.length(1)
		if d.err != nil {
			return val{}
		}
		s := string(d.data[:n])
		d.data = d.data[n:]
		return val{str: s}
	}
	d.fail("values of type %s", d.typ)
	return val{}
}

// minValueSize is the fewest bytes a value of type t takes.
func minValueSize(t model.FieldType) int {
	if t == model.TypeFloat {
		return 8
	}
	return 1
}
