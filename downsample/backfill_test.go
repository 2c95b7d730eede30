package downsample

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/storage"
	"github.com/prometheus/client_golang/prometheus"
)

// TestBackfillResumesAfterCrash registers a tiered config over ten
// minutes of history and writes it one step of two buckets per flush: the
// progress shows in the status and the metric, a crash in the middle
// resumes from the stored progress, and a late point into the range not
// yet written, an overwrite and a delete in the range already written are
// all in the result, which equals a batch recompute.
func TestBackfillResumesAfterCrash(t *testing.T) {
	defer func(s int, b time.Duration) { backfillStates, backfillBudget = s, b }(backfillStates, backfillBudget)
	backfillStates, backfillBudget = 4, 0 // two series: two buckets a step
	dir := t.TempDir()
	db := openDB(t, dir)
	var sb strings.Builder
	for s := 400; s < 1000; s += 7 {
		fmt.Fprintf(&sb, "cpu,host=a v=%d,n=%di %d\ncpu,host=b v=%d %d\n", s%13, s%5, s, s%11, s+3)
	}
	write(t, db, sb.String())
	clk := &fakeClock{}
	clk.set(1000 * time.Second)
	e := openEngine(t, db, clk, nil)
	if err := e.Register(allFunctions()); err != nil {
		t.Fatal(err)
	}
	st, _ := e.Status("cpu_10s")
	if st.Backfill == nil || st.Backfill.Remaining != -1 {
		t.Fatalf("before the first flush: backfill %+v, want remaining -1 (not started)", st.Backfill)
	}
	clk.set(1001 * time.Second)
	for range 3 {
		if err := e.Flush(clk.now()); err != nil {
			t.Fatal(err)
		}
	}
	st, _ = e.Status("cpu_10s")
	if bf := st.Backfill; bf == nil || bf.From.Unix() != 400 || bf.Next.Unix() != 460 || bf.End.Unix() != 1000 || bf.Remaining != 54 {
		t.Fatalf("after three steps: backfill %+v, want from 400 s, next 460 s, end 1000 s, 54 remaining", st.Backfill)
	}
	if got := remainingMetric(t, e, "cpu_10s"); got != 54 {
		t.Fatalf("accrete_downsample_backfill_remaining_buckets of cpu_10s: %v, want 54", got)
	}

	// Into the history still to write, and into the part written.
	write(t, db, "cpu,host=a v=100,n=1i 905\ncpu,host=c v=5 404\ncpu,host=b v=-3 403\n")
	if err := db.DeleteSeries("db", "", "cpu", storage.TagEq{Key: "host", Value: "a"}, 420*1e9, 435*1e9); err != nil {
		t.Fatal(err)
	}

	// Crash: the engine's memory is lost.
	db.Close()
	db = openDB(t, dir)
	defer db.Close()
	e = openEngine(t, db, clk, nil)
	defer e.Close()
	st, _ = e.Status("cpu_10s")
	if bf := st.Backfill; bf == nil || bf.Next.Unix() != 460 {
		t.Fatalf("after the crash: backfill %+v, want it resumed at 460 s", st.Backfill)
	}
	for i := 0; ; i++ {
		if err := e.Flush(clk.now()); err != nil {
			t.Fatal(err)
		}
		st, _ = e.Status("cpu_10s")
		st1m, _ := e.Status("cpu_1m")
		if st.Backfill == nil && st1m.Backfill == nil {
			break
		}
		if i > 100 {
			t.Fatalf("backfill not done: %+v %+v", st.Backfill, st1m.Backfill)
		}
	}
	raw := readAll(t, db, "cpu")
	c1, _ := e.Get("cpu_10s")
	if d := diffRows(readAll(t, db, "cpu_10s"), batchRecompute(raw, int64(10*time.Second), c1.outputs())); d != "" {
		t.Fatalf("cpu_10s differs from a recompute:\n%s", d)
	}
	if d := diffRows(readAll(t, db, "cpu_1m"), batchRecompute(raw, int64(time.Minute), c1.outputs())); d != "" {
		t.Fatalf("cpu_1m differs from a recompute:\n%s", d)
	}
	if got := remainingMetric(t, e, "cpu_10s"); got != 0 {
		t.Fatalf("remaining buckets after the backfill: %v", got)
	}
}

// remainingMetric returns the backfill gauge of a config.
func remainingMetric(t *testing.T, e *Engine, name string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "accrete_downsample_backfill_remaining_buckets" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "downsample" && l.GetValue() == name {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no backfill metric for %s", name)
	return 0
}
