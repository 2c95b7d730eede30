package continuous

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

func TestRegisterValidates(t *testing.T) {
	db, _ := testDB(t, nil)
	e := testEngine(t, db, nil)
	ok := func(d Definition) {
		t.Helper()
		if err := e.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	ok(cpuDef("lower", "cpu", "cpu_1m", time.Minute))
	ok(cpuDef("upper", "cpu_1m", "cpu_1h", time.Hour, Field{Field: "usage_mean", Function: "mean"}))
	f := func(d Definition, target error, msg string) {
		t.Helper()
		err := e.Register(d)
		if !errors.Is(err, target) || !strings.Contains(err.Error(), msg) {
			t.Errorf("got %v, want %v containing %q", err, target, msg)
		}
	}
	mean := []Field{{Field: "usage", Function: "mean"}}
	f(cpuDef("lower", "cpu", "x", time.Minute), ErrExists, `continuous aggregate already exists: "lower"`)
	f(cpuDef("x", "cpu", "y", time.Minute, Field{Field: "usage", Function: "mode"}), ErrInvalid, `"x": fields[0]: unknown function "mode"`)
	f(cpuDef("x", "cpu", "y", time.Minute, Field{Field: "usage", Function: "median"}), ErrInvalid, `"x": fields[0]: function median is not supported`)
	f(Definition{Name: "x", Database: "db", Source: "cpu", Target: "y", Interval: Duration(time.Minute)}, ErrInvalid, `"x": no aggregations`)
	f(Definition{Name: "x", Database: "db", Source: "cpu", Target: "y", Fields: mean}, ErrInvalid, `"x": interval 0s is not positive`)
	f(Definition{Name: "x", Database: "db", Source: "cpu", Target: "y", Interval: -Duration(time.Minute), Fields: mean}, ErrInvalid, `"x": interval -1m is not positive`)
	f(cpuDef("x", "cpu", "cpu", time.Minute), ErrInvalid, `"x": target "cpu" is the source`)
	f(cpuDef("x", "cpu", "y", time.Minute, Field{Field: "a", Function: "min", As: "v"}, Field{Field: "b", Function: "max", As: "v"}), ErrInvalid,
		`"x": fields[1]: output name "v" is used twice (also by fields[0])`)
	f(cpuDef("x", "cpu", "y", time.Minute, Field{Field: "a", Function: "min"}, Field{Field: "a", Function: "min"}), ErrInvalid, `output name "a_min" is used twice`)
	f(cpuDef("x", "cpu_1h", "cpu", time.Hour), ErrInvalid, `"x": dependency cycle between continuous aggregates: "x" -> "upper" -> "lower" -> "x"`)
	f(cpuDef("x", "mem", "cpu_1m", time.Minute), ErrInvalid, `"x": target db.autogen.cpu_1m is written by the continuous aggregate "lower" too`)
	f(Definition{Name: "x", Database: "nope", Source: "cpu", Target: "y", Interval: Duration(time.Minute), Fields: mean}, ErrInvalid, `"x": database "nope" not found`)
	f(Definition{Name: "x", Database: "db", Source: "cpu", Target: "y", Interval: Duration(time.Minute), Fields: mean, Filter: "usage > 3"},
		ErrInvalid, `"x": filter: operator > is not allowed in a tag filter: usage > 3`)
	f(Definition{Name: "x", Database: "db", Source: "cpu", Target: "y", Interval: Duration(time.Minute), Fields: mean, GroupBy: []string{"host", "host"}},
		ErrInvalid, `group_by: tag "host" is listed twice`)
	f(Definition{Database: "db", Source: "cpu", Target: "y", Interval: Duration(time.Minute), Fields: mean}, ErrInvalid, "name is empty")

	write(t, db, model.Second, "mem,host=a used=\"lots\" 0\n")
	f(Definition{Name: "x", Database: "db", Source: "mem", Target: "y", Interval: Duration(time.Minute), Fields: []Field{{Field: "used", Function: "sum"}}},
		ErrInvalid, `"x": function sum does not accept field "used" of type string`)

	if _, err := e.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a missing aggregate: %v", err)
	}
	if err := e.Unregister("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Unregister of a missing aggregate: %v", err)
	}
	var names []string
	for _, d := range e.List() {
		names = append(names, d.Name)
	}
	if got := strings.Join(names, " "); got != "lower upper" {
		t.Errorf("List: %s", got)
	}
}

