package continuous

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/accretedb/accrete/model"
)

// namespace is the storage metadata namespace of continuous aggregates.
const namespace = "cq"

// Kinds of metadata keys (the first byte of every key; see docs/format.md).
const (
	keyDefinition = 'D' // 'D' name → definition record (JSON)
	keyNextID     = 'N' // 'N' → next aggregate id, uint32
	keyWatermark  = 'W' // 'W' id → watermark, retained-before (int64 each)
	keyMarker     = 'X' // 'X' id bucket group seq → "" (a late write)
	keyRange      = 'R' // 'R' id group seq → lo hi (a delete in one group)
	keyAllRange   = 'A' // 'A' id seq → lo hi (a range of every group)
	keyState      = 'S' // 'S' id group bucket → partial states
)

// unset is the watermark of an aggregate that has materialized nothing.
const unset = math.MinInt64

// minTime bounds the ranges aggregates work on from below, far from the
// overflow of bucket arithmetic (about the year 1824).
const minTime = -1 << 62

// orderedTime encodes t so that byte order is time order.
func orderedTime(t int64) uint64 { return uint64(t) ^ (1 << 63) }

func appendTime(dst []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(dst, orderedTime(t))
}

func readTime(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

func appendID(dst []byte, kind byte, id uint32) []byte {
	return binary.BigEndian.AppendUint32(append(dst, kind), id)
}

// appendGroup appends a group key with its length, so that keys holding it
// can be split again.
func appendGroup(dst []byte, group string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(group)))
	return append(dst, group...)
}

// readGroup splits a length-prefixed group key off b.
func readGroup(b []byte) (group string, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}

func definitionKey(name string) []byte { return append([]byte{keyDefinition}, name...) }

func watermarkKey(id uint32) []byte { return appendID(nil, keyWatermark, id) }

func markerKey(id uint32, bucket int64, group string, seq uint64) []byte {
	k := appendTime(appendID(nil, keyMarker, id), bucket)
	return binary.BigEndian.AppendUint64(appendGroup(k, group), seq)
}

func rangeKey(id uint32, group string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(appendGroup(appendID(nil, keyRange, id), group), seq)
}

func allRangeKey(id uint32, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(appendID(nil, keyAllRange, id), seq)
}

func statePrefix(id uint32, group string) []byte {
	return appendGroup(appendID(nil, keyState, id), group)
}

func stateKey(id uint32, group string, bucket int64) []byte {
	return appendTime(statePrefix(id, group), bucket)
}

// parseMarker splits the key of a late-write marker (without its kind and
// id).
func parseMarker(k []byte) (bucket int64, group string, ok bool) {
	if len(k) < 8+1+8 {
		return 0, "", false
	}
	bucket = readTime(k)
	group, rest, ok := readGroup(k[8:])
	return bucket, group, ok && len(rest) == 8
}

// parseRange splits the key of a group range (without its kind and id).
func parseRange(k []byte) (group string, ok bool) {
	group, rest, ok := readGroup(k)
	return group, ok && len(rest) == 8
}

func appendSpan(dst []byte, lo, hi int64) []byte { return appendTime(appendTime(dst, lo), hi) }

func readSpan(v []byte) (lo, hi int64, ok bool) {
	if len(v) != 16 {
		return 0, 0, false
	}
	return readTime(v), readTime(v[8:]), true
}

func seqOf(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }

// Group keys. A group is the values of the group-by tags of a source
// series; its key lists the tags with a non-empty value, sorted by key, as
// (uvarint length, bytes) pairs of key and value. The target series of the
// group carries exactly these tags, so the key of a target series' tags is
// its group's key.

// appendGroupTags appends the group key of tags, keeping the keys listed in
// keep (sorted) or all of them when all is set.
func appendGroupTags(dst []byte, tags model.Tags, keep []string, all bool) []byte {
	if all {
		for _, t := range tags {
			if t.Value != "" {
				dst = appendTagPair(dst, t.Key, t.Value)
			}
		}
		return dst
	}
	for _, k := range keep {
		if v, _ := tags.Get(k); v != "" {
			dst = appendTagPair(dst, k, v)
		}
	}
	return dst
}

func appendTagPair(dst []byte, k, v string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(k)))
	dst = append(dst, k...)
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...)
}

// groupTags decodes a group key into the target series' tags.
func groupTags(group string) (model.Tags, error) {
	var tags model.Tags
	b := []byte(group)
	for len(b) > 0 {
		k, rest, ok := readGroup(b)
		if !ok {
			return nil, fmt.Errorf("%w: group key %x", ErrCorrupt, group)
		}
		v, rest, ok := readGroup(rest)
		if !ok {
			return nil, fmt.Errorf("%w: group key %x", ErrCorrupt, group)
		}
		tags = append(tags, model.Tag{Key: k, Value: v})
		b = rest
	}
	return tags, nil
}
