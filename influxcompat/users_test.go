package influxcompat

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/influxdata/influxql"
	"golang.org/x/crypto/bcrypt"

	"github.com/accretedb/accrete/storage"
)

func openUsers(t *testing.T, db *storage.DB) *Users {
	t.Helper()
	u, err := OpenUsers(db, &UsersOptions{Cost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestUserStatements runs the user and privilege statements in sequence
// and checks each answer against InfluxDB 1.6's.
func TestUserStatements(t *testing.T) {
	db := openStore(t)
	users := openUsers(t, db)
	e := NewExecutor(db, &ExecutorOptions{Users: users})
	for _, c := range []struct{ q, want string }{
		{"SHOW USERS", `{"statement_id":0,"series":[{"columns":["user","admin"]}]}`},
		{"CREATE USER admin WITH PASSWORD 'pw' WITH ALL PRIVILEGES", `{"statement_id":0}`},
		{"CREATE USER admin WITH PASSWORD 'pw' WITH ALL PRIVILEGES", `{"statement_id":0}`},
		{"CREATE USER admin WITH PASSWORD 'pw'", `{"statement_id":0,"error":"user already exists"}`},
		{"CREATE USER admin WITH PASSWORD 'other' WITH ALL PRIVILEGES", `{"statement_id":0,"error":"user already exists"}`},
		{`CREATE USER "" WITH PASSWORD 'x'`, `{"statement_id":0,"error":"username required"}`},
		{"CREATE USER zed WITH PASSWORD 'z'", `{"statement_id":0}`},
		{"CREATE USER bob WITH PASSWORD 'b'", `{"statement_id":0}`},
		{"CREATE DATABASE d2", `{"statement_id":0}`},
		{"GRANT READ ON db TO bob", `{"statement_id":0}`},
		{"GRANT WRITE ON d2 TO bob", `{"statement_id":0}`},
		{"GRANT ALL ON nodb TO bob", `{"statement_id":0,"error":"database not found: nodb"}`},
		{"GRANT READ ON db TO nobody", `{"statement_id":0,"error":"user not found"}`},
		{"REVOKE READ ON db FROM nobody", `{"statement_id":0,"error":"user not found"}`},
		{"REVOKE ALL ON db FROM nobody", `{"statement_id":0,"error":"user not found"}`},
		{"REVOKE ALL ON nodb FROM bob", `{"statement_id":0,"error":"database not found: nodb"}`},
		{"GRANT ALL PRIVILEGES TO nobody", `{"statement_id":0,"error":"user not found"}`},
		{"REVOKE ALL PRIVILEGES FROM nobody", `{"statement_id":0,"error":"user not found"}`},
		{"DROP USER nobody", `{"statement_id":0,"error":"user not found"}`},
		{"SET PASSWORD FOR nobody = 'x'", `{"statement_id":0,"error":"user not found"}`},
		{"SHOW GRANTS FOR nobody", `{"statement_id":0,"error":"user not found"}`},
		{"SHOW GRANTS FOR bob", `{"statement_id":0,"series":[{"columns":["database","privilege"],"values":[["d2","WRITE"],["db","READ"]]}]}`},
		{"SHOW GRANTS FOR admin", `{"statement_id":0,"series":[{"columns":["database","privilege"]}]}`},
		{"SHOW USERS", `{"statement_id":0,"series":[{"columns":["user","admin"],"values":[["admin",true],["zed",false],["bob",false]]}]}`},
		// REVOKE clears the revoked privilege's bit: WRITE minus READ is
		// WRITE, ALL minus READ is WRITE; REVOKE ALL leaves NO PRIVILEGES.
		{"REVOKE READ ON d2 FROM bob", `{"statement_id":0}`},
		{"GRANT ALL ON db TO bob", `{"statement_id":0}`},
		{"REVOKE READ ON db FROM bob", `{"statement_id":0}`},
		{"SHOW GRANTS FOR bob", `{"statement_id":0,"series":[{"columns":["database","privilege"],"values":[["d2","WRITE"],["db","WRITE"]]}]}`},
		{"REVOKE ALL ON d2 FROM bob", `{"statement_id":0}`},
		{"SHOW GRANTS FOR bob", `{"statement_id":0,"series":[{"columns":["database","privilege"],"values":[["d2","NO PRIVILEGES"],["db","WRITE"]]}]}`},
		{"GRANT ALL ON d2 TO bob", `{"statement_id":0}`},
		{"SHOW GRANTS FOR bob", `{"statement_id":0,"series":[{"columns":["database","privilege"],"values":[["d2","ALL PRIVILEGES"],["db","WRITE"]]}]}`},
		// Dropping a database drops the privileges on it, also when it
		// is created again.
		{"DROP DATABASE d2", `{"statement_id":0}`},
		{"CREATE DATABASE d2", `{"statement_id":0}`},
		{"SHOW GRANTS FOR bob", `{"statement_id":0,"series":[{"columns":["database","privilege"],"values":[["db","WRITE"]]}]}`},
		{"GRANT ALL PRIVILEGES TO bob", `{"statement_id":0}`},
		{"CREATE USER bob WITH PASSWORD 'b'", `{"statement_id":0,"error":"user already exists"}`},
		{"CREATE USER bob WITH PASSWORD 'b' WITH ALL PRIVILEGES", `{"statement_id":0}`},
		{"REVOKE ALL PRIVILEGES FROM bob", `{"statement_id":0}`},
		{"SET PASSWORD FOR bob = 'b2'", `{"statement_id":0}`},
		{"DROP USER zed", `{"statement_id":0}`},
		{"SHOW USERS", `{"statement_id":0,"series":[{"columns":["user","admin"],"values":[["admin",true],["bob",false]]}]}`},
	} {
		got := runJSON(t, e, c.q, Options{})
		if want := `{"results":[` + c.want + `]}`; got != want {
			t.Fatalf("%s:\n got %s\nwant %s", c.q, got, want)
		}
	}
	if _, err := users.Authenticate("bob", "b"); !errors.Is(err, ErrAuthenticate) {
		t.Errorf("old password: %v", err)
	}
	if u, err := users.Authenticate("bob", "b2"); err != nil || u.Admin || u.Privileges["db"] != influxql.WritePrivilege {
		t.Errorf("new password: %+v %v", u, err)
	}

	// Everything is in the metadata namespace, hashed: a reopened set has
	// the same users, order and privileges.
	err := db.IterMeta(UsersNamespace, nil, func(k, v []byte) error {
		if strings.Contains(string(v), "b2") || !strings.Contains(string(v), `"hash":"$2a$04$`) {
			t.Errorf("stored user %s: %s", k, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e2 := NewExecutor(db, &ExecutorOptions{Users: openUsers(t, db)})
	got := runJSON(t, e2, "SHOW USERS; SHOW GRANTS FOR bob", Options{})
	want := `{"results":[{"statement_id":0,"series":[{"columns":["user","admin"],"values":[["admin",true],["bob",false]]}]},` +
		`{"statement_id":1,"series":[{"columns":["database","privilege"],"values":[["db","WRITE"]]}]}]}`
	if got != want {
		t.Fatalf("reopened:\n got %s\nwant %s", got, want)
	}
	if _, err := openUsers(t, db).Authenticate("bob", "b2"); err != nil {
		t.Errorf("reopened login: %v", err)
	}
}

// TestUserStatementsDisabled checks that without Users the statements are
// refused and that a GET (read-only) request warns about them.
func TestUserStatementsDisabled(t *testing.T) {
	db := openStore(t)
	got := runJSON(t, NewExecutor(db, nil), "SHOW USERS", Options{})
	if want := `{"results":[{"statement_id":0,"error":"statement is not supported: SHOW USERS"}]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	e := NewExecutor(db, &ExecutorOptions{Users: openUsers(t, db)})
	got = runJSON(t, e, "CREATE USER g WITH PASSWORD 'secret'", Options{ReadOnly: true})
	want := `{"results":[{"statement_id":0,"messages":[{"level":"warning","text":"deprecated use of 'CREATE USER g WITH PASSWORD [REDACTED]' in a read only context, please use a POST request instead"}]}]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestAuthorizer checks InfluxDB 1.6's query authorization: bootstrap,
// admins, and READ and WRITE per database.
func TestAuthorizer(t *testing.T) {
	db := openStore(t)
	users := openUsers(t, db)
	e := NewExecutor(db, &ExecutorOptions{Users: users})
	run := func(a Authorizer, q, database string) (string, error) {
		t.Helper()
		var out []string
		err := e.Execute(WithAuthorizer(context.Background(), a), q, Options{Database: database}, func(r *Result) error {
			if r.Err != "" {
				out = append(out, r.Err)
			}
			for _, s := range r.Series {
				for _, v := range s.Values {
					out = append(out, v[0].(string))
				}
			}
			return nil
		})
		return strings.Join(out, ","), err
	}
	refused := func(a Authorizer, q, database, want string) {
		t.Helper()
		_, err := run(a, q, database)
		var ae *AuthorizationError
		if !errors.As(err, &ae) || err.Error() != want {
			t.Errorf("%s: got %v, want %q", q, err, want)
		}
	}
	anon := users.Authorizer(nil)
	refused(anon, "SHOW DATABASES", "", "create admin user first or disable authentication")
	refused(anon, "CREATE USER a WITH PASSWORD 'a'", "", "create admin user first or disable authentication")
	if users.Count() != 0 {
		t.Fatal("a refused query created a user")
	}
	if _, err := run(anon, "CREATE USER a WITH PASSWORD 'a' WITH ALL PRIVILEGES; CREATE DATABASE d2", ""); err != nil {
		t.Fatal(err)
	}
	refused(anon, "SHOW DATABASES", "", "no user provided")
	for _, q := range []string{"CREATE USER r WITH PASSWORD 'r'", "CREATE USER w WITH PASSWORD 'w'",
		"GRANT READ ON db TO r", "GRANT WRITE ON db TO w"} {
		if _, err := run(anon, q, ""); err == nil {
			t.Fatalf("%s ran without a user", q)
		}
	}
	admin, _ := users.Authenticate("a", "a")
	for _, q := range []string{"CREATE USER r WITH PASSWORD 'r'", "CREATE USER w WITH PASSWORD 'w'",
		"GRANT READ ON db TO r", "GRANT WRITE ON db TO w"} {
		if got, err := run(users.Authorizer(&admin), q, ""); err != nil || got != "" {
			t.Fatalf("%s: %q %v", q, got, err)
		}
	}
	r, _ := users.Authenticate("r", "r")
	w, _ := users.Authenticate("w", "w")
	ra, wa := users.Authorizer(&r), users.Authorizer(&w)
	if got, err := run(ra, "SHOW DATABASES; SHOW MEASUREMENTS; SELECT v FROM cpu", "db"); err != nil || got != "db" {
		t.Errorf("reader: %q %v", got, err)
	}
	if got, err := run(wa, "SHOW DATABASES", ""); err != nil || got != "db" {
		t.Errorf("writer: %q %v", got, err)
	}
	if got, err := run(users.Authorizer(&admin), "SHOW DATABASES", ""); err != nil || got != "d2,db" {
		t.Errorf("admin: %q %v", got, err)
	}
	refused(ra, "SELECT * FROM d2..cpu", "db", "r not authorized to execute statement 'SELECT * FROM d2..cpu', requires READ on d2")
	refused(ra, "SELECT * FROM cpu", "", "r not authorized to execute statement 'SELECT * FROM cpu', requires READ on ")
	refused(ra, "SHOW MEASUREMENTS; DROP SERIES FROM cpu", "db", "r not authorized to execute statement 'DROP SERIES FROM cpu', requires WRITE on db")
	refused(ra, "SET PASSWORD FOR r = 'x'", "", "r not authorized to execute statement 'SET PASSWORD FOR r = [REDACTED]', requires admin privilege")
	refused(wa, "SELECT * FROM cpu", "db", "w not authorized to execute statement 'SELECT * FROM cpu', requires READ on db")
	refused(wa, "SHOW USERS", "db", "w not authorized to execute statement 'SHOW USERS', requires admin privilege")
	refused(wa, "CREATE DATABASE x", "db", "w not authorized to execute statement 'CREATE DATABASE x', requires admin privilege")
	if got, err := run(wa, "DELETE FROM cpu", "db"); err != nil || got != "" {
		t.Errorf("writer DELETE: %q %v", got, err)
	}
	if _, err := db.Database("x"); err == nil {
		t.Error("a refused statement ran")
	}
}

func TestUsersBadInput(t *testing.T) {
	users := openUsers(t, nil)
	if err := users.Create("", "x", false); !errors.Is(err, ErrUsernameRequired) {
		t.Errorf("empty name: %v", err)
	}
	if err := users.Ensure("", "x"); !errors.Is(err, ErrUsernameRequired) {
		t.Errorf("empty name: %v", err)
	}
	if err := users.Create("u", "x", false); err != nil {
		t.Fatal(err)
	}
	if err := users.SetPrivilege("u", "db", influxql.Privilege(7)); err == nil || err.Error() != "invalid privilege 7" {
		t.Errorf("unknown privilege: %v", err)
	}
	if info, _ := users.User("u"); len(info.Privileges) != 0 {
		t.Errorf("a refused privilege was stored: %v", info.Privileges)
	}
	if _, err := OpenUsers(nil, &UsersOptions{Cost: 99}); err == nil {
		t.Error("cost 99 accepted")
	}
	// A password longer than bcrypt takes is refused and changes nothing.
	long := strings.Repeat("x", 73)
	if err := users.SetPassword("u", long); err == nil {
		t.Error("73-byte password accepted")
	}
	if _, err := users.Authenticate("u", "x"); err != nil {
		t.Errorf("password after refused change: %v", err)
	}
}

// BenchmarkAuthenticate measures a login: bcrypt at the default cost the
// first time, the salted SHA-256 of the cache after.
func BenchmarkAuthenticate(b *testing.B) {
	users, err := OpenUsers(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := users.Create("u", "secret", false); err != nil {
		b.Fatal(err)
	}
	b.Run("bcrypt", func(b *testing.B) {
		for b.Loop() {
			users.mu.Lock()
			clear(users.cache)
			users.mu.Unlock()
			if _, err := users.Authenticate("u", "secret"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := users.Authenticate("u", "secret"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestAuthenticateCache checks that the login cache neither lets a wrong
// password in nor outlives a password change or a drop.
func TestAuthenticateCache(t *testing.T) {
	users := openUsers(t, nil)
	if err := users.Create("u", "one", false); err != nil {
		t.Fatal(err)
	}
	for range 2 { // bcrypt, then the cache
		if _, err := users.Authenticate("u", "one"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := users.Authenticate("u", "two"); !errors.Is(err, ErrAuthenticate) {
		t.Errorf("wrong password: %v", err)
	}
	if err := users.SetPassword("u", "two"); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Authenticate("u", "one"); !errors.Is(err, ErrAuthenticate) {
		t.Errorf("old password after change: %v", err)
	}
	if _, err := users.Authenticate("u", "two"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := users.Drop("u"); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Authenticate("u", "two"); !errors.Is(err, ErrAuthenticate) {
		t.Errorf("dropped user: %v", err)
	}
}
