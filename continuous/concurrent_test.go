package continuous

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

var concurrentRounds = flag.Int("continuous.rounds", 60, "rounds of TestConcurrentWritesAndRefreshes")

// TestConcurrentWritesAndRefreshes writes and deletes from several
// goroutines while another refreshes every aggregate as time advances: a
// write racing a refresh must either be in the refresh's snapshot or leave
// a dirty marker. Many series (tag k) grouped by all tags make a lost write
// unlikely to be healed by a later one to the same bucket. The work is
// bounded per round (two writers write a few batches and a deleter deletes
// once while the refreshes of the round run), so the test takes as long
// on a slow machine as on a fast one. At the end every target equals a
// recompute.
func TestConcurrentWritesAndRefreshes(t *testing.T) {
	db, _ := testDB(t, nil)
	e := testEngine(t, db, &Options{MaxBatchBuckets: 50})
	for _, d := range propertyDefs() {
		if err := e.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	hosts, dcs := []string{"a", "b", "c"}, []string{"x", "y"}
	rngs := []*rand.Rand{rand.New(rand.NewPCG(0, 9)), rand.New(rand.NewPCG(1, 9)), rand.New(rand.NewPCG(2, 9))}
	writer := func(rng *rand.Rand, n int64) error {
		for range 4 {
			var pts []model.Point
			for range 1 + rng.IntN(10) {
				ts := n - int64(rng.IntN(40)-5)*sec
				pts = append(pts, model.Point{Measurement: "m",
					Tags: model.Tags{{Key: "dc", Value: dcs[rng.IntN(2)]}, {Key: "host", Value: hosts[rng.IntN(3)]},
						{Key: "k", Value: fmt.Sprint(rng.IntN(100))}},
					Fields: []model.Field{{Key: "f", Value: model.Float(float64(rng.IntN(41)) / 4)}, {Key: "i", Value: model.Int(int64(rng.IntN(9)))}},
					Time:   max(0, ts)})
			}
			if err := db.Write("db", "", pts); err != nil {
				return err
			}
			time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
		}
		return nil
	}
	deleter := func(rng *rand.Rand, n int64) error {
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		lo := n - int64(rng.IntN(60))*sec
		return db.DeleteSeries("db", "", "m", storage.TagEq{Key: "host", Value: hosts[rng.IntN(3)]}, lo, lo+int64(rng.IntN(20))*sec)
	}
	names := []string{"ten", "seven", "minute", "all"}
	var now int64
	for i := range *concurrentRounds {
		now += int64(1+i%3) * sec
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for w := range 3 {
			wg.Go(func() {
				if w == 2 {
					errs[w] = deleter(rngs[w], now)
				} else {
					errs[w] = writer(rngs[w], now)
				}
			})
		}
		for _, name := range names {
			if _, err := e.Refresh(context.Background(), name, time.Unix(0, now)); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	end := time.Unix(0, now).Add(time.Hour)
	for _, name := range names {
		refresh(t, e, name, end)
	}
	defs := map[string]Definition{}
	horizon := map[string][2]int64{}
	for _, d := range propertyDefs() {
		defs[d.Name] = d
		horizon[d.Name] = [2]int64{math.MinInt64, math.MaxInt64}
	}
	want := expected(defs, modelOf(t, db, "m"), horizon)
	total := 0
	for _, name := range names {
		got := dump(t, db, "", defs[name].Target, time.Second)
		total += len(got)
		if !slices.Equal(got, want[name]) {
			t.Errorf("%s:\ngot\n\t%s\nwant\n\t%s", name, strings.Join(got, "\n\t"), strings.Join(want[name], "\n\t"))
		}
	}
	if total < 20 {
		t.Fatalf("only %d target points: the writers did not get to write", total)
	}
	t.Logf("%d target points checked", total)
}
