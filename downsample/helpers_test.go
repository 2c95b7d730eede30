package downsample

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// fakeClock is a settable clock.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) set(t time.Duration) { c.ns.Store(int64(t)) }

// openDB opens a storage DB in dir with database "db" (created when
// missing).
func openDB(t testing.TB, dir string) *storage.DB {
	t.Helper()
	db, err := storage.Open(dir, &storage.Options{Durability: storage.DurabilityNone, CompactionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Database("db"); err != nil {
		if err := db.CreateDatabase("db"); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func openEngine(t testing.TB, db *storage.DB, clk *fakeClock, opts *Options) *Engine {
	t.Helper()
	o := Options{Clock: clk.now}
	if opts != nil {
		o = *opts
		o.Clock = clk.now
	}
	e, err := Open(db, &o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func write(t testing.TB, db *storage.DB, lines string) {
	t.Helper()
	pts, err := model.ParseLines([]byte(lines), model.ParseOptions{Precision: model.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write("db", "", pts); err != nil {
		t.Fatal(err)
	}
}

// row is one point of a measurement: series key, time, fields.
type row struct {
	series string
	time   int64
	fields map[string]model.FieldValue
}

// readAll returns the points of a measurement by "series@time".
func readAll(t testing.TB, db *storage.DB, measurement string) map[string]row {
	t.Helper()
	out := map[string]row{}
	series, err := db.Series("db", "", measurement, nil)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := db.FieldKeys("db", "", measurement)
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, s := range series {
		sk := string(appendSeriesKey(nil, s.Tags))
		for _, f := range fields {
			cols, err := r.ReadAll("db", "", s.ID, f.ID, math.MinInt64, math.MaxInt64)
			if err != nil {
				t.Fatal(err)
			}
			for i, ts := range cols.Times {
				k := fmt.Sprintf("%s@%d", sk, ts)
				rw, ok := out[k]
				if !ok {
					rw = row{series: sk, time: ts, fields: map[string]model.FieldValue{}}
					out[k] = rw
				}
				rw.fields[f.Name] = cols.Value(i)
			}
		}
	}
	return out
}

// batchRecompute aggregates raw rows into buckets of iv from scratch.
func batchRecompute(raw map[string]row, iv int64, outs []output) map[string]row {
	type acc struct {
		series string
		bucket int64
		states []aggregate.State
	}
	accs := map[string]*acc{}
	keys := slices.Sorted(mapKeys(raw))
	for _, k := range keys {
		rw := raw[k]
		b := rw.time - rw.time%iv
		if rw.time < 0 && rw.time%iv != 0 {
			b -= iv
		}
		ak := fmt.Sprintf("%s@%d", rw.series, b)
		a := accs[ak]
		if a == nil {
			a = &acc{series: rw.series, bucket: b, states: make([]aggregate.State, len(outs))}
			accs[ak] = a
		}
		for i, o := range outs {
			v, ok := rw.fields[o.input]
			if !ok || !o.fn.Accepts(v.Type()) {
				continue
			}
			if a.states[i] == nil {
				a.states[i] = aggregate.New(o.fn, v.Type())
			}
			a.states[i].Add(rw.time, v)
		}
	}
	out := map[string]row{}
	for k, a := range accs {
		rw := row{series: a.series, time: a.bucket, fields: map[string]model.FieldValue{}}
		for i, s := range a.states {
			if s == nil {
				continue
			}
			if v, ok := s.Result(); ok {
				rw.fields[outs[i].name] = v
			}
		}
		if len(rw.fields) > 0 {
			out[k] = rw
		}
	}
	return out
}

// diffRows describes the differences of two row sets, "" when equal.
func diffRows(got, want map[string]row) string {
	var d []string
	for _, k := range slices.Sorted(mapKeys(want)) {
		g, ok := got[k]
		if !ok {
			d = append(d, fmt.Sprintf("missing %s %v", k, want[k].fields))
			continue
		}
		if !sameFields(g.fields, want[k].fields) {
			d = append(d, fmt.Sprintf("%s: got %v want %v", k, g.fields, want[k].fields))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("extra %s %v", k, got[k].fields))
		}
	}
	sort.Strings(d)
	if len(d) > 10 {
		d = append(d[:10], fmt.Sprintf("... %d more", len(d)-10))
	}
	return strings.Join(d, "\n")
}

func sameFields(a, b map[string]model.FieldValue) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v != w {
			return false
		}
	}
	return true
}

func mustParse(t testing.TB, lines string) []model.Point {
	t.Helper()
	pts, err := model.ParseLines([]byte(lines), model.ParseOptions{Precision: model.Second})
	if err != nil {
		t.Fatal(err)
	}
	return pts
}
