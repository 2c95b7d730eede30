package downsample

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/storage"
)

// rejecter is an observer added after the engine's: it rejects every
// write with a point that has the field "bad", after the engine has
// folded it.
type rejecter struct {
	n int
	// during, when set, runs before a change is rejected.
	during func()
}

var errRejected = errors.New("rejected")

func (r *rejecter) BeforeCommit(_ *storage.Batch, c *storage.Change) error {
	for _, ws := range c.Writes {
		for _, p := range ws.Points {
			if _, ok := fieldValue(p.Fields, "bad"); ok {
				r.n++
				if r.during != nil {
					r.during()
				}
				return errRejected
			}
		}
	}
	return nil
}

// TestAbortedWritesAreNotDownsampled interleaves writes a later observer
// rejects (in order, late, overwrites, beyond MaxOpenBuckets) with writes
// that commit, and checks that both tiers equal a batch recompute of the
// stored raw data.
func TestAbortedWritesAreNotDownsampled(t *testing.T) {
	for round := range 8 {
		t.Run(fmt.Sprint(round), func(t *testing.T) { abortRound(t, uint64(round)) })
	}
}

func abortRound(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 11))
	clk := &fakeClock{}
	clk.set(1000 * time.Second)
	db := openDB(t, t.TempDir())
	maxOpen := 0
	if seed%2 == 1 {
		maxOpen = 1 + rng.IntN(4)
	}
	e := openEngine(t, db, clk, &Options{MaxOpenBuckets: maxOpen})
	defer func() { e.Close(); db.Close() }()
	if err := e.Register(allFunctions()); err != nil {
		t.Fatal(err)
	}
	rej := &rejecter{}
	db.AddObserver(rej)
	hosts := []string{"a", "b", "c"}
	var lastT [3]int64
	for range 300 {
		now := clk.ns.Load() / 1e9
		switch op := rng.IntN(100); {
		case op < 70:
			bad := rng.IntN(2) == 0
			var sb strings.Builder
			for i := range 1 + rng.IntN(4) {
				h := rng.IntN(3)
				ts := max(lastT[h]+int64(rng.IntN(4)), now-30+int64(rng.IntN(5)))
				if rng.IntN(5) == 0 {
					ts = now - int64(rng.IntN(150)) // late or an overwrite
				}
				if !bad {
					lastT[h] = max(lastT[h], ts)
				}
				extra := ""
				if bad && i == 0 {
					extra = ",bad=1i"
				}
				fmt.Fprintf(&sb, "cpu,host=%s v=%d,n=%di%s %d\n", hosts[h], rng.IntN(100)-50, rng.IntN(10), extra, ts)
			}
			pts := mustParse(t, sb.String())
			err := db.Write("db", "", pts)
			if bad != errors.Is(err, errRejected) {
				t.Fatalf("write (bad %v): %v", bad, err)
			}
		default:
			clk.set(time.Duration(clk.ns.Load()) + time.Duration(1+rng.IntN(15))*time.Second)
			if err := e.Flush(clk.now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	clk.set(time.Duration(clk.ns.Load()) + 10*time.Minute)
	for range 2 {
		if err := e.Flush(clk.now()); err != nil {
			t.Fatal(err)
		}
	}
	if rej.n == 0 {
		t.Fatal("nothing rejected")
	}
	raw := readAll(t, db, "cpu")
	c1, err := e.Get("cpu_10s")
	if err != nil {
		t.Fatal(err)
	}
	if d := diffRows(readAll(t, db, "cpu_10s"), batchRecompute(raw, int64(10*time.Second), c1.outputs())); d != "" {
		t.Fatalf("cpu_10s differs from a recompute:\n%s", d)
	}
	if d := diffRows(readAll(t, db, "cpu_1m"), batchRecompute(raw, int64(time.Minute), c1.outputs())); d != "" {
		t.Fatalf("cpu_1m differs from a recompute:\n%s", d)
	}
}

// TestAbortedWriteTakenByFlush rejects a write after a flush has taken
// the bucket it folded into: the flush must not leave the folded state
// in the target.
func TestAbortedWriteTakenByFlush(t *testing.T) {
	clk := &fakeClock{}
	clk.set(1000 * time.Second)
	db := openDB(t, t.TempDir())
	e := openEngine(t, db, clk, nil)
	defer func() { e.Close(); db.Close() }()
	if err := e.Register(allFunctions()); err != nil {
		t.Fatal(err)
	}
	rej := &rejecter{}
	db.AddObserver(rej)
	write(t, db, "cpu,host=a v=1,n=1i 1001\ncpu,host=b v=2,n=2i 1003\n")
	flushed := make(chan error, 1)
	rej.during = func() {
		clk.set(1100 * time.Second)
		go func() { flushed <- e.Flush(clk.now()) }()
		// Wait until the flush has taken the buckets; it then waits for
		// this change to finish before it commits.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			st, err := e.Status("cpu_10s")
			if err != nil {
				t.Error(err)
				return
			}
			if st.Watermark.After(time.Unix(1000, 0)) {
				return
			}
			if time.Now().After(deadline) {
				t.Error("the flush did not take the buckets")
				return
			}
		}
	}
	err := db.Write("db", "", mustParse(t, "cpu,host=a v=100,n=5i,bad=1i 1002\ncpu,host=c v=7,n=7i 1004\n"))
	if !errors.Is(err, errRejected) {
		t.Fatalf("write: %v", err)
	}
	rej.during = nil
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	clk.set(2000 * time.Second)
	for range 2 {
		if err := e.Flush(clk.now()); err != nil {
			t.Fatal(err)
		}
	}
	raw := readAll(t, db, "cpu")
	c1, err := e.Get("cpu_10s")
	if err != nil {
		t.Fatal(err)
	}
	if d := diffRows(readAll(t, db, "cpu_10s"), batchRecompute(raw, int64(10*time.Second), c1.outputs())); d != "" {
		t.Fatalf("cpu_10s differs from a recompute:\n%s", d)
	}
	if d := diffRows(readAll(t, db, "cpu_1m"), batchRecompute(raw, int64(time.Minute), c1.outputs())); d != "" {
		t.Fatalf("cpu_1m differs from a recompute:\n%s", d)
	}
}
