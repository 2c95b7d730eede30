package server

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/downsample"
	"github.com/accretedb/accrete/influxcompat"
)

// dsServer is a Server with a downsampling engine over a real database,
// listening on 127.0.0.1, with a settable clock.
type dsServer struct {
	*testServer
	engine *downsample.Engine
	clock  *atomic.Int64
}

func newDSServer(t *testing.T, start time.Time) *dsServer {
	t.Helper()
	db, err := accrete.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	clk := &atomic.Int64{}
	clk.Store(start.UnixNano())
	now := func() time.Time { return time.Unix(0, clk.Load()).UTC() }
	e, err := downsample.Open(db.DB, &downsample.Options{Clock: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	s := New(&Options{
		Writer:      db,
		Querier:     influxcompat.NewExecutor(db, nil),
		Stats:       db,
		Downsamples: e,
		Clock:       now,
	})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &dsServer{testServer: &testServer{Server: s, db: db, url: hs.URL}, engine: e, clock: clk}
}

func (ts *dsServer) expect(t *testing.T, method, path, body string, status int, contains ...string) string {
	t.Helper()
	code, got, _ := ts.do(t, method, path, strings.NewReader(body))
	if code != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, status, got)
	}
	for _, c := range contains {
		if !strings.Contains(got, c) {
			t.Fatalf("%s %s: %s does not contain %s", method, path, got, c)
		}
	}
	return got
}