// TestPersistence reopens the storage: definitions, settings, the
// watermark and pending dirty markers survive.
func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	open := func() (*storage.DB, *Engine) {
		db, err := storage.Open(dir, &storage.Options{CompactionInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateDatabase("db"); err != nil {
			t.Fatal(err)
		}
		e, err := Open(db, nil)
		if err != nil {
			t.Fatal(err)
		}
		return db, e
	}
	db, e := open()
	write(t, db, model.Second, "cpu,host=a usage=1 0\ncpu,host=a usage=3 70\n")
	if err := e.Register(cpuDef("cpu_1m", "cpu", "cpu_1m", time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := e.Disable("cpu_1m"); err != nil {
		t.Fatal(err)
	}
	refresh(t, e, "cpu_1m", time.Unix(120, 0))
	write(t, db, model.Second, "cpu,host=a usage=5 10\n") // late: a dirty marker
	e.Close()
	db.Close()

	db, e = open()
	defer db.Close()
	d, err := e.Get("cpu_1m")
	if err != nil {
		t.Fatal(err)
	}
	if d.Enabled {
		t.Error("the aggregate is enabled again after reopening")
	}
	st, _ := e.Status("cpu_1m")
	if !st.Watermark.Equal(time.Unix(120, 0)) {
		t.Errorf("watermark %v after reopening", st.Watermark)
	}
	s := refresh(t, e, "cpu_1m", time.Unix(120, 0))
	if s.BucketsRecomputed != 1 || s.BucketsMaterialized != 0 {
		t.Errorf("refresh after reopening: %+v", s)
	}
	checkLines(t, dump(t, db, "", "cpu_1m", time.Second), "cpu_1m,host=a usage_mean=3 0", "cpu_1m,host=a usage_mean=3 60")
}

// TestPut creates, keeps and rebuilds aggregates as the configuration file
// does at start.
func TestPut(t *testing.T) {
	db, _ := testDB(t, nil)
	e := testEngine(t, db, nil)
	write(t, db, model.Second, "cpu,host=a usage=1 0\ncpu,host=a usage=3 30\ncpu,host=a usage=5 70\n")
	d := cpuDef("cpu_1m", "cpu", "cpu_1m", time.Minute)
	if created, err := e.Put(d); err != nil || !created {
		t.Fatalf("Put: %v, %v", created, err)
	}
	refresh(t, e, "cpu_1m", time.Unix(120, 0))
	d.Every, d.Enabled = Duration(time.Hour), false
	if created, err := e.Put(d); err != nil || created {
		t.Fatalf("Put of new settings: %v, %v", created, err)
	}
	if st, _ := e.Status("cpu_1m"); !st.Watermark.Equal(time.Unix(120, 0)) {
		t.Errorf("changing settings reset the watermark to %v", st.Watermark)
	}
	if got, _ := e.Get("cpu_1m"); got.Enabled || got.Every != Duration(time.Hour) {
		t.Errorf("settings not applied: %+v", got)
	}
	// Another interval: the target is rebuilt.
	d.Interval = Duration(2 * time.Minute)
	if _, err := e.Put(d); err != nil {
		t.Fatal(err)
	}
	refresh(t, e, "cpu_1m", time.Unix(120, 0))
	checkLines(t, dump(t, db, "", "cpu_1m", time.Second), "cpu_1m,host=a usage_mean=3 0")
}

// TestRetention checks both retentions: an aggregate's own removes old
// target buckets; the source's never removes materialized ones.
func TestRetention(t *testing.T) {
	db, _ := testDB(t, nil)
	e := testEngine(t, db, nil)
	if err := db.CreateRetentionPolicy("db", storage.RetentionPolicy{Name: "short", Duration: 2 * time.Hour, ShardDuration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	pts := func(from, to int) []model.Point {
		var out []model.Point
		for m := from; m < to; m++ {
			out = append(out, pt("a", time.Unix(int64(m)*60, 0), float64(m)))
		}
		return out
	}
	if err := db.Write("db", "short", pts(0, 240)); err != nil {
		t.Fatal(err)
	}
	d := cpuDef("keep", "cpu", "cpu_10m", 10*time.Minute)
	d.RetentionPolicy, d.TargetRetentionPolicy = "short", "autogen"
	if err := e.Register(d); err != nil {
		t.Fatal(err)
	}
	d = cpuDef("trim", "cpu", "cpu_30m", 30*time.Minute)
	d.RetentionPolicy, d.TargetRetentionPolicy, d.Retention = "short", "autogen", Duration(time.Hour)
	if err := e.Register(d); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(240*60, 0)
	refresh(t, e, "keep", now)
	refresh(t, e, "trim", now)
	if n := len(dump(t, db, "autogen", "cpu_10m", time.Second)); n != 24 {
		t.Fatalf("%d buckets of 10m, want 24", n)
	}
	checkLines(t, dump(t, db, "autogen", "cpu_30m", time.Second),
		"cpu_30m,host=a usage_mean=194.5 10800", "cpu_30m,host=a usage_mean=224.5 12600")

	// Retention of the source drops its first two hours, and a late delete
	// there by retention enforcement does not dirty anything.
	if _, err := db.DropPartitionsBefore("db", "short", 2*3600*1e9); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSeries("db", "short", "cpu", nil, 0, 2*3600*1e9+1e9); err != nil {
		t.Fatal(err)
	}
	refresh(t, e, "keep", now)
	got := dump(t, db, "autogen", "cpu_10m", time.Second)
	if len(got) != 24 || !slices.Contains(got, "cpu_10m,host=a usage_mean=4.5 0") {
		t.Errorf("materialized buckets changed after the source's retention:\n%s", strings.Join(got, "\n"))
	}
}

// TestSourceRetention: a per-measurement retention of the source (as the
// retention package enforces it, with a range delete) leaves materialized
// buckets as they are; a user's delete of recent data does not.
func TestSourceRetention(t *testing.T) {
	db, _ := testDB(t, nil)
	now := time.Unix(240*60, 0)
	e := testEngine(t, db, &Options{
		Clock: func() time.Time { return now },
		SourceRetention: func(database, rp, m string) time.Duration {
			if database == "db" && rp == "autogen" && m == "cpu" {
				return time.Hour
			}
			return 0
		},
	})
	var pts []model.Point
	for m := range 240 {
		pts = append(pts, pt("a", time.Unix(int64(m)*60, 0), float64(m)))
	}
	writePoints(t, db, pts...)
	if err := e.Register(cpuDef("cpu_1h", "cpu", "cpu_1h", time.Hour)); err != nil {
		t.Fatal(err)
	}
	refresh(t, e, "cpu_1h", now)
	want := []string{"cpu_1h,host=a usage_mean=149.5 7200", "cpu_1h,host=a usage_mean=209.5 10800",
		"cpu_1h,host=a usage_mean=29.5 0", "cpu_1h,host=a usage_mean=89.5 3600"}
	checkLines(t, dump(t, db, "", "cpu_1h", time.Second), want...)
	// Retention deletes everything older than an hour: nothing changes.
	if err := db.DeleteSeries("db", "", "cpu", nil, math.MinInt64, now.Add(-time.Hour).UnixNano()-1); err != nil {
		t.Fatal(err)
	}
	refresh(t, e, "cpu_1h", now)
	checkLines(t, dump(t, db, "", "cpu_1h", time.Second), want...)
	// A delete within the hour kept is a change.
	if err := db.DeleteSeries("db", "", "cpu", nil, now.Add(-30*time.Minute).UnixNano(), now.UnixNano()); err != nil {
		t.Fatal(err)
	}
	refresh(t, e, "cpu_1h", now)
	checkLines(t, dump(t, db, "", "cpu_1h", time.Second), "cpu_1h,host=a usage_mean=149.5 7200",
		"cpu_1h,host=a usage_mean=194.5 10800", "cpu_1h,host=a usage_mean=29.5 0", "cpu_1h,host=a usage_mean=89.5 3600")
}
