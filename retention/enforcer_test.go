package retention

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// TestEnforcePolicy writes random points over 48 hours into a policy of
// 10h with 1h partitions and enforces at several times, checking after
// each that exactly the points at or after the cutoff survive.
func TestEnforcePolicy(t *testing.T) {
	db := openDB(t, "")
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRetentionPolicy("db", storage.RetentionPolicy{Name: "short", Duration: 10 * time.Hour, ShardDuration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: t0}
	e, err := Open(db, &Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	kept := map[pointKey]float64{}
	var pts []model.Point
	for range 3000 {
		m := []string{"cpu", "mem", "cpu_1h"}[rng.IntN(3)]
		host := []string{"a", "b", "c"}[rng.IntN(3)]
		ts := t0.UnixNano() + rng.Int64N(int64(48*time.Hour))
		p := pt(m, host, ts)
		pts = append(pts, p)
		kept[keyOf(p)] = float64(ts)
	}
	if err := db.Write("db", "short", pts); err != nil {
		t.Fatal(err)
	}
	if err := db.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The autogen policy keeps everything forever.
	if err := db.Write("db", "", []model.Point{pt("cpu", "a", t0.UnixNano())}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, now := range []time.Time{
		t0.Add(5 * time.Hour),                      // nothing is old yet
		t0.Add(20*time.Hour + 30*time.Minute + 17), // straddles a partition
		t0.Add(20*time.Hour + 30*time.Minute + 17), // again: nothing left to do
		t0.Add(30 * time.Hour),                     // on a partition boundary
		t0.Add(45*time.Hour + 59*time.Minute),      // almost all gone
		t0.Add(100 * time.Hour),                    // everything gone
	} {
		clock.Set(now)
		rep, err := e.EnforceOnce(ctx, now)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		cutoff := now.Add(-10 * time.Hour).UnixNano()
		var wantPoints int64
		for k := range kept {
			if k.t < cutoff {
				delete(kept, k)
				wantPoints++
			}
		}
		var gotPoints int64
		gotParts := 0
		for _, rm := range rep.Removals {
			if rm.Database != "db" || rm.RetentionPolicy != "short" {
				t.Errorf("run %d: removal %+v outside db.short", i, rm)
			}
			gotPoints += rm.Points
			gotParts += rm.Partitions
		}
		// Points of dropped partitions are not counted: only check that
		// range-deleted points are no more than the removed ones.
		if gotPoints > wantPoints {
			t.Errorf("run %d: reported %d points removed, only %d were old", i, gotPoints, wantPoints)
		}
		if d := diff(readAll(t, db, "db", "short"), kept); d != "" {
			t.Fatalf("run %d (cutoff %s): survivors differ: %s", i, time.Unix(0, cutoff).UTC(), d)
		}
		parts, err := db.Partitions("db", "short")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			if p.Last < cutoff {
				t.Errorf("run %d: partition %v ends before the cutoff", i, p)
			}
		}
		t.Logf("run %d: %d partitions dropped, %d points deleted, %d partitions left", i, gotParts, gotPoints, len(parts))
	}
	if got := readAll(t, db, "db", "autogen"); len(got) != 1 {
		t.Errorf("autogen holds %d values, want 1", len(got))
	}
	m := e.Metrics()
	if m.Runs != 6 || m.Errors != 0 {
		t.Errorf("metrics %+v, want 6 runs and no errors", m)
	}
}

// TestEnforceStraddling checks the counts of one straddling delete and one
// partition drop exactly.
func TestEnforceStraddling(t *testing.T) {
	db := openDB(t, "")
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRetentionPolicy("db", storage.RetentionPolicy{Name: "day", Duration: 24 * time.Hour, ShardDuration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	e, err := Open(db, &Options{Clock: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	h := int64(time.Hour)
	base := t0.UnixNano()
	// Partition [0h, 1h): 2 points; partition [1h, 2h): 3 points, the
	// cutoff at 1h30m falls between the second (1ns before it) and the
	// third (on it).
	pts := []model.Point{pt("cpu", "a", base), pt("cpu", "a", base+h/2),
		pt("cpu", "a", base+h), pt("cpu", "b", base+h+h/2-1), pt("cpu", "a", base+h+h/2)}
	if err := db.Write("db", "day", pts); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(25*time.Hour + 30*time.Minute)
	rep, err := e.EnforceOnce(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	cutoff := t0.Add(90 * time.Minute)
	want := []Removal{
		{Database: "db", RetentionPolicy: "day", Cutoff: cutoff, Partitions: 1},
		{Database: "db", RetentionPolicy: "day", Measurement: "cpu", Cutoff: cutoff, Points: 2},
	}
	if len(rep.Removals) != len(want) {
		t.Fatalf("removals %+v, want %+v", rep.Removals, want)
	}
	for i := range want {
		if got := rep.Removals[i]; got != want[i] {
			t.Errorf("removal %d = %+v, want %+v", i, got, want[i])
		}
	}
	got := readAll(t, db, "db", "day")
	if d := diff(got, map[pointKey]float64{keyOf(pts[4]): float64(pts[4].Time)}); d != "" {
		t.Error(d)
	}
}

// TestDefinitionTouchesOnlyItsMeasurement enforces a per-measurement
// retention of cpu: mem and cpu_1m (a continuous aggregate's target
// written as ordinary points) keep all their points.
func TestDefinitionTouchesOnlyItsMeasurement(t *testing.T) {
	db := openDB(t, "")
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: t0}
	e, err := Open(db, &Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Create(Definition{Name: "cpu_2h", Database: "db", Measurement: "cpu", Duration: Duration(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	want := map[pointKey]float64{}
	var pts []model.Point
	for range 2000 {
		m := []string{"cpu", "mem", "cpu_1m"}[rng.IntN(3)]
		ts := t0.UnixNano() + rng.Int64N(int64(6*time.Hour))
		p := pt(m, []string{"a", "b"}[rng.IntN(2)], ts)
		pts = append(pts, p)
		want[keyOf(p)] = float64(ts)
	}
	if err := db.Write("db", "", pts); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(5 * time.Hour)
	cutoff := now.Add(-2 * time.Hour).UnixNano()
	var removed int64
	for k := range want {
		if k.t < cutoff && k.series[:4] == "cpu," {
			delete(want, k)
			removed++
		}
	}
	rep, err := e.EnforceOnce(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Removals) != 1 || rep.Removals[0].Points != removed || rep.Removals[0].Measurement != "cpu" ||
		rep.Removals[0].Definition != "cpu_2h" || rep.Removals[0].RetentionPolicy != "autogen" {
		t.Errorf("removals %+v, want %d points of cpu by cpu_2h in autogen", rep.Removals, removed)
	}
	if d := diff(readAll(t, db, "db", "autogen"), want); d != "" {
		t.Fatal(d)
	}
	st, err := e.Status("cpu_2h")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Status{LastRun: now, LastCutoff: time.Unix(0, cutoff), PointsRemoved: removed}); !st.LastRun.Equal(want.LastRun) ||
		!st.LastCutoff.Equal(want.LastCutoff) || st.PointsRemoved != want.PointsRemoved || st.LastError != "" {
		t.Errorf("status %+v, want %+v", st, want)
	}
}

// TestRejectOldWrites checks that a batch with one point older than a
// cutoff is rejected whole with a message naming the point and cutoff.
func TestRejectOldWrites(t *testing.T) {
	db := openDB(t, "")
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRetentionPolicy("db", storage.RetentionPolicy{Name: "week", Duration: 7 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	e, err := Open(db, &Options{Clock: func() time.Time { return now },
		Exempt: func(database, rp, m string) bool { return m == "cpu_1m" }})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Create(Definition{Name: "mem_1h", Database: "db", Measurement: "mem", Duration: Duration(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	f := func(rp string, pts []model.Point, want string) {
		t.Helper()
		err := db.Write("db", rp, pts)
		if want == "" {
			if err != nil {
				t.Fatalf("write to %q: %v", rp, err)
			}
			return
		}
		var tooOld *TooOldError
		if !errors.As(err, &tooOld) || !errors.Is(err, ErrTooOld) || err.Error() != want {
			t.Fatalf("write to %q: error %v, want %s", rp, err, want)
		}
	}
	f("week", []model.Point{pt("cpu", "a", now.UnixNano()), pt("cpu", "a", old)},
		`point of "cpu" at 2026-01-01T00:00:00Z is older than the retention cutoff 2026-11-16T03:00:00Z of retention policy "week"`)
	f("", []model.Point{pt("mem", "a", now.Add(-59*time.Minute).UnixNano()), pt("mem", "a", now.Add(-61*time.Minute).UnixNano())},
		`point of "mem" at 2026-11-23T01:59:00Z is older than the retention cutoff 2026-11-23T02:00:00Z of retention "mem_1h"`)
	f("week", []model.Point{pt("cpu", "a", now.Add(-7*24*time.Hour).UnixNano()-1)},
		`point of "cpu" at 2026-11-16T02:59:59.999999999Z is older than the retention cutoff 2026-11-16T03:00:00Z of retention policy "week"`)
	for _, rp := range []string{"week", "autogen"} {
		if got := readAll(t, db, "db", rp); len(got) != 0 {
			t.Errorf("%s holds %v after rejected writes", rp, got)
		}
		if ms, _ := db.Measurements("db", rp); len(ms) != 0 {
			t.Errorf("%s has measurements %v after rejected writes", rp, ms)
		}
	}
	// Points at the cutoff, other measurements and exempt ones are written.
	f("week", []model.Point{pt("cpu", "a", now.Add(-7*24*time.Hour).UnixNano())}, "")
	f("", []model.Point{pt("cpu", "a", old), pt("mem", "a", now.Add(-time.Hour).UnixNano())}, "")
	f("week", []model.Point{pt("cpu_1m", "a", old)}, "")
}

// TestValidation checks the messages of invalid definitions.
func TestValidation(t *testing.T) {
	db := openDB(t, "")
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	e, err := Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Create(Definition{Name: "ok", Database: "db", Measurement: "cpu", Duration: Duration(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f := func(d Definition, want string, sentinel error) {
		t.Helper()
		err := e.Create(d)
		if err == nil || err.Error() != want || !errors.Is(err, sentinel) {
			t.Errorf("Create(%+v) = %v, want %s", d, err, want)
		}
	}
	f(Definition{Name: "x", Database: "db", Measurement: "cpu"}, `invalid retention "x": duration 0s is not positive`, ErrInvalid)
	f(Definition{Name: "x", Database: "db", Measurement: "cpu", Duration: -1}, `invalid retention "x": duration -1ns is not positive`, ErrInvalid)
	f(Definition{Name: "x", Database: "nope", Measurement: "cpu", Duration: 1}, `invalid retention "x": unknown database "nope"`, ErrInvalid)
	f(Definition{Name: "x", Database: "db", RetentionPolicy: "nope", Measurement: "cpu", Duration: 1}, `invalid retention "x": unknown retention policy "nope" of database "db"`, ErrInvalid)
	f(Definition{Name: "x", Database: "db", Duration: 1}, `invalid retention "x": measurement is missing`, ErrInvalid)
	f(Definition{Database: "db", Measurement: "cpu", Duration: 1}, `invalid retention: name is missing`, ErrInvalid)
	f(Definition{Name: "ok", Database: "db", Measurement: "mem", Duration: 1}, `retention already exists: "ok"`, ErrExists)
	if err := e.Delete("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete(nope) = %v", err)
	}
}

// TestPersistence reopens the storage: definitions stay, deleted ones do
// not come back, Put reports changes.
func TestPersistence(t *testing.T) {
	dir := t.TempDir()
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
	a := Definition{Name: "a", Database: "db", RetentionPolicy: "autogen", Measurement: "cpu", Duration: Duration(7 * 24 * time.Hour)}
	b := Definition{Name: "b", Database: "db", Measurement: "mem", Duration: Duration(90 * time.Minute)}
	c := Definition{Name: "c", Database: "db", Measurement: "disk", Duration: Duration(time.Hour)}
	for _, d := range []Definition{a, b, c} {
		if err := e.Create(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Delete("c"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir)
	e, err = Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := e.List()
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("after reopen: %+v, want %+v and %+v", got, a, b)
	}
	if changed, err := e.Put(b); err != nil || changed {
		t.Errorf("Put(unchanged) = %v, %v", changed, err)
	}
	b.Duration = Duration(2 * time.Hour)
	if changed, err := e.Put(b); err != nil || !changed {
		t.Errorf("Put(changed) = %v, %v", changed, err)
	}
	if d, _ := e.Get("b"); d != b {
		t.Errorf("Get(b) = %+v, want %+v", d, b)
	}
}

// TestRunEveryInterval runs the scheduler in a bubble with a fake clock:
// each interval removes what became older than the cutoff.
func TestRunEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openDB(t, "")
		if err := db.CreateDatabase("db"); err != nil {
			t.Fatal(err)
		}
		start := time.Now() // the bubble's clock
		e, err := Open(db, &Options{Interval: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Create(Definition{Name: "cpu_5m", Database: "db", Measurement: "cpu", Duration: Duration(5 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		// One point per minute of the last 4 minutes and the next 3.
		var pts []model.Point
		for i := -4; i <= 3; i++ {
			pts = append(pts, pt("cpu", "a", start.Add(time.Duration(i)*time.Minute).UnixNano()))
		}
		if err := db.Write("db", "", pts); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		count := func() int { return len(readAll(t, db, "db", "autogen")) }
		for run := 1; run <= 5; run++ {
			time.Sleep(time.Minute)
			synctest.Wait()
			// At start+run minutes the cutoff is start+run-5: points
			// -4..run-6 are gone.
			want := 8 - max(0, run-5+4)
			if got := count(); got != want {
				t.Fatalf("after %d intervals: %d points, want %d", run, got, want)
			}
			if m := e.Metrics(); m.Runs != int64(run) {
				t.Fatalf("after %d intervals: %d runs", run, m.Runs)
			}
		}
		cancel()
		<-done
	})
}

// TestGuard checks that a guarded measurement keeps its points and the
// definition reports why, and Duration.
func TestGuard(t *testing.T) {
	db := openDB(t, "")
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	guardErr := errors.New(`measurement "cpu" is the source of continuous aggregate "cpu_1h"`)
	e, err := Open(db, &Options{Clock: func() time.Time { return t0 },
		Guard: func(database, rp, m string) error {
			if database == "db" && rp == "autogen" && m == "cpu" {
				return guardErr
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	old := t0.Add(-3 * time.Hour).UnixNano()
	if err := db.Write("db", "", []model.Point{pt("cpu", "a", old), pt("mem", "a", old)}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []Definition{
		{Name: "cpu_1h", Database: "db", Measurement: "cpu", Duration: Duration(time.Hour)},
		{Name: "cpu_2h", Database: "db", RetentionPolicy: "autogen", Measurement: "cpu", Duration: Duration(2 * time.Hour)},
		{Name: "mem_1h", Database: "db", Measurement: "mem", Duration: Duration(time.Hour)},
	} {
		if err := e.Create(d); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.Duration("db", "autogen", "cpu"); got != time.Hour {
		t.Errorf("Duration(cpu) = %v, want 1h", got)
	}
	if got := e.Duration("db", "other", "cpu"); got != 0 {
		t.Errorf("Duration(other.cpu) = %v, want 0", got)
	}
	rep, err := e.EnforceOnce(context.Background(), t0)
	if !errors.Is(err, guardErr) || len(rep.Errors) != 2 {
		t.Errorf("EnforceOnce = %v, %v; want the guard's error twice", err, rep.Errors)
	}
	if len(rep.Removals) != 1 || rep.Removals[0].Measurement != "mem" || rep.Removals[0].Points != 1 {
		t.Errorf("removals %+v, want one point of mem", rep.Removals)
	}
	st, _ := e.Status("cpu_1h")
	if st.LastError != guardErr.Error() || st.PointsRemoved != 0 {
		t.Errorf("status of cpu_1h %+v", st)
	}
	if got := readAll(t, db, "db", "autogen"); len(got) != 1 {
		t.Errorf("autogen holds %v, want the cpu point alone", got)
	}
	if m := e.Metrics(); m.Errors != 2 {
		t.Errorf("metrics %+v, want 2 errors", m)
	}
}
