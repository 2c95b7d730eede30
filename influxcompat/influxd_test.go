package influxcompat

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

// TestRandomAgainstInfluxDB writes random points to accrete and to a
// running InfluxDB 1.6 and compares their answers to random SELECT
// statements, floats within 1e-9 relative. It runs only when
// INFLUXCOMPAT_INFLUXD holds the base URL of that InfluxDB (for example
// http://127.0.0.1:8086, whose database "influxcompat_random" it replaces);
// INFLUXCOMPAT_SEED repeats a run. The e2e package's differential test
// covers fixed statements with a server it starts itself; this one explores.
func TestRandomAgainstInfluxDB(t *testing.T) {
	base := os.Getenv("INFLUXCOMPAT_INFLUXD")
	if base == "" {
		t.Skip("INFLUXCOMPAT_INFLUXD is not set")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("INFLUXCOMPAT_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("INFLUXCOMPAT_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	const db = "influxcompat_random"
	influx := func(v url.Values) string {
		t.Helper()
		resp, err := http.PostForm(base+"/query", v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	influx(url.Values{"q": {"DROP DATABASE " + db + "; CREATE DATABASE " + db}})

	body := randomLines(rng)
	resp, err := http.Post(base+"/write?db="+db+"&precision=s", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	store := openStore(t)
	pts, err := model.ParseLines([]byte(body), model.ParseOptions{Precision: model.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Write("db", "", pts); err != nil {
		t.Fatal(err)
	}
	e := NewExecutor(store, nil)
	// Only statements with an upper time bound when grouping by time:
	// InfluxDB's now() is not this test's.
	now := time.Unix(randomStart+4000, 0)
	failures := 0
	for n := 0; n < 200 && failures < 10; n++ {
		q := randomSelect(rng)
		want := influx(url.Values{"q": {q}, "db": {db}, "epoch": {"s"}})
		got := runJSON(t, e, q, Options{Epoch: "s", Now: func() time.Time { return now }})
		var a, b any
		if err := json.Unmarshal([]byte(want), &b); err != nil {
			t.Fatalf("%s: InfluxDB answered %q", q, want)
		}
		if err := json.Unmarshal([]byte(got), &a); err != nil {
			t.Fatal(err)
		}
		if d := jsonDiff("", a, b); d != "" {
			failures++
			t.Errorf("%s\n%s\n  ours:     %.800s\n  InfluxDB: %.800s", q, d, got, want)
		}
	}
}

const randomStart = 1451606400 // 2016-01-01T00:00:00Z

// randomLines returns an hour of random points of four series of "m", in
// line protocol with second timestamps: float f, integer i and sometimes
// string s, some points missing fields, some times shared across series.
func randomLines(rng *rand.Rand) string {
	var lines []string
	for h := 0; h < 4; h++ {
		for k := 0; k < 80; k++ {
			ts := randomStart + rng.Int64N(3600)
			if rng.IntN(3) == 0 {
				ts -= ts % 60
			}
			tags := fmt.Sprintf("host=h%d", h)
			if h%2 == 0 {
				tags += fmt.Sprintf(",dc=d%d", rng.IntN(2))
			}
			var fs []string
			if rng.IntN(4) > 0 {
				fs = append(fs, fmt.Sprintf("f=%g", float64(rng.IntN(1000))/4))
			}
			if rng.IntN(4) > 0 {
				fs = append(fs, fmt.Sprintf("i=%di", rng.IntN(100)-20))
			}
			if rng.IntN(5) == 0 {
				fs = append(fs, fmt.Sprintf("s=\"%c\"", 'a'+rng.IntN(3)))
			}
			if len(fs) == 0 {
				fs = append(fs, "i=1i")
			}
			lines = append(lines, fmt.Sprintf("m,%s %s %d", tags, strings.Join(fs, ","), ts))
		}
	}
	return strings.Join(lines, "\n")
}

// randomSelect returns a random SELECT on the data of randomLines.
func randomSelect(rng *rand.Rand) string {
	at := func(sec int64) string { return time.Unix(randomStart+sec, 0).UTC().Format(time.RFC3339) }
	field := func() string { return []string{"f", "i"}[rng.IntN(2)] }
	// No percentile: InfluxDB 1.6 computes it on a path of its own whose
	// quirks (groups in another order newest first, duplicated rows with
	// OFFSET, ties broken by an unstable sort) are not accrete's to copy.
	funcs := []string{"count", "sum", "mean", "min", "max", "first", "last", "spread", "stddev", "median"}
	var sel []string
	agg := rng.IntN(3) > 0
	if agg {
		for c := 1 + rng.IntN(3); c > 0; c-- {
			sel = append(sel, fmt.Sprintf("%s(%s)", funcs[rng.IntN(len(funcs))], field()))
		}
	} else {
		sel = [][]string{{"*"}, {"f", "host"}, {"i", "f", "s"}, {"f * 2 + i"}}[rng.IntN(4)]
	}
	var where []string
	hasMin := rng.IntN(2) == 0
	if hasMin {
		where = append(where, fmt.Sprintf("time >= '%s'", at(rng.Int64N(3600)-300)))
	}
	grouped := agg && rng.IntN(2) == 0
	if grouped || rng.IntN(2) == 0 {
		where = append(where, fmt.Sprintf("time < '%s'", at(rng.Int64N(3900))))
	}
	switch rng.IntN(5) {
	case 0:
		where = append(where, fmt.Sprintf("host = 'h%d'", rng.IntN(4)))
	case 1:
		where = append(where, fmt.Sprintf("(host = 'h%d' OR dc = 'd1')", rng.IntN(4)))
	case 2:
		where = append(where, fmt.Sprintf("f > %d", rng.IntN(250)))
	case 3:
		where = append(where, "dc !~ /0/")
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM m"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	var dims []string
	if grouped {
		iv := []string{"1m", "7m", "13m", "30s"}[rng.IntN(4)]
		// An offset without a lower bound overflows in InfluxDB 1.6.
		if hasMin && rng.IntN(3) == 0 {
			iv += fmt.Sprintf(", %ds", rng.IntN(50))
		}
		dims = append(dims, "time("+iv+")")
	}
	switch rng.IntN(4) {
	case 0:
		dims = append(dims, "host")
	case 1:
		dims = append(dims, "*")
	case 2:
		dims = append(dims, "dc")
	}
	if len(dims) > 0 {
		q += " GROUP BY " + strings.Join(dims, ", ")
	}
	if grouped && rng.IntN(2) == 0 {
		q += []string{" fill(none)", " fill(0)", " fill(previous)", " fill(linear)"}[rng.IntN(4)]
	}
	if rng.IntN(3) == 0 {
		q += " ORDER BY time DESC"
	}
	if rng.IntN(3) == 0 {
		q += fmt.Sprintf(" LIMIT %d", 1+rng.IntN(5))
	}
	if rng.IntN(5) == 0 {
		q += fmt.Sprintf(" OFFSET %d", rng.IntN(3))
	}
	if rng.IntN(6) == 0 {
		q += fmt.Sprintf(" SLIMIT %d SOFFSET %d", 1+rng.IntN(2), rng.IntN(2))
	}
	return q
}

// jsonDiff describes the first difference between two decoded JSON
// values, floats within 1e-9 relative; "" when they agree.
func jsonDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return path + ": objects differ"
		}
		for k := range x {
			if d := jsonDiff(path+"."+k, x[k], y[k]); d != "" {
				return d
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return path + ": arrays differ in length"
		}
		for i := range x {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
	case float64:
		y, ok := b.(float64)
		if !ok || math.Abs(x-y) > 1e-9*math.Max(math.Abs(x), math.Abs(y)) {
			return fmt.Sprintf("%s: %v, InfluxDB %v", path, a, b)
		}
	default:
		if a != b {
			return fmt.Sprintf("%s: %v, InfluxDB %v", path, a, b)
		}
	}
	return ""
}
