package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// startServe runs accrete serve with args until the test ends and returns
// its base URL and a function stopping it.
func startServe(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	var stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- serve(ctx, append([]string{"-listen", "127.0.0.1:0"}, args...), &stderr, func(a net.Addr) { addrs <- a })
	}()
	stop := func() {
		cancel()
		select {
		case c := <-code:
			if c != 0 {
				t.Errorf("exit code %d: %s", c, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}
	select {
	case a := <-addrs:
		return "http://" + a.String(), stop
	case c := <-code:
		cancel()
		t.Fatalf("serve exited with %d: %s", c, stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("serve did not start: %s", stderr.String())
	}
	return "", nil
}

// TestServeUsersPersist bootstraps authentication without configured
// users, creates users with InfluxQL and checks that they, their
// privileges and their passwords survive a restart.
func TestServeUsersPersist(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	base, stop := startServe(t, "-data", data, "-auth")
	want := func(c int, body string, wantCode int, wantBody string) {
		t.Helper()
		if c != wantCode || body != wantBody {
			t.Fatalf("got %d %s\nwant %d %s", c, body, wantCode, wantBody)
		}
	}
	c, body := request(t, "POST", queryURL(base, "", "CREATE DATABASE d"), "")
	want(c, body, 403, `{"error":"error authorizing query: create admin user first or disable authentication"}`+"\n")
	c, body = request(t, "POST", queryURL(base, "", "CREATE USER root WITH PASSWORD 'r00t' WITH ALL PRIVILEGES"), "")
	want(c, body, 200, `{"results":[{"statement_id":0}]}`+"\n")
	c, body = request(t, "POST", queryURL(base, "", "CREATE DATABASE d; CREATE USER reader WITH PASSWORD 'rd'; GRANT READ ON d TO reader"), "", "root", "r00t")
	want(c, body, 200, `{"results":[{"statement_id":0},{"statement_id":1},{"statement_id":2}]}`+"\n")
	stop()

	base, stop = startServe(t, "-data", data, "-auth")
	defer stop()
	c, body = request(t, "POST", queryURL(base, "", "SHOW USERS; SHOW GRANTS FOR reader"), "", "root", "r00t")
	want(c, body, 200, `{"results":[{"statement_id":0,"series":[{"columns":["user","admin"],"values":[["root",true],["reader",false]]}]},`+
		`{"statement_id":1,"series":[{"columns":["database","privilege"],"values":[["d","READ"]]}]}]}`+"\n")
	c, body = request(t, "POST", queryURL(base, "d", "SHOW MEASUREMENTS"), "", "reader", "rd")
	want(c, body, 200, `{"results":[{"statement_id":0}]}`+"\n")
	c, body = request(t, "POST", base+"/write?db=d", "cpu v=1", "reader", "rd")
	want(c, body, 403, `{"error":"\"reader\" user is not authorized to write to database \"d\""}`+"\n")
	c, body = request(t, "POST", queryURL(base, "d", "SHOW MEASUREMENTS"), "", "reader", "wrong")
	want(c, body, 401, `{"error":"authorization failed"}`+"\n")
}

// TestServeConfigUsers checks that the users of the configuration file
// are admins next to those of CREATE USER, and that a changed password in
// the file replaces the stored one at start.
func TestServeConfigUsers(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	conf := filepath.Join(dir, "c.yaml")
	writeConf := func(pw string) {
		t.Helper()
		if err := os.WriteFile(conf, []byte("auth:\n  enabled: true\n  users:\n    - {name: ops, password: "+pw+"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConf("one")
	base, stop := startServe(t, "-data", data, "-config", conf)
	if c, body := request(t, "POST", queryURL(base, "", "SHOW USERS"), "", "ops", "one"); c != 200 ||
		body != `{"results":[{"statement_id":0,"series":[{"columns":["user","admin"],"values":[["ops",true]]}]}]}`+"\n" {
		t.Fatalf("show users: %d %s", c, body)
	}
	stop()
	writeConf("two")
	base, stop = startServe(t, "-data", data, "-config", conf)
	defer stop()
	if c, body := request(t, "POST", queryURL(base, "", "SHOW USERS"), "", "ops", "one"); c != 401 {
		t.Fatalf("old password: %d %s", c, body)
	}
	if c, body := request(t, "POST", queryURL(base, "", "SHOW USERS"), "", "ops", "two"); c != 200 {
		t.Fatalf("new password: %d %s", c, body)
	}
}
