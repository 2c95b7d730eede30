package chunk

import (
	"encoding/binary"
	"hash/crc32"
	"math"

	"github.com/accretedb/accrete/model"
)

// Version is the chunk format version this package writes. It reads
// version 1 too, whose header does not carry the last value.
const Version = 2

// Limits of one chunk. The engine cuts chunks far below them (a few
// thousand values); a decoder refuses chunks beyond them so that a damaged
// or hostile header cannot make it allocate without bound.
const (
	// MaxCount is the largest number of values in a chunk.
	MaxCount = 1 << 20
	// MaxPayload is the largest size in bytes of a chunk's uncompressed
	// payload.
	MaxPayload = 1 << 26
)

// Compression codes stored in the header.
const (
	storedRaw  = 0
	storedZstd = 1
)

// castagnoli is the CRC-32C table; it is built once and never written
// again.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header is what a chunk says about itself before its payload: enough to
// skip a chunk by time or to size buffers without decoding it.
type Header struct {
	Type model.FieldType
	// Count is the number of points, at least 1.
	Count int
	// MinTime and MaxTime are the first and last timestamps in nanoseconds.
	MinTime, MaxTime int64
	// Len is the length in bytes of the whole chunk, header included, so a
	// reader can step over chunks stored back to back.
	Len int
}

// header is a parsed header with the fields only the decoder needs.
type header struct {
	Header
	comp       byte
	rawLen     int // payload length before compression
	lastOff    int // offset of the last value (version 2), or 0
	crcOff     int // offset of the checksum; the stored payload follows it
	payloadOff int
}

// ReadHeader parses the header of the chunk at the start of src. It reads
// only the header: the checksum is verified by Decode, so a header that
// parses may still belong to a corrupt chunk. src may continue past the
// chunk (see Header.Len).
func ReadHeader(src []byte) (Header, error) {
	h, err := parseHeader(src)
	return h.Header, err
}

// ReadLast returns the last point of the chunk at the start of src, the
// one at Header.MaxTime, from its header alone: ok is false for a version 1
// chunk, whose header does not carry it (decode the chunk instead). Like
// ReadHeader it does not verify the checksum. A string value is copied out
// of src.
func ReadLast(src []byte) (h Header, v model.FieldValue, ok bool, err error) {
	hd, err := parseHeader(src)
	if err != nil || hd.lastOff == 0 {
		return hd.Header, v, false, err
	}
	v, _, err = readLastValue(src, hd.lastOff, hd.Type)
	return hd.Header, v, err == nil, err
}

// appendHeader appends the header of a chunk without its checksum; last is
// the encoding of its last value (appendLastValue).
func appendHeader(dst []byte, t model.FieldType, comp byte, times []int64, rawLen, storedLen int, last []byte) []byte {
	dst = append(dst, Version, byte(t), comp)
	dst = binary.AppendUvarint(dst, uint64(len(times)))
	dst = binary.AppendVarint(dst, times[0])
	dst = binary.AppendUvarint(dst, uint64(times[len(times)-1]-times[0]))
	if comp != storedRaw {
		dst = binary.AppendUvarint(dst, uint64(rawLen))
	}
	dst = binary.AppendUvarint(dst, uint64(storedLen))
	return append(dst, last...)
}

// appendLastValue appends the header encoding of a chunk's last value v:
// a float's 8 IEEE 754 bytes (little-endian), an integer's varint, an
// unsigned's uvarint, a string's uvarint length and bytes, a boolean's
// byte 0 or 1.
func appendLastValue(dst []byte, v model.FieldValue) []byte {
	switch v.Type() {
	case model.TypeFloat:
		return binary.LittleEndian.AppendUint64(dst, v.Bits())
	case model.TypeInteger:
		return binary.AppendVarint(dst, v.IntV())
	case model.TypeUnsigned:
		return binary.AppendUvarint(dst, v.UintV())
	case model.TypeString:
		s := v.StringV()
		return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
	case model.TypeBoolean:
		if v.BoolV() {
			return append(dst, 1)
		}
		return append(dst, 0)
	}
	panic("BUG: last value of type " + v.Type().String())
}

