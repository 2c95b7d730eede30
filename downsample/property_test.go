package downsample

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

var propertyRounds = flag.Int("downsample.rounds", 12, "random histories of the property test")

// allFunctions is a tiered config using the seven functions over a float
// and an integer field: raw → 10s → 60s.
func allFunctions() Config {
	var fields []Field
	for _, fn := range supported {
		fields = append(fields, Field{Field: "v", Function: fn.String()})
	}
	fields = append(fields, Field{Field: "n", Function: "sum"}, Field{Field: "n", Function: "max"},
		Field{Field: "n", Function: "first", As: "n_open"})
	return Config{Name: "cpu", Database: "db", Source: "cpu", Fields: fields,
		Tiers: []Tier{{Interval: Duration(10 * time.Second)}, {Interval: Duration(60 * time.Second)}}}
}

// TestPropertyStreamingEqualsRecompute runs random histories — in-order
// and late points, overwrites, deletes, flushes, clean restarts and
// crashes (the engine's memory lost) — and checks that both tiers equal
// a batch recompute from the raw data.
func TestPropertyStreamingEqualsRecompute(t *testing.T) {
	for round := range *propertyRounds {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			propertyRound(t, uint64(round))
		})
	}
}

func propertyRound(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	dir := t.TempDir()
	clk := &fakeClock{}
	clk.set(1000 * time.Second)
	db := openDB(t, dir)
	maxOpen := 0
	if rng.IntN(2) == 0 {
		maxOpen = 1 + rng.IntN(4) // exercise the overflow path
	}
	// One backfill step of a few buckets per flush, so that writes,
	// deletes, restarts and crashes fall between the steps.
	defer func(s int, b time.Duration) { backfillStates, backfillBudget = s, b }(backfillStates, backfillBudget)
	backfillStates, backfillBudget = 3*(1+rng.IntN(4)), 0
	e := openEngine(t, db, clk, &Options{MaxOpenBuckets: maxOpen})
	// The config is registered over history, at a random step, while
	// another writer writes late and current points.
	registerAt := rng.IntN(120)
	registered := false
	defer func() { e.Close(); db.Close() }()
	hosts := []string{"a", "b", "c"}
	var lastT [3]int64
	var tierDeletes []tierDelete
	for step := range 300 {
		now := clk.ns.Load() / 1e9
		if step == registerAt {
			registered = true
			done := make(chan error, 1)
			wseed := rng.Uint64()
			go func() {
				wr := rand.New(rand.NewPCG(wseed, 9))
				for range 20 {
					ts := now - int64(wr.IntN(120)) + int64(wr.IntN(3))
					pts, err := model.ParseLines([]byte(fmt.Sprintf("cpu,host=%s v=%d,n=%di %d\n", hosts[wr.IntN(3)], wr.IntN(100), wr.IntN(10), ts)),
						model.ParseOptions{Precision: model.Second})
					if err == nil {
						err = db.Write("db", "", pts)
					}
					if err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			if err := e.Register(allFunctions()); err != nil {
				t.Fatal(err)
			}
			if err := e.Flush(clk.now()); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		switch op := rng.IntN(100); {
		case op < 55: // a batch of points, mostly in order
			var sb strings.Builder
			for range 1 + rng.IntN(5) {
				h := rng.IntN(3)
				ts := lastT[h] + 1 + int64(rng.IntN(4))
				if ts < now-30 {
					ts = now - 30 + int64(rng.IntN(5))
				}
				if rng.IntN(6) == 0 {
					ts = now - int64(rng.IntN(150)) // late, maybe an overwrite
				}
				lastT[h] = max(lastT[h], ts)
				if rng.IntN(4) == 0 {
					fmt.Fprintf(&sb, "cpu,host=%s v=%d %d\n", hosts[h], rng.IntN(100)-50, ts)
				} else {
					fmt.Fprintf(&sb, "cpu,host=%s v=%d,n=%di %d\n", hosts[h], rng.IntN(100)-50, rng.IntN(10), ts)
				}
			}
			write(t, db, sb.String())
		case op < 62: // overwrite a recent point exactly
			h := rng.IntN(3)
			if lastT[h] > 0 {
				write(t, db, fmt.Sprintf("cpu,host=%s v=%d,n=%di %d\n", hosts[h], rng.IntN(100), rng.IntN(10), lastT[h]-int64(rng.IntN(3))))
			}
		case op < 67: // delete a range of one series
			h := rng.IntN(3)
			lo := (now - int64(rng.IntN(200))) * 1e9
			hi := lo + int64(rng.IntN(40))*1e9
			err := db.DeleteSeries("db", "", "cpu", storage.TagEq{Key: "host", Value: hosts[h]}, lo, hi)
			if err != nil {
				t.Fatal(err)
			}
		case op < 70 && registered: // delete a range of one series of the lower tier's target
			h := rng.IntN(3)
			lo := (now - int64(rng.IntN(200))) * 1e9
			hi := lo + int64(rng.IntN(60))*1e9
			err := db.DeleteSeries("db", "", "cpu_10s", storage.TagEq{Key: "host", Value: hosts[h]}, lo, hi)
			if err != nil {
				t.Fatal(err)
			}
			tierDeletes = append(tierDeletes, tierDelete{string(appendSeriesKey(nil, model.Tags{{Key: "host", Value: hosts[h]}})), lo, hi})
		case op < 90: // time passes, the scheduler flushes
			clk.set(time.Duration(clk.ns.Load()) + time.Duration(1+rng.IntN(15))*time.Second)
			if err := e.Flush(clk.now()); err != nil {
				t.Fatal(err)
			}
		case op < 95: // clean restart
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(2) == 0 { // a write while the engine is closed
				write(t, db, fmt.Sprintf("cpu,host=a v=1,n=1i %d\n", now-int64(rng.IntN(50))))
			}
			e = openEngine(t, db, clk, &Options{MaxOpenBuckets: maxOpen})
		default: // crash: the engine's memory is lost, the storage survives
			db.Close()
			db = openDB(t, dir)
			e = openEngine(t, db, clk, &Options{MaxOpenBuckets: maxOpen})
		}
		_ = step
	}
	if !registered {
		if err := e.Register(allFunctions()); err != nil {
			t.Fatal(err)
		}
	}
	// Everything closes and the history is written.
	clk.set(time.Duration(clk.ns.Load()) + 10*time.Minute)
	for i := 0; ; i++ {
		if err := e.Flush(clk.now()); err != nil {
			t.Fatal(err)
		}
		st10, _ := e.Status("cpu_10s")
		st1m, _ := e.Status("cpu_1m")
		if st10.Backfill == nil && st1m.Backfill == nil && i > 0 {
			break
		}
		if i > 1000 {
			t.Fatalf("backfill not done after %d flushes: %+v %+v", i, st10.Backfill, st1m.Backfill)
		}
	}
	raw := readAll(t, db, "cpu")
	c1, err := e.Get("cpu_10s")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Get("cpu_1m")
	if err != nil {
		t.Fatal(err)
	}
	// The history before the registration is backfilled: both tiers
	// cover every raw point. A bucket of cpu_10s deleted directly is gone
	// until its raw data changes again; cpu_1m aggregates the raw points
	// of the cpu_10s buckets that are there.
	got10 := readAll(t, db, "cpu_10s")
	want10 := batchRecompute(raw, int64(10*time.Second), c1.outputs())
	for k, rw := range want10 {
		if _, ok := got10[k]; !ok && slices.ContainsFunc(tierDeletes, func(d tierDelete) bool {
			return d.series == rw.series && rw.time >= d.lo && rw.time <= d.hi
		}) {
			delete(want10, k)
		}
	}
	if d := diffRows(got10, want10); d != "" {
		t.Fatalf("cpu_10s differs from a recompute:\n%s", d)
	}
	kept := map[string]row{}
	for k, rw := range raw {
		if _, ok := got10[fmt.Sprintf("%s@%d", rw.series, rw.time-rw.time%int64(10*time.Second))]; ok {
			kept[k] = rw
		}
	}
	if d := diffRows(readAll(t, db, "cpu_1m"), batchRecompute(kept, int64(time.Minute), c1.outputs())); d != "" {
		t.Fatalf("cpu_1m differs from a recompute of the cpu_10s buckets left:\n%s", d)
	}
	for _, name := range []string{"cpu_10s", "cpu_1m"} {
		st, _ := e.Status(name)
		if st.OpenBuckets != 0 {
			t.Errorf("%s: %d buckets still open after everything closed", name, st.OpenBuckets)
		}
	}
	_ = model.Second
}

// tierDelete is a delete of the series' cpu_10s points from lo to hi.
type tierDelete struct {
	series string
	lo, hi int64
}
