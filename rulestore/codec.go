package rulestore

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/accretedb/accrete/rulelang"
)

// Keys of the rules namespace. docs/format.md ("Rules") has the diagrams.
const (
	namespace    = "rules"
	recordFormat = 1 // the first byte of every record

	prefixProgram byte = 'p' // 'p' name → program record
	prefixFact    byte = 'f' // 'f' type 0x00 key → fact record
)

// Value tags of the value encoding.
const (
	tagString byte = 1
	tagNumber byte = 2
	tagBool   byte = 3
)

// Flags of a fact record.
const flagLive byte = 1

// programKey returns the key of a program record.
func programKey(name string) []byte {
	return append([]byte{prefixProgram}, name...)
}

// typePrefix returns the prefix of the keys of a type's fact records.
func typePrefix(typ string) []byte {
	b := make([]byte, 0, len(typ)+2)
	b = append(b, prefixFact)
	b = append(b, typ...)
	return append(b, 0)
}

// factKey returns the key of the fact record of a type and an encoded fact
// key (see appendFactKey).
func factKey(typ string, key string) []byte {
	b := make([]byte, 0, len(typ)+2+len(key))
	b = append(b, prefixFact)
	b = append(b, typ...)
	b = append(b, 0)
	return append(b, key...)
}

// appendValue appends the encoding of one value: a tag byte, then a
// uvarint length and the bytes of a string, the 8 little-endian bytes of a
// number's IEEE 754 bits, or one byte 0 or 1 for a bool.
func appendValue(dst []byte, v rulelang.Value) []byte {
	switch v.Type {
	case rulelang.TypeString:
		dst = append(dst, tagString)
		dst = binary.AppendUvarint(dst, uint64(len(v.Str)))
		return append(dst, v.Str...)
	case rulelang.TypeNumber:
		dst = append(dst, tagNumber)
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Num))
	case rulelang.TypeBool:
		b := byte(0)
		if v.Bool {
			b = 1
		}
		return append(dst, tagBool, b)
	}
	panic("BUG: encoding of a value of invalid type")
}

// readValue decodes one value of the wanted type from the front of b and
// returns it with the rest of b.
func readValue(b []byte, want rulelang.Type) (rulelang.Value, []byte, error) {
	if len(b) == 0 {
		return rulelang.Value{}, nil, fmt.Errorf("%w: value missing", ErrCorrupt)
	}
	tag, b := b[0], b[1:]
	switch {
	case tag == tagString && want == rulelang.TypeString:
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return rulelang.Value{}, nil, fmt.Errorf("%w: bad string length", ErrCorrupt)
		}
		b = b[k:]
		return rulelang.StringValue(string(b[:n])), b[n:], nil
	case tag == tagNumber && want == rulelang.TypeNumber:
		if len(b) < 8 {
			return rulelang.Value{}, nil, fmt.Errorf("%w: short number", ErrCorrupt)
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(b))
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return rulelang.Value{}, nil, fmt.Errorf("%w: number %v is not finite", ErrCorrupt, f)
		}
		return rulelang.NumberValue(f), b[8:], nil
	case tag == tagBool && want == rulelang.TypeBool:
		if len(b) < 1 || b[0] > 1 {
			return rulelang.Value{}, nil, fmt.Errorf("%w: bad bool", ErrCorrupt)
		}
		return rulelang.BoolValue(b[0] == 1), b[1:], nil
	}
	return rulelang.Value{}, nil, fmt.Errorf("%w: value tag %d where a %s is declared", ErrCorrupt, tag, want)
}

// appendFactKey appends the encoded key of a fact: its key field's value,
// or, for a type without a key field, every value in field order. Numbers
// equal as the language compares them encode equally: -0 is written as 0.
func appendFactKey(dst []byte, t *rulelang.TypeInfo, values []rulelang.Value) []byte {
	if t.Key >= 0 {
		return appendKeyValue(dst, values[t.Key])
	}
	for _, v := range values {
		dst = appendKeyValue(dst, v)
	}
	return dst
}

// appendKeyValue is appendValue with -0 written as 0.
func appendKeyValue(dst []byte, v rulelang.Value) []byte {
	if v.Type == rulelang.TypeNumber && v.Num == 0 {
		v.Num = 0
	}
	return appendValue(dst, v)
}