// queryValues runs a query and returns the rows of its series as
// "time v1 v2 ..." strings (epoch seconds) by host tag.
func (ts *dsServer) queryValues(t *testing.T, q string) map[string][]string {
	t.Helper()
	body := ts.expect(t, "GET", "/query?"+url.Values{"db": {"db"}, "epoch": {"s"}, "q": {q}}.Encode(), "", 200)
	var r struct {
		Results []struct {
			Error  string
			Series []struct {
				Tags   map[string]string
				Values [][]any
			}
		}
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if len(r.Results) != 1 || r.Results[0].Error != "" {
		t.Fatalf("%s: %s", q, body)
	}
	out := map[string][]string{}
	for _, s := range r.Results[0].Series {
		for _, v := range s.Values {
			var cols []string
			for _, x := range v {
				cols = append(cols, fmt.Sprint(x))
			}
			out[s.Tags["host"]] = append(out[s.Tags["host"]], strings.Join(cols, " "))
		}
	}
	return out
}

// TestDownsamplesTiersEndToEnd is the classic setup — raw 7 days, 1-minute
// 90 days, 1-hour forever — as one tiered config over HTTP: points through
// /write, the tiers read through /query, status and metrics through the
// API.
func TestDownsamplesTiersEndToEnd(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	ts := newDSServer(t, t0)
	got := ts.expect(t, "POST", "/api/v1/downsamples", `{"name": "cpu", "database": "db", "source": "cpu",
		"source_retention": "7d",
		"fields": [{"field": "usage", "function": "mean"}, {"field": "usage", "function": "max"}],
		"tiers": [{"interval": "1m", "retention": "90d"}, {"interval": "1h"}]}`, 201,
		`"name":"cpu_1m"`, `"name":"cpu_1h"`, `"source":"cpu_1m","target":"cpu_1h"`, `"retention":"90d"`, `"status":{`)
	_ = got

	// Two hours of points, one every 10 s, host a: usage = minute index;
	// host b: 2 × second index mod 7. Written minute by minute, the clock
	// following, with one late batch.
	var want = map[string]map[int64][]float64{"a": {}, "b": {}}
	for m := range 120 {
		var b strings.Builder
		for s := 0; s < 60; s += 10 {
			sec := t0.Unix() + int64(m*60+s)
			va, vb := float64(m), float64((2*(m*60+s))%7)
			fmt.Fprintf(&b, "cpu,host=a usage=%g %d\ncpu,host=b usage=%g %d\n", va, sec, vb, sec)
			h := (sec - t0.Unix()) / 3600 * 3600
			want["a"][h] = append(want["a"][h], va)
			want["b"][h] = append(want["b"][h], vb)
		}
		ts.expect(t, "POST", "/write?db=db&precision=s", b.String(), 204)
		ts.clock.Store(t0.Add(time.Duration(m+1) * time.Minute).UnixNano())
		if err := ts.engine.Flush(time.Unix(0, ts.clock.Load())); err != nil {
			t.Fatal(err)
		}
	}
	// A late point for the first hour: re-aggregates minute 5 and hour 0.
	ts.expect(t, "POST", "/write?db=db&precision=s", fmt.Sprintf("cpu,host=a usage=1000 %d\n", t0.Unix()+305), 204)
	want["a"][0] = append(want["a"][0], 1000)
	ts.clock.Store(t0.Add(2*time.Hour + time.Minute).UnixNano())
	for range 2 {
		if err := ts.engine.Flush(time.Unix(0, ts.clock.Load())); err != nil {
			t.Fatal(err)
		}
	}

	rows := ts.queryValues(t, "SELECT usage_mean, usage_max FROM cpu_1h GROUP BY host")
	for _, host := range []string{"a", "b"} {
		var wantRows []string
		for h := int64(0); h < 7200; h += 3600 {
			vs := want[host][h]
			sum, mx := 0.0, vs[0]
			for _, v := range vs {
				sum += v
				mx = max(mx, v)
			}
			wantRows = append(wantRows, fmt.Sprintf("%d %v %v", t0.Unix()+h, sum/float64(len(vs)), mx))
		}
		if strings.Join(rows[host], "\n") != strings.Join(wantRows, "\n") {
			t.Errorf("cpu_1h host %s:\n got %v\nwant %v", host, rows[host], wantRows)
		}
	}
	minutes := ts.queryValues(t, "SELECT count(usage_mean) FROM cpu_1m GROUP BY host")
	if got := minutes["a"]; len(got) != 1 || !strings.HasSuffix(got[0], " 120") {
		t.Errorf("cpu_1m has %v minutes of host a, want 120", got)
	}
	if got := ts.queryValues(t, fmt.Sprintf("SELECT usage_max FROM cpu_1m WHERE host = 'a' AND time = %ds GROUP BY host", t0.Unix()+300)); got["a"][0] != fmt.Sprintf("%d 1000", t0.Unix()+300) {
		t.Errorf("late point: minute 5 is %v, want max 1000", got)
	}

	// Status, list and metrics.
	ts.expect(t, "GET", "/api/v1/downsamples/cpu_1m", "", 200, `"buckets_written":`, `"buckets_recomputed":1`, `"open_buckets":`)
	ts.expect(t, "GET", "/api/v1/downsamples", "", 200, `"name":"cpu_1h"`, `"name":"cpu_1m"`)
	ts.expect(t, "GET", "/metrics", "", 200, `accrete_downsample_open_buckets{database="db",downsample="cpu_1m"}`,
		`accrete_downsample_open_bytes{database="db",downsample="cpu_1h"}`)

	// Writes older than the raw retention are rejected.
	ts.expect(t, "POST", "/write?db=db&precision=s", fmt.Sprintf("cpu,host=a usage=1 %d\n", t0.Add(-8*24*time.Hour).Unix()), 400, "source retention")

	// Bad input: what is wrong, and nothing changes.
	ts.expect(t, "POST", "/api/v1/downsamples", `{"name": "x", "database": "db", "source": "cpu", "target": "cpu",
		"interval": "0s", "fields": [{"field": "usage", "function": "median"}, {"field": "u", "function": "max", "as": "m"}, {"field": "v", "function": "min", "as": "m"}]}`, 400,
		`target \"cpu\" is the source`, `interval 0s must be positive`, `unknown function \"median\"`, `duplicate output name \"m\"`)
	ts.expect(t, "POST", "/api/v1/downsamples", `{"name": "y", "database": "db", "source": "cpu", "target": "y", "interval": "1m", "fields": []}`, 400, `\"y\": no fields`)
	ts.expect(t, "POST", "/api/v1/downsamples", `{"name": "z", "database": "db", "source": "cpu_1h", "target": "cpu_1m", "interval": "1d", "fields": [{"field": "usage_mean", "function": "mean", "as": "usage_mean"}]}`, 400, `already written by downsample \"cpu_1m\"`, `cycle`)
	ts.expect(t, "POST", "/api/v1/downsamples", `{"name": "w", "database": "db", "source": "cpu_1m", "target": "w", "interval": "90s", "fields": [{"field": "usage_mean", "function": "max"}]}`, 400,
		`not a multiple`, `max cannot be computed exactly from the lower tier's mean`)
	ts.expect(t, "POST", "/api/v1/downsamples", `{"name": "cpu_1m", "database": "db", "source": "mem", "target": "mem_1m", "interval": "1m", "fields": [{"field": "x", "function": "sum"}]}`, 409)
	ts.expect(t, "POST", "/api/v1/downsamples", `{"name": "v", "database": "db", "source": "cpu", "bogus": 1}`, 400, "bogus")
	ts.expect(t, "GET", "/api/v1/downsamples/nope", "", 404, "nope")
	ts.expect(t, "DELETE", "/api/v1/downsamples/cpu_1m", "", 400, `downsample \"cpu_1h\" reads its target`)
	if n := len(ts.engine.List()); n != 2 {
		t.Fatalf("%d configs after bad requests, want 2", n)
	}
	ts.expect(t, "DELETE", "/api/v1/downsamples/cpu_1h", "", 204)
	ts.expect(t, "DELETE", "/api/v1/downsamples/cpu_1m", "", 204)
	ts.expect(t, "GET", "/api/v1/downsamples", "", 200, `{"downsamples":[]}`)
}

func TestDownsamplesNotConfigured(t *testing.T) {
	ts := newTestServer(t, nil)
	code, body, _ := ts.do(t, "GET", "/api/v1/downsamples", nil)
	if code != 503 {
		t.Fatalf("status %d: %s", code, body)
	}
}

func TestDownsamplesConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`
databases: [{name: db}]
downsamples:
  - name: cpu
    database: db
    source: cpu
    source_retention: 7d
    fields: [{field: usage, function: mean}]
    tiers: [{interval: 1m, retention: 90d}, {interval: 1h}]
`), false)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.Downsamples[0].Expand()
	if err != nil || len(cs) != 2 || cs[1].Source != "cpu_1m" || cs[1].Target != "cpu_1h" || cs[0].Retention != downsample.Duration(90*24*time.Hour) {
		t.Fatalf("expanded %+v, %v", cs, err)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"downsamples: [{name: a, database: db, source: cpu, target: b, interval: 1m, fields: [{field: u, function: nope}]}]", `downsamples[0]: invalid downsample "a": fields[0] (u): unknown function "nope"`},
		{"downsamples: [{name: a, database: db, source: cpu, target: b, interval: 1m, colour: red}]", "field colour not found in downsample"},
		{"downsamples: [{name: a, database: db, source: cpu, fields: [{field: u, function: sum}], tiers: [{interval: 1m, every: 2m}]}]", "field every not found in tier"},
		{"downsamples: [{name: a, database: db, source: cpu, target: b, interval: 1m, fields: [{field: u, function: sum}]}, {name: a, database: db, source: mem, target: c, interval: 1m, fields: [{field: u, function: sum}]}]", `downsamples[1]: downsample "a" is declared twice`},
	} {
		if _, err := ParseConfig([]byte(bad.yaml), false); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: error %v, want %q", bad.yaml, err, bad.want)
		}
	}
}
