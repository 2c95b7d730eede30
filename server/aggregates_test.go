package server

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/continuous"
	"github.com/accretedb/accrete/influxcompat"
)

// aggServer is a Server with a continuous-aggregate engine over a real
// database, listening on 127.0.0.1, with its clock at 120 s past the
// epoch.
type aggServer struct {
	*testServer
	engine *continuous.Engine
}

func newAggServer(t *testing.T) *aggServer {
	t.Helper()
	db, err := accrete.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	e, err := continuous.Open(db.DB, &continuous.Options{Clock: func() time.Time { return time.Unix(120, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	s := New(&Options{
		Writer:     db,
		Querier:    influxcompat.NewExecutor(db, &influxcompat.ExecutorOptions{ContinuousQueries: continuous.NewInfluxQL(e)}),
		Stats:      db,
		Aggregates: e,
		Clock:      func() time.Time { return time.Unix(120, 0) },
	})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &aggServer{testServer: &testServer{Server: s, db: db, url: hs.URL}, engine: e}
}

func (ts *aggServer) expect(t *testing.T, method, path, body string, status int) string {
	t.Helper()
	code, got, _ := ts.do(t, method, path, strings.NewReader(body))
	if code != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, status, got)
	}
	return got
}

// TestAggregatesExample is EXAMPLES.md §3 over HTTP: line protocol through
// /write, the aggregate through the API, the target through /query.
func TestAggregatesExample(t *testing.T) {
	ts := newAggServer(t)
	ts.expect(t, "POST", "/write?db=db&precision=s", "cpu,host=a usage=10 0\ncpu,host=a usage=20 30\ncpu,host=a usage=30 60\ncpu,host=b usage=5 10\n", 204)
	got := ts.expect(t, "POST", "/api/v1/aggregates", `{"name": "cpu_1m", "database": "db", "source": "cpu", "target": "cpu_1m",
		"interval": "1m", "group_by": ["host"], "fields": [{"field": "usage", "function": "mean"}]}`, 201)
	if !strings.Contains(got, `"fields":[{"field":"usage","function":"mean","as":"usage_mean"}]`) || !strings.Contains(got, `"status":{`) {
		t.Errorf("create answered %s", got)
	}
	got = ts.expect(t, "POST", "/api/v1/aggregates/cpu_1m/refresh", "", 200)
	if !strings.Contains(got, `"buckets_materialized":3`) {
		t.Errorf("first refresh: %s", got)
	}
	q := "/query?db=db&epoch=s&q=" + url.QueryEscape("SELECT usage_mean FROM cpu_1m GROUP BY host")
	want := `{"results":[{"statement_id":0,"series":[` +
		`{"name":"cpu_1m","tags":{"host":"a"},"columns":["time","usage_mean"],"values":[[0,15],[60,30]]},` +
		`{"name":"cpu_1m","tags":{"host":"b"},"columns":["time","usage_mean"],"values":[[0,5]]}]}]}` + "\n"
	if got := ts.expect(t, "GET", q, "", 200); got != want {
		t.Errorf("target after the first refresh:\n got %s\nwant %s", got, want)
	}

	ts.expect(t, "POST", "/write?db=db&precision=s", "cpu,host=a usage=40 45\n", 204)
	got = ts.expect(t, "POST", "/api/v1/aggregates/cpu_1m/refresh", "", 200)
	var st struct {
		Recomputed   int `json:"buckets_recomputed"`
		Materialized int `json:"buckets_materialized"`
		Written      int `json:"points_written"`
	}
	if err := json.Unmarshal([]byte(got), &st); err != nil {
		t.Fatal(err)
	}
	if st.Recomputed != 1 || st.Materialized != 0 || st.Written != 1 {
		t.Errorf("refresh after the late point: %s, want 1 bucket recomputed and 1 point written", got)
	}
	want = `{"results":[{"statement_id":0,"series":[{"name":"cpu_1m","columns":["time","usage_mean"],"values":[[0,23.333333333333332],[60,30]]}]}]}` + "\n"
	q = "/query?db=db&epoch=s&q=" + url.QueryEscape("SELECT usage_mean FROM cpu_1m WHERE host = 'a'")
	if got := ts.expect(t, "GET", q, "", 200); got != want {
		t.Errorf("target after the late point:\n got %s\nwant %s", got, want)
	}

	got = ts.expect(t, "GET", "/api/v1/aggregates/cpu_1m", "", 200)
	for _, s := range []string{`"runs":2`, `"buckets_recomputed_total":1`, `"watermark":"1970-01-01T00:02:00Z"`, `"last":{"buckets_recomputed":1`} {
		if !strings.Contains(got, s) {
			t.Errorf("status lacks %s: %s", s, got)
		}
	}
	got = ts.expect(t, "GET", "/metrics", "", 200)
	for _, s := range []string{
		`accrete_aggregate_buckets_recomputed_total{aggregate="cpu_1m",database="db"} 1`,
		`accrete_aggregate_points_written_total{aggregate="cpu_1m",database="db"} 4`,
		`accrete_aggregate_refreshes_total{aggregate="cpu_1m",database="db"} 2`,
		`accrete_aggregate_lag_seconds{aggregate="cpu_1m",database="db"} 0`,
	} {
		if !strings.Contains(got, s) {
			t.Errorf("/metrics lacks %s", s)
		}
	}
}

func TestAggregatesRealTimeData(t *testing.T) {
	ts := newAggServer(t)
	ts.expect(t, "POST", "/write?db=db&precision=s", "cpu,host=a usage=10 0\ncpu,host=a usage=20 30\ncpu,host=a usage=30 60\ncpu,host=a usage=50 125\n", 204)
	ts.expect(t, "POST", "/api/v1/aggregates", `{"name": "cpu_1m", "database": "db", "source": "cpu", "target": "cpu_1m",
		"interval": "1m", "group_by": ["host"], "fields": [{"field": "usage", "function": "mean"}]}`, 201)
	ts.expect(t, "POST", "/api/v1/aggregates/cpu_1m/refresh", "", 200)
	ts.expect(t, "POST", "/write?db=db&precision=s", "cpu,host=a usage=40 90\n", 204)
	// Materialized: [0, 120); the bucket at 60 is stale until the next
	// refresh; the open bucket at 120 comes from the source.
	got := ts.expect(t, "GET", "/api/v1/aggregates/cpu_1m/data?start=0&end=1970-01-01T00:03:00Z&realtime=true", "", 200)
	want := `{"name":"cpu_1m","columns":["time","usage_mean"],"series":[{"tags":{"host":"a"},"values":[["1970-01-01T00:00:00Z",15],["1970-01-01T00:01:00Z",30],["1970-01-01T00:02:00Z",50]]}],"watermark":"1970-01-01T00:02:00Z"}` + "\n"
	if got != want {
		t.Errorf("real-time data:\n got %s\nwant %s", got, want)
	}
	got = ts.expect(t, "GET", "/api/v1/aggregates/cpu_1m/data?end=180000000000", "", 200)
	want = `{"name":"cpu_1m","columns":["time","usage_mean"],"series":[{"tags":{"host":"a"},"values":[["1970-01-01T00:00:00Z",15],["1970-01-01T00:01:00Z",30]]}],"watermark":"1970-01-01T00:02:00Z"}` + "\n"
	if got != want {
		t.Errorf("materialized data:\n got %s\nwant %s", got, want)
	}
	// A backfill of a range recomputes it.
	got = ts.expect(t, "POST", "/api/v1/aggregates/cpu_1m/refresh", `{"start": "1970-01-01T00:01:00Z", "end": 120000000000}`, 200)
	if !strings.Contains(got, `"buckets_recomputed":1`) {
		t.Errorf("backfill: %s", got)
	}
}

func TestAggregatesContinuousQueries(t *testing.T) {
	ts := newAggServer(t)
	q := func(s string) string { return "/query?db=db&q=" + url.QueryEscape(s) }
	ts.expect(t, "POST", q("CREATE CONTINUOUS QUERY cpu_1m ON db BEGIN SELECT mean(usage) AS usage_mean INTO cpu_1m FROM cpu GROUP BY time(1m), host END"), "", 200)
	got := ts.expect(t, "GET", "/api/v1/aggregates", "", 200)
	if !strings.Contains(got, `"name":"cpu_1m"`) || !strings.Contains(got, `"query":"CREATE CONTINUOUS QUERY cpu_1m ON db BEGIN`) {
		t.Errorf("the continuous query is not listed as an aggregate: %s", got)
	}
	ts.expect(t, "POST", "/api/v1/aggregates", `{"name": "mem_1h", "database": "db", "source": "mem", "target": "mem_1h", "interval": "1h", "fields": [{"field": "used", "function": "max"}]}`, 201)
	got = ts.expect(t, "GET", q("SHOW CONTINUOUS QUERIES"), "", 200)
	want := `{"results":[{"statement_id":0,"series":[{"name":"db","columns":["name","query"],"values":[` +
		`["cpu_1m","CREATE CONTINUOUS QUERY cpu_1m ON db BEGIN SELECT mean(usage) AS usage_mean INTO cpu_1m FROM cpu GROUP BY time(1m), host END"],` +
		`["mem_1h","CREATE CONTINUOUS QUERY mem_1h ON db BEGIN SELECT max(used) AS used_max INTO db.autogen.mem_1h FROM db.autogen.mem GROUP BY time(1h) END"]]}]}]}` + "\n"
	if got != want {
		t.Errorf("show:\n got %s\nwant %s", got, want)
	}
	ts.expect(t, "POST", q("DROP CONTINUOUS QUERY mem_1h ON db"), "", 200)
	ts.expect(t, "GET", "/api/v1/aggregates/mem_1h", "", 404)
}

func TestAggregatesErrors(t *testing.T) {
	ts := newAggServer(t)
	def := `{"name": "c", "database": "db", "source": "cpu", "target": "c", "interval": "1m", "fields": [{"field": "usage", "function": "mean"}]}`
	ts.expect(t, "POST", "/api/v1/aggregates", def, 201)
	f := func(method, path, body string, status int, msg string) {
		t.Helper()
		got := ts.expect(t, method, path, body, status)
		if !strings.Contains(got, msg) {
			t.Errorf("%s %s: %s, want a message containing %q", method, path, got, msg)
		}
	}
	f("POST", "/api/v1/aggregates", def, 409, `continuous aggregate already exists: \"c\"`)
	f("POST", "/api/v1/aggregates", `{"name": "x", "database": "db", "source": "cpu", "target": "y", "interval": "0s", "fields": [{"field": "usage", "function": "top"}]}`,
		400, `invalid continuous aggregate \"x\": interval 0s is not positive; fields[0]: unknown function \"top\"`)
	f("POST", "/api/v1/aggregates", `{"name": "x", "database": "db", "source": "cpu", "target": "y", "interval": "1m"}`, 400, "no aggregations")
	f("POST", "/api/v1/aggregates", `{"name": "x", "database": "db", "source": "cpu", "target": "y", "interval": "1m", "fields": [{"field": "a", "function": "min", "as": "v"}, {"field": "b", "function": "max", "as": "v"}]}`,
		400, `output name \"v\" is used twice`)
	f("POST", "/api/v1/aggregates", `{"name": "x", "database": "db", "source": "c", "target": "cpu", "interval": "1m", "fields": [{"field": "usage_mean", "function": "mean"}]}`,
		400, `dependency cycle between continuous aggregates`)
	f("POST", "/api/v1/aggregates", `{"name": "x", "interval": "1m", "colour": "red"}`, 400, `unknown field \"colour\"`)
	f("POST", "/api/v1/aggregates", `{"name": "x", "interval": "soon"}`, 400, `invalid duration \"soon\"`)
	f("GET", "/api/v1/aggregates/nope", "", 404, `continuous aggregate not found: \"nope\"`)
	f("POST", "/api/v1/aggregates/c/refresh", `{"start": "yesterday"}`, 400, `start: \"yesterday\" is neither`)
	f("GET", "/api/v1/aggregates/c/data?realtime=maybe", "", 400, "realtime must be true or false")

	got := ts.expect(t, "POST", "/api/v1/aggregates/c/disable", "", 200)
	if !strings.Contains(got, `"enabled":false`) {
		t.Errorf("disable: %s", got)
	}
	got = ts.expect(t, "POST", "/api/v1/aggregates/c/enable", "", 200)
	if !strings.Contains(got, `"enabled":true`) {
		t.Errorf("enable: %s", got)
	}
	ts.expect(t, "DELETE", "/api/v1/aggregates/c", "", 204)
	ts.expect(t, "DELETE", "/api/v1/aggregates/c", "", 404)
}

func TestAggregatesConfig(t *testing.T) {
	yml := `
databases:
  - name: telegraf
aggregates:
  - name: cpu_1m
    database: telegraf
    source: cpu
    target: cpu_1m
    interval: 1m
    group_by: [host]
    fields:
      - {field: usage_user, function: mean}
      - {field: usage_user, function: max, as: peak}
    retention: 30d
  - {name: cpu_1h, database: telegraf, source: cpu_1m, target: cpu_1h, interval: 1h, enabled: false,
     fields: [{field: usage_user_mean, function: mean}]}
`
	c, err := ParseConfig([]byte(yml), false)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(c.Aggregates)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"cpu_1m","database":"telegraf","source":"cpu","target":"cpu_1m","interval":"1m","group_by":["host"],` +
		`"fields":[{"field":"usage_user","function":"mean"},{"field":"usage_user","function":"max","as":"peak"}],"retention":"30d","enabled":true},` +
		`{"name":"cpu_1h","database":"telegraf","source":"cpu_1m","target":"cpu_1h","interval":"1h",` +
		`"fields":[{"field":"usage_user_mean","function":"mean"}],"enabled":false}]`
	if string(js) != want {
		t.Errorf("aggregates:\n got %s\nwant %s", js, want)
	}
	// The same in JSON, the API's shape.
	cj, err := ParseConfig([]byte(`{"aggregates": `+want+`}`), true)
	if err != nil {
		t.Fatal(err)
	}
	if js2, _ := json.Marshal(cj.Aggregates); string(js2) != want {
		t.Errorf("JSON configuration gives %s", js2)
	}
	for _, bad := range []struct{ yml, msg string }{
		{"aggregates:\n  - {name: x, database: d, source: a, target: b, interval: 1m, fields: [{field: f, function: mean}], colour: red}", "field colour not found"},
		{"aggregates:\n  - {name: x, database: d, source: a, target: b, interval: 1m, fields: [{field: f, function: mode}]}", `aggregates[0]: invalid continuous aggregate "x": fields[0]: unknown function "mode"`},
		{"aggregates:\n  - {name: x, database: d, source: a, target: b, interval: 1m, fields: [{field: f, function: mean}]}\n  - {name: x, database: d, source: a, target: c, interval: 1m, fields: [{field: f, function: mean}]}", `aggregate "x" is declared twice`},
	} {
		if _, err := ParseConfig([]byte(bad.yml), false); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("%s: got %v, want an error containing %q", bad.yml, err, bad.msg)
		}
	}
}
