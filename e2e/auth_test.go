package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/influxcompat"
	"github.com/accretedb/accrete/server"
)

// startAccreteAuth serves a fresh accrete database with persisted users
// and authentication on, without users, and returns its base URL.
func startAccreteAuth(t *testing.T) string {
	t.Helper()
	db, err := accrete.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	users, err := influxcompat.OpenUsers(db.DB, nil)
	if err != nil {
		t.Fatal(err)
	}
	return serveAccrete(t, db, &server.Options{
		Writer:  db,
		Querier: influxcompat.NewExecutor(db, &influxcompat.ExecutorOptions{Users: users}),
		Auth:    &server.Auth{Store: users},
	})
}

// startInfluxdAuth runs influxd as startInfluxd does, with
// [http] auth-enabled = true.
func startInfluxdAuth(t *testing.T) string {
	t.Helper()
	return startInfluxdWith(t, strings.Replace(influxdConfig, "auth-enabled = false", "auth-enabled = true", 1))
}

// authStep is one request of the differential test: a query (q) or a
// write (lines), as a user ("" sends no credentials).
type authStep struct {
	user, pass string
	db         string
	q          string
	lines      string
}

// authSteps bootstrap authentication, manage users and privileges, and
// use them, including every error of the user statements.
var authSteps = []authStep{
	{q: "SHOW DATABASES"},
	{q: "CREATE USER nonadmin WITH PASSWORD 'x'"},
	{q: "CREATE DATABASE d"},
	{db: "d", lines: "cpu v=1 1"},
	{q: "bad query"},
	{q: "CREATE USER admin WITH PASSWORD 'pw' WITH ALL PRIVILEGES; SHOW USERS"},
	{q: "SHOW USERS"},
	{user: "admin", pass: "wrong", q: "SHOW USERS"},
	{user: "nobody", pass: "pw", q: "SHOW USERS"},
	{user: "admin", pass: "pw", q: "CREATE USER admin WITH PASSWORD 'pw' WITH ALL PRIVILEGES"},
	{user: "admin", pass: "pw", q: "CREATE USER admin WITH PASSWORD 'pw'"},
	{user: "admin", pass: "pw", q: "CREATE USER admin WITH PASSWORD 'other' WITH ALL PRIVILEGES"},
	{user: "admin", pass: "pw", q: `CREATE USER "" WITH PASSWORD 'x'`},
	{user: "admin", pass: "pw", q: "CREATE USER x WITH PASSWORD"},
	{user: "admin", pass: "pw", q: "CREATE DATABASE d; CREATE DATABASE d2"},
	{user: "admin", pass: "pw", q: "CREATE USER reader WITH PASSWORD 'r'; CREATE USER writer WITH PASSWORD 'w'; CREATE USER zz WITH PASSWORD 'z' WITH ALL PRIVILEGES"},
	{user: "admin", pass: "pw", q: "CREATE USER reader WITH PASSWORD 'r'"},
	{user: "admin", pass: "pw", q: "CREATE USER reader WITH PASSWORD 'other'"},
	{user: "admin", pass: "pw", q: "GRANT READ ON d TO reader"},
	{user: "admin", pass: "pw", q: "GRANT WRITE ON d TO writer"},
	{user: "admin", pass: "pw", q: "GRANT ALL ON d2 TO writer"},
	{user: "admin", pass: "pw", q: "GRANT ALL ON nodb TO reader"},
	{user: "admin", pass: "pw", q: "GRANT READ ON d TO nobody"},
	{user: "admin", pass: "pw", q: "GRANT FOO ON d TO reader"},
	{user: "admin", pass: "pw", q: "GRANT READ ON d TO"},
	{user: "admin", pass: "pw", q: "REVOKE READ ON d FROM nobody"},
	{user: "admin", pass: "pw", q: "REVOKE ALL ON nodb FROM reader"},
	{user: "admin", pass: "pw", q: "GRANT ALL PRIVILEGES TO nobody"},
	{user: "admin", pass: "pw", q: "REVOKE ALL PRIVILEGES FROM nobody"},
	{user: "admin", pass: "pw", q: "DROP USER nobody"},
	{user: "admin", pass: "pw", q: "SET PASSWORD FOR nobody = 'x'"},
	{user: "admin", pass: "pw", q: "SHOW GRANTS FOR nobody"},
	{user: "admin", pass: "pw", q: "SHOW GRANTS"},
	{user: "admin", pass: "pw", q: "SHOW GRANTS FOR writer; SHOW GRANTS FOR reader; SHOW GRANTS FOR admin; SHOW USERS"},
	{user: "admin", pass: "pw", q: "REVOKE READ ON d2 FROM writer; SHOW GRANTS FOR writer"},
	{user: "admin", pass: "pw", q: "REVOKE WRITE ON d FROM reader; SHOW GRANTS FOR reader"},
	{user: "admin", pass: "pw", q: "REVOKE ALL ON d2 FROM writer; SHOW GRANTS FOR writer"},
	{user: "admin", pass: "pw", q: "GRANT WRITE ON d2 TO writer; SET PASSWORD FOR zz = 'z2'; SHOW USERS"},
	// Writes.
	{db: "d", lines: "cpu v=1 1"},
	{user: "writer", pass: "w", db: "d", lines: "cpu v=1 1"},
	{user: "writer", pass: "w", db: "nodb", lines: "cpu v=1 1"},
	{user: "reader", pass: "r", db: "d", lines: "cpu v=2 2"},
	{user: "reader", pass: "r", lines: "cpu v=2 2"},
	{user: "zz", pass: "z2", db: "d2", lines: "mem v=3 3"},
	{user: "zz", pass: "z", db: "d2", lines: "mem v=3 3"},
	// Queries.
	{user: "reader", pass: "r", db: "d", q: "SELECT * FROM cpu; SHOW MEASUREMENTS; SHOW DATABASES"},
	{user: "reader", pass: "r", db: "d", q: "SELECT * FROM d2..mem"},
	{user: "reader", pass: "r", q: "SELECT * FROM cpu"},
	{user: "reader", pass: "r", db: "d", q: "DROP SERIES FROM cpu"},
	{user: "reader", pass: "r", db: "d", q: "SELECT * INTO d.autogen.x FROM cpu"},
	{user: "reader", pass: "r", q: "SHOW USERS"},
	{user: "reader", pass: "r", q: "SET PASSWORD FOR reader = 'x'"},
	{user: "reader", pass: "r", q: "CREATE DATABASE z"},
	{user: "reader", pass: "r", q: "GRANT ALL PRIVILEGES TO reader"},
	{user: "writer", pass: "w", db: "d", q: "SELECT * FROM cpu"},
	{user: "writer", pass: "w", q: "SHOW DATABASES"},
	{user: "writer", pass: "w", db: "d2", q: "SELECT * FROM mem"},
	{user: "writer", pass: "w", db: "d", q: "SHOW FIELD KEYS"},
	{user: "writer", pass: "w", db: "d", q: "SHOW CONTINUOUS QUERIES"},
	// Changes take effect at once.
	{user: "admin", pass: "pw", q: "DROP DATABASE d2; CREATE DATABASE d2; SHOW GRANTS FOR writer"},
	{user: "admin", pass: "pw", q: "SET PASSWORD FOR reader = 'r2'; DROP USER zz; SHOW USERS"},
	{user: "reader", pass: "r", db: "d", q: "SHOW MEASUREMENTS"},
	{user: "reader", pass: "r2", db: "d", q: "SHOW MEASUREMENTS"},
	{user: "zz", pass: "z2", q: "SHOW USERS"},
	{user: "admin", pass: "pw", q: "GRANT ALL PRIVILEGES TO reader; SHOW USERS"},
	{user: "reader", pass: "r2", q: "SHOW USERS"},
	// Without an admin, requests run as no user.
	{user: "admin", pass: "pw", q: "REVOKE ALL PRIVILEGES FROM reader; REVOKE ALL PRIVILEGES FROM admin"},
	{user: "admin", pass: "pw", q: "SHOW USERS"},
	{q: "SHOW DATABASES"},
	{q: "CREATE USER again WITH PASSWORD 'a' WITH ALL PRIVILEGES"},
	{db: "d", lines: "cpu v=1 1"},
}

