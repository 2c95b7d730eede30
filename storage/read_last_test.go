package storage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

// TestLastAgainstModel compares Cursor.Last with the newest value of the
// reference model in random ranges, over random writes (overwrites, late
// points, several partitions), deletes and compactions, so that the newest
// value comes from chunk headers, decoded chunks, recent blocks and their
// merge.
func TestLastAgainstModel(t *testing.T) {
	seeds := []uint64{11, 12, 13, 14}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, seed*31))
			db := openTestDB(t, &Options{
				Durability:        DurabilityNone,
				PartitionDuration: time.Hour,
				MaxChunkPoints:    4 + r.IntN(20),
				MaxBlocks:         1 << 20,
			})
			if err := db.CreateDatabase("db"); err != nil {
				t.Fatal(err)
			}
			m := newRefModel()
			for step := range 60 {
				switch op := r.IntN(10); {
				case op < 7:
					pts := randomPoints(r, 1+r.IntN(30))
					if err := db.Write("db", "", pts); err != nil {
						t.Fatal(err)
					}
					m.write("autogen", pts)
				case op < 8:
					minT := (r.Int64N(12*60) - 6*60) * int64(time.Minute)
					maxT := minT + r.Int64N(60)*int64(time.Minute)
					if err := db.DeleteSeries("db", "", "", nil, minT, maxT); err != nil {
						t.Fatal(err)
					}
					m.delete("autogen", "", nil, minT, maxT)
				default:
					if err := db.Compact(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				if step%10 == 9 {
					checkLast(t, db, m, r, fmt.Sprint("step ", step))
				}
			}
		})
	}
}

func checkLast(t *testing.T, db *DB, m *refModel, r *rand.Rand, stage string) {
	t.Helper()
	reader, err := db.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	cur := reader.NewCursor()
	defer cur.Close()
	series, err := db.Series("db", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range series {
		for _, f := range propertyFields {
			fi, ok, err := db.Field("db", "", s.Measurement, f.name)
			if err != nil || !ok {
				continue
			}
			vals := m.data["autogen"][s.Key][f.name]
			for range 8 {
				minT, maxT := int64(math.MinInt64), int64(math.MaxInt64)
				switch r.IntN(3) {
				case 1:
					minT = (r.Int64N(12*60) - 6*60) * int64(time.Minute)
					maxT = minT + r.Int64N(3*60)*int64(time.Minute)
				case 2:
					maxT = (r.Int64N(12*60) - 6*60) * int64(time.Minute)
				}
				var wantT int64
				var want model.FieldValue
				found := false
				for ts, v := range vals {
					if ts >= minT && ts <= maxT && (!found || ts > wantT) {
						wantT, want, found = ts, v, true
					}
				}
				gotT, got, ok, err := cur.Last("db", "", s.ID, fi.ID, minT, maxT)
				if err != nil {
					t.Fatalf("%s: Last %s %s: %v", stage, s.Key, f.name, err)
				}
				if ok != found || found && (gotT != wantT || !got.Equal(want)) {
					t.Fatalf("%s: Last %s %s [%d,%d] = %d %v %v, want %d %v %v", stage, s.Key, f.name, minT, maxT, gotT, got, ok, wantT, want, found)
				}
				// The cursor still reads forwards after Last.
				if err := cur.Seek("db", "", s.ID, fi.ID, minT, maxT); err != nil {
					t.Fatal(err)
				}
				n := 0
				for cur.Next() {
					n += cur.Columns().Len()
				}
				if err := cur.Err(); err != nil {
					t.Fatal(err)
				}
				wantN := 0
				for ts := range vals {
					if ts >= minT && ts <= maxT {
						wantN++
					}
				}
				if n != wantN {
					t.Fatalf("%s: Seek after Last read %d values, want %d", stage, n, wantN)
				}
			}
		}
	}
}

// BenchmarkLastTSBS reads the newest value of every field of 100 series
// of a TSBS day (1,000 series fields, 10 integer fields each): what SELECT
// * ... GROUP BY hostname ORDER BY time DESC LIMIT 1 reads. Sub-benchmarks:
// "background" after the background compaction step (blocks folded into
// chunks, their keys deleted but the deletions not yet compacted away by
// Pebble), "compacted" after DB.Compact (which also compacts Pebble's data
// space).
func BenchmarkLastTSBS(b *testing.B) {
	db := openTestDB(b, &Options{Durability: DurabilityNone})
	if err := db.CreateDatabase("db"); err != nil {
		b.Fatal(err)
	}
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	const hosts, rows, fields = 100, 8640, 10
	batch := make([]model.Point, 0, 10000)
	for row := range rows {
		for h := range hosts {
			fs := make([]model.Field, fields)
			for f := range fs {
				fs[f] = fv(fmt.Sprint("f", f), model.Int(int64((row*7+h*3+f)%101)))
			}
			batch = append(batch, pt("cpu", start+int64(row)*10e9, []string{"hostname", fmt.Sprint("host_", h)}, fs...))
			if len(batch) == cap(batch) {
				if err := db.Write("db", "", batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	}
	if err := db.Write("db", "", batch); err != nil {
		b.Fatal(err)
	}
	series, err := db.Series("db", "", "cpu", nil)
	if err != nil {
		b.Fatal(err)
	}
	infos, err := db.FieldKeys("db", "", "cpu")
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B) {
		reader, err := db.NewReader()
		if err != nil {
			b.Fatal(err)
		}
		defer reader.Close()
		cur := reader.NewCursor()
		defer cur.Close()
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range series {
				for _, f := range infos {
					if _, _, ok, err := cur.Last("db", "", s.ID, f.ID, math.MinInt64, math.MaxInt64); !ok || err != nil {
						b.Fatal(ok, err)
					}
				}
			}
		}
	}
	// What the background loop does to a closed partition.
	if err := db.compactPending(db.newCompactor()); err != nil {
		b.Fatal(err)
	}
	b.Run("background", run)
	if err := db.Compact(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Run("compacted", run)
}
