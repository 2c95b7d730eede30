package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/continuous"
	"github.com/accretedb/accrete/influxcompat"
	"github.com/accretedb/accrete/storage"
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

// TestAggregatesFailure makes a refresh fail (the target holds the output
// field with another type) and reads the failure in the refresh's answer,
// the status and /metrics; a successful refresh clears the last error.
func TestAggregatesFailure(t *testing.T) {
	ts := newAggServer(t)
	ts.expect(t, "POST", "/write?db=db&precision=s", "cpu,host=a usage=10 0\ncpu_1m,host=a usage_mean=\"text\" 0\n", 204)
	ts.expect(t, "POST", "/api/v1/aggregates", `{"name": "cpu_1m", "database": "db", "source": "cpu", "target": "cpu_1m",
		"interval": "1m", "group_by": ["host"], "fields": [{"field": "usage", "function": "mean"}]}`, 201)
	code, got, _ := ts.do(t, "POST", "/api/v1/aggregates/cpu_1m/refresh", nil)
	if code < 400 || !strings.Contains(got, `refresh of \"cpu_1m\"`) || !strings.Contains(got, "usage_mean") {
		t.Fatalf("refresh into a conflicting field: %d %s", code, got)
	}
	var v struct {
		Status struct {
			Runs      int    `json:"runs"`
			Failures  int    `json:"failures"`
			LastError string `json:"last_error"`
			LastRun   string `json:"last_run"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(ts.expect(t, "GET", "/api/v1/aggregates/cpu_1m", "", 200)), &v); err != nil {
		t.Fatal(err)
	}
	if v.Status.Runs != 1 || v.Status.Failures != 1 || !strings.Contains(v.Status.LastError, "usage_mean") || v.Status.LastRun != "1970-01-01T00:02:00Z" {
		t.Errorf("status after the failure: %+v", v.Status)
	}
	metrics := ts.expect(t, "GET", "/metrics", "", 200)
	for _, s := range []string{
		`accrete_aggregate_failures_total{aggregate="cpu_1m",database="db"} 1`,
		`accrete_aggregate_last_run_success{aggregate="cpu_1m",database="db"} 0`,
		`accrete_aggregate_last_run_timestamp_seconds{aggregate="cpu_1m",database="db"} 120`,
		`accrete_aggregate_last_error_info{aggregate="cpu_1m",database="db",error="refresh of \"cpu_1m\": `,
	} {
		if !strings.Contains(metrics, s) {
			t.Errorf("/metrics lacks %s", s)
		}
	}

	// Dropping the conflicting field lets the next refresh succeed.
	ts.expect(t, "POST", "/query?db=db&q="+url.QueryEscape("DROP MEASUREMENT cpu_1m"), "", 200)
	got = ts.expect(t, "POST", "/api/v1/aggregates/cpu_1m/refresh", "", 200)
	if !strings.Contains(got, `"buckets_materialized":1`) {
		t.Errorf("refresh after the fix: %s", got)
	}
	metrics = ts.expect(t, "GET", "/metrics", "", 200)
	if strings.Contains(metrics, "accrete_aggregate_last_error_info") || !strings.Contains(metrics, `accrete_aggregate_last_run_success{aggregate="cpu_1m",database="db"} 1`) {
		t.Errorf("/metrics after a successful refresh:\n%s", metrics)
	}
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

// The server crash test runs a server (this test binary, re-executed with
// aggCrashEnv naming its data directory) whose continuous aggregates come
// from a YAML configuration applied at start, as `accrete serve -config`
// applies it. The parent writes, deletes and refreshes through HTTP and
// SIGKILLs the server while a write or a refresh request is in flight,
// restarts it and goes on. At the end it compares every materialized
// bucket with the same aggregate computed by InfluxQL over the source
// data that survived.

const aggCrashEnv = "ACCRETE_SERVER_AGG_CRASH_DIR"

const aggCrashConfig = `
databases:
  - name: db
aggregates:
  - name: ten
    database: db
    source: m
    target: m_10s
    interval: 10s
    group_by: [host]
    fields:
      - {field: f, function: count}
      - {field: f, function: sum}
      - {field: f, function: min}
      - {field: f, function: max}
      - {field: f, function: mean}
  - name: minute
    database: db
    source: m_10s
    target: m_1m
    interval: 1m
    group_by: [host]
    fields:
      - {field: f_count, function: sum, as: n}
      - {field: f_sum, function: sum, as: total}
      - {field: f_min, function: min, as: low}
      - {field: f_max, function: max, as: high}
      - {field: f_mean, function: mean, as: avg}
`

func TestAggregatesCrashServer(t *testing.T) {
	dir := os.Getenv(aggCrashEnv)
	if dir == "" {
		t.Skip("run by TestAggregatesCrash")
	}
	if err := aggCrashServer(dir); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

// aggCrashServer starts a server over dir as `accrete serve -config` does
// and serves until it is killed.
func aggCrashServer(dir string) error {
	c, err := LoadConfig(filepath.Join(dir, "accrete.yaml"))
	if err != nil {
		return err
	}
	db, err := accrete.Open(filepath.Join(dir, "data"), &accrete.Options{Storage: storage.Options{Durability: storage.DurabilityPeriodic}})
	if err != nil {
		return err
	}
	for _, d := range c.Databases {
		if err := db.CreateDatabase(d.Name); err != nil {
			return err
		}
	}
	e, err := continuous.Open(db.DB, &continuous.Options{MaxBatchBuckets: 10})
	if err != nil {
		return err
	}
	for _, d := range c.Aggregates {
		if _, err := e.Put(d); err != nil {
			return err
		}
	}
	s := New(&Options{
		Writer:     db,
		Querier:    influxcompat.NewExecutor(db, &influxcompat.ExecutorOptions{ContinuousQueries: continuous.NewInfluxQL(e)}),
		Stats:      db,
		Aggregates: e,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("listening", ln.Addr())
	return s.Serve(ln)
}

// crashClient talks to one run of the crash server.
type crashClient struct {
	t    *testing.T
	base string
}

// post sends a request and returns its status and body; a failed request
// (the server was killed) gives status 0.
func (c crashClient) post(path, body string) (int, string) {
	resp, err := http.Post(c.base+path, "text/plain", strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(b)
}

// must is post that fails the test on anything but want.
func (c crashClient) must(path, body string, want int) string {
	c.t.Helper()
	code, got := c.post(path, body)
	if code != want {
		c.t.Fatalf("POST %s: %d %s", path, code, got)
	}
	return got
}

// query runs an InfluxQL query and returns its only series by tag host:
// the rows without their time column as JSON, keyed by the time.
func (c crashClient) query(q string) map[string]map[int64]string {
	c.t.Helper()
	resp, err := http.Get(c.base + "/query?" + url.Values{"db": {"db"}, "epoch": {"ns"}, "q": {q}}.Encode())
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Results []struct {
			Error  string
			Series []struct {
				Tags   map[string]string
				Values [][]json.Number
			}
		}
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		c.t.Fatal(err)
	}
	if len(r.Results) != 1 || r.Results[0].Error != "" {
		c.t.Fatalf("%s: %+v", q, r)
	}
	out := map[string]map[int64]string{}
	for _, s := range r.Results[0].Series {
		rows := map[int64]string{}
		for _, v := range s.Values {
			ts, err := v[0].Int64()
			if err != nil {
				c.t.Fatal(err)
			}
			var cols []string
			for _, x := range v[1:] {
				f, err := x.Float64()
				if err != nil {
					c.t.Fatal(err)
				}
				// Means may differ in the last bits with the order of
				// summation.
				cols = append(cols, strconv.FormatFloat(f, 'g', 12, 64))
			}
			rows[ts] = strings.Join(cols, " ")
		}
		out[s.Tags["host"]] = rows
	}
	return out
}

// startCrashServer starts the crash server over dir and returns it with a
// client; the server's output is drained in the background.
func startCrashServer(t *testing.T, dir string) (*exec.Cmd, crashClient) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAggregatesCrashServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), aggCrashEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if addr, ok := strings.CutPrefix(line, "listening "); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, crashClient{t: t, base: "http://" + addr}
		}
		if strings.HasPrefix(line, "error:") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("server: %s", line)
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatal("the server exited before listening")
	return nil, crashClient{}
}

func TestAggregatesCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills server processes")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "accrete.yaml"), []byte(aggCrashConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	hostNames, dcs := []string{"a", "b", "c"}, []string{"x", "y"}
	// write sends n points of the last 30 minutes of the first hosts,
	// integer values so that sums are exact.
	// lines draws the body up front: rng belongs to this goroutine, and
	// the in-flight request below runs on another.
	lines := func(n, hosts int) string {
		var b strings.Builder
		now := time.Now()
		for range n {
			ts := now.Add(-time.Duration(rng.IntN(1_800_000)) * time.Millisecond).Truncate(time.Millisecond)
			fmt.Fprintf(&b, "m,dc=%s,host=%s f=%d %d\n", dcs[rng.IntN(2)], hostNames[rng.IntN(hosts)], rng.IntN(201)-100, ts.UnixNano())
		}
		return b.String()
	}
	write := func(c crashClient, n, hosts int) (int, string) {
		return c.post("/write?db=db", lines(n, hosts))
	}
	refresh := func(c crashClient, name string) (int, string) {
		return c.post("/api/v1/aggregates/"+name+"/refresh", "")
	}
	// timed runs a request and returns how long it took.
	timed := func(f func() (int, string)) time.Duration {
		start := time.Now()
		if code, body := f(); code != 200 && code != 204 {
			t.Fatalf("%d %s", code, body)
		}
		return time.Since(start)
	}
	// Kill until enough kills found their request in flight; under load a
	// request may finish before its kill, so the number of kills that takes
	// varies, within a bound.
	const wantInFlight, maxKills = 5, 40
	kills, inFlight := 0, 0
	for i := 0; inFlight < wantInFlight && i < maxKills; i++ {
		kills++
		cmd, c := startCrashServer(t, dir)
		for range 5 + rng.IntN(20) {
			switch op := rng.IntN(10); {
			case op < 6:
				if code, body := write(c, 1+rng.IntN(20), 3); code != 204 {
					t.Fatalf("write: %d %s", code, body)
				}
			case op < 7:
				lo := time.Now().Add(-time.Duration(rng.IntN(1800)) * time.Second)
				q := fmt.Sprintf("DELETE FROM m WHERE host = '%s' AND time >= %d AND time < %d", hostNames[rng.IntN(3)], lo.UnixNano(), lo.Add(time.Duration(rng.IntN(300))*time.Second).UnixNano())
				c.must("/query?db=db&q="+url.QueryEscape(q), "", 200)
			default:
				for _, name := range []string{"ten", "minute"} {
					if code, body := refresh(c, name); code != 200 {
						t.Fatalf("refresh: %d %s", code, body)
					}
				}
			}
		}
		// Kill while a write (even runs) or a refresh (odd runs) is in
		// flight, at a random moment within the time the same request took
		// just before: a write of 3000 points, or the refresh of the
		// buckets such a write dirtied.
		name := []string{"ten", "minute"}[rng.IntN(2)]
		timing, inflight := lines(3000, 2), lines(3000, 2)
		f := func() (int, string) { return c.post("/write?db=db", timing) }
		if i%2 == 1 {
			f = func() (int, string) { return refresh(c, name) }
			timed(func() (int, string) { return write(c, 3000, 2) })
		}
		d := timed(f)
		if i%2 == 1 {
			timed(func() (int, string) { return write(c, 3000, 2) })
		}
		if i%2 == 0 {
			f = func() (int, string) { return c.post("/write?db=db", inflight) }
		}
		done := make(chan int, 1)
		go func() {
			code, _ := f()
			done <- code
		}()
		time.Sleep(time.Duration(rng.Int64N(int64(d))))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if <-done == 0 {
			inFlight++
		}
	}
	if inFlight == 0 {
		t.Fatalf("none of %d kills found its request in flight", kills)
	}

	cmd, c := startCrashServer(t, dir)
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	var st struct{ Watermark time.Time }
	for _, name := range []string{"ten", "minute"} {
		if err := json.Unmarshal([]byte(c.must("/api/v1/aggregates/"+name+"/refresh", "", 200)), &st); err != nil {
			t.Fatal(err)
		}
	}
	// The minute level is materialized up to its watermark, which is at or
	// below the ten-second level's.
	w := st.Watermark.UnixNano()
	from := time.Now().Add(-time.Hour).Truncate(time.Hour).UnixNano()
	checks := []struct{ got, want string }{
		{fmt.Sprintf("SELECT f_count, f_sum, f_min, f_max, f_mean FROM m_10s WHERE time >= %d AND time < %d GROUP BY host", from, w),
			fmt.Sprintf("SELECT count(f), sum(f), min(f), max(f), mean(f) FROM m WHERE time >= %d AND time < %d GROUP BY time(10s), host fill(none)", from, w)},
		{fmt.Sprintf("SELECT n, total, low, high, avg FROM m_1m WHERE time >= %d AND time < %d GROUP BY host", from, w),
			fmt.Sprintf("SELECT count(f), sum(f), min(f), max(f), mean(f) FROM m WHERE time >= %d AND time < %d GROUP BY time(1m), host fill(none)", from, w)},
	}
	rows := 0
	for _, ch := range checks {
		got, want := c.query(ch.got), c.query(ch.want)
		for _, h := range hostNames {
			rows += len(got[h])
			if !maps.Equal(got[h], want[h]) {
				t.Errorf("host %s after %d kills:\n%s\n\t%v\n%s\n\t%v", h, kills, ch.got, got[h], ch.want, want[h])
			}
		}
	}
	if rows < 10 {
		t.Fatalf("only %d materialized buckets", rows)
	}
	t.Logf("%d kills (%d with the request in flight), %d buckets checked", kills, inFlight, rows)
}
