package retention

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// openDB opens a storage DB in dir (a fresh temporary one when "") and
// closes it when the test ends.
func openDB(t testing.TB, dir string) *storage.DB {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	db, err := storage.Open(dir, &storage.Options{Durability: storage.DurabilityNone, CompactionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pt returns a point with one float field v equal to its time.
func pt(m string, host string, ts int64) model.Point {
	return model.Point{Measurement: m, Tags: model.Tags{{Key: "host", Value: host}},
		Fields: []model.Field{{Key: "v", Value: model.Float(float64(ts))}}, Time: ts}
}

// pointKey names a stored value: series key, field and time.
type pointKey struct {
	series, field string
	t             int64
}

// readAll returns every stored value of a retention policy.
func readAll(t testing.TB, db *storage.DB, database, rp string) map[pointKey]float64 {
	t.Helper()
	out := map[pointKey]float64{}
	ms, err := db.Measurements(database, rp)
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cur := r.NewCursor()
	defer cur.Close()
	for _, m := range ms {
		series, err := db.Series(database, rp, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		fields, err := db.FieldKeys(database, rp, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range series {
			for _, f := range fields {
				if err := cur.Seek(database, rp, s.ID, f.ID, math.MinInt64, math.MaxInt64); err != nil {
					t.Fatal(err)
				}
				for cur.Next() {
					c := cur.Columns()
					for i, ts := range c.Times {
						out[pointKey{s.Key, f.Name, ts}] = c.Value(i).FloatV()
					}
				}
				if err := cur.Err(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return out
}

// diff describes how got differs from want, "" when equal.
func diff(got, want map[pointKey]float64) string {
	var out []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			out = append(out, fmt.Sprintf("missing %v", k))
		} else if g != v {
			out = append(out, fmt.Sprintf("%v = %v, want %v", k, g, v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("unexpected %v", k))
		}
	}
	if len(out) == 0 {
		return ""
	}
	sort.Strings(out)
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("... %d more", len(out)-10))
	}
	return fmt.Sprint(out)
}

// keyOf is the pointKey of a test point.
func keyOf(p model.Point) pointKey {
	return pointKey{string(p.SeriesKey()), "v", p.Time}
}
