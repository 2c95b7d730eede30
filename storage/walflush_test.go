package storage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

// TestCompactionReleasesWAL checks that compaction of closed partitions
// (a pass of the background loop, run here directly) flushes the memtables
// when the write-ahead log has grown past walFlushBytes, so the log of the
// folded blocks is released, and that the data reads back unchanged
// afterwards; a small log is left alone.
func TestCompactionReleasesWAL(t *testing.T) {
	for _, big := range []bool{false, true} {
		t.Run(fmt.Sprintf("big=%v", big), func(t *testing.T) {
			db := openTestDB(t, &Options{
				Durability:      DurabilityNone,
				CompactionDelay: time.Nanosecond,
			})
			if err := db.CreateDatabase("db"); err != nil {
				t.Fatal(err)
			}
			series, points := 2, 100
			if big {
				series, points = 20, 5000 // 64-byte random strings
			}
			rng := rand.New(rand.NewPCG(1, 2))
			want := map[string]string{}
			for s := range series {
				var pts []model.Point
				for i := range points {
					ts := int64(i) * int64(10*time.Second)
					b := make([]byte, 64)
					for j := range b {
						b[j] = byte(rng.Uint32())
					}
					v := string(b)
					pts = append(pts, pt("cpu", ts, []string{"host", fmt.Sprint(s)}, fv("v", model.String(v))))
					want[fmt.Sprintf("%d/%d", s, ts)] = v
				}
				if err := db.Write("db", "", pts); err != nil {
					t.Fatal(err)
				}
			}
			walBefore := db.pdb.Metrics().WAL.Size
			if big && walBefore < walFlushBytes {
				t.Fatalf("test wrote only %d bytes of WAL, want at least %d", walBefore, walFlushBytes)
			}
			if err := db.compactPending(db.newCompactor()); err != nil {
				t.Fatal(err)
			}
			st := db.Stats()
			if st.CompactedKeys == 0 || st.PendingCompaction != 0 {
				t.Fatalf("nothing compacted: %+v", st)
			}
			walAfter := db.pdb.Metrics().WAL.Size
			if big {
				if st.WALFlushes != 1 || walAfter >= walBefore/4 {
					t.Fatalf("WAL %d → %d bytes after %d flushes, want one flush releasing it", walBefore, walAfter, st.WALFlushes)
				}
			} else if st.WALFlushes != 0 {
				t.Fatalf("%d flushes for a %d-byte WAL", st.WALFlushes, walBefore)
			}
			r, err := db.NewReader()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			fi, ok, err := db.Field("db", "", "cpu", "v")
			if err != nil || !ok {
				t.Fatalf("field: %v %v", ok, err)
			}
			ss, err := db.Series("db", "", "cpu", nil)
			if err != nil || len(ss) != series {
				t.Fatalf("%d series, %v", len(ss), err)
			}
			n := 0
			for _, s := range ss {
				cols, err := r.ReadAll("db", "", s.ID, fi.ID, math.MinInt64, math.MaxInt64)
				if err != nil {
					t.Fatal(err)
				}
				host := s.Tags[0].Value
				for i, ts := range cols.Times {
					if w, ok := want[host+"/"+fmt.Sprint(ts)]; !ok || w != cols.Strings[i] {
						t.Fatalf("%s at %d: %q, want %q", s.Key, ts, cols.Strings[i], w)
					}
					n++
				}
			}
			if n != len(want) {
				t.Fatalf("read %d points, want %d", n, len(want))
			}
		})
	}
}
