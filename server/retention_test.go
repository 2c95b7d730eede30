package server

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/retention"
)

// retentionNow is the clock of the retention tests.
var retentionNow = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)

// retServer is a Server with a retention enforcer over a real database in
// dir, listening on 127.0.0.1:0.
type retServer struct {
	*testServer
	enforcer *retention.Enforcer
	stop     func()
}

func newRetServer(t *testing.T, dir string) *retServer {
	t.Helper()
	db, err := accrete.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return retentionNow }
	e, err := retention.Open(db.DB, &retention.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	s := New(&Options{Writer: db, Stats: db, Retention: e, Clock: clock})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	t.Cleanup(stop)
	return &retServer{testServer: &testServer{Server: s, db: db, url: "http://" + ln.Addr().String()}, enforcer: e, stop: stop}
}

func (ts *retServer) expect(t *testing.T, method, path, body string, status int, want string) {
	t.Helper()
	code, got, _ := ts.do(t, method, path, strings.NewReader(body))
	if code != status || got != want {
		t.Fatalf("%s %s %s:\n got %d %s\nwant %d %s", method, path, body, code, got, status, want)
	}
}

func TestRetentionAPI(t *testing.T) {
	dir := t.TempDir()
	ts := newRetServer(t, dir)
	ts.expect(t, "POST", "/api/v1/retention", `{"name": "cpu_2h", "database": "db", "measurement": "cpu", "duration": "120m"}`, 201,
		`{"name":"cpu_2h","database":"db","measurement":"cpu","duration":"2h","status":{"points_removed":0}}`+"\n")
	ts.expect(t, "POST", "/api/v1/retention", `{"name": "mem_1d", "database": "db", "retention_policy": "autogen", "measurement": "mem", "duration": "1d"}`, 201,
		`{"name":"mem_1d","database":"db","retention_policy":"autogen","measurement":"mem","duration":"1d","status":{"points_removed":0}}`+"\n")

	// Invalid definitions: 400 naming the definition and what is wrong.
	for _, c := range []struct{ body, msg string }{
		{`{"name": "x", "database": "db", "measurement": "cpu", "duration": "0s"}`, `invalid retention \"x\": duration 0s is not positive`},
		{`{"name": "x", "database": "nope", "measurement": "cpu", "duration": "1h"}`, `invalid retention \"x\": unknown database \"nope\"`},
		{`{"name": "x", "database": "db", "duration": "1h"}`, `invalid retention \"x\": measurement is missing`},
		{`{"name": "cpu_2h", "database": "db", "measurement": "mem", "duration": "1h"}`, `retention already exists: \"cpu_2h\"`},
		{`{"name": "x", "database": "db", "measurement": "cpu", "duration": "1y"}`, `invalid retention definition: invalid duration \"1y\": want a unit (ns, u, ms, s, m, h, d, w) at offset 1`},
		{`{"name": "x", "database": "db", "measurement": "cpu", "duration": "1h", "every": "1m"}`, `invalid retention definition: json: unknown field \"every\"`},
	} {
		ts.expect(t, "POST", "/api/v1/retention", c.body, 400, `{"error":"`+c.msg+`"}`+"\n")
	}

	// Writes older than a cutoff are rejected whole.
	old := retentionNow.Add(-3 * time.Hour).UnixNano()
	recent := retentionNow.Add(-time.Hour).UnixNano()
	ts.expect(t, "POST", "/write?db=db", "cpu,host=a v=1 "+itoa(recent)+"\ncpu,host=a v=2 "+itoa(old)+"\n", 400,
		`{"error":"point of \"cpu\" at 2026-11-23T00:00:00Z is older than the retention cutoff 2026-11-23T01:00:00Z of retention \"cpu_2h\""}`+"\n")
	if ms, _ := ts.db.Measurements("db", ""); len(ms) != 0 {
		t.Fatalf("rejected write left measurements %v", ms)
	}
	ts.expect(t, "POST", "/write?db=db", "cpu,host=a v=1 "+itoa(recent)+"\nmem,host=a v=2 "+itoa(old)+"\n", 204, "")

	// Enforcement (with the old cpu point written before the retention
	// existed) is visible in the status and on /metrics.
	ts.expect(t, "DELETE", "/api/v1/retention/cpu_2h", "", 204, "")
	ts.expect(t, "POST", "/write?db=db", "cpu,host=a v=2 "+itoa(old)+"\n", 204, "")
	ts.expect(t, "POST", "/api/v1/retention", `{"name": "cpu_2h", "database": "db", "measurement": "cpu", "duration": "2h"}`, 201,
		`{"name":"cpu_2h","database":"db","measurement":"cpu","duration":"2h","status":{"points_removed":0}}`+"\n")
	if _, err := ts.enforcer.EnforceOnce(context.Background(), retentionNow); err != nil {
		t.Fatal(err)
	}
	ts.expect(t, "GET", "/api/v1/retention/cpu_2h", "", 200,
		`{"name":"cpu_2h","database":"db","measurement":"cpu","duration":"2h","status":{"last_run":"2026-11-23T03:00:00Z","last_cutoff":"2026-11-23T01:00:00Z","points_removed":1}}`+"\n")
	ts.expect(t, "GET", "/api/v1/retention", "", 200, `{"retention":[`+
		`{"name":"cpu_2h","database":"db","measurement":"cpu","duration":"2h","status":{"last_run":"2026-11-23T03:00:00Z","last_cutoff":"2026-11-23T01:00:00Z","points_removed":1}},`+
		`{"name":"mem_1d","database":"db","retention_policy":"autogen","measurement":"mem","duration":"1d","status":{"last_run":"2026-11-23T03:00:00Z","last_cutoff":"2026-11-22T03:00:00Z","points_removed":0}}]}`+"\n")
	_, metrics, _ := ts.do(t, "GET", "/metrics", nil)
	for _, want := range []string{
		"accrete_retention_runs_total 1\n",
		"accrete_retention_errors_total 0\n",
		`accrete_retention_points_removed_total{database="db",measurement="cpu",retention_policy="autogen"} 1` + "\n",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	ts.expect(t, "DELETE", "/api/v1/retention/nope", "", 404, `{"error":"retention not found: \"nope\""}`+"\n")
	ts.expect(t, "DELETE", "/api/v1/retention/mem_1d", "", 204, "")
	ts.expect(t, "GET", "/api/v1/retention/mem_1d", "", 404, `{"error":"retention not found: \"mem_1d\""}`+"\n")

	// Definitions survive a restart; statuses start afresh.
	ts.stop()
	ts = newRetServer(t, dir)
	ts.expect(t, "GET", "/api/v1/retention", "", 200,
		`{"retention":[{"name":"cpu_2h","database":"db","measurement":"cpu","duration":"2h","status":{"points_removed":0}}]}`+"\n")
}

func TestRetentionNotConfigured(t *testing.T) {
	ts := newTestServer(t, nil)
	code, body, _ := ts.do(t, "GET", "/api/v1/retention", nil)
	if code != 503 || body != `{"error":"not configured"}`+"\n" {
		t.Errorf("GET /api/v1/retention without enforcer: %d %s", code, body)
	}
}

func TestRetentionConfig(t *testing.T) {
	c, err := ParseConfig([]byte("retention:\n  - {name: cpu_7d, database: telegraf, measurement: cpu, duration: 7d}\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	want := retention.Definition{Name: "cpu_7d", Database: "telegraf", Measurement: "cpu", Duration: retention.Duration(7 * 24 * time.Hour)}
	if len(c.Retention) != 1 || c.Retention[0] != want {
		t.Errorf("retention section %+v, want %+v", c.Retention, want)
	}
	for _, tc := range []struct{ cfg, want string }{
		{"retention:\n  - {name: a, database: d, measurement: m, duration: 0s}\n", `retention[0]: invalid retention "a": duration 0s is not positive`},
		{"retention:\n  - {name: a, database: d, measurement: m, duration: 1h}\n  - {name: a, database: d, measurement: n, duration: 1h}\n", `retention[1]: retention "a" is declared twice`},
	} {
		if _, err := ParseConfig([]byte(tc.cfg), false); err == nil || err.Error() != tc.want {
			t.Errorf("ParseConfig(%q) = %v, want %s", tc.cfg, err, tc.want)
		}
	}
}
