package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/influxcompat"
)

// testServer is a Server over a real database in a temporary directory,
// listening on 127.0.0.1.
type testServer struct {
	*Server
	db  *accrete.DB
	url string
}

// newTestServer opens a database with the database "db", serves it and
// closes everything when the test ends. opts may preset limits and auth.
func newTestServer(t *testing.T, opts *Options) *testServer {
	t.Helper()
	db, err := accrete.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Writer = db
	o.Querier = influxcompat.NewExecutor(db, nil)
	o.Stats = db
	o.Clock = func() time.Time { return time.Unix(1700000000, 0) }
	s := New(&o)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &testServer{Server: s, db: db, url: hs.URL}
}

// do sends a request and returns the status, the body and the response
// headers.
func (ts *testServer) do(t *testing.T, method, path string, body io.Reader, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// query runs q against database db with extra URL parameters and returns
// the status and body.
func (ts *testServer) query(t *testing.T, q string, params ...string) (int, string) {
	t.Helper()
	v := url.Values{"q": {q}, "db": {"db"}}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	code, body, _ := ts.do(t, "GET", "/query?"+v.Encode(), nil)
	return code, body
}

func (ts *testServer) write(t *testing.T, params, body string) (int, string) {
	t.Helper()
	code, b, _ := ts.do(t, "POST", "/write?"+params, strings.NewReader(body))
	return code, b
}

func TestWriteAndQuery(t *testing.T) {
	ts := newTestServer(t, nil)
	code, body := ts.write(t, "db=db&precision=s", "cpu,host=a usage=1.5,n=3i 1000\ncpu,host=b usage=2.5,n=4i 1001\n")
	if code != http.StatusNoContent || body != "" {
		t.Fatalf("write: %d %q", code, body)
	}
	code, body = ts.query(t, "SELECT usage, n FROM cpu WHERE host = 'a'", "epoch", "s")
	want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage","n"],"values":[[1000,1.5,3]]}]}]}` + "\n"
	if code != 200 || body != want {
		t.Fatalf("query: %d\n got %s\nwant %s", code, body, want)
	}
	code, body = ts.query(t, "SELECT max(usage) FROM cpu")
	want = `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","max"],"values":[["1970-01-01T00:16:41Z",2.5]]}]}]}` + "\n"
	if code != 200 || body != want {
		t.Fatalf("query: %d\n got %s\nwant %s", code, body, want)
	}
}

func TestWritePrecisionsAndNow(t *testing.T) {
	ts := newTestServer(t, nil)
	f := func(precision, line string, wantNS int64) {
		t.Helper()
		if code, body := ts.write(t, "db=db&precision="+url.QueryEscape(precision), line); code != 204 {
			t.Fatalf("precision %q: %d %s", precision, code, body)
		}
		v := line[strings.Index(line, `"`)+1 : strings.LastIndex(line, `"`)]
		_, body := ts.query(t, "SELECT v FROM p WHERE v = '"+v+"'", "epoch", "ns")
		var r struct {
			Results []struct {
				Series []struct{ Values [][]any }
			}
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Results) != 1 || len(r.Results[0].Series) != 1 {
			t.Fatalf("precision %q: %s (%v)", precision, body, err)
		}
		if got := r.Results[0].Series[0].Values[0][0].(float64); int64(got) != wantNS {
			t.Fatalf("precision %q: time %v, want %d", precision, got, wantNS)
		}
	}
	f("", `p v="" 5`, 5)
	f("n", `p v="n" 6`, 6)
	f("u", `p v="u" 7`, 7000)
	f("µ", `p v="µ" 8`, 8000)
	f("ms", `p v="ms" 9`, 9_000_000)
	f("s", `p v="s" 10`, 10_000_000_000)
	f("m", `p v="m" 2`, 120_000_000_000)
	f("h", `p v="h" 1`, 3_600_000_000_000)
	f("s", `p v="now"`, 1700000000_000_000_000) // no timestamp: the server's clock
}

func TestWriteGzip(t *testing.T) {
	ts := newTestServer(t, nil)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for i := range 1000 {
		io.WriteString(zw, "m,host=h"+string(rune('a'+i%3))+" v="+strings.Repeat("1", 1+i%5)+"i "+time.Duration(i).String()[:0]+itoa(int64(i))+"\n")
	}
	zw.Close()
	code, body, _ := ts.do(t, "POST", "/write?db=db&consistency=all", &buf, "Content-Encoding", "gzip", "Content-Type", "text/plain")
	if code != 204 {
		t.Fatalf("gzip write: %d %s", code, body)
	}
	_, body = ts.query(t, "SELECT count(v) FROM m", "epoch", "ns")
	if want := `{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count"],"values":[[0,1000]]}]}]}` + "\n"; body != want {
		t.Fatalf("count: got %s want %s", body, want)
	}
	code, body, _ = ts.do(t, "POST", "/write?db=db", strings.NewReader("not gzip"), "Content-Encoding", "gzip")
	if code != 400 || !strings.Contains(body, `"error"`) {
		t.Fatalf("bad gzip: %d %s", code, body)
	}
}

func itoa(i int64) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestWriteErrors(t *testing.T) {
	ts := newTestServer(t, &Options{MaxBodyBytes: 1000})
	if code, body := ts.write(t, "db=db", "cpu v=1 1\n"); code != 204 {
		t.Fatalf("seed write: %d %s", code, body)
	}
	f := func(params, body string, wantCode int, wantBody string) {
		t.Helper()
		code, got := ts.write(t, params, body)
		if wantBody != "" {
			wantBody += "\n"
		}
		if code != wantCode || got != wantBody {
			t.Fatalf("write ?%s %q:\n got %d %s\nwant %d %s", params, body, code, got, wantCode, wantBody)
		}
	}
	f("", "cpu v=1", 400, `{"error":"database is required"}`)
	f("db=nope", "cpu v=1", 404, `{"error":"database not found: \"nope\""}`)
	f("db=db&rp=zz", "cpu v=1", 404, `{"error":"retention policy not found: zz"}`)
	f("db=db&precision=x", "cpu v=1", 400, `{"error":"invalid precision \"x\": want one of ns, us, ms, s, m, h"}`)
	f("db=db", "cpu v=2 2\ncpu v= 3", 400, `{"error":"unable to parse 'cpu v= 3': field value has unrecognized type (line 2, column 7)"}`)
	f("db=db", "mem v=5 5\ncpu v=\"s\" 4", 400, `{"error":"partial write: field type conflict: input field \"v\" on measurement \"cpu\" is type string, already exists as type float dropped=2"}`)
	f("db=db", strings.Repeat("cpu v=1 1\n", 101), 413, `{"error":"http: request body too large"}`)
	// Nothing of the rejected requests was written.
	_, body := ts.query(t, "SELECT * FROM cpu", "epoch", "ns")
	if want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]]}]}]}` + "\n"; body != want {
		t.Fatalf("after rejected writes: got %s want %s", body, want)
	}
	_, body = ts.query(t, "SHOW MEASUREMENTS")
	if want := `{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["cpu"]]}]}]}` + "\n"; body != want {
		t.Fatalf("measurements after rejected writes: got %s want %s", body, want)
	}
	// An empty body is a successful write of nothing, as in InfluxDB.
	f("db=db", "", 204, "")
}

func TestQueryErrorsAndFormats(t *testing.T) {
	ts := newTestServer(t, nil)
	if code, body := ts.write(t, "db=db", "cpu v=1 1000000000\ncpu v=3 3000000000\n"); code != 204 {
		t.Fatalf("write: %d %s", code, body)
	}
	f := func(wantCode int, wantBody string, q string, params ...string) {
		t.Helper()
		code, got := ts.query(t, q, params...)
		if code != wantCode || got != wantBody {
			t.Fatalf("query %q %v:\n got %d %s\nwant %d %s", q, params, code, got, wantCode, wantBody)
		}
	}
	f(400, `{"error":"error parsing query: found EOF, expected identifier at line 1, char 15"}`+"\n", "SELECT * FROM")
	f(400, `{"error":"missing required parameter \"q\""}`+"\n", "")
	f(200, `{"results":[{"statement_id":0,"error":"database not found: nope"}]}`+"\n", "SELECT * FROM cpu", "db", "nope")
	f(200, `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1],[3,3]]}]},{"statement_id":1},{"statement_id":2,"series":[{"name":"databases","columns":["name"],"values":[["db"]]}]}]}`+"\n",
		"SELECT * FROM cpu; SELECT x FROM nope; SHOW DATABASES", "epoch", "s")
	f(200, "{\n    \"results\": [\n        {\n            \"statement_id\": 0,\n            \"series\": [\n                {\n                    \"name\": \"cpu\",\n                    \"columns\": [\n                        \"time\",\n                        \"v\"\n                    ],\n                    \"values\": [\n                        [\n                            \"1970-01-01T00:00:01Z\",\n                            1\n                        ]\n                    ]\n                }\n            ]\n        }\n    ]\n}\n",
		"SELECT * FROM cpu LIMIT 1", "pretty", "true")
	f(200, `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[["1970-01-01T00:00:01Z",1]],"partial":true}],"partial":true}]}`+"\n"+
		`{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[["1970-01-01T00:00:03Z",3]]}]}]}`+"\n"+
		`{"results":[{"statement_id":1,"series":[{"name":"databases","columns":["name"],"values":[["db"]]}]}]}`+"\n",
		"SELECT * FROM cpu; SHOW DATABASES", "chunked", "true", "chunk_size", "1")
	f(400, `{"error":"invalid chunk_size \"x\": want a positive integer"}`+"\n", "SHOW DATABASES", "chunked", "true", "chunk_size", "x")
	f(400, `{"error":"error parsing query: found EOF, expected identifier at line 1, char 15"}`+"\n", "SELECT * FROM", "chunked", "true")

	// POST with the query in a form body, and with the query in the URL
	// and an empty body (TSBS).
	code, body, hdr := ts.do(t, "POST", "/query?db=db&epoch=s", strings.NewReader("q=SELECT+v+FROM+cpu+LIMIT+1"), "Content-Type", "application/x-www-form-urlencoded")
	if want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]]}]}]}` + "\n"; code != 200 || body != want {
		t.Fatalf("form POST: %d %s", code, body)
	}
	if hdr.Get("Content-Type") != "application/json" || hdr.Get("X-Influxdb-Version") != Version || hdr.Get("X-Influxdb-Build") != "OSS" {
		t.Fatalf("headers: %v", hdr)
	}
	code, body, _ = ts.do(t, "POST", "/query?db=db&epoch=s&q="+url.QueryEscape("SELECT v FROM cpu LIMIT 1"), nil)
	if want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]]}]}]}` + "\n"; code != 200 || body != want {
		t.Fatalf("URL POST: %d %s", code, body)
	}
}

func TestQueryBoundParameters(t *testing.T) {
	ts := newTestServer(t, nil)
	if code, body := ts.write(t, "db=db&precision=s", "cpu,host=a v=1 1\ncpu,host=b v=2 2\ncpu,host=b v=3 3\n"); code != 204 {
		t.Fatalf("write: %d %s", code, body)
	}
	f := func(params string, wantCode int, want string) {
		t.Helper()
		code, body := ts.query(t, "SELECT v FROM cpu WHERE host = $host AND v >= $min", "epoch", "s", "params", params)
		if code != wantCode || body != want+"\n" {
			t.Fatalf("params %s:\n got %d %s\nwant %d %s", params, code, body, wantCode, want)
		}
	}
	f(`{"host": "b", "min": 3}`, 200, `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[3,3]]}]}]}`)
	f(`{"host": "b", "min": 1.5}`, 200, `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[2,2],[3,3]]}]}]}`)
	f(`{"host": "a"}`, 400, `{"error":"error parsing query: missing parameter: min"}`)
	f(`{"host": `, 400, `{"error":"error parsing query parameters: unexpected EOF"}`)
	code, body := ts.query(t, "SHOW DATABASES", "params", "null")
	if code != 200 || !strings.Contains(body, `"values":[["db"]]`) {
		t.Fatalf("params=null: %d %s", code, body)
	}
}

// slowQuerier blocks until its context ends.
type slowQuerier struct{}

func (slowQuerier) Execute(ctx context.Context, q string, opts influxcompat.Options, emit func(*influxcompat.Result) error) error {
	if err := emit(&influxcompat.Result{StatementID: 0}); err != nil {
		return err
	}
	<-ctx.Done()
	return ctx.Err()
}

func TestQueryTimeout(t *testing.T) {
	s := New(&Options{Querier: slowQuerier{}, QueryTimeout: 50 * time.Millisecond})
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	for _, chunked := range []string{"false", "true"} {
		resp, err := http.Get(hs.URL + "/query?q=SELECT+1&chunked=" + chunked)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := `{"results":[{"statement_id":0},{"statement_id":1,"error":"query-timeout limit exceeded"}]}` + "\n"
		if chunked == "true" {
			want = `{"results":[{"statement_id":0}]}` + "\n" + `{"results":[{"statement_id":1,"error":"query-timeout limit exceeded"}]}` + "\n"
		}
		if resp.StatusCode != 200 || string(b) != want {
			t.Fatalf("chunked=%s: %d %s", chunked, resp.StatusCode, b)
		}
	}
}

func TestPingHealthReady(t *testing.T) {
	ts := newTestServer(t, &Options{Auth: &Auth{Users: map[string]string{"u": "p"}}})
	code, body, hdr := ts.do(t, "GET", "/ping", nil)
	if code != 204 || body != "" || hdr.Get("X-Influxdb-Version") != Version || hdr.Get("X-Influxdb-Build") != "OSS" {
		t.Fatalf("ping: %d %q %v", code, body, hdr)
	}
	code, body, _ = ts.do(t, "HEAD", "/ping", nil)
	if code != 204 {
		t.Fatalf("HEAD ping: %d", code)
	}
	code, body, _ = ts.do(t, "GET", "/ping?verbose=true", nil)
	if code != 200 || body != `{"version":"`+Version+`"}`+"\n" {
		t.Fatalf("verbose ping: %d %s", code, body)
	}
	code, body, _ = ts.do(t, "GET", "/health", nil)
	if code != 200 || body != `{"name":"accrete","message":"ready for queries and writes","status":"pass","checks":[],"version":"`+Version+`"}`+"\n" {
		t.Fatalf("health: %d %s", code, body)
	}
	code, _, _ = ts.do(t, "GET", "/ready", nil)
	if code != 200 {
		t.Fatalf("ready: %d", code)
	}
	ts.closing.Store(true)
	code, body, _ = ts.do(t, "GET", "/ready", nil)
	if code != 503 || !strings.Contains(body, `"status":"fail"`) {
		t.Fatalf("ready while closing: %d %s", code, body)
	}
	code, _, _ = ts.do(t, "DELETE", "/ping", nil)
	if code != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE /ping: %d", code)
	}
}

func TestAuth(t *testing.T) {
	ts := newTestServer(t, &Options{Auth: &Auth{Users: map[string]string{"alice": "s3cret"}}})
	f := func(path string, wantCode int, wantBody string, hdr ...string) {
		t.Helper()
		code, body, _ := ts.do(t, "POST", path, strings.NewReader("cpu v=1 1"), hdr...)
		if code != wantCode || body != wantBody {
			t.Fatalf("%s %v:\n got %d %q\nwant %d %q", path, hdr, code, body, wantCode, wantBody)
		}
	}
	noCreds := `{"error":"unable to parse authentication credentials"}` + "\n"
	failed := `{"error":"authorization failed"}` + "\n"
	f("/write?db=db", 401, noCreds)
	f("/query?q=SHOW+DATABASES", 401, noCreds)
	f("/write?db=db&u=alice&p=wrong", 401, failed)
	f("/write?db=db&u=bob&p=s3cret", 401, failed)
	f("/write?db=db", 401, failed, "Authorization", "Basic YWxpY2U6d3Jvbmc=") // alice:wrong
	f("/write?db=db", 401, noCreds, "Authorization", "Bearer xyz")
	f("/write?db=db&u=alice&p=s3cret", 204, "")
	f("/write?db=db", 204, "", "Authorization", "Basic YWxpY2U6czNjcmV0") // alice:s3cret
	f("/write?db=db", 204, "", "Authorization", "Token alice:s3cret")
	f("/query?q=SHOW+DATABASES&u=alice&p=s3cret", 200, `{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["db"]]}]}]}`+"\n")
}

func TestMetrics(t *testing.T) {
	ts := newTestServer(t, nil)
	if code, body := ts.write(t, "db=db", "cpu,host=a v=1 1\ncpu,host=b v=2 2\ncpu,host=c v=3 3\n"); code != 204 {
		t.Fatalf("write: %d %s", code, body)
	}
	ts.write(t, "db=db", "cpu v=")
	ts.query(t, "SHOW DATABASES; SHOW MEASUREMENTS")
	code, body, hdr := ts.do(t, "GET", "/metrics", nil)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %v", code, hdr)
	}
	values := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if line := sc.Text(); !strings.HasPrefix(line, "#") {
			if i := strings.LastIndexByte(line, ' '); i > 0 {
				values[line[:i]] = line[i+1:]
			}
		}
	}
	for k, want := range map[string]string{
		`accrete_http_requests_total{code="204",handler="write"}`:      "1",
		`accrete_http_requests_total{code="400",handler="write"}`:      "1",
		`accrete_http_requests_total{code="200",handler="query"}`:      "1",
		`accrete_http_request_duration_seconds_count{handler="write"}`: "2",
		`accrete_points_written_total`:                                 "3",
		`accrete_write_errors_total`:                                   "1",
		`accrete_query_statements_total`:                               "2",
		`accrete_storage_databases`:                                    "1",
		`accrete_storage_series`:                                       "3",
		`accrete_storage_values_written_total`:                         "3",
		`accrete_storage_write_batches_total`:                          "1",
	} {
		if values[k] != want {
			t.Errorf("%s = %q, want %s", k, values[k], want)
		}
	}
	for _, k := range []string{"go_goroutines", "process_resident_memory_bytes", "accrete_storage_disk_bytes"} {
		if values[k] == "" {
			t.Errorf("%s missing", k)
		}
	}
}

func TestNotConfigured(t *testing.T) {
	hs := httptest.NewServer(New(nil).Handler())
	defer hs.Close()
	for _, path := range []string{"/write?db=db", "/query?q=SHOW+DATABASES"} {
		resp, err := http.Post(hs.URL+path, "text/plain", strings.NewReader("x v=1"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || string(b) != `{"error":"not configured"}`+"\n" {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
}
