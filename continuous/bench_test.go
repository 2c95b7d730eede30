package continuous

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accretedb/accrete/internal/tsbsgen"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// The benchmarks use the TSBS cpu-only data of tsbsgen: 100 hosts with 10
// tags, 10 integer fields, one point every 10 s, written in batches of
// 10,000 points spanning all hosts, as TSBS loaders send them. A day is
// 864,000 points and 8.64 M values.

var (
	tsbsDayOnce sync.Once
	tsbsDayData [][]model.Point
)

func tsbsDayBatches() [][]model.Point {
	tsbsDayOnce.Do(func() { tsbsDayData = tsbsgen.CPU(tsbsgen.Day, tsbsgen.Fields) })
	return tsbsDayData
}

func benchDB(b *testing.B, d storage.Durability) *storage.DB {
	db, err := storage.Open(b.TempDir(), &storage.Options{Durability: d, CompactionInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.CreateDatabase("db"); err != nil {
		b.Fatal(err)
	}
	return db
}

func ingest(b *testing.B, db *storage.DB, batches [][]model.Point) {
	for _, batch := range batches {
		if err := db.Write("db", "", batch); err != nil {
			b.Fatal(err)
		}
	}
}

// meanOfAll is the mean of every TSBS field per host.
func meanOfAll(name, target string, iv time.Duration) Definition {
	d := Definition{Name: name, Database: "db", Source: "cpu", Target: target, Interval: Duration(iv),
		GroupBy: []string{"hostname"}, Enabled: true}
	for _, f := range tsbsgen.FieldNames() {
		d.Fields = append(d.Fields, Field{Field: f, Function: "mean"})
	}
	return d
}

// BenchmarkMaterializeDay materializes 1-minute means of all 10 fields of
// the TSBS day per host (144,000 buckets, 1.44 M output values) from
// scratch: one Refresh after the day was loaded, compacted or still in
// recent blocks.
func BenchmarkMaterializeDay(b *testing.B) {
	for _, compacted := range []bool{true, false} {
		name := map[bool]string{true: "compacted", false: "recent-blocks"}[compacted]
		b.Run(name, func(b *testing.B) {
			db := benchDB(b, storage.DurabilityEveryWrite)
			// The day is generated here and dropped after loading, so that
			// the refreshes do not pay for the collector marking it.
			ingest(b, db, tsbsgen.CPU(tsbsgen.Day, tsbsgen.Fields))
			if compacted {
				if err := db.Compact(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			quiesce()
			e, err := Open(db, nil)
			if err != nil {
				b.Fatal(err)
			}
			end := time.Unix(tsbsgen.Start+86400, 0)
			b.ReportAllocs()
			i := 0
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				name := fmt.Sprintf("cpu_1m_%d", i)
				if err := e.Register(meanOfAll(name, name, time.Minute)); err != nil {
					b.Fatal(err)
				}
				i++
				quiesce()
				b.StartTimer()
				c0 := cpuTime()
				st, err := e.Refresh(context.Background(), name, end)
				cpu += cpuTime() - c0
				if err != nil {
					b.Fatal(err)
				}
				if st.BucketsMaterialized != tsbsgen.Hosts*1440 || st.PointsRead != tsbsgen.Hosts*tsbsgen.Day*tsbsgen.Fields {
					b.Fatalf("materialized %d buckets from %d values", st.BucketsMaterialized, st.PointsRead)
				}
			}
			b.ReportMetric(float64(tsbsgen.Hosts*tsbsgen.Day*tsbsgen.Fields)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// quiesce waits (up to 30 s) until the process is idle, the storage's
// background flushes and compactions of what a benchmark loaded or wrote
// done, and collects garbage, so that a timed operation does not pay for
// earlier ones.
func quiesce() {
	runtime.GC()
	for range 300 {
		c0 := cpuTime()
		time.Sleep(100 * time.Millisecond)
		if cpuTime()-c0 < 5*time.Millisecond {
			return
		}
	}
}

// cpuTime returns the CPU time (user and system) the process used so far:
// on a shared machine it shows the work a benchmark does when wall times
// include waiting for other processes.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLatePoint writes one late point into a 30-day history of 100
// hosts (one field every 10 s, 25.9 M values, materialized as 1-minute
// means) and times the refresh that folds it in, which must recompute
// exactly one bucket.
func BenchmarkLatePoint(b *testing.B) {
	for _, d := range []storage.Durability{storage.DurabilityEveryWrite, storage.DurabilityPeriodic} {
		b.Run("durability="+d.String(), func(b *testing.B) {
			db := benchDB(b, d)
			const days = 30
			var tags model.Tags // of the late point
			for day := range days {
				batches := tsbsgen.CPU(tsbsgen.Day, 1)
				tags = batches[0][0].Tags
				for _, batch := range batches {
					for i := range batch {
						batch[i].Time += int64(day) * 86400 * int64(time.Second)
					}
				}
				ingest(b, db, batches)
			}
			if err := db.Compact(context.Background()); err != nil {
				b.Fatal(err)
			}
			quiesce()
			e, err := Open(db, nil)
			if err != nil {
				b.Fatal(err)
			}
			def := Definition{Name: "cpu_1m", Database: "db", Source: "cpu", Target: "cpu_1m", Interval: Duration(time.Minute),
				GroupBy: []string{"hostname"}, Enabled: true, Fields: []Field{{Field: "usage_user", Function: "mean"}}}
			if err := e.Register(def); err != nil {
				b.Fatal(err)
			}
			end := time.Unix(tsbsgen.Start+days*86400, 0)
			if _, err := e.Refresh(context.Background(), "cpu_1m", end); err != nil {
				b.Fatal(err)
			}
			quiesce()
			r := rand.New(rand.NewPCG(1, 2))
			b.ReportAllocs()
			var refreshTime time.Duration
			for b.Loop() {
				b.StopTimer()
				ts := time.Unix(tsbsgen.Start, 0).Add(time.Duration(r.Int64N(days*86400)) * time.Second)
				p := model.Point{Measurement: "cpu", Tags: tags, Time: ts.UnixNano(),
					Fields: []model.Field{{Key: "usage_user", Value: model.Int(int64(r.IntN(100)))}}}
				if err := db.Write("db", "", []model.Point{p}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				st, err := e.Refresh(context.Background(), "cpu_1m", end)
				refreshTime += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if st.BucketsRecomputed != 1 || st.BucketsMaterialized != 0 || st.PointsWritten != 1 {
					b.Fatalf("refresh %+v, want exactly one bucket recomputed", st)
				}
			}
			b.ReportMetric(float64(refreshTime.Microseconds())/1000/float64(b.N), "ms/refresh")
		})
	}
}

// BenchmarkIngestWithAggregates ingests the TSBS day into two fresh
// databases side by side, one without aggregates and one with five enabled
// aggregates on its source, whose watermarks are at the start of the day:
// the writes arrive in order, as a live ingest does, and leave no dirty
// markers (checked). Each batch goes to both, in alternating order, and
// every write is timed on its own, so that load from elsewhere on the
// machine hits both alike. It reports both rates and their ratio, and the
// ratio of the CPU time the writing thread spent in the writes (the
// observer runs there, under the storage's write lock), which waiting for
// other processes does not inflate.
func BenchmarkIngestWithAggregates(b *testing.B) {
	data := tsbsDayBatches()
	defs := []Definition{
		meanOfAll("a_1m", "cpu_1m", time.Minute),
		{Name: "b_max", Database: "db", Source: "cpu", Target: "cpu_max_5m", Interval: Duration(5 * time.Minute), GroupBy: []string{"hostname"}, Enabled: true,
			Fields: []Field{{Field: "usage_user", Function: "max"}, {Field: "usage_system", Function: "min"}}},
		{Name: "c_region", Database: "db", Source: "cpu", Target: "cpu_region_1h", Interval: Duration(time.Hour), GroupBy: []string{"region"}, Enabled: true,
			Fields: []Field{{Field: "usage_idle", Function: "mean"}, {Field: "usage_idle", Function: "count"}}},
		{Name: "d_last", Database: "db", Source: "cpu", Target: "cpu_last_10s", Interval: Duration(10 * time.Second), GroupBy: []string{"*"}, Enabled: true,
			Fields: []Field{{Field: "usage_user", Function: "last"}, {Field: "usage_user", Function: "first"}}},
		{Name: "e_prod", Database: "db", Source: "cpu", Target: "cpu_prod_1m", Interval: Duration(time.Minute), Filter: "service_environment = 'production'", Enabled: true,
			Fields: []Field{{Field: "usage_user", Function: "sum"}}},
	}
	// open opens a fresh database with the first n aggregates.
	open := func(b *testing.B, n int) (*storage.DB, func()) {
		db, err := storage.Open(b.TempDir(), &storage.Options{Durability: storage.DurabilityPeriodic, CompactionInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.CreateDatabase("db"); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return db, func() { db.Close() }
		}
		e, err := Open(db, nil)
		if err != nil {
			b.Fatal(err)
		}
		// A first point, materialized: every aggregate has a watermark at
		// the start of the day.
		if err := db.Write("db", "", data[0][:1]); err != nil {
			b.Fatal(err)
		}
		for _, d := range defs[:n] {
			if err := e.Register(d); err != nil {
				b.Fatal(err)
			}
			if _, err := e.Refresh(context.Background(), d.Name, time.Unix(tsbsgen.Start, 0)); err != nil {
				b.Fatal(err)
			}
		}
		return db, func() {
			markers := 0
			if err := db.IterMeta(namespace, []byte{keyMarker}, func(_, _ []byte) error { markers++; return nil }); err != nil {
				b.Fatal(err)
			}
			if markers != 0 {
				b.Fatalf("the in-order ingest left %d dirty markers", markers)
			}
			e.Close()
			db.Close()
		}
	}
	b.ReportAllocs()
	var without, with, cpuWithout, cpuWith time.Duration
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for b.Loop() {
		b.StopTimer()
		dbs := [2]*storage.DB{}
		closes := [2]func(){}
		dbs[0], closes[0] = open(b, 0)
		dbs[1], closes[1] = open(b, len(defs))
		b.StartTimer()
		for i, batch := range data {
			for k := range 2 {
				j := (i + k) % 2
				start, c0 := time.Now(), threadCPUTime()
				if err := dbs[j].Write("db", "", batch); err != nil {
					b.Fatal(err)
				}
				if d, c := time.Since(start), threadCPUTime()-c0; j == 0 {
					without += d
					cpuWithout += c
				} else {
					with += d
					cpuWith += c
				}
			}
		}
		b.StopTimer()
		closes[0]()
		closes[1]()
		b.StartTimer()
	}
	values := float64(tsbsgen.Hosts*tsbsgen.Day*tsbsgen.Fields) * float64(b.N)
	b.ReportMetric(values/without.Seconds(), "values/s-without")
	b.ReportMetric(values/with.Seconds(), "values/s-with5")
	b.ReportMetric(without.Seconds()/with.Seconds(), "ratio")
	if cpuWith > 0 {
		b.ReportMetric(cpuWithout.Seconds()/cpuWith.Seconds(), "cpu-ratio")
	}
}

// threadCPUTime returns the CPU time of the calling thread (Linux's
// RUSAGE_THREAD; 0 elsewhere). Lock the goroutine to its thread first.
func threadCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
