package downsample

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// benchBatches makes n batches of 1-second data as collectors send it:
// each batch one timestamp of 1000 series (host × region tags) with the
// fields usage (float) and reqs (int).
func benchBatches(n int) [][]model.Point {
	out := make([][]model.Point, n)
	for b := range out {
		pts := make([]model.Point, 0, 1000)
		for s := range 1000 {
			pts = append(pts, model.Point{Measurement: "cpu",
				Tags:   model.Tags{{Key: "host", Value: fmt.Sprintf("h%03d", s%500)}, {Key: "region", Value: fmt.Sprintf("r%d", s/500)}},
				Fields: []model.Field{{Key: "usage", Value: model.Float(float64((s*7+b)%100) / 3)}, {Key: "reqs", Value: model.Int(int64(s + b))}},
				Time:   int64(b) * int64(time.Second)})
		}
		out[b] = pts
	}
	return out
}

// ingestTarget is a database being written by BenchmarkIngest, with its
// engine and the time spent writing it.
type ingestTarget struct {
	db      *storage.DB
	e       *Engine
	clk     *fakeClock
	elapsed time.Duration
}

func newIngestTarget(b *testing.B, intervals []time.Duration) *ingestTarget {
	db, err := storage.Open(b.TempDir(), &storage.Options{Durability: storage.DurabilityNone, CompactionInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.CreateDatabase("db"); err != nil {
		b.Fatal(err)
	}
	clk := &fakeClock{}
	e := openEngine(b, db, clk, nil)
	for i, iv := range intervals {
		bl := NewDownsample("cpu", fmt.Sprintf("cpu_%d", i), iv)
		switch i {
		case 0:
			bl.Mean("usage").Max("usage")
		case 1:
			bl.Sum("reqs").Count("reqs")
		default:
			bl.Min("usage").Last("reqs")
		}
		c, err := bl.Database("db", "").Build()
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Register(c); err != nil {
			b.Fatal(err)
		}
	}
	return &ingestTarget{db: db, e: e, clk: clk}
}

// write writes second i of the stream and, every 10 s of data, runs the
// scheduler's flush, timing both.
func (t *ingestTarget) write(b *testing.B, i int, batch []model.Point) {
	start := time.Now()
	if err := t.db.Write("db", "", batch); err != nil {
		b.Fatal(err)
	}
	if i%10 == 9 {
		t.clk.set(time.Duration(batch[0].Time))
		if err := t.e.Flush(t.clk.now()); err != nil {
			b.Fatal(err)
		}
	}
	t.elapsed += time.Since(start)
}

// BenchmarkIngest writes the same batches (1-second data of 1000 series,
// one timestamp per batch, as collectors send it) to a database without
// downsample configs and to one with three on the source (two fields
// each), alternating batch by batch so that both see the same machine
// load, the scheduler's flushes included. It reports the ns/point of
// each and the throughput with configs as a percentage of the throughput
// without. The configs have buckets of 1m, 5m and 1h (writing 2 % as
// many points as the source gets) or of 10s, 1m and 1h (12 %).
func BenchmarkIngest(b *testing.B) {
	batches := benchBatches(60)
	for _, bc := range []struct {
		name      string
		intervals []time.Duration
	}{
		{"1m,5m,1h", []time.Duration{time.Minute, 5 * time.Minute, time.Hour}},
		{"10s,1m,1h", []time.Duration{10 * time.Second, time.Minute, time.Hour}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			plain, ds := newIngestTarget(b, nil), newIngestTarget(b, bc.intervals)
			defer func() {
				for _, t := range []*ingestTarget{plain, ds} {
					t.e.Close()
					t.db.Close()
				}
			}()
			b.ReportAllocs()
			points := 0
			for i := 0; b.Loop(); i++ {
				batch := batches[i%len(batches)]
				for j := range batch {
					batch[j].Time = int64(i) * int64(time.Second)
				}
				if i%2 == 0 {
					plain.write(b, i, batch)
					ds.write(b, i, batch)
				} else {
					ds.write(b, i, batch)
					plain.write(b, i, batch)
				}
				points += len(batch)
			}
			b.ReportMetric(float64(plain.elapsed.Nanoseconds())/float64(points), "plain-ns/point")
			b.ReportMetric(float64(ds.elapsed.Nanoseconds())/float64(points), "downsampled-ns/point")
			b.ReportMetric(100*float64(plain.elapsed)/float64(ds.elapsed), "%throughput")
			written := 0
			for _, c := range ds.e.List() {
				st, _ := ds.e.Status(c.Name)
				written += int(st.BucketsWritten + st.BucketsRecomputed)
			}
			b.ReportMetric(float64(written)/float64(points)*100, "%written")
		})
	}
}

// BenchmarkOpenBucketMemory measures the heap one open bucket takes (a
// series with a mean and a max of a float field), and the engine's
// estimate of it: each round opens one bucket in each of 20000 series.
func BenchmarkOpenBucketMemory(b *testing.B) {
	const series = 20000
	pts := make([]model.Point, series)
	for s := range pts {
		pts[s] = model.Point{Measurement: "cpu", Tags: model.Tags{{Key: "host", Value: fmt.Sprintf("host-%05d", s)}},
			Fields: []model.Field{{Key: "usage", Value: model.Float(float64(s))}}, Time: int64(time.Second)}
	}
	db, err := storage.Open(b.TempDir(), &storage.Options{Durability: storage.DurabilityNone, CompactionInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateDatabase("db"); err != nil {
		b.Fatal(err)
	}
	if err := db.Write("db", "", pts); err != nil { // the series exist before measuring
		b.Fatal(err)
	}
	clk := &fakeClock{}
	clk.set(time.Minute) // the first write (at 1 s) is history, backfilled by the first flush
	e := openEngine(b, db, clk, nil)
	defer e.Close()
	c, _ := NewDownsample("cpu", "cpu_1m", time.Minute).Database("db", "").Mean("usage").Max("usage").Build()
	if err := e.Register(c); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var heap, est float64
	rounds := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		// Close the previous round's buckets, then open one per series.
		clk.set(time.Duration(i+1) * time.Minute)
		if err := e.Flush(clk.now()); err != nil {
			b.Fatal(err)
		}
		for j := range pts {
			pts[j].Time = int64(i+1) * int64(time.Minute)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		if err := db.Write("db", "", pts); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		st, _ := e.Status("cpu_1m")
		if st.OpenBuckets != series {
			b.Fatalf("%d open buckets", st.OpenBuckets)
		}
		heap += float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / series
		est += float64(st.OpenBytes) / series
		rounds++
		b.StartTimer()
	}
	b.ReportMetric(heap/float64(rounds), "heap-bytes/bucket")
	b.ReportMetric(est/float64(rounds), "estimated-bytes/bucket")
}
