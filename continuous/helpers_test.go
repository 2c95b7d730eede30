package continuous

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// testDB opens a storage DB with database "db" in a temporary directory,
// closed when the test ends.
func testDB(t testing.TB, opts *storage.Options) (*storage.DB, string) {
	t.Helper()
	dir := t.TempDir()
	o := storage.Options{Durability: storage.DurabilityNone, CompactionInterval: -1}
	if opts != nil {
		o = *opts
	}
	db, err := storage.Open(dir, &o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	return db, dir
}

// testEngine opens an engine over db, closed when the test ends.
func testEngine(t testing.TB, db *storage.DB, opts *Options) *Engine {
	t.Helper()
	e, err := Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// write writes line protocol with the given precision to db's default
// retention policy.
func write(t testing.TB, db *storage.DB, precision model.Precision, lines string) {
	t.Helper()
	pts, err := model.ParseLines([]byte(lines), model.ParseOptions{Precision: precision})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write("db", "", pts); err != nil {
		t.Fatal(err)
	}
}

// dump returns the points of a measurement as sorted line protocol with
// timestamps in the given unit, one point per series and time.
func dump(t testing.TB, db *storage.DB, rp, measurement string, unit time.Duration) []string {
	t.Helper()
	series, err := db.Series("db", rp, measurement, nil)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := db.FieldKeys("db", rp, measurement)
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for _, s := range series {
		byTime := map[int64][]model.Field{}
		for _, f := range fields {
			cols, err := r.ReadAll("db", rp, s.ID, f.ID, math.MinInt64, math.MaxInt64)
			if err != nil {
				t.Fatal(err)
			}
			for i, ts := range cols.Times {
				byTime[ts] = append(byTime[ts], model.Field{Key: f.Name, Value: cols.Value(i)})
			}
		}
		times := make([]int64, 0, len(byTime))
		for ts := range byTime {
			times = append(times, ts)
		}
		slices.Sort(times)
		for _, ts := range times {
			p := model.Point{Measurement: s.Measurement, Tags: s.Tags, Fields: byTime[ts], Time: ts / int64(unit)}
			out = append(out, strings.TrimSpace(string(model.AppendLine(nil, &p))))
		}
	}
	sort.Strings(out)
	return out
}

func checkLines(t testing.TB, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func refresh(t testing.TB, e *Engine, name string, now time.Time) Stats {
	t.Helper()
	st, err := e.Refresh(context.Background(), name, now)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
