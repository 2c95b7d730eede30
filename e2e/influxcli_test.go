package e2e

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/server"
)

// influxCLI runs Debian's influx shell against the server at base and
// returns its stdout, stderr and exit code.
func influxCLI(t *testing.T, bin, base string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-host", u.Hostname(), "-port", u.Port()}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // no ~/.influx_history
	cmd.Stdin = nil
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("influx %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// TestInfluxCLI drives accrete with the influx shell of InfluxDB 1.6: DDL
// and writes through -execute and -import, queries with JSON, CSV and
// column output, authentication and errors.
func TestInfluxCLI(t *testing.T) {
	bin := needTool(t, "influx")
	base := startAccrete(t, &server.Options{Auth: &server.Auth{Users: map[string]string{"admin": "hunter2"}}})
	auth := []string{"-username", "admin", "-password", "hunter2"}
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := influxCLI(t, bin, base, append(auth, args...)...)
		if code != 0 || errOut != "" {
			t.Fatalf("influx %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
		}
		return out
	}

	run("-execute", "CREATE DATABASE cli")
	imp := filepath.Join(t.TempDir(), "import.txt")
	data := "# DDL\nCREATE DATABASE cli2\n\n# DML\n# CONTEXT-DATABASE: cli\n" +
		"cpu,host=a,region=eu usage=12.5,cores=4i,state=\"busy\" 1577836800\n" +
		"cpu,host=b,region=us usage=80,cores=8i,state=\"idle\" 1577836810\n" +
		"cpu,host=a,region=eu usage=13.25,cores=4i,state=\"busy\" 1577836860\n"
	if err := os.WriteFile(imp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := influxCLI(t, bin, base, append(auth, "-import", "-path", imp, "-precision", "s")...)
	if log := out + errOut; code != 0 || !strings.Contains(log, "Processed 3 inserts") || !strings.Contains(log, "Failed 0 inserts") {
		t.Fatalf("import: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	run("-database", "cli", "-execute", "INSERT mem,host=a free=1024i 1577836800000000000")

	out = run("-database", "cli", "-format", "json", "-precision", "rfc3339", "-execute", "SELECT * FROM cpu WHERE host = 'a'")
	want := `{"results":[{"series":[{"name":"cpu","columns":["time","cores","host","region","state","usage"],"values":[["2020-01-01T00:00:00Z",4,"a","eu","busy",12.5],["2020-01-01T00:01:00Z",4,"a","eu","busy",13.25]]}]}]}`
	if strings.TrimSpace(out) != want {
		t.Fatalf("json:\n got %s\nwant %s", out, want)
	}
	out = run("-database", "cli", "-format", "csv", "-execute", "SELECT max(usage) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' GROUP BY region")
	// Chunked answers, which the shell asks for, have one series per chunk,
	// each printed with its header, as with InfluxDB.
	want = "name,tags,time,max\ncpu,region=eu,1577836860000000000,13.25\nname,tags,time,max\ncpu,region=us,1577836810000000000,80\n"
	if out != want {
		t.Fatalf("csv:\n got %q\nwant %q", out, want)
	}
	out = run("-execute", "SHOW DATABASES")
	for _, db := range []string{"cli", "cli2"} {
		if !strings.Contains(out, "\n"+db+"\n") {
			t.Fatalf("SHOW DATABASES lacks %s:\n%s", db, out)
		}
	}
	out = run("-database", "cli", "-execute", "SELECT free FROM mem; SHOW MEASUREMENTS")
	for _, s := range []string{"name: mem", "1577836800000000000 1024", "name: measurements", "cpu\nmem"} {
		if !strings.Contains(out, s) {
			t.Fatalf("column output lacks %q:\n%s", s, out)
		}
	}

	// Errors: a query that does not parse, and wrong credentials.
	out, errOut, code = influxCLI(t, bin, base, append(auth, "-database", "cli", "-execute", "SELECT FROM cpu")...)
	if code == 0 || !strings.Contains(out+errOut, "error parsing query") {
		t.Fatalf("bad query: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	out, errOut, code = influxCLI(t, bin, base, "-username", "admin", "-password", "wrong", "-execute", "SHOW DATABASES")
	if code == 0 || !strings.Contains(out+errOut, "authorization failed") {
		t.Fatalf("wrong password: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
