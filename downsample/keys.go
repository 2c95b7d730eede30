package downsample

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
)

// namespace is the storage metadata namespace of downsampling.
const namespace = "downsample"

// Kinds of metadata keys (the first byte of every key; see docs/format.md,
// Downsampling).
const (
	keyConfig    = 'C' // 'C' name → config record (JSON)
	keyNextID    = 'N' // 'N' → next config id, uint32
	keyWatermark = 'W' // 'W' id → watermark (ordered int64)
	keyMarker    = 'M' // 'M' id bucket seq series → "" (a bucket to re-aggregate)
	keyRange     = 'R' // 'R' id seq → series lo hi (a delete of one series)
	keyState     = 'S' // 'S' id bucket series → partial states
	keyBackfill  = 'B' // 'B' id → from next end (history still to write)
)

// minTime bounds times from below, far from the overflow of bucket
// arithmetic.
const minTime = -1 << 62

// maxTime bounds times from above.
const maxTime = math.MaxInt64 - 1<<40

func appendTime(dst []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t)^(1<<63))
}

func readTime(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

func appendID(dst []byte, kind byte, id uint32) []byte {
	return binary.BigEndian.AppendUint32(append(dst, kind), id)
}

func configKey(name string) []byte { return append([]byte{keyConfig}, name...) }

func watermarkKey(id uint32) []byte { return appendID(nil, keyWatermark, id) }

func markerKey(id uint32, bucket int64, seq uint64, series string) []byte {
	k := appendTime(appendID(nil, keyMarker, id), bucket)
	k = binary.BigEndian.AppendUint64(k, seq)
	return append(k, series...)
}

// parseMarker splits the part of a marker key after the kind and id.
func parseMarker(rest []byte) (bucket int64, seq uint64, series string, ok bool) {
	if len(rest) < 16 {
		return 0, 0, "", false
	}
	return readTime(rest), binary.BigEndian.Uint64(rest[8:]), string(rest[16:]), true
}

func rangeKey(id uint32, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(appendID(nil, keyRange, id), seq)
}

func rangeValue(series string, lo, hi int64) []byte {
	v := binary.AppendUvarint(nil, uint64(len(series)))
	v = append(v, series...)
	return appendTime(appendTime(v, lo), hi)
}

func parseRangeValue(v []byte) (series string, lo, hi int64, ok bool) {
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) != n+16 {
		return "", 0, 0, false
	}
	series = string(v[k : k+int(n)])
	rest := v[k+int(n):]
	return series, readTime(rest), readTime(rest[8:]), true
}

func stateKey(id uint32, bucket int64, series string) []byte {
	return append(appendTime(appendID(nil, keyState, id), bucket), series...)
}

// seriesKey is the identity of a series in a config: its tags as a series
// key without measurement (",host=a,region=eu"), the same in every tier.
func appendSeriesKey(dst []byte, tags model.Tags) []byte {
	return model.AppendSeriesKey(dst, "", tags)
}

func seriesTags(series string) (model.Tags, error) {
	_, tags, err := model.ParseSeriesKey([]byte(series))
	return tags, err
}

// errCorrupt reports undecodable downsample metadata.
var errCorrupt = errors.New("corrupt downsample metadata")

// appendStates encodes the partial states of a bucket, one per output in
// order: a uvarint length and the aggregate encoding, length 0 for an
// output without values.
func appendStates(dst []byte, sts []aggregate.State) ([]byte, error) {
	var scratch []byte
	for _, s := range sts {
		if s == nil {
			dst = append(dst, 0)
			continue
		}
		var err error
		scratch, err = s.AppendBinary(scratch[:0])
		if err != nil {
			return nil, err
		}
		dst = binary.AppendUvarint(dst, uint64(len(scratch)))
		dst = append(dst, scratch...)
	}
	return dst, nil
}

// decodeStates decodes n states encoded by appendStates.
func decodeStates(v []byte, n int) ([]aggregate.State, error) {
	out := make([]aggregate.State, n)
	for i := range n {
		l, k := binary.Uvarint(v)
		if k <= 0 || uint64(len(v)-k) < l {
			return nil, fmt.Errorf("%w: state %d of %d truncated", errCorrupt, i, n)
		}
		v = v[k:]
		if l > 0 {
			s, err := aggregate.Decode(v[:l])
			if err != nil {
				return nil, fmt.Errorf("%w: state %d: %v", errCorrupt, i, err)
			}
			out[i] = s
		}
		v = v[l:]
	}
	if len(v) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after %d states", errCorrupt, len(v), n)
	}
	return out, nil
}
