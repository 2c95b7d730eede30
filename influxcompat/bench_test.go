package influxcompat

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accretedb/accrete/storage"
)

// The benchmark data set is TSBS's: 100 hosts × one day at 10 s, 8.64 M
// values, written once per test binary run into a temporary directory.
var benchFixture struct {
	once sync.Once
	dir  string
	db   *storage.DB
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFixture.db != nil {
		benchFixture.db.Close()
		os.RemoveAll(benchFixture.dir)
	}
	os.Exit(code)
}

// benchDB returns the benchmark database, building it on first use.
func benchDB(b *testing.B) *storage.DB {
	f := &benchFixture
	f.once.Do(func() {
		f.dir, f.err = os.MkdirTemp("", "accrete-bench-")
		if f.err != nil {
			return
		}
		f.db, f.err = storage.Open(f.dir, &storage.Options{Durability: storage.DurabilityNone})
		if f.err != nil {
			return
		}
		if f.err = f.db.CreateDatabase("db"); f.err != nil {
			return
		}
		start := time.Now()
		writeTSBS(b, f.db, 100, 24*time.Hour)
		// Queries run on compacted data, as they do once a load has
		// settled (the 2016 partitions are long closed).
		f.err = f.db.Compact(context.Background())
		b.Logf("wrote and compacted 100 hosts × 1 day (8.64 M values) in %v", time.Since(start))
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f.db
}

// reportCPU reports the process's CPU time (user and system, all threads)
// per operation as "cpu-ns/op": on a machine shared with other work it
// measures the query's cost better than the wall time does. Call the
// returned function when the loop is done.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func hostsWhere(hosts ...int) string {
	var w []string
	for _, h := range hosts {
		w = append(w, fmt.Sprintf("hostname = 'host_%d'", h))
	}
	return "(" + strings.Join(w, " or ") + ")"
}

// BenchmarkTSBS runs TSBS's InfluxQL query shapes on a day of TSBS data.
func BenchmarkTSBS(b *testing.B) {
	db := benchDB(b)
	e := NewExecutor(db, nil)
	at := func(d time.Duration) string { return tsbsStart.Add(d).Format(time.RFC3339) }
	var maxAll []string
	for _, f := range tsbsFields {
		maxAll = append(maxAll, "max("+f+")")
	}
	queries := []struct{ name, q string }{
		{"single-groupby-1-1-1", fmt.Sprintf("SELECT max(usage_user) from cpu where %s and time >= '%s' and time < '%s' group by time(1m)",
			hostsWhere(42), at(7*time.Hour), at(8*time.Hour))},
		{"single-groupby-5-1-12", fmt.Sprintf("SELECT max(usage_user),max(usage_system),max(usage_idle),max(usage_nice),max(usage_iowait) from cpu where %s and time >= '%s' and time < '%s' group by time(1m)",
			hostsWhere(42), at(3*time.Hour), at(15*time.Hour))},
		{"double-groupby-1", fmt.Sprintf("SELECT mean(usage_user) from cpu where time >= '%s' and time < '%s' group by time(1h),hostname",
			at(5*time.Hour), at(17*time.Hour))},
		{"high-cpu-all", fmt.Sprintf("SELECT * from cpu where usage_user > 90.0  and time >= '%s' and time < '%s'",
			at(2*time.Hour), at(14*time.Hour))},
		{"lastpoint", `SELECT * from cpu group by "hostname" order by time desc limit 1`},
		{"cpu-max-all-8", fmt.Sprintf("SELECT %s from cpu where %s and time >= '%s' and time < '%s' group by time(1h)",
			strings.Join(maxAll, ","), hostsWhere(3, 14, 15, 26, 37, 58, 69, 90), at(9*time.Hour), at(17*time.Hour))},
		{"groupby-orderby-limit", fmt.Sprintf("SELECT max(usage_user) from cpu WHERE time < '%s' group by time(1m) limit 5", at(13*time.Hour+17*time.Minute))},
	}
	ctx := context.Background()
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			opts := Options{Database: "db"}
			for b.Loop() {
				err := e.Execute(ctx, q.q, opts, func(r *Result) error {
					if r.Err != "" {
						return fmt.Errorf("%s", r.Err)
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSelectInto runs TSBS's downsampling statement over the day: 1.44
// M values written into cpu_1m.
func BenchmarkSelectInto(b *testing.B) {
	db := benchDB(b)
	e := NewExecutor(db, nil)
	q := "SELECT mean(*) INTO cpu_1m FROM cpu WHERE time >= '2016-01-01T00:00:00Z' AND time < '2016-01-02T00:00:00Z' GROUP BY time(1m), *"
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		err := e.Execute(ctx, q+"; DROP MEASUREMENT cpu_1m", Options{Database: "db"}, func(r *Result) error {
			if r.Err != "" {
				return fmt.Errorf("%s", r.Err)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