// doAuthStep sends a step to base and returns the status and body.
func doAuthStep(t *testing.T, base string, s authStep) (int, string) {
	t.Helper()
	v := url.Values{}
	if s.user != "" {
		v.Set("u", s.user)
		v.Set("p", s.pass)
	}
	if s.db != "" {
		v.Set("db", s.db)
	}
	var req *http.Request
	var err error
	switch {
	case s.lines != "":
		req, err = http.NewRequest("POST", base+"/write?"+v.Encode(), strings.NewReader(s.lines))
	default:
		form := url.Values{"q": {s.q}}
		req, err = http.NewRequest("POST", base+"/query?"+v.Encode(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if err != nil {
		t.Fatal(err)
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
	return resp.StatusCode, normalizeGrants(string(b))
}

// normalizeGrants sorts the rows of SHOW GRANTS, which InfluxDB 1.6 lists
// in Go's random map order.
func normalizeGrants(body string) string {
	var resp struct {
		Results []map[string]any `json:"results"`
	}
	if !strings.Contains(body, `"privilege"`) || json.Unmarshal([]byte(body), &resp) != nil {
		return body
	}
	for _, r := range resp.Results {
		series, _ := r["series"].([]any)
		for _, s := range series {
			row, _ := s.(map[string]any)
			if cols, _ := row["columns"].([]any); len(cols) == 2 && cols[1] == "privilege" {
				vals, _ := row["values"].([]any)
				slices.SortFunc(vals, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
			}
		}
	}
	b, _ := json.Marshal(resp)
	return string(b) + "\n"
}

// TestAuthDifferential sends the same user management, write and query
// requests to influxd and accrete, both with authentication on, and
// compares status codes and bodies.
func TestAuthDifferential(t *testing.T) {
	influx := startInfluxdAuth(t)
	acc := startAccreteAuth(t)
	for i, s := range authSteps {
		wantCode, want := doAuthStep(t, influx, s)
		gotCode, got := doAuthStep(t, acc, s)
		if gotCode != wantCode || got != want {
			t.Errorf("step %d %+v:\naccrete %d %s\ninfluxd %d %s", i, s, gotCode, got, wantCode, want)
		}
	}
}

// TestAuthInfluxCLI creates users with the influx shell of InfluxDB 1.6
// and logs in with them, against accrete and influxd, and compares what
// the shell prints.
func TestAuthInfluxCLI(t *testing.T) {
	bin := needTool(t, "influx")
	steps := [][]string{
		{"-execute", "CREATE USER root WITH PASSWORD 'pw' WITH ALL PRIVILEGES"},
		{"-username", "root", "-password", "pw", "-execute", "CREATE DATABASE cli; CREATE USER alice WITH PASSWORD 's3cret'; GRANT READ ON cli TO alice"},
		{"-username", "root", "-password", "pw", "-execute", "SHOW USERS"},
		{"-username", "root", "-password", "pw", "-execute", "SHOW GRANTS FOR alice"},
		{"-username", "root", "-password", "pw", "-database", "cli", "-execute", "INSERT cpu,host=a v=1 1000000000"},
		{"-username", "alice", "-password", "s3cret", "-database", "cli", "-execute", "SELECT v FROM cpu"},
		{"-username", "alice", "-password", "s3cret", "-database", "cli", "-execute", "INSERT cpu,host=a v=2 2000000000"},
		{"-username", "alice", "-password", "s3cret", "-execute", "SHOW USERS"},
		{"-username", "alice", "-password", "wrong", "-database", "cli", "-execute", "SELECT v FROM cpu"},
	}
	// The shell names the server it failed to reach.
	addr := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	run := func(base string) []string {
		var out []string
		for _, args := range steps {
			stdout, stderr, code := influxCLI(t, bin, base, args...)
			out = append(out, addr.ReplaceAllString(fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr), "HOST"))
		}
		return out
	}
	got := run(startAccreteAuth(t))
	want := run(startInfluxdAuth(t))
	for i := range steps {
		if got[i] != want[i] {
			t.Errorf("influx %v:\naccrete %s\ninfluxd %s", steps[i], got[i], want[i])
		}
	}
	// The values themselves, in case both went wrong the same way.
	for i, sub := range map[int]string{
		2: "root true\nalice false",
		3: "cli      READ",
		5: "1000000000 1",
		6: `ERR: {"error":"\"alice\" user is not authorized to write to database \"cli\""}`,
		7: "alice not authorized to execute statement 'SHOW USERS', requires admin privilege",
		8: "authorization failed",
	} {
		if !strings.Contains(regexp.MustCompile(` +`).ReplaceAllString(got[i], " "), regexp.MustCompile(` +`).ReplaceAllString(sub, " ")) {
			t.Errorf("influx %v: output lacks %q:\n%s", steps[i], sub, got[i])
		}
	}
}
