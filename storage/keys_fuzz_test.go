package storage

import (
	"bytes"
	"testing"
	"time"
)

// FuzzDataKey checks that data keys round-trip and that their byte order
// is the order of (RP, partition, series, field, kind, suffix), which
// range reads, range deletions and compaction rely on.
func FuzzDataKey(f *testing.F) {
	f.Add(uint32(1), int64(0), uint64(1), uint32(1), true, uint64(7), uint32(1), int64(-1), uint64(1), uint32(2), false, uint64(0))
	f.Add(uint32(0xffffffff), int64(minInt64), uint64(0), uint32(0), false, uint64(1<<63), uint32(0), int64(maxInt64), uint64(1<<64-1), uint32(1<<32-1), true, uint64(1))
	f.Fuzz(func(t *testing.T, rp1 uint32, p1 int64, s1 uint64, f1 uint32, c1 bool, x1 uint64, rp2 uint32, p2 int64, s2 uint64, f2 uint32, c2 bool, x2 uint64) {
		kind := func(c bool) byte {
			if c {
				return kindChunk
			}
			return kindBlock
		}
		a := dataKey{rp1, p1, s1, f1, kind(c1), x1}
		b := dataKey{rp2, p2, s2, f2, kind(c2), x2}
		ka, kb := appendDataKey(nil, a), appendDataKey(nil, b)
		for _, k := range []struct {
			key []byte
			dk  dataKey
		}{{ka, a}, {kb, b}} {
			got, err := parseDataKey(k.key)
			if err != nil || got != k.dk {
				t.Fatalf("round trip of %+v: %+v, %v", k.dk, got, err)
			}
			if !bytes.HasPrefix(k.key, appendSeriesFieldPrefix(nil, k.dk.RP, k.dk.Partition, k.dk.Series, k.dk.Field)) {
				t.Fatal("series-field prefix is not a prefix")
			}
		}
		if got, want := bytes.Compare(ka, kb), compareDataKeys(a, b); got != want {
			t.Fatalf("order of %+v and %+v: bytes %d, fields %d", a, b, got, want)
		}
	})
}

func compareDataKeys(a, b dataKey) int {
	for _, c := range []int{
		cmpUint(uint64(a.RP), uint64(b.RP)), cmpInt64(a.Partition, b.Partition), cmpUint(a.Series, b.Series),
		cmpUint(uint64(a.Field), uint64(b.Field)), cmpUint(uint64(a.Kind), uint64(b.Kind)), cmpUint(a.Suffix, b.Suffix),
	} {
		if c != 0 {
			return c
		}
	}
	return 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FuzzParseKeys feeds arbitrary bytes to every key decoder: none may
// panic, and whatever parses must re-encode to the same bytes.
func FuzzParseKeys(f *testing.F) {
	f.Add(appendDataKey(nil, dataKey{1, 2, 3, 4, kindChunk, 5}))
	f.Add(appendSeriesIndexKey(nil, 1, 42))
	f.Add(appendFieldIndexKey(nil, 3, "cpu", "usage"))
	f.Add(appendPartitionIndexKey(nil, 3, -86400))
	f.Add(appendMetaKey(nil, "cq", []byte("k")))
	f.Add([]byte{spaceIndex, 0, 0, 0, 1, indexField, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := parseDataKey(b); err == nil && !bytes.Equal(appendDataKey(nil, k), b) {
			t.Fatalf("data key %x re-encodes as %x", b, appendDataKey(nil, k))
		}
		if rp, id, err := parseSeriesIndexKey(b); err == nil && !bytes.Equal(appendSeriesIndexKey(nil, rp, id), b) {
			t.Fatalf("series key %x does not round-trip", b)
		}
		if rp, m, fl, err := parseFieldIndexKey(b); err == nil && !bytes.Equal(appendFieldIndexKey(nil, rp, m, fl), b) {
			// A non-minimal uvarint length may parse; it must still decode
			// to parts that re-encode canonically and parse equal.
			rp2, m2, f2, err := parseFieldIndexKey(appendFieldIndexKey(nil, rp, m, fl))
			if err != nil || rp2 != rp || m2 != m || f2 != fl {
				t.Fatalf("field key %x does not round-trip", b)
			}
		}
		if rp, start, err := parsePartitionIndexKey(b); err == nil && !bytes.Equal(appendPartitionIndexKey(nil, rp, start), b) {
			t.Fatalf("partition key %x does not round-trip", b)
		}
		if ns, key, err := parseMetaKey(b); err == nil && !bytes.Equal(appendMetaKey(nil, ns, key), b) {
			t.Fatalf("meta key %x does not round-trip", b)
		}
	})
}

// FuzzPartitionFor checks that partitionFor always returns a partition
// holding t that does not overlap the existing ones.
func FuzzPartitionFor(f *testing.F) {
	f.Add(int64(0), int64(3600e9), int64(100), int64(-5))
	f.Add(int64(minInt64), int64(1), int64(maxInt64), int64(7))
	f.Fuzz(func(t *testing.T, a, d, b, c int64) {
		if d <= 0 {
			d = -d
		}
		if d <= 0 {
			d = 1
		}
		var parts []partition
		for _, ts := range []int64{a, b, c} {
			p, i, isNew := partitionFor(parts, ts, timeDuration(d))
			if ts < p.start || ts > p.last {
				t.Fatalf("partition %+v does not hold %d", p, ts)
			}
			if isNew {
				for _, q := range parts {
					if q.start <= p.last && p.start <= q.last {
						t.Fatalf("new partition %+v overlaps %+v", p, q)
					}
				}
				parts = append(parts[:i], append([]partition{p}, parts[i:]...)...)
			}
			for j := 1; j < len(parts); j++ {
				if parts[j-1].last >= parts[j].start {
					t.Fatalf("partitions out of order: %+v", parts)
				}
			}
		}
	})
}

func timeDuration(d int64) time.Duration { return time.Duration(d) }
