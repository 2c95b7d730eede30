package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	influx "github.com/influxdata/influxdb1-client/v2"

	"github.com/accretedb/accrete/server"
)

// TestGoClient drives accrete with InfluxDB's Go client library for 1.x:
// ping, writes in several precisions (one gzipped), queries plain and
// chunked, and the errors the client surfaces.
func TestGoClient(t *testing.T) {
	base := startAccrete(t, &server.Options{Auth: &server.Auth{Users: map[string]string{"writer": "pw"}}})
	newClient := func(user, pass string, enc influx.ContentEncoding) influx.Client {
		c, err := influx.NewHTTPClient(influx.HTTPConfig{Addr: base, Username: user, Password: pass, Timeout: 10 * time.Second, WriteEncoding: enc})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := newClient("writer", "pw", influx.DefaultEncoding)

	_, version, err := c.Ping(time.Second)
	if err != nil || version != server.Version {
		t.Fatalf("ping: version %q, %v", version, err)
	}
	query := func(c influx.Client, q influx.Query) []influx.Result {
		t.Helper()
		resp, err := c.Query(q)
		if err != nil {
			t.Fatalf("query %q: %v", q.Command, err)
		}
		if resp.Error() != nil {
			t.Fatalf("query %q: %v", q.Command, resp.Error())
		}
		return resp.Results
	}
	query(c, influx.NewQuery("CREATE DATABASE gc", "", ""))

	write := func(c influx.Client, precision string, pts ...*influx.Point) error {
		bp, err := influx.NewBatchPoints(influx.BatchPointsConfig{Database: "gc", Precision: precision, WriteConsistency: "any"})
		if err != nil {
			t.Fatal(err)
		}
		bp.AddPoints(pts)
		return c.Write(bp)
	}
	point := func(host string, fields map[string]any, ts time.Time) *influx.Point {
		p, err := influx.NewPoint("weather", map[string]string{"host": host}, fields, ts)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	base0 := time.Date(2020, 6, 1, 12, 0, 0, 0, time.UTC)
	if err := write(c, "s",
		point("a", map[string]any{"temp": 21.5, "count": int64(3), "note": "sunny", "ok": true}, base0),
		point("b", map[string]any{"temp": -4.25, "count": int64(-7), "note": `say "hi"`, "ok": false}, base0.Add(10*time.Second)),
	); err != nil {
		t.Fatalf("write s: %v", err)
	}
	gz := newClient("writer", "pw", influx.GzipEncoding)
	if err := write(gz, "ms", point("a", map[string]any{"temp": 22.125, "count": int64(4), "note": "gzip", "ok": true}, base0.Add(1500*time.Millisecond))); err != nil {
		t.Fatalf("write ms gzip: %v", err)
	}
	if err := write(c, "ns", point("b", map[string]any{"temp": 1e-3, "count": int64(1) << 40, "note": "", "ok": true}, base0.Add(20*time.Second+7))); err != nil {
		t.Fatalf("write ns: %v", err)
	}

	res := query(c, influx.NewQuery("SELECT temp, count, note, ok, host FROM weather", "gc", "ms"))
	want := [][]any{
		{json.Number("1591012800000"), json.Number("21.5"), json.Number("3"), "sunny", true, "a"},
		{json.Number("1591012801500"), json.Number("22.125"), json.Number("4"), "gzip", true, "a"},
		{json.Number("1591012810000"), json.Number("-4.25"), json.Number("-7"), `say "hi"`, false, "b"},
		{json.Number("1591012820000"), json.Number("0.001"), json.Number("1099511627776"), "", true, "b"},
	}
	if len(res) != 1 || len(res[0].Series) != 1 || !reflect.DeepEqual(res[0].Series[0].Values, want) {
		t.Fatalf("select: %+v", res)
	}
	if cols := res[0].Series[0].Columns; !reflect.DeepEqual(cols, []string{"time", "temp", "count", "note", "ok", "host"}) {
		t.Fatalf("columns %v", cols)
	}

	// The same query chunked two rows at a time, and an aggregate by tag
	// with RFC 3339 times.
	q := influx.NewQuery("SELECT temp FROM weather", "gc", "ns")
	q.Chunked, q.ChunkSize = true, 2
	res = query(c, q)
	var temps []any
	for _, r := range res {
		for _, s := range r.Series {
			for _, v := range s.Values {
				temps = append(temps, v[1])
			}
		}
	}
	if len(res) != 2 || !reflect.DeepEqual(temps, []any{json.Number("21.5"), json.Number("22.125"), json.Number("-4.25"), json.Number("0.001")}) {
		t.Fatalf("chunked: %d results, temps %v", len(res), temps)
	}
	res = query(c, influx.NewQuery("SELECT max(temp), count(note) FROM weather WHERE time >= '2020-06-01T00:00:00Z' GROUP BY host", "gc", ""))
	if len(res) != 1 || len(res[0].Series) != 2 {
		t.Fatalf("group by host: %+v", res)
	}
	for i, want := range []struct {
		host string
		row  []any
	}{
		{"a", []any{"2020-06-01T00:00:00Z", json.Number("22.125"), json.Number("2")}},
		{"b", []any{"2020-06-01T00:00:00Z", json.Number("0.001"), json.Number("2")}},
	} {
		s := res[0].Series[i]
		if s.Tags["host"] != want.host || !reflect.DeepEqual(s.Values, [][]any{want.row}) {
			t.Fatalf("series %d: %+v, want host %s %v", i, s, want.host, want.row)
		}
	}

	// Bound parameters.
	res = query(c, influx.NewQueryWithParameters("SELECT count(temp) FROM weather WHERE host = $h AND temp > $min AND time >= $t", "gc", "",
		map[string]any{"h": "b", "min": -5, "t": "2020-06-01T00:00:00Z"}))
	if len(res) != 1 || len(res[0].Series) != 1 || !reflect.DeepEqual(res[0].Series[0].Values, [][]any{{"2020-06-01T00:00:00Z", json.Number("2")}}) {
		t.Fatalf("bound parameters: %+v", res)
	}

	// Errors as the client reports them.
	bp, _ := influx.NewBatchPoints(influx.BatchPointsConfig{Database: "nosuchdb"})
	bp.AddPoint(point("a", map[string]any{"temp": 1.0}, base0))
	if err := c.Write(bp); err == nil || !strings.Contains(err.Error(), `database not found: \"nosuchdb\"`) {
		t.Fatalf("write to a missing database: %v", err)
	}
	if err := write(c, "s", point("a", map[string]any{"temp": "warm"}, base0)); err == nil || !strings.Contains(err.Error(), "field type conflict") {
		t.Fatalf("write of a conflicting type: %v", err)
	}
	if resp, err := c.Query(influx.NewQuery("SELECT FROM", "gc", "")); err != nil || resp.Error() == nil ||
		resp.Error().Error() != "error parsing query: found FROM, expected identifier, string, number, bool at line 1, char 8" {
		t.Fatalf("bad query: %v, %v", resp, err)
	}
	resp, err := c.Query(influx.NewQuery("SELECT * FROM weather", "nosuchdb", ""))
	if err != nil || resp.Error() == nil || resp.Error().Error() != "database not found: nosuchdb" {
		t.Fatalf("query of a missing database: %v, %v", resp, err)
	}
	bad := newClient("writer", "wrong", influx.DefaultEncoding)
	if resp, err := bad.Query(influx.NewQuery("SHOW DATABASES", "", "")); err != nil || resp.Error() == nil || resp.Error().Error() != "authorization failed" {
		t.Fatalf("wrong password: %v, %v", resp, err)
	}
	if err := write(bad, "s", point("a", map[string]any{"temp": 1.0}, base0)); err == nil || !strings.Contains(err.Error(), "authorization failed") {
		t.Fatalf("write with a wrong password: %v", err)
	}
}
