package server

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/influxcompat"
)

// newUsersServer serves a database with the database "db" and persisted
// users, authentication on, without any user yet.
func newUsersServer(t *testing.T) *testServer {
	t.Helper()
	db, err := accrete.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	users, err := influxcompat.OpenUsers(db.DB, &influxcompat.UsersOptions{Cost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	s := New(&Options{
		Writer:  db,
		Querier: influxcompat.NewExecutor(db, &influxcompat.ExecutorOptions{Users: users}),
		Clock:   func() time.Time { return time.Unix(1700000000, 0) },
		Auth:    &Auth{Store: users},
	})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &testServer{Server: s, db: db, url: hs.URL}
}

// TestAuthUsers goes through InfluxDB 1.6's bootstrap and checks what an
// admin, a read-only and a write-only user may do over HTTP.
func TestAuthUsers(t *testing.T) {
	ts := newUsersServer(t)
	check := func(method, path, body string, wantCode int, wantBody string, hdr ...string) {
		t.Helper()
		code, got, _ := ts.do(t, method, path, strings.NewReader(body), hdr...)
		if code != wantCode || got != wantBody+"\n" && !(wantBody == "" && got == "") {
			t.Fatalf("%s %s %v:\n got %d %s\nwant %d %s", method, path, hdr, code, got, wantCode, wantBody)
		}
	}
	q := func(query, db, user, pass string) string {
		v := url.Values{"q": {query}}
		if db != "" {
			v.Set("db", db)
		}
		if user != "" {
			v.Set("u", user)
			v.Set("p", pass)
		}
		return "/query?" + v.Encode()
	}
	const bootstrap = `{"error":"error authorizing query: create admin user first or disable authentication"}`
	// Bootstrap: only a query creating an admin runs, credentials or not.
	check("POST", q("SHOW DATABASES", "", "", ""), "", 403, bootstrap)
	check("POST", q("CREATE USER x WITH PASSWORD 'x'", "", "x", "x"), "", 403, bootstrap)
	check("POST", q("SHOW DATABASES", "", "", "")+"&chunked=true", "", 403, bootstrap)
	check("POST", "/write?db=db", "cpu v=1", 403, `{"error":"user is required to write to database \"db\""}`)
	check("POST", "/write?db=nodb", "cpu v=1", 404, `{"error":"database not found: \"nodb\""}`)
	check("GET", "/api/v1/rules", "", 403, `{"error":"create admin user first or disable authentication"}`)
	check("POST", q("bad", "", "", ""), "", 400, `{"error":"error parsing query: found bad, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1"}`)
	check("POST", q("CREATE USER root WITH PASSWORD 'pw' WITH ALL PRIVILEGES", "", "", ""), "", 200, `{"results":[{"statement_id":0}]}`)

	// Credentials are now required.
	check("POST", q("SHOW USERS", "", "", ""), "", 401, `{"error":"unable to parse authentication credentials"}`)
	check("POST", q("SHOW USERS", "", "root", "bad"), "", 401, `{"error":"authorization failed"}`)
	check("POST", q("SHOW USERS", "", "nobody", "pw"), "", 401, `{"error":"authorization failed"}`)
	check("POST", "/query?q=SHOW+USERS", "", 401, `{"error":"username required"}`, "Authorization", "Basic OnB3") // ":pw"
	check("POST", "/write?db=db", "cpu v=1", 401, `{"error":"unable to parse authentication credentials"}`)
	check("POST", q("CREATE USER reader WITH PASSWORD 'r'; GRANT READ ON db TO reader; CREATE USER writer WITH PASSWORD 'w'; GRANT WRITE ON db TO writer", "", "root", "pw"), "",
		200, `{"results":[{"statement_id":0},{"statement_id":1},{"statement_id":2},{"statement_id":3}]}`)
	check("POST", q("SHOW USERS", "", "", ""), "", 200, `{"results":[{"statement_id":0,"series":[{"columns":["user","admin"],"values":[["root",true],["reader",false],["writer",false]]}]}]}`,
		"Authorization", "Basic cm9vdDpwdw==") // root:pw

	// Writes need WRITE.
	check("POST", "/write?db=db&u=writer&p=w", "cpu v=2 1", 204, "")
	check("POST", "/write?db=db&u=root&p=pw", "cpu v=3 2", 204, "")
	check("POST", "/write?db=db&u=reader&p=r", "cpu v=4 3", 403, `{"error":"\"reader\" user is not authorized to write to database \"db\""}`)
	check("POST", "/write?u=reader&p=r", "cpu v=4 3", 400, `{"error":"database is required"}`)

	// Queries need READ on every database they read.
	const rows = `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,2],[2,3]]}]}]}`
	check("POST", q("SELECT v FROM cpu", "db", "reader", "r")+"&epoch=ns", "", 200, rows)
	check("POST", q("SELECT v FROM cpu", "db", "root", "pw")+"&epoch=ns", "", 200, rows)
	check("POST", q("SELECT v FROM cpu", "db", "writer", "w"), "", 403,
		`{"error":"error authorizing query: writer not authorized to execute statement 'SELECT v FROM cpu', requires READ on db"}`)
	check("POST", q("SELECT v FROM cpu", "db", "writer", "w")+"&chunked=true", "", 403,
		`{"error":"error authorizing query: writer not authorized to execute statement 'SELECT v FROM cpu', requires READ on db"}`)
	check("POST", q("SHOW DATABASES", "", "writer", "w"), "", 200, `{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["db"]]}]}]}`)
	check("POST", q("CREATE DATABASE other", "", "root", "pw"), "", 200, `{"results":[{"statement_id":0}]}`)
	check("POST", q("SHOW DATABASES", "", "reader", "r"), "", 200, `{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["db"]]}]}]}`)
	check("POST", q("SELECT * FROM other..cpu", "db", "reader", "r"), "", 403,
		`{"error":"error authorizing query: reader not authorized to execute statement 'SELECT * FROM other..cpu', requires READ on other"}`)
	check("POST", q("DROP DATABASE db", "", "reader", "r"), "", 403,
		`{"error":"error authorizing query: reader not authorized to execute statement 'DROP DATABASE db', requires admin privilege"}`)
	check("POST", q("GRANT ALL PRIVILEGES TO reader", "", "reader", "r"), "", 403,
		`{"error":"error authorizing query: reader not authorized to execute statement 'GRANT ALL PRIVILEGES TO reader', requires admin privilege"}`)

	// The native API is for admins.
	check("GET", "/api/v1/rules?u=reader&p=r", "", 403, `{"error":"reader not authorized to use /api/v1/rules, requires admin privilege"}`)
	check("GET", "/api/v1/rules?u=root&p=pw", "", 503, `{"error":"not configured"}`)
	check("GET", "/api/v1/rules", "", 401, `{"error":"unable to parse authentication credentials"}`)

	// A changed password and a dropped user take effect at once.
	check("POST", q("SET PASSWORD FOR reader = 'r2'; DROP USER writer", "", "root", "pw"), "", 200, `{"results":[{"statement_id":0},{"statement_id":1}]}`)
	check("POST", q("SHOW MEASUREMENTS", "db", "reader", "r"), "", 401, `{"error":"authorization failed"}`)
	check("POST", q("SHOW MEASUREMENTS", "db", "reader", "r2"), "", 200, `{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["cpu"]]}]}]}`)
	check("POST", "/write?db=db&u=writer&p=w", "cpu v=2 1", 401, `{"error":"authorization failed"}`)

	// Without an admin, requests are not authenticated and run as no
	// user, as in InfluxDB.
	check("POST", q("REVOKE ALL PRIVILEGES FROM root", "", "root", "pw"), "", 200, `{"results":[{"statement_id":0}]}`)
	check("POST", q("SHOW MEASUREMENTS", "db", "reader", "r2"), "", 403, `{"error":"error authorizing query: no user provided"}`)
	check("POST", "/write?db=db", "cpu v=1", 403, `{"error":"user is required to write to database \"db\""}`)
}

func TestAuthConfig(t *testing.T) {
	for _, c := range []struct{ yaml, err string }{
		{"auth: {users: [{name: '', password: x}]}", "auth.users[0]: name is empty"},
		{"auth: {users: [{name: a, password: x}, {name: a, password: y}]}", `auth.users[1]: user "a" is declared twice`},
		{"auth: {users: [{name: a, password: " + strings.Repeat("x", 73) + "}]}", `auth.users[0]: the password of "a" is longer than 72 bytes`},
		{"auth: {enabled: true, user: []}", "field user not found"},
	} {
		if _, err := ParseConfig([]byte(c.yaml), false); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: got %v, want %q", c.yaml, err, c.err)
		}
	}
	c, err := ParseConfig([]byte("auth: {enabled: true}"), false)
	if err != nil {
		t.Fatal(err)
	}
	// Without configured users the first query creates the admin.
	if a, err := c.AuthOption(); err != nil || a == nil || len(a.Users) != 0 {
		t.Fatalf("enabled without users: %+v %v", a, err)
	}
	c, err = ParseConfig([]byte("auth: {users: [{name: a, password: x}]}"), false)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.AuthOption(); err != nil || a != nil {
		t.Fatalf("disabled: %+v %v", a, err)
	}
}
