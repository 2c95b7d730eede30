package storage

import (
	"slices"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/cockroachdb/pebble/v2"
)

// TestCompactionKeepsBlocksCommittedMeanwhile commits blocks to the series
// field being compacted after compaction read it and before it committed
// the range deletion of the blocks it read: they must survive, stay newer
// than the new chunks, and be folded in by the next compaction.
func TestCompactionKeepsBlocksCommittedMeanwhile(t *testing.T) {
	db := openTestDB(t, &Options{MaxChunkPoints: 4})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	sec := int64(time.Second)
	a, b := []string{"host", "a"}, []string{"host", "b"}
	for i := range int64(6) {
		mustWrite(t, db, "", pt("cpu", i*sec, a, fv("v", model.Int(i))))
		mustWrite(t, db, "", pt("cpu", i*sec, b, fv("v", model.Int(i))))
	}
	var ref partRef
	db.state.RLock()
	for id, rp := range db.state.rps {
		ref = partRef{id, rp.parts[0].start}
	}
	db.state.RUnlock()

	c := db.newCompactor()
	calls := 0
	c.beforeCommit = func() {
		calls++
		if calls > 1 {
			return
		}
		// An overwrite of a compacted time and a new time, for series a,
		// and a block of b between its compacted blocks' times.
		mustWrite(t, db, "", pt("cpu", 2*sec, a, fv("v", model.Int(100))), pt("cpu", 9*sec, a, fv("v", model.Int(9))))
		mustWrite(t, db, "", pt("cpu", 3*sec, b, fv("v", model.Int(300))))
	}
	compact := func() {
		db.maint.Lock()
		defer db.maint.Unlock()
		if err := c.compact(ref, 0); err != nil {
			t.Fatal(err)
		}
	}
	compact()
	if calls != 1 {
		t.Fatalf("beforeCommit ran %d times, want 1", calls)
	}
	wantA := []string{"0=0", "1000000000=1", "2000000000=100", "3000000000=3", "4000000000=4", "5000000000=5", "9000000000=9"}
	wantB := []string{"0=0", "1000000000=1", "2000000000=2", "3000000000=300", "4000000000=4", "5000000000=5"}
	check := func(stage string, blocks int) {
		t.Helper()
		if got := readInts(t, db, "", "cpu,host=a", "v"); !slices.Equal(got, wantA) {
			t.Errorf("%s: a = %v, want %v", stage, got, wantA)
		}
		if got := readInts(t, db, "", "cpu,host=b", "v"); !slices.Equal(got, wantB) {
			t.Errorf("%s: b = %v, want %v", stage, got, wantB)
		}
		if n := countKeys(t, db, kindBlock); n != blocks {
			t.Errorf("%s: %d blocks, want %d", stage, n, blocks)
		}
		if err := checkConsistency(db); err != nil {
			t.Errorf("%s: %v", stage, err)
		}
	}
	// The two blocks written meanwhile (one per batch) survive.
	check("after compaction", 2)
	compact()
	check("after second compaction", 0)
}

// countKeys counts the live data keys of a kind.
func countKeys(t *testing.T, db *DB, kind byte) int {
	t.Helper()
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceData}, UpperBound: []byte{spaceData + 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		if it.Key()[sfPrefixLen] == kind {
			n++
		}
	}
	return n
}
