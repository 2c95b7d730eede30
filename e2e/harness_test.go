package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/influxcompat"
	"github.com/accretedb/accrete/server"
)

// needTool returns the path of an installed program, skipping the test when
// it is missing, or failing it under CI=true, where scripts/test.sh has
// installed it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (scripts/test.sh installs Debian's influxdb and influxdb-client packages)", name)
	}
	t.Skipf("%s is not installed; apt-get install influxdb influxdb-client (scripts/test.sh does) to run this test", name)
	return ""
}

// startAccrete serves a fresh accrete database on 127.0.0.1 and returns its
// base URL. Everything stops when the test ends.
func startAccrete(t *testing.T, opts *server.Options) string {
	t.Helper()
	db, err := accrete.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var o server.Options
	if opts != nil {
		o = *opts
	}
	o.Writer = db
	o.Querier = influxcompat.NewExecutor(db, nil)
	o.Stats = db
	return serveAccrete(t, db, &o)
}

// serveAccrete serves db with the server options o on 127.0.0.1 and returns
// the base URL; the server stops and db closes when the test ends.
func serveAccrete(t *testing.T, db *accrete.DB, o *server.Options) string {
	t.Helper()
	srv := server.New(o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// influxdConfig is an InfluxDB 1.x configuration with everything under one
// directory, HTTP and RPC on loopback, and usage reporting, self-monitoring,
// continuous queries and logging of requests off.
const influxdConfig = `reporting-disabled = true
bind-address = "127.0.0.1:%[3]d"

[meta]
  dir = "%[1]s/meta"

[data]
  dir = "%[1]s/data"
  wal-dir = "%[1]s/wal"
  query-log-enabled = false
  trace-logging-enabled = false

[coordinator]
  query-timeout = "0s"
  log-queries-after = "0s"

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:%[2]d"
  auth-enabled = false
  log-enabled = false

[logging]
  level = "warn"

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false
`

// startInfluxd runs InfluxDB 1.x's influxd on a free loopback port with its
// data and configuration in a temporary directory, waits until it answers
// /ping and returns its base URL. It is stopped when the test ends.
func startInfluxd(t *testing.T) string {
	t.Helper()
	return startInfluxdWith(t, influxdConfig)
}

// startInfluxdWith runs influxd as startInfluxd does with config, a
// variant of influxdConfig (same format verbs: data dir, HTTP port, RPC
// port).
func startInfluxdWith(t *testing.T, config string) string {
	t.Helper()
	bin := needTool(t, "influxd")
	dir := t.TempDir()
	var lastErr error
	for range 3 {
		port, rpcPort := freePort(t), freePort(t)
		conf := filepath.Join(dir, "influxdb.conf")
		if err := os.WriteFile(conf, []byte(fmt.Sprintf(config, dir, port, rpcPort)), 0o644); err != nil {
			t.Fatal(err)
		}
		logf, err := os.Create(filepath.Join(dir, "influxd.log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "run", "-config", conf)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.Env = append(os.Environ(), "INFLUXDB_REPORTING_DISABLED=true")
		if err := cmd.Start(); err != nil {
			logf.Close()
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		if lastErr = waitPing(base, exited, 20*time.Second); lastErr == nil {
			t.Cleanup(func() {
				cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(15 * time.Second):
					cmd.Process.Kill()
					<-exited
				}
				logf.Close()
			})
			return base
		}
		cmd.Process.Kill()
		<-exited
		logf.Close()
		log, _ := os.ReadFile(filepath.Join(dir, "influxd.log"))
		t.Logf("influxd did not start (%v); log:\n%s", lastErr, log)
	}
	t.Fatalf("influxd did not start: %v", lastErr)
	return ""
}

// waitPing polls base/ping until it answers 204, the process exits or the
// timeout passes.
func waitPing(base string, exited <-chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("influxd exited: %v", err)
		default:
		}
		resp, err := http.Get(base + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("no answer to /ping")
}

// post sends a POST with a body and returns the status and response body.
func post(t *testing.T, rawURL, contentType string, body io.Reader, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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
	return resp.StatusCode, string(b)
}

// runQuery sends q to base/query as TSBS does (POST, query in the URL) with
// extra parameters and returns the status and body.
func runQuery(t *testing.T, base, q string, params ...string) (int, string) {
	t.Helper()
	v := url.Values{"q": {q}}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return post(t, base+"/query?"+v.Encode(), "", nil)
}

// mustQuery is runQuery that fails the test unless the status is 200 and
// the body has no error.
func mustQuery(t *testing.T, base, q string, params ...string) string {
	t.Helper()
	code, body := runQuery(t, base, q, params...)
	if code != 200 || strings.Contains(body, `"error"`) {
		t.Fatalf("%s: query %q: %d %s", base, q, code, body)
	}
	return body
}
