package chunk

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"slices"
	"sync"

	"github.com/accretedb/accrete/model"
	"github.com/klauspost/compress/zstd"
)

// Decoder decodes chunks. It keeps a zstd decoder, which is expensive to
// build, and the decompression buffer: keep one per goroutine that reads
// chunks (a Decoder is not safe for concurrent use). Decoded columns never
// alias the Decoder's buffers or the source bytes.
type Decoder struct {
	zstd *zstd.Decoder
	buf  []byte
	ints []int64
	dict []string
}

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder { return &Decoder{} }

// Decode decodes the chunk src, which must be exactly one chunk, into
// into, replacing its contents and reusing its columns' capacity. It
// verifies the checksum first; a corrupt chunk is an error wrapping
// ErrCorrupt, never a panic. On error into is left empty.
func (d *Decoder) Decode(src []byte, into *Columns) error {
	if err := d.decode(src, into, math.MaxInt64); err != nil {
		into.Reset()
		return err
	}
	return nil
}

// DecodeUntil is Decode keeping only the points at or before maxT, for a
// reader that needs no later point: the integer and unsigned values after
// them are not decoded. The checksum of the whole chunk and its
// timestamps are verified as by Decode; the structure of the payload past
// the values decoded is not.
func (d *Decoder) DecodeUntil(src []byte, into *Columns, maxT int64) error {
	if err := d.decode(src, into, maxT); err != nil {
		into.Reset()
		return err
	}
	return nil
}

func (d *Decoder) decode(src []byte, into *Columns, maxT int64) error {
	h, err := parseHeader(src)
	if err != nil {
		return err
	}
	if h.Len != len(src) {
		return corruptf("%d bytes of trailing data after the chunk", len(src)-h.Len)
	}
	stored := src[h.payloadOff:]
	want := binary.LittleEndian.Uint32(src[h.crcOff:])
	crc := crc32.Update(crc32.Checksum(src[:h.crcOff], castagnoli), castagnoli, stored)
	if crc != want {
		return corruptf("checksum %#08x, want %#08x", crc, want)
	}
	payload, err := d.decompress(h, stored)
	if err != nil {
		return err
	}

	into.reset(h.Type, h.Count)
	rest, err := decodeTimes(into.Times, payload, h.MinTime, h.MaxTime)
	if err != nil {
		return err
	}
	if h.MaxTime > maxT && (h.Type == model.TypeInteger || h.Type == model.TypeUnsigned) {
		// Values are differences from the previous one: decode those up
		// to the last point kept and drop the rest unread.
		n, found := slices.BinarySearch(into.Times, maxT)
		if found {
			n++
		}
		into.Times = into.Times[:n]
		if h.Type == model.TypeInteger {
			into.Ints = into.Ints[:n]
			if n > 0 {
				_, err = decodeInts(into.Ints, rest)
			}
		} else {
			into.Uints = into.Uints[:n]
			if n > 0 {
				_, err = decodeUints(into.Uints, rest)
			}
		}
		return err
	}
	switch h.Type {
	case model.TypeFloat:
		err = decodeFloats(into.Floats, rest)
		rest = nil
	case model.TypeInteger:
		rest, err = decodeInts(into.Ints, rest)
	case model.TypeUnsigned:
		rest, err = decodeUints(into.Uints, rest)
	case model.TypeString:
		d.ints, d.dict, err = decodeStrings(into.Strings, rest, d.ints, d.dict)
		clear(d.dict)
		rest = nil
	case model.TypeBoolean:
		err = decodeBools(into.Bools, rest)
		rest = nil
	}
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return corruptf("%d bytes of trailing data in the payload", len(rest))
	}
	return checkLast(src, h, into)
}

// checkLast verifies that the last value in a version 2 header is the
// decoded one.
func checkLast(src []byte, h header, c *Columns) error {
	if h.lastOff == 0 {
		return nil
	}
	got := c.Value(c.Len() - 1)
	if h.Type == model.TypeString {
		// Compare in place rather than copy the string out.
		r := varintReader{src: src, off: h.lastOff}
		n := int(r.uvarint()) // parseHeader checked it
		if string(src[r.off:r.off+n]) != got.StringV() {
			return corruptf("header's last value differs from the payload's %q", got.StringV())
		}
		return nil
	}
	v, _, err := readLastValue(src, h.lastOff, h.Type)
	if err != nil {
		return err
	}
	if v.Bits() != got.Bits() {
		return corruptf("header's last value %v, payload's %v", v, got)
	}
	return nil
}

// decompress returns the payload of a chunk with header h whose stored
// payload is stored. The result may alias stored or d.buf.
func (d *Decoder) decompress(h header, stored []byte) ([]byte, error) {
	switch h.comp {
	case storedZstd:
		if d.zstd == nil {
			d.zstd = newZstdDecoder()
		}
		if cap(d.buf) < h.rawLen {
			d.buf = make([]byte, 0, h.rawLen)
		}
		out, err := d.zstd.DecodeAll(stored, d.buf[:0])
		if err != nil {
			return nil, corruptf("zstd: %v", err)
		}
		d.buf = out[:0]
		if len(out) != h.rawLen {
			return nil, corruptf("payload is %d bytes, want %d", len(out), h.rawLen)
		}
		return out, nil
	}
	return stored, nil
}

func newZstdDecoder() *zstd.Decoder {
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(MaxPayload),
		zstd.WithDecodeAllCapLimit(true),
		zstd.IgnoreChecksum(true), // the chunk has its own checksum
	)
	if err != nil {
		panic("BUG: zstd decoder options: " + err.Error())
	}
	return dec
}

// decoders caches Decoders for the package-level Decode; like encoders it
// is only a cache.
var decoders = sync.Pool{New: func() any { return NewDecoder() }}

// GetDecoder returns a Decoder from the pool that Decode uses, so that
// short-lived readers share decoders (and their zstd state) instead of
// building their own. Return it with PutDecoder when done.
func GetDecoder() *Decoder { return decoders.Get().(*Decoder) }

// PutDecoder returns d to the pool. The caller must not use d afterwards;
// columns it decoded stay valid (they never alias a Decoder's buffers).
func PutDecoder(d *Decoder) { decoders.Put(d) }

// Decode decodes the chunk src into into using a Decoder from an internal
// pool. See [Decoder.Decode].
func Decode(src []byte, into *Columns) error {
	d := decoders.Get().(*Decoder)
	defer decoders.Put(d)
	return d.Decode(src, into)
}