// readLastValue reads the last value of type t at src[off:] and returns it
// with the offset after it.
func readLastValue(src []byte, off int, t model.FieldType) (model.FieldValue, int, error) {
	r := varintReader{src: src, off: off}
	var v model.FieldValue
	switch t {
	case model.TypeFloat:
		if off+8 > len(src) {
			return v, off, corruptf("truncated last value")
		}
		return model.Float(math.Float64frombits(binary.LittleEndian.Uint64(src[off:]))), off + 8, nil
	case model.TypeInteger:
		v = model.Int(r.varint())
	case model.TypeUnsigned:
		v = model.Uint(r.uvarint())
	case model.TypeString:
		n := r.uvarint()
		if !r.bad && n > uint64(len(src)-r.off) {
			return v, off, corruptf("last value of %d bytes overruns the %d-byte input", n, len(src))
		}
		if !r.bad {
			v = model.String(string(src[r.off : r.off+int(n)]))
			r.off += int(n)
		}
	case model.TypeBoolean:
		if off >= len(src) || src[off] > 1 {
			return v, off, corruptf("bad last boolean")
		}
		return model.Bool(src[off] == 1), off + 1, nil
	}
	if r.bad {
		return v, off, corruptf("truncated last value")
	}
	return v, r.off, nil
}

func parseHeader(src []byte) (header, error) {
	var h header
	if len(src) < 3 {
		return h, corruptf("%d bytes is too short for a header", len(src))
	}
	if src[0] != 1 && src[0] != Version {
		return h, ErrUnknownVersion
	}
	h.Type = model.FieldType(src[1])
	if h.Type < model.TypeFloat || h.Type > model.TypeBoolean {
		return h, corruptf("bad value type %d", src[1])
	}
	h.comp = src[2]
	if h.comp > storedZstd {
		return h, corruptf("bad compression %d", h.comp)
	}
	r := varintReader{src: src, off: 3}
	count := r.uvarint()
	h.MinTime = r.varint()
	span := r.uvarint()
	h.MaxTime = h.MinTime + int64(span)
	rawLen := uint64(0)
	if h.comp != storedRaw {
		rawLen = r.uvarint()
	}
	storedLen := r.uvarint()
	if h.comp == storedRaw {
		rawLen = storedLen
	}
	if !r.bad && src[0] == Version {
		// The last value sits between the stored length and the checksum.
		h.lastOff = r.off
		off, err := skipLastValue(src, r.off, h.Type)
		if err != nil {
			return h, err
		}
		r.off = off
	}
	switch {
	case r.bad:
		return h, corruptf("truncated header")
	case count == 0 || count > MaxCount:
		return h, corruptf("bad count %d", count)
	case h.MaxTime < h.MinTime || span < count-1:
		return h, corruptf("time span %d does not fit %d points", span, count)
	case rawLen > MaxPayload:
		return h, corruptf("payload of %d bytes is too large", rawLen)
	case r.off+4 > len(src) || storedLen > uint64(len(src)-r.off-4):
		return h, corruptf("payload of %d bytes overruns the %d-byte input", storedLen, len(src))
	}
	h.Count = int(count)
	h.rawLen = int(rawLen)
	h.crcOff = r.off
	h.payloadOff = r.off + 4
	h.Len = h.payloadOff + int(storedLen)
	return h, nil
}

// skipLastValue returns the offset after the last value of type t at
// src[off:], without building the value.
func skipLastValue(src []byte, off int, t model.FieldType) (int, error) {
	switch t {
	case model.TypeFloat:
		if off+8 > len(src) {
			return off, corruptf("truncated last value")
		}
		return off + 8, nil
	case model.TypeBoolean:
		if off >= len(src) || src[off] > 1 {
			return off, corruptf("bad last boolean")
		}
		return off + 1, nil
	case model.TypeString:
		r := varintReader{src: src, off: off}
		n := r.uvarint()
		if r.bad || n > uint64(len(src)-r.off) {
			return off, corruptf("truncated last value")
		}
		return r.off + int(n), nil
	}
	r := varintReader{src: src, off: off}
	r.uvarint() // a varint has the same length as its bits read as a uvarint
	if r.bad {
		return off, corruptf("truncated last value")
	}
	return r.off, nil
}

// varintReader reads varints from src at off, recording the first failure
// in bad instead of returning an error for each.
type varintReader struct {
	src []byte
	off int
	bad bool
}

func (r *varintReader) uvarint() uint64 {
	if r.bad {
		return 0
	}
	v, k := binary.Uvarint(r.src[r.off:])
	if k <= 0 {
		r.bad = true
		return 0
	}
	r.off += k
	return v
}

func (r *varintReader) varint() int64 {
	if r.bad {
		return 0
	}
	v, k := binary.Varint(r.src[r.off:])
	if k <= 0 {
		r.bad = true
		return 0
	}
	r.off += k
	return v
}
