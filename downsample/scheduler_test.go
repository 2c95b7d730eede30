package downsample

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestSchedulerWritesClosedBuckets runs the scheduler in a bubble: a
// bucket is written once its end plus grace has passed, not before, and
// a late point is re-aggregated within the recompute delay.
func TestSchedulerWritesClosedBuckets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openDB(t, t.TempDir())
		defer db.Close()
		e, err := Open(db, nil) // the bubble's clock
		if err != nil {
			t.Fatal(err)
		}
		c, _ := NewDownsample("cpu", "cpu_10s", 10*time.Second).Database("db", "").Sum("v").Grace(2 * time.Second).Build()
		if err := e.Register(c); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()

		start := time.Now().Truncate(10 * time.Second)
		line := func(v int, at time.Time) string {
			return "cpu,host=a v=" + itoa(v) + "i " + itoa(int(at.Unix())) + "\n"
		}
		write(t, db, line(1, start)+line(2, start.Add(3*time.Second)))
		sum := func() (int64, bool) {
			rows := readAll(t, db, "cpu_10s")
			for _, r := range rows {
				if r.time == start.UnixNano() {
					return r.fields["v_sum"].IntV(), true
				}
			}
			return 0, false
		}
		// The bucket ends at start+10s; with 2s grace it is written at 12s.
		time.Sleep(time.Until(start.Add(11 * time.Second)))
		synctest.Wait()
		if _, ok := sum(); ok {
			t.Fatal("bucket written before its end plus grace")
		}
		time.Sleep(time.Until(start.Add(12*time.Second + time.Millisecond)))
		synctest.Wait()
		if v, ok := sum(); !ok || v != 3 {
			t.Fatalf("after end+grace: sum %d, written %v; want 3", v, ok)
		}
		// A late point: re-aggregated within DefaultRecomputeDelay.
		write(t, db, line(10, start.Add(5*time.Second)))
		time.Sleep(DefaultRecomputeDelay + time.Millisecond)
		synctest.Wait()
		if v, _ := sum(); v != 13 {
			t.Fatalf("after a late point: sum %d, want 13", v)
		}
		cancel()
		<-done
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func itoa(i int) string {
	b := []byte{}
	neg := i < 0
	if neg {
		i = -i
	}
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			break
		}
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}
