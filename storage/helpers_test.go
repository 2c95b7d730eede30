package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage/chunk"
	"github.com/cockroachdb/pebble/v2"
)

// openTestDB opens a DB in a fresh temporary directory (or dir, when
// given) and checks its consistency when the test ends.
func openTestDB(t testing.TB, opts *Options, dir ...string) *DB {
	t.Helper()
	d := t.TempDir()
	if len(dir) > 0 {
		d = dir[0]
	}
	if opts == nil {
		opts = &Options{}
	}
	if opts.CompactionInterval == 0 {
		opts.CompactionInterval = -1
	}
	db, err := Open(d, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if db.closing.Load() {
			return
		}
		if err := checkConsistency(db); err != nil {
			t.Errorf("consistency: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

// checkConsistency verifies that every data key parses and belongs to a
// known RP, partition and series; that every chunk and block decodes,
// lies in its partition and (chunks) is keyed by its last time; that the
// chunks of a series field are disjoint and sorted; and that the persisted
// index equals the in-memory one.
func checkConsistency(db *DB) error {
	db.maint.Lock()
	defer db.maint.Unlock()
	db.mu.Lock()
	defer db.mu.Unlock()
	db.state.RLock()
	defer db.state.RUnlock()

	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceData}, UpperBound: []byte{spaceData + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	dec := chunk.NewDecoder()
	var cols chunk.Columns
	var prevSF []byte
	prevChunkMax := int64(minInt64)
	for it.First(); it.Valid(); it.Next() {
		k, err := parseDataKey(it.Key())
		if err != nil {
			return err
		}
		if !bytes.Equal(appendDataKey(nil, k), it.Key()) {
			return fmt.Errorf("key %x does not round-trip", it.Key())
		}
		rp := db.state.rps[k.RP]
		if rp == nil {
			return fmt.Errorf("data key %+v of unknown RP", k)
		}
		var part *partition
		for i := range rp.parts {
			if rp.parts[i].start == k.Partition {
				part = &rp.parts[i]
			}
		}
		if part == nil {
			return fmt.Errorf("data key %+v of unknown partition", k)
		}
		if rp.idx.byID[k.Series] == nil {
			return fmt.Errorf("data key %+v of unknown series", k)
		}
		s := rp.idx.byID[k.Series]
		fieldOK := false
		for _, f := range rp.idx.measurements[s.Measurement].fields {
			if f.ID == k.Field {
				fieldOK = true
			}
		}
		if !fieldOK {
			return fmt.Errorf("data key %+v of unknown field", k)
		}
		if err := dec.Decode(it.Value(), &cols); err != nil {
			return fmt.Errorf("key %+v: %v", k, err)
		}
		lo, hi := cols.Times[0], cols.Times[cols.Len()-1]
		if lo < part.start || hi > part.last {
			return fmt.Errorf("key %+v: times [%d, %d] outside partition [%d, %d]", k, lo, hi, part.start, part.last)
		}
		sf := it.Key()[:sfPrefixLen]
		if !bytes.Equal(sf, prevSF) {
			prevSF = append(prevSF[:0], sf...)
			prevChunkMax = minInt64
		}
		if k.Kind == kindChunk {
			if unflip(k.Suffix) != hi {
				return fmt.Errorf("chunk %+v keyed by %d, last time %d", k, unflip(k.Suffix), hi)
			}
			if lo <= prevChunkMax && prevChunkMax != minInt64 {
				return fmt.Errorf("chunk %+v overlaps its predecessor ending %d", k, prevChunkMax)
			}
			prevChunkMax = hi
		} else if k.Suffix > db.mu.seq {
			return fmt.Errorf("block %+v newer than the last sequence %d", k, db.mu.seq)
		}
	}
	if err := it.Error(); err != nil {
		return err
	}

	// The persisted index equals the in-memory one.
	for _, rp := range db.state.rps {
		lo := appendIndexPrefix(nil, rp.id, indexSeries)
		sit, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
		if err != nil {
			return err
		}
		n := 0
		for sit.First(); sit.Valid(); sit.Next() {
			_, id, err := parseSeriesIndexKey(sit.Key())
			if err != nil {
				sit.Close()
				return err
			}
			s := rp.idx.byID[id]
			if s == nil || s.Key != string(sit.Value()) {
				sit.Close()
				return fmt.Errorf("persisted series %d %q not in memory", id, sit.Value())
			}
			if _, _, err := model.ParseSeriesKey(sit.Value()); err != nil {
				sit.Close()
				return err
			}
			n++
		}
		sit.Close()
		if n != len(rp.idx.byID) || n != len(rp.idx.byKey) {
			return fmt.Errorf("rp %d: %d persisted series, %d/%d in memory", rp.id, n, len(rp.idx.byID), len(rp.idx.byKey))
		}
		lo = appendIndexPrefix(nil, rp.id, indexField)
		fit, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
		if err != nil {
			return err
		}
		nf := 0
		for fit.First(); fit.Valid(); fit.Next() {
			_, m, f, err := parseFieldIndexKey(fit.Key())
			if err != nil {
				fit.Close()
				return err
			}
			id, _ := binary.Uvarint(fit.Value())
			mi := rp.idx.measurements[m]
			if mi == nil || mi.fields[f].ID != uint32(id) {
				fit.Close()
				return fmt.Errorf("persisted field %q.%q id %d not in memory", m, f, id)
			}
			nf++
		}
		fit.Close()
		total := 0
		for _, m := range rp.idx.measurements {
			total += len(m.fields)
		}
		if nf != total {
			return fmt.Errorf("rp %d: %d persisted fields, %d in memory", rp.id, nf, total)
		}
	}
	return nil
}

// pt builds a point; tags alternate key, value.
func pt(m string, ts int64, tags []string, fields ...model.Field) model.Point {
	p := model.Point{Measurement: m, Time: ts, Fields: fields}
	for i := 0; i+1 < len(tags); i += 2 {
		p.Tags = append(p.Tags, model.Tag{Key: tags[i], Value: tags[i+1]})
	}
	p.Tags.Sort()
	return p
}

func fv(k string, v model.FieldValue) model.Field { return model.Field{Key: k, Value: v} }
