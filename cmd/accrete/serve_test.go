package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accretedb/accrete/server"
	"github.com/accretedb/accrete/storage"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// request sends a request with optional Basic credentials and returns the
// status and body.
func request(t *testing.T, method, rawURL, body string, userPass ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(userPass) == 2 {
		req.SetBasicAuth(userPass[0], userPass[1])
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

func queryURL(base, db, q string) string {
	return base + "/query?" + url.Values{"db": {db}, "q": {q}, "epoch": {"s"}}.Encode()
}

// TestServeInProcess runs accrete serve with a YAML configuration that
// creates a database and turns on authentication, writes and queries
// through HTTP, then stops it through its context as a signal would.
func TestServeInProcess(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "accrete.yaml")
	if err := os.WriteFile(conf, []byte(`
listen: 127.0.0.1:1          # overridden by -listen
durability: periodic
auth:
  enabled: true
  users:
    - {name: ops, password: "pa ss"}
limits:
  query_timeout: 1m
databases:
  - name: telegraf
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	var stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- serve(ctx, []string{"-listen", "127.0.0.1:0", "-data", filepath.Join(dir, "data"), "-config", conf}, &stderr,
			func(a net.Addr) { addrs <- a })
	}()
	var base string
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case c := <-code:
		t.Fatalf("serve exited with %d: %s", c, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start: %s", stderr.String())
	}

	if c, _ := request(t, "GET", base+"/ping", ""); c != 204 {
		t.Fatalf("ping: %d", c)
	}
	if c, body := request(t, "POST", base+"/write?db=telegraf&precision=s", "cpu,host=a v=1 100"); c != 401 {
		t.Fatalf("write without credentials: %d %s", c, body)
	}
	if c, body := request(t, "POST", base+"/write?db=telegraf&precision=s", "cpu,host=a v=1 100\ncpu,host=b v=2 200", "ops", "pa ss"); c != 204 {
		t.Fatalf("write: %d %s", c, body)
	}
	c, body := request(t, "GET", queryURL(base, "telegraf", "SELECT sum(v) FROM cpu"), "", "ops", "pa ss")
	if want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","sum"],"values":[[0,3]]}]}]}` + "\n"; c != 200 || body != want {
		t.Fatalf("query: %d %s", c, body)
	}
	if c, body := request(t, "GET", base+"/metrics", ""); c != 200 || !strings.Contains(body, "\naccrete_points_written_total 2\n") {
		t.Fatalf("metrics: %d %s", c, body)
	}

	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit code %d: %s", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	log := stderr.String()
	for _, s := range []string{`msg="accrete started"`, "durability=periodic", "auth=true", `msg="shutting down"`, `msg="data directory closed"`} {
		if !strings.Contains(log, s) {
			t.Errorf("log lacks %s:\n%s", s, log)
		}
	}
}

func TestServeFlagsOverrideConfig(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "c.json")
	os.WriteFile(conf, []byte(`{"listen": "127.0.0.1:9999", "data": "/x", "durability": "none",
		"auth": {"enabled": true, "users": [{"name": "a", "password": "b"}]},
		"limits": {"max_body_bytes": 1000, "query_timeout": "2m"}, "databases": [{"name": "d1"}, {"name": "d2"}]}`), 0o644)
	var stderr bytes.Buffer
	c, err := parseServeFlags([]string{"-config", conf, "-data", "/y", "-query-timeout", "5s", "-auth=false"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.Data != "/y" || c.durability != storage.DurabilityNone ||
		c.auth != nil || c.Limits.MaxBodyBytes != 1000 || c.Limits.QueryTimeout != server.Duration(5*time.Second) ||
		len(c.Databases) != 2 || c.Databases[1].Name != "d2" {
		t.Fatalf("merged config: %+v", c)
	}
	c, err = parseServeFlags(nil, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != defaultListen || c.Data != defaultData || c.durability != storage.DurabilityEveryWrite ||
		c.Limits.MaxBodyBytes != server.DefaultMaxBodyBytes || c.Limits.QueryTimeout != 0 || c.auth != nil {
		t.Fatalf("defaults: %+v", c)
	}

	f := func(args []string, wantErr string) {
		t.Helper()
		var stderr bytes.Buffer
		if code := serve(context.Background(), args, &stderr, nil); code != 2 || !strings.Contains(stderr.String(), wantErr) {
			t.Fatalf("serve %v: exit %d, stderr %q, want 2 and %q", args, code, stderr.String(), wantErr)
		}
	}
	f([]string{"-durability", "sometimes"}, `invalid durability "sometimes"`)
	f([]string{"-config", filepath.Join(dir, "missing.yaml")}, "no such file")
	f([]string{"extra"}, `unexpected argument "extra"`)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("listen: x\nlisen: y\n"), 0o644)
	f([]string{"-config", bad}, "field lisen not found")
	os.WriteFile(bad, []byte("databases: [{name: a}, {name: a}]\n"), 0o644)
	f([]string{"-config", bad}, `databases[1]: database "a" is declared twice`)
	os.WriteFile(bad, []byte("limits: {query_timeout: soon}\n"), 0o644)
	f([]string{"-config", bad}, `invalid duration "soon"`)
}

// TestServeBinarySIGTERM builds the accrete binary, runs accrete serve,
// writes, stops it with SIGTERM and checks the clean exit; a second run on
// the same data directory reads what the first one acknowledged.
func TestServeBinarySIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "accrete")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")

	// start runs accrete serve and returns its base URL, a function that
	// sends SIGTERM and returns the exit error, and its log.
	start := func() (string, func() error, *syncBuffer) {
		t.Helper()
		cmd := exec.Command(bin, "serve", "-listen", "127.0.0.1:0", "-data", data, "-durability", "none")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		log := &syncBuffer{}
		addr := make(chan string, 1)
		go func() {
			re := regexp.MustCompile(`msg="accrete started" .*listen=(127\.0\.0\.1:\d+)`)
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				log.Write(append(sc.Bytes(), '\n'))
				if m := re.FindStringSubmatch(sc.Text()); m != nil {
					addr <- m[1]
				}
			}
			exited <- cmd.Wait()
		}()
		stopped := false
		stop := func() error {
			stopped = true
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				return err
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-exited
				t.Fatalf("accrete serve ignored SIGTERM; log:\n%s", log.String())
				return nil
			}
		}
		t.Cleanup(func() {
			if !stopped {
				stop()
			}
		})
		select {
		case a := <-addr:
			return "http://" + a, stop, log
		case err := <-exited:
			stopped = true
			t.Fatalf("accrete serve exited: %v\n%s", err, log.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("accrete serve did not start:\n%s", log.String())
		}
		return "", nil, nil
	}

	base, stop, log := start()
	if c, body := request(t, "POST", queryURL(base, "", "CREATE DATABASE keep"), ""); c != 200 {
		t.Fatalf("create database: %d %s", c, body)
	}
	if c, body := request(t, "POST", base+"/write?db=keep&precision=s", "m,k=x f=1.5 10\nm,k=y f=2.5 20\n"); c != 204 {
		t.Fatalf("write: %d %s", c, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), `msg="data directory closed"`) {
		t.Fatalf("no clean close in the log:\n%s", log.String())
	}

	base, stop, log = start()
	c, body := request(t, "GET", queryURL(base, "keep", "SELECT f FROM m"), "")
	if want := `{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","f"],"values":[[10,1.5],[20,2.5]]}]}]}` + "\n"; c != 200 || body != want {
		t.Fatalf("after restart: %d %s", c, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, log.String())
	}
}
