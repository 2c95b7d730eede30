package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Key spaces. Every Pebble key accrete writes starts with one of these bytes;
// docs/format.md has the byte diagrams.
const (
	spaceVersion byte = 0x00 // format version marker
	spaceCatalog byte = 0x01 // databases and retention policies
	spaceCounter byte = 0x02 // global counters
	spaceIndex   byte = 0x03 // per-RP series index, fields, partitions
	spaceData    byte = 0x04 // per-RP time-series data
	spaceMeta    byte = 0x05 // metadata of other packages
)

// Sub-spaces of spaceIndex, after the 4-byte RP id.
const (
	indexCounters  byte = 0x00
	indexSeries    byte = 0x01
	indexField     byte = 0x02
	indexPartition byte = 0x03
)

// Kinds of data keys, after series and field id. Chunks sort before blocks.
const (
	kindChunk byte = 0x01
	kindBlock byte = 0x02
)

// formatVersion is the on-disk layout version stored under versionKey.
const formatVersion = 1

var (
	versionKey = []byte{spaceVersion, 'f', 'o', 'r', 'm', 'a', 't'}
	seqKey     = []byte{spaceCounter, 's', 'e', 'q'}
	rpIDKey    = []byte{spaceCounter, 'r', 'p'}
)

// errBadKey is returned by the key decoders for keys of the wrong shape.
var errBadKey = errors.New("malformed key")

// flip maps an int64 to a uint64 whose big-endian bytes sort like the int64.
func flip(t int64) uint64 { return uint64(t) ^ (1 << 63) }

// unflip is the inverse of flip.
func unflip(u uint64) int64 { return int64(u ^ (1 << 63)) }

// dataKeyLen is the length of every data key.
const dataKeyLen = 1 + 4 + 8 + 8 + 4 + 1 + 8

// dataKey is a decoded data key.
//
// For kindChunk, Suffix is the chunk's last timestamp (flipped on disk); for
// kindBlock it is the write batch's sequence number.
type dataKey struct {
	RP        uint32
	Partition int64
	Series    uint64
	Field     uint32
	Kind      byte
	Suffix    uint64
}

// appendDataKey appends the encoded key to dst.
func appendDataKey(dst []byte, k dataKey) []byte {
	dst = appendSeriesFieldPrefix(dst, k.RP, k.Partition, k.Series, k.Field)
	dst = append(dst, k.Kind)
	return binary.BigEndian.AppendUint64(dst, k.Suffix)
}

// appendRPDataPrefix appends the prefix shared by all data of one RP.
func appendRPDataPrefix(dst []byte, rp uint32) []byte {
	dst = append(dst, spaceData)
	return binary.BigEndian.AppendUint32(dst, rp)
}

// appendPartitionPrefix appends the prefix of all data of one partition.
func appendPartitionPrefix(dst []byte, rp uint32, part int64) []byte {
	dst = appendRPDataPrefix(dst, rp)
	return binary.BigEndian.AppendUint64(dst, flip(part))
}

// appendSeriesPrefix appends the prefix of all data of one series in one
// partition.
func appendSeriesPrefix(dst []byte, rp uint32, part int64, series uint64) []byte {
	dst = appendPartitionPrefix(dst, rp, part)
	return binary.BigEndian.AppendUint64(dst, series)
}

// appendSeriesFieldPrefix appends the prefix of all chunks and blocks of one
// series field in one partition.
func appendSeriesFieldPrefix(dst []byte, rp uint32, part int64, series uint64, field uint32) []byte {
	dst = appendSeriesPrefix(dst, rp, part, series)
	return binary.BigEndian.AppendUint32(dst, field)
}

// sfPrefixLen is the length of a series-field prefix.
const sfPrefixLen = dataKeyLen - 9

// parseDataKey decodes a data key.
func parseDataKey(b []byte) (dataKey, error) {
	var k dataKey
	if len(b) != dataKeyLen || b[0] != spaceData {
		return k, fmt.Errorf("%w: data key of %d bytes", errBadKey, len(b))
	}
	k.RP = binary.BigEndian.Uint32(b[1:])
	k.Partition = unflip(binary.BigEndian.Uint64(b[5:]))
	k.Series = binary.BigEndian.Uint64(b[13:])
	k.Field = binary.BigEndian.Uint32(b[21:])
	k.Kind = b[25]
	k.Suffix = binary.BigEndian.Uint64(b[26:])
	if k.Kind != kindChunk && k.Kind != kindBlock {
		return k, fmt.Errorf("%w: data key kind %#x", errBadKey, k.Kind)
	}
	return k, nil
}

