package influxcompat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

func writeLines(t testing.TB, db *storage.DB, lines string) {
	t.Helper()
	pts, err := model.ParseLines([]byte(lines), model.ParseOptions{Precision: model.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write("db", "", pts); err != nil {
		t.Fatal(err)
	}
}

func TestMaxSelectBuckets(t *testing.T) {
	db := openStore(t)
	writeLines(t, db, "cpu v=1 1451606400\ncpu v=2 1451607000\ncpu v=3 1451607540\n")
	e := NewExecutor(db, &ExecutorOptions{MaxSelectBuckets: 10})
	now := Options{Epoch: "s", Now: func() time.Time { return time.Unix(1451607600, 0) }}
	got := runJSON(t, e, "SELECT count(v) FROM cpu WHERE time >= '2016-01-01T00:00:00Z' AND time < '2016-01-01T00:20:00Z' GROUP BY time(1m)", now)
	if want := `"error":"max-select-buckets limit exceeded: (19/10)"`; !strings.Contains(got, want) {
		t.Errorf("got %s, want %s", got, want)
	}
	// Without a lower bound only the newest buckets are read; the rows
	// start at the first point read.
	got = runJSON(t, e, "SELECT sum(v) FROM cpu GROUP BY time(1m)", now)
	want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","sum"],"values":[[1451607000,2],[1451607060,null],[1451607120,null],[1451607180,null],[1451607240,null],[1451607300,null],[1451607360,null],[1451607420,null],[1451607480,null],[1451607540,3],[1451607600,null]]}]}]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestEmitError checks that an error of emit ends Execute with that error
// and runs no further statement.
func TestEmitError(t *testing.T) {
	db := openStore(t)
	writeLines(t, db, "cpu,host=a v=1 1451606400\ncpu,host=b v=2 1451606400\n")
	e := NewExecutor(db, nil)
	stop := errors.New("client went away")
	for _, chunk := range []int{0, 1} {
		n := 0
		err := e.Execute(context.Background(), "SELECT v FROM cpu GROUP BY host; CREATE DATABASE other", Options{Database: "db", ChunkSize: chunk},
			func(*Result) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("chunk %d: Execute = %v after %d results, want the emit error after 1", chunk, err, n)
		}
		if _, err := db.Database("other"); err == nil {
			t.Fatalf("chunk %d: the statement after the failed emit ran", chunk)
		}
	}
}

// TestContextCancel checks that a cancelled context stops Execute.
func TestContextCancel(t *testing.T) {
	db := openStore(t)
	writeLines(t, db, "cpu v=1 1451606400\n")
	e := NewExecutor(db, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := e.Execute(ctx, "SELECT v FROM cpu", Options{Database: "db"}, func(*Result) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Execute = %v, want context.Canceled", err)
	}
}

var seedPoints, _ = model.ParseLines([]byte(`cpu,host=a v=1,w=2i,s="x" 1451606400
cpu,host=b v=3,w=4i 1451606405
cpu,host=a v=5 1451606460
mem free=1i 1451606400
`), model.ParseOptions{Precision: model.Second})

// FuzzExecute runs arbitrary query text on a small database: whatever it
// is, Execute must not panic, and every statement must give a result or
// the whole query a parse error.
func FuzzExecute(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM cpu",
		"SELECT mean(v), max(w) FROM cpu WHERE time > now() - 1h GROUP BY time(1m, 30s), host fill(linear)",
		"SELECT count(distinct(s)) FROM cpu GROUP BY *",
		"SELECT max(v), host, w FROM cpu GROUP BY time(7s) fill(previous) ORDER BY time DESC LIMIT 3 OFFSET 1",
		"SELECT v * 2 + w / 3 FROM cpu WHERE v > 1.5 OR host =~ /a/ SLIMIT 1",
		"SELECT percentile(v, 99.9), median(w), stddev(v), spread(w) FROM /c.*/",
		"SELECT mean(*) INTO x FROM cpu GROUP BY time(1m), *",
		"SHOW TAG VALUES WITH KEY =~ /./ WHERE host != 'b'; SHOW SERIES LIMIT 1; SHOW FIELD KEYS",
		"DELETE FROM cpu WHERE host = 'a' AND time < '2016-01-01T00:00:30Z'; DROP MEASUREMENT cpu",
		"CREATE RETENTION POLICY r ON db DURATION 2h REPLICATION 1 SHARD DURATION 1h DEFAULT",
		"SELECT first(v) FROM cpu WHERE time < '2016-01-01T00:01:00Z' GROUP BY time(1s) LIMIT 2",
		"SELECT w * 9223372036854775807 / 0, w % 0, v % 0, (w & 3) | w ^ -w, -(v - w) FROM cpu ORDER BY time DESC",
		"SELECT max(w) - min(w) AS r, sum(w) / count(v), mean(v) * mean(w) FROM cpu GROUP BY time(30s), host fill(linear)",
		"SELECT last(v) + w, s, host, nosuch FROM cpu WHERE time >= '2016-01-01T00:00:00Z' GROUP BY time(1m) fill(previous) LIMIT 1",
		"SELECT min(v), max(v), host FROM cpu; SELECT mean(v) + v FROM cpu; SELECT s + 1, v + host FROM cpu",
		"SELECT max(v) + host::field, w::tag, s FROM cpu, mem GROUP BY time(30s) fill(0); SELECT first(w), first(w), host FROM cpu",
		"SELECT derivative(v, 1s), non_negative_difference(w), moving_average(v, 3), cumulative_sum(w), elapsed(s, 1ms) FROM cpu GROUP BY host LIMIT 2 OFFSET 1",
		"SELECT non_negative_derivative(mean(v), 1s), difference(max(w)) FROM cpu WHERE time >= '2016-01-01T00:00:00Z' AND time < '2016-01-01T00:05:00Z' GROUP BY time(1m), host fill(previous) ORDER BY time DESC",
		"SELECT integral(v, 1m), mode(s), mode(w) FROM cpu WHERE time >= '2016-01-01T00:00:00Z' AND time < '2016-01-01T00:05:00Z' GROUP BY time(30s)",
		"SELECT derivative(mean(v)) FROM cpu; SELECT moving_average(v, 1) FROM cpu; SELECT elapsed(v, 's') FROM cpu; SELECT derivative(*) - 1 FROM cpu",
	} {
		f.Add(s)
	}
	// One database for all inputs: statements may change it (DROP, DELETE,
	// INTO); the points are written again before each input.
	db, err := storage.Open(f.TempDir(), &storage.Options{Durability: storage.DurabilityNone})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	// Bounded buckets keep GROUP BY time(1ns) from running for hours.
	e := NewExecutor(db, &ExecutorOptions{MaxSelectBuckets: 10000})
	f.Fuzz(func(t *testing.T, q string) {
		if err := db.CreateDatabase("db"); err != nil {
			t.Fatal(err)
		}
		// Earlier inputs may have changed field types: a rejected write is
		// fine, the input runs on what there is.
		_ = db.Write("db", "", seedPoints)
		opts := Options{Database: "db", Now: func() time.Time { return time.Unix(1451606520, 0) }}
		ids := map[int]bool{}
		err := e.Execute(context.Background(), q, opts, func(r *Result) error {
			ids[r.StatementID] = true
			return nil
		})
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("%q: %v", q, err)
		}
	})
}
