package continuous

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/accretedb/accrete/influxcompat"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// The scheduler tests run in a synctest bubble, storage included: time
// starts at 2000-01-01T00:00:00Z and advances only when every goroutine of
// the bubble waits.

func startScheduler(t *testing.T, e *Engine, opts *SchedulerOptions) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		NewScheduler(e, opts).Run(ctx)
		close(done)
	}()
	return func() {
		cancel()
		<-done
	}
}

func writePoints(t *testing.T, db *storage.DB, pts ...model.Point) {
	t.Helper()
	if err := db.Write("db", "", pts); err != nil {
		t.Fatal(err)
	}
}

func pt(host string, ts time.Time, v float64) model.Point {
	return model.Point{Measurement: "cpu", Tags: model.Tags{{Key: "host", Value: host}},
		Fields: []model.Field{{Key: "usage", Value: model.Float(v)}}, Time: ts.UnixNano()}
}

func cpuDef(name, source, target string, iv time.Duration, fields ...Field) Definition {
	if fields == nil {
		fields = []Field{{Field: "usage", Function: "mean"}}
	}
	return Definition{Name: name, Database: "db", Source: source, Target: target, Interval: Duration(iv),
		GroupBy: []string{"host"}, Fields: fields, Enabled: true}
}

func TestSchedulerMaterializesBucketsAsTheyClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, _ := testDB(t, nil)
		e := testEngine(t, db, nil)
		t0 := time.Now()
		writePoints(t, db, pt("a", t0.Add(10*time.Second), 1), pt("a", t0.Add(20*time.Second), 3), pt("a", t0.Add(70*time.Second), 5))
		if err := e.Register(cpuDef("cpu_1m", "cpu", "cpu_1m", time.Minute)); err != nil {
			t.Fatal(err)
		}
		stop := startScheduler(t, e, nil)
		defer stop()
		synctest.Wait()
		checkLines(t, dump(t, db, "", "cpu_1m", time.Second)) // nothing closed yet
		time.Sleep(time.Minute)
		synctest.Wait()
		checkLines(t, dump(t, db, "", "cpu_1m", time.Second), fmt.Sprintf("cpu_1m,host=a usage_mean=2 %d", t0.Unix()))

		// A late point is folded in at the next boundary, and only its
		// bucket is recomputed.
		writePoints(t, db, pt("a", t0.Add(30*time.Second), 8))
		time.Sleep(time.Minute)
		synctest.Wait()
		checkLines(t, dump(t, db, "", "cpu_1m", time.Second),
			fmt.Sprintf("cpu_1m,host=a usage_mean=4 %d", t0.Unix()),
			fmt.Sprintf("cpu_1m,host=a usage_mean=5 %d", t0.Unix()+60))
		st, err := e.Status("cpu_1m")
		if err != nil {
			t.Fatal(err)
		}
		if st.Last.BucketsRecomputed != 1 || st.Last.BucketsMaterialized != 1 || st.Runs != 3 || !st.LastRun.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("status %+v", st)
		}
		if st.Watermark != t0.Add(2*time.Minute).UTC() {
			t.Errorf("watermark %v, want %v", st.Watermark, t0.Add(2*time.Minute))
		}
	})
}

func TestSchedulerCatchesUpInBoundedBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, _ := testDB(t, nil)
		e := testEngine(t, db, &Options{MaxBatchBuckets: 100})
		// The aggregate was last refreshed a month ago (the bubble's clock
		// cannot go back, and sleeping a month would tick the storage's
		// timers a million times); a month of data arrived since.
		now := time.Now()
		t0 := now.Add(-30 * 24 * time.Hour)
		writePoints(t, db, pt("a", t0, 0))
		if err := e.Register(cpuDef("cpu_1h", "cpu", "cpu_1h", time.Hour)); err != nil {
			t.Fatal(err)
		}
		refresh(t, e, "cpu_1h", t0)
		var pts []model.Point
		for h := range 30 * 24 {
			for _, host := range []string{"a", "b", "c"} {
				pts = append(pts, pt(host, t0.Add(time.Duration(h)*time.Hour+time.Minute), float64(h)))
			}
		}
		writePoints(t, db, pts...)
		stop := startScheduler(t, e, nil)
		defer stop()
		synctest.Wait()
		st, err := e.Status("cpu_1h")
		if err != nil {
			t.Fatal(err)
		}
		if st.Last.BucketsMaterialized != 30*24*3 {
			t.Fatalf("materialized %d buckets, want %d", st.Last.BucketsMaterialized, 30*24*3)
		}
		// 100 (group, bucket) pairs per batch: 33 hours of 3 hosts.
		if want := (30*24 + 32) / 33; st.Last.Batches < want {
			t.Errorf("%d batches, want at least %d: the catch-up was not bounded", st.Last.Batches, want)
		}
		if got := len(dump(t, db, "", "cpu_1h", time.Second)); got != 30*24*3 {
			t.Errorf("%d target points, want %d", got, 30*24*3)
		}
		if !st.Watermark.Equal(now) {
			t.Errorf("watermark %v, want %v", st.Watermark, now)
		}
	})
}

func TestSchedulerRefreshesLowerLevelsFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, _ := testDB(t, nil)
		e := testEngine(t, db, nil)
		t0 := time.Now()
		// "a_hourly" sorts before "b_minutely" but reads its target.
		if err := e.Register(cpuDef("b_minutely", "cpu", "cpu_1m", time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := e.Register(cpuDef("a_hourly", "cpu_1m", "cpu_1h", time.Hour, Field{Field: "usage_mean", Function: "mean"})); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range e.Pending(t0) {
			names = append(names, d.Name)
		}
		if got := strings.Join(names, " "); got != "b_minutely a_hourly" {
			t.Errorf("pending in order %q, want the lower level first", got)
		}
		// 1 point in the first minute, 3 in the second: the mean of the
		// hour is 2.5, not the mean of the minutely means (3).
		writePoints(t, db, pt("a", t0.Add(time.Second), 6),
			pt("a", t0.Add(61*time.Second), 0), pt("a", t0.Add(62*time.Second), 1), pt("a", t0.Add(63*time.Second), 3))
		stop := startScheduler(t, e, nil)
		defer stop()
		time.Sleep(time.Hour)
		synctest.Wait()
		checkLines(t, dump(t, db, "", "cpu_1h", time.Second), fmt.Sprintf("cpu_1h,host=a usage_mean_mean=2.5 %d", t0.Unix()))
	})
}

func TestSchedulerSkipsDisabledAggregates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, _ := testDB(t, nil)
		e := testEngine(t, db, nil)
		t0 := time.Now()
		d := cpuDef("cpu_1m", "cpu", "cpu_1m", time.Minute)
		d.Enabled = false
		if err := e.Register(d); err != nil {
			t.Fatal(err)
		}
		writePoints(t, db, pt("a", t0.Add(time.Second), 1))
		stop := startScheduler(t, e, nil)
		defer stop()
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		checkLines(t, dump(t, db, "", "cpu_1m", time.Second))
		if err := e.Enable("cpu_1m"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // enabling wakes the scheduler at once
		checkLines(t, dump(t, db, "", "cpu_1m", time.Second), fmt.Sprintf("cpu_1m,host=a usage_mean=1 %d", t0.Unix()))
	})
}

// TestSchedulerResample runs two continuous queries over one source, one
// with RESAMPLE EVERY 10s FOR 2m: the scheduler refreshes it every 10 s,
// so a late point shows in its target within 10 s, and the other one at
// the next minute. FOR does not limit what is folded in: a point older
// than FOR still updates its bucket exactly.
func TestSchedulerResample(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, _ := testDB(t, nil)
		e := testEngine(t, db, nil)
		x := influxcompat.NewExecutor(db, &influxcompat.ExecutorOptions{ContinuousQueries: NewInfluxQL(e)})
		t0 := time.Now()
		for _, q := range []string{
			"CREATE CONTINUOUS QUERY fast ON db RESAMPLE EVERY 10s FOR 2m BEGIN SELECT mean(usage) INTO cpu_fast FROM cpu GROUP BY time(1m), host END",
			"CREATE CONTINUOUS QUERY plain ON db BEGIN SELECT mean(usage) INTO cpu_plain FROM cpu GROUP BY time(1m), host END",
		} {
			if got := influx(t, x, q); got != `[{"statement_id":0}]` {
				t.Fatalf("%s: %s", q, got)
			}
		}
		if d, _ := e.Get("fast"); d.Every != Duration(10*time.Second) || d.For != Duration(2*time.Minute) {
			t.Fatalf("fast: every %v, for %v", d.Every, d.For)
		}
		writePoints(t, db, pt("a", t0.Add(10*time.Second), 1))
		stop := startScheduler(t, e, nil)
		defer stop()
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		line := func(m string, v float64) string { return fmt.Sprintf("%s,host=a mean=%v %d", m, v, t0.Unix()) }
		checkLines(t, dump(t, db, "", "cpu_fast", time.Second), line("cpu_fast", 1))
		checkLines(t, dump(t, db, "", "cpu_plain", time.Second), line("cpu_plain", 1))

		// At 1m01s a late point for the first minute: the fast query has it
		// at 1m10s, the plain one at 2m.
		writePoints(t, db, pt("a", t0.Add(20*time.Second), 3))
		time.Sleep(10 * time.Second)
		synctest.Wait()
		checkLines(t, dump(t, db, "", "cpu_fast", time.Second), line("cpu_fast", 2))
		checkLines(t, dump(t, db, "", "cpu_plain", time.Second), line("cpu_plain", 1))
		time.Sleep(50 * time.Second)
		synctest.Wait()
		checkLines(t, dump(t, db, "", "cpu_plain", time.Second), line("cpu_plain", 2))

		// At 5m01s, a point for the first minute, older than FOR (2m).
		time.Sleep(3 * time.Minute)
		writePoints(t, db, pt("a", t0.Add(30*time.Second), 8))
		time.Sleep(10 * time.Second)
		synctest.Wait()
		checkLines(t, dump(t, db, "", "cpu_fast", time.Second), line("cpu_fast", 4))
		st, err := e.Status("fast")
		if err != nil {
			t.Fatal(err)
		}
		// Due every 10 s from 0 to 5m10s.
		if st.Runs != 32 {
			t.Errorf("fast ran %d times, want 32", st.Runs)
		}
	})
}
