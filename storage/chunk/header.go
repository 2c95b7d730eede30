package chunk

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/accretedb/accrete/model"
)

// Version is the chunk format version this package writes and reads.
const Version = 1

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

// appendHeader appends the header of a chunk without its checksum.
func appendHeader(dst []byte, t model.FieldType, comp byte, times []int64, rawLen, storedLen int) []byte {
	dst = append(dst, Version, byte(t), comp)
	dst = binary.AppendUvarint(dst, uint64(len(times)))
	dst = binary.AppendVarint(dst, times[0])
	dst = binary.AppendUvarint(dst, uint64(times[len(times)-1]-times[0]))
	if comp != storedRaw {
		dst = binary.AppendUvarint(dst, uint64(rawLen))
	}
	return binary.AppendUvarint(dst, uint64(storedLen))
}

func parseHeader(src []byte) (header, error) {
	var h header
	if len(src) < 3 {
		return h, corruptf("%d bytes is too short for a header", len(src))
	}
	if src[0] != Version {
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