// appendRPIndexPrefix appends the prefix shared by all index keys of an RP.
func appendRPIndexPrefix(dst []byte, rp uint32) []byte {
	dst = append(dst, spaceIndex)
	return binary.BigEndian.AppendUint32(dst, rp)
}

// appendIndexPrefix appends the prefix of one index sub-space of an RP.
func appendIndexPrefix(dst []byte, rp uint32, sub byte) []byte {
	return append(appendRPIndexPrefix(dst, rp), sub)
}

// appendSeriesIndexKey appends the index key of a series id; its value is
// the canonical series key.
func appendSeriesIndexKey(dst []byte, rp uint32, id uint64) []byte {
	dst = appendIndexPrefix(dst, rp, indexSeries)
	return binary.BigEndian.AppendUint64(dst, id)
}

// parseSeriesIndexKey returns the RP and series id of a series index key.
func parseSeriesIndexKey(b []byte) (rp uint32, id uint64, err error) {
	if len(b) != 14 || b[0] != spaceIndex || b[5] != indexSeries {
		return 0, 0, fmt.Errorf("%w: series index key %x", errBadKey, b)
	}
	return binary.BigEndian.Uint32(b[1:]), binary.BigEndian.Uint64(b[6:]), nil
}

// appendFieldIndexKey appends the index key of a measurement's field; its
// value is the field id (uvarint) followed by the type byte.
func appendFieldIndexKey(dst []byte, rp uint32, measurement, field string) []byte {
	dst = appendIndexPrefix(dst, rp, indexField)
	dst = binary.AppendUvarint(dst, uint64(len(measurement)))
	dst = append(dst, measurement...)
	return append(dst, field...)
}

// parseFieldIndexKey returns the parts of a field index key.
func parseFieldIndexKey(b []byte) (rp uint32, measurement, field string, err error) {
	if len(b) < 7 || b[0] != spaceIndex || b[5] != indexField {
		return 0, "", "", fmt.Errorf("%w: field index key %x", errBadKey, b)
	}
	rp = binary.BigEndian.Uint32(b[1:])
	n, k := binary.Uvarint(b[6:])
	if k <= 0 || uint64(len(b)-6-k) < n {
		return 0, "", "", fmt.Errorf("%w: field index key %x", errBadKey, b)
	}
	rest := b[6+k:]
	return rp, string(rest[:n]), string(rest[n:]), nil
}

// appendPartitionIndexKey appends the registry key of a partition; its value
// is the partition's last nanosecond (flipped, big-endian).
func appendPartitionIndexKey(dst []byte, rp uint32, start int64) []byte {
	dst = appendIndexPrefix(dst, rp, indexPartition)
	return binary.BigEndian.AppendUint64(dst, flip(start))
}

// parsePartitionIndexKey returns the RP and start of a partition registry
// key.
func parsePartitionIndexKey(b []byte) (rp uint32, start int64, err error) {
	if len(b) != 14 || b[0] != spaceIndex || b[5] != indexPartition {
		return 0, 0, fmt.Errorf("%w: partition key %x", errBadKey, b)
	}
	return binary.BigEndian.Uint32(b[1:]), unflip(binary.BigEndian.Uint64(b[6:])), nil
}

// appendCatalogKey appends the catalog key of a database.
func appendCatalogKey(dst []byte, db string) []byte {
	dst = append(dst, spaceCatalog)
	return append(dst, db...)
}

// appendMetaKey appends the key of a metadata entry of namespace ns.
func appendMetaKey(dst []byte, ns string, key []byte) []byte {
	dst = append(dst, spaceMeta, byte(len(ns)))
	dst = append(dst, ns...)
	return append(dst, key...)
}

// parseMetaKey splits a metadata key into namespace and key.
func parseMetaKey(b []byte) (ns string, key []byte, err error) {
	if len(b) < 2 || b[0] != spaceMeta || len(b) < 2+int(b[1]) {
		return "", nil, fmt.Errorf("%w: meta key %x", errBadKey, b)
	}
	n := int(b[1])
	return string(b[2 : 2+n]), b[2+n:], nil
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil when there is none (p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