// decodeFactKey decodes an encoded fact key into the values of a fact of
// t: the key field holds the key and every other field its type's zero
// value (a type without a key field gets all its values back).
func decodeFactKey(t *rulelang.TypeInfo, key []byte) ([]rulelang.Value, error) {
	vals := make([]rulelang.Value, len(t.Fields))
	var err error
	for i, f := range t.Fields {
		if t.Key >= 0 && i != t.Key {
			vals[i] = zeroValue(f.Type)
			continue
		}
		if vals[i], key, err = readValue(key, f.Type); err != nil {
			return nil, fmt.Errorf("key of %s: %w", t.Name, err)
		}
	}
	if len(key) > 0 {
		return nil, fmt.Errorf("key of %s: %w: %d trailing bytes", t.Name, ErrCorrupt, len(key))
	}
	return vals, nil
}

func zeroValue(t rulelang.Type) rulelang.Value {
	switch t {
	case rulelang.TypeString:
		return rulelang.StringValue("")
	case rulelang.TypeNumber:
		return rulelang.NumberValue(0)
	case rulelang.TypeBool:
		return rulelang.BoolValue(false)
	}
	panic("BUG: zero value of an invalid type")
}

// appendFactRecord appends a fact record: the format byte, the flags (live
// or retracted), the first-assert sequence number, and, for a live fact,
// its values in field order.
func appendFactRecord(dst []byte, seq uint64, values []rulelang.Value) []byte {
	flags := byte(0)
	if values != nil {
		flags = flagLive
	}
	dst = append(dst, recordFormat, flags)
	dst = binary.AppendUvarint(dst, seq)
	for _, v := range values {
		dst = appendValue(dst, v)
	}
	return dst
}

// factRecord is a decoded fact record with its key.
type factRecord struct {
	typ    *rulelang.TypeInfo
	key    string // encoded fact key
	seq    uint64
	live   bool
	values []rulelang.Value // nil when retracted
}

// decodeFactRecord decodes the record of a fact of t.
func decodeFactRecord(t *rulelang.TypeInfo, key, rec []byte) (factRecord, error) {
	r := factRecord{typ: t, key: string(key)}
	if len(rec) < 2 || rec[0] != recordFormat || rec[1]&^flagLive != 0 {
		return r, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	r.live = rec[1]&flagLive != 0
	seq, k := binary.Uvarint(rec[2:])
	if k <= 0 || seq == 0 {
		return r, fmt.Errorf("%w: bad sequence number", ErrCorrupt)
	}
	r.seq = seq
	b := rec[2+k:]
	if !r.live {
		if len(b) > 0 {
			return r, fmt.Errorf("%w: values in a retracted fact's record", ErrCorrupt)
		}
		_, err := decodeFactKey(t, key)
		return r, err
	}
	r.values = make([]rulelang.Value, len(t.Fields))
	var err error
	for i, f := range t.Fields {
		if r.values[i], b, err = readValue(b, f.Type); err != nil {
			return r, fmt.Errorf("field %s: %w", f.Name, err)
		}
	}
	if len(b) > 0 {
		return r, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(b))
	}
	if got := string(appendFactKey(nil, t, r.values)); got != r.key {
		return r, fmt.Errorf("%w: the values do not match the key", ErrCorrupt)
	}
	return r, nil
}

// appendProgramRecord appends a program record: the format byte, the time
// of the last PUT in Unix nanoseconds (varint) and the source.
func appendProgramRecord(dst []byte, updated int64, src []byte) []byte {
	dst = append(dst, recordFormat)
	dst = binary.AppendVarint(dst, updated)
	return append(dst, src...)
}

// decodeProgramRecord decodes a program record.
func decodeProgramRecord(rec []byte) (updated int64, src []byte, err error) {
	if len(rec) < 1 || rec[0] != recordFormat {
		return 0, nil, fmt.Errorf("%w: bad program record header", ErrCorrupt)
	}
	updated, k := binary.Varint(rec[1:])
	if k <= 0 {
		return 0, nil, fmt.Errorf("%w: bad program record time", ErrCorrupt)
	}
	return updated, rec[1+k:], nil
}

// declSource writes type declarations in the language's syntax, the key
// field always marked with #.
func declSource(types []*rulelang.TypeInfo) []byte {
	var b strings.Builder
	for _, t := range types {
		b.WriteString("type ")
		b.WriteString(t.Name)
		b.WriteString(" : <")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			if i == t.Key {
				b.WriteByte('#')
			}
			b.WriteString(f.Name)
			b.WriteString(": ")
			b.WriteString(f.Type.String())
		}
		b.WriteString(">\n")
	}
	return []byte(b.String())
}

// sameType reports whether two declarations of a type agree: same name,
// fields, field types and key.
func sameType(a, b *rulelang.TypeInfo) bool {
	if a.Name != b.Name || a.Key != b.Key || len(a.Fields) != len(b.Fields) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i].Name != b.Fields[i].Name || a.Fields[i].Type != b.Fields[i].Type {
			return false
		}
	}
	return true
}
