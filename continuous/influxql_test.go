package continuous

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/influxcompat"
	"github.com/accretedb/accrete/model"
)

// influx runs InfluxQL through an executor wired to e and returns the JSON
// of the results.
func influx(t *testing.T, x *influxcompat.Executor, q string) string {
	t.Helper()
	var out []*influxcompat.Result
	err := x.Execute(context.Background(), q, influxcompat.Options{Database: "db", Epoch: "s"}, func(r *influxcompat.Result) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// TestExampleContinuousQuery is EXAMPLES.md §3 through InfluxQL.
func TestExampleContinuousQuery(t *testing.T) {
	db, _ := testDB(t, nil)
	e := testEngine(t, db, nil)
	x := influxcompat.NewExecutor(db, &influxcompat.ExecutorOptions{ContinuousQueries: NewInfluxQL(e)})
	write(t, db, model.Second, "cpu,host=a usage=10 0\ncpu,host=a usage=20 30\ncpu,host=a usage=30 60\ncpu,host=b usage=5 10\n")
	got := influx(t, x, "CREATE CONTINUOUS QUERY cpu_1m ON db BEGIN SELECT mean(usage) AS usage_mean INTO cpu_1m FROM cpu GROUP BY time(1m), host END")
	if got != `[{"statement_id":0}]` {
		t.Fatalf("create: %s", got)
	}
	refresh(t, e, "cpu_1m", time.Unix(120, 0))
	write(t, db, model.Second, "cpu,host=a usage=40 45\n")
	st := refresh(t, e, "cpu_1m", time.Unix(120, 0))
	if st.BucketsRecomputed != 1 {
		t.Errorf("recomputed %d buckets, want 1", st.BucketsRecomputed)
	}
	got = influx(t, x, "SELECT usage_mean FROM cpu_1m WHERE host = 'a'")
	want := `[{"statement_id":0,"series":[{"name":"cpu_1m","columns":["time","usage_mean"],"values":[[0,23.333333333333332],[60,30]]}]}]`
	if got != want {
		t.Errorf("select:\n got %s\nwant %s", got, want)
	}
	got = influx(t, x, "SHOW CONTINUOUS QUERIES")
	want = `[{"statement_id":0,"series":[{"name":"db","columns":["name","query"],"values":[["cpu_1m","CREATE CONTINUOUS QUERY cpu_1m ON db BEGIN SELECT mean(usage) AS usage_mean INTO cpu_1m FROM cpu GROUP BY time(1m), host END"]]}]}]`
	if got != want {
		t.Errorf("show:\n got %s\nwant %s", got, want)
	}
	// Creating the same query again does nothing; another one of that name
	// fails.
	if got := influx(t, x, "CREATE CONTINUOUS QUERY cpu_1m ON db BEGIN SELECT mean(usage) AS usage_mean INTO cpu_1m FROM cpu GROUP BY time(1m), host END"); got != `[{"statement_id":0}]` {
		t.Errorf("create again: %s", got)
	}
	if got := influx(t, x, "CREATE CONTINUOUS QUERY cpu_1m ON db BEGIN SELECT max(usage) INTO cpu_max FROM cpu GROUP BY time(1m) END"); !strings.Contains(got, "already exists") {
		t.Errorf("create a different query of the same name: %s", got)
	}
	if got := influx(t, x, "DROP CONTINUOUS QUERY cpu_1m ON db"); got != `[{"statement_id":0}]` {
		t.Errorf("drop: %s", got)
	}
	if _, err := e.Get("cpu_1m"); err == nil {
		t.Error("the aggregate is still registered after DROP CONTINUOUS QUERY")
	}
	if got := influx(t, x, "DROP CONTINUOUS QUERY cpu_1m ON db"); !strings.Contains(got, "continuous query not found") {
		t.Errorf("drop again: %s", got)
	}
}

func TestContinuousQueryTranslation(t *testing.T) {
	db, _ := testDB(t, nil)
	e := testEngine(t, db, nil)
	write(t, db, model.Second, "cpu,host=a usage=1,idle=2i,name=\"x\" 0\n")
	q := NewInfluxQL(e)
	f := func(stmt string, want Definition) {
		t.Helper()
		s, err := influxql.ParseStatement(stmt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := q.definition(s.(*influxql.CreateContinuousQueryStatement))
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		want.Query, want.Enabled = got.Query, true
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", stmt, got, want)
		}
	}
	f(`CREATE CONTINUOUS QUERY c ON db RESAMPLE EVERY 30s FOR 2h BEGIN SELECT mean(usage), max(usage), count(usage) AS n INTO autogen.cpu_5m FROM autogen.cpu WHERE host =~ /^a/ GROUP BY time(5m, 1m), * fill(none) END`,
		Definition{Name: "c", Database: "db", RetentionPolicy: "autogen", Source: "cpu", Target: "cpu_5m", TargetRetentionPolicy: "autogen",
			Interval: Duration(5 * time.Minute), Offset: Duration(time.Minute), GroupBy: []string{"*"}, Filter: "host =~ /^a/",
			Every: Duration(30 * time.Second), For: Duration(2 * time.Hour),
			Fields: []Field{{Field: "usage", Function: "mean", As: "mean"}, {Field: "usage", Function: "max", As: "max"}, {Field: "usage", Function: "count", As: "n"}}})
	f(`CREATE CONTINUOUS QUERY c ON db BEGIN SELECT mean(*) INTO cpu_1h FROM cpu GROUP BY time(1h) END`,
		Definition{Name: "c", Database: "db", Source: "cpu", Target: "cpu_1h", Interval: Duration(time.Hour),
			Fields: []Field{{Field: "idle", Function: "mean", As: "mean_idle"}, {Field: "usage", Function: "mean", As: "mean_usage"}}})

	bad := func(stmt, msg string) {
		t.Helper()
		s, err := influxql.ParseStatement(stmt)
		if err != nil {
			t.Fatal(err)
		}
		err = q.Create(context.Background(), s.(*influxql.CreateContinuousQueryStatement))
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: got %v, want an error containing %q", stmt, err, msg)
		}
	}
	bad(`CREATE CONTINUOUS QUERY c ON db BEGIN SELECT median(usage) INTO x FROM cpu GROUP BY time(1m) END`, "function median is not supported")
	bad(`CREATE CONTINUOUS QUERY c ON db BEGIN SELECT mean(usage) INTO x FROM cpu, mem GROUP BY time(1m) END`, "exactly one measurement")
	bad(`CREATE CONTINUOUS QUERY c ON db BEGIN SELECT mean(usage) INTO x FROM cpu WHERE time > now() - 1h GROUP BY time(1m) END`, "may not restrict time")
	bad(`CREATE CONTINUOUS QUERY c ON db BEGIN SELECT mean(usage) INTO x FROM cpu GROUP BY time(1m) fill(0) END`, "fill")
	bad(`CREATE CONTINUOUS QUERY c ON db BEGIN SELECT mean(usage) INTO cpu FROM cpu GROUP BY time(1m) END`, "is the source")
	bad(`CREATE CONTINUOUS QUERY c ON nope BEGIN SELECT mean(usage) INTO x FROM cpu GROUP BY time(1m) END`, `database "nope" not found`)
}

// TestStatementRoundTrip checks that the statement SHOW CONTINUOUS QUERIES
// gives for an aggregate made through the API translates back to it.
func TestStatementRoundTrip(t *testing.T) {
	db, _ := testDB(t, nil)
	e := testEngine(t, db, nil)
	q := NewInfluxQL(e)
	for _, d := range propertyDefs() {
		n, err := d.normalized()
		if err != nil {
			t.Fatal(err)
		}
		s, err := influxql.ParseStatement(Statement(n))
		if err != nil {
			t.Fatalf("%s: %v", Statement(n), err)
		}
		got, err := q.definition(s.(*influxql.CreateContinuousQueryStatement))
		if err != nil {
			t.Fatal(err)
		}
		got, _ = got.normalized()
		got.Query = ""
		if n.TargetRetentionPolicy == "" {
			got.TargetRetentionPolicy = ""
		}
		f1, _ := parseFilter(n.Filter)
		f2, _ := parseFilter(got.Filter)
		if reflect.DeepEqual(f1, f2) {
			got.Filter = n.Filter
		}
		if !reflect.DeepEqual(got, n) {
			t.Errorf("%s:\n got %+v\nwant %+v", Statement(n), got, n)
		}
	}
}
