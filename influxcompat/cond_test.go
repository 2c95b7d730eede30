package influxcompat

import (
	"strings"
	"testing"
	"time"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/query"
)

func TestSplitTime(t *testing.T) {
	now := time.Date(2016, 1, 1, 12, 0, 0, 0, time.UTC)
	ns := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	f := func(where string, min, max int64, rest string) {
		t.Helper()
		cond, err := influxql.ParseExpr(where)
		if err != nil {
			t.Fatal(err)
		}
		r, tr, err := splitTime(cond, now, nil)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if tr.Min != min || tr.Max != max {
			t.Errorf("%s: range [%d, %d], want [%d, %d]", where, tr.Min, tr.Max, min, max)
		}
		got := ""
		if r != nil {
			got = r.String()
		}
		if got != rest {
			t.Errorf("%s: rest %q, want %q", where, got, rest)
		}
	}
	day := ns("2016-01-01T00:00:00Z")
	f("time >= '2016-01-01T00:00:00Z'", day, query.MaxTime, "")
	f("time > '2016-01-01T00:00:00Z'", day+1, query.MaxTime, "")
	f("time < '2016-01-01T00:00:00Z'", query.MinTime, day-1, "")
	f("time <= '2016-01-01T00:00:00.5Z'", query.MinTime, day+5e8, "")
	f("time = '2016-01-01T00:00:00Z'", day, day, "")
	f("'2016-01-01T00:00:00Z' < time", day+1, query.MaxTime, "")
	// Dates without a time are midnight.
	f("time >= '2016-01-01'", day, query.MaxTime, "")
	// Epoch integers are nanoseconds; durations are offsets from the epoch.
	f("time >= 1451606400000000000", day, query.MaxTime, "")
	f("time >= 1451606400s", day, query.MaxTime, "")
	f("time >= 1451606400000ms AND time < 1451606460000000u", day, day+60e9-1, "")
	f("time > 0", 1, query.MaxTime, "")
	// now() and arithmetic on it.
	f("time > now() - 1h", now.Add(-time.Hour).UnixNano()+1, query.MaxTime, "")
	f("time >= now() - 90m AND time <= now() + 30s", now.Add(-90*time.Minute).UnixNano(), now.Add(30*time.Second).UnixNano(), "")
	f("time < '2016-01-01T12:00:00Z' - 2h", query.MinTime, day+10*3600e9-1, "")
	// The rest of the condition stays.
	f("host = 'a' AND time > now() - 1h", now.Add(-time.Hour).UnixNano()+1, query.MaxTime, "host = 'a'")
	f("(host = 'a' OR host = 'b') AND time >= '2016-01-01T00:00:00Z' AND v > 1", day, query.MaxTime, "(host = 'a' OR host = 'b') AND v > 1")
	// Several bounds intersect, even under OR, as in InfluxDB.
	f("time > '2016-01-01T00:00:00Z' AND time > '2016-01-01T01:00:00Z'", day+3600e9+1, query.MaxTime, "")
	f("time > now() - 1h OR v > 1", now.Add(-time.Hour).UnixNano()+1, query.MaxTime, "v > 1")
	f("v > 1", query.MinTime, query.MaxTime, "v > 1")

	bad := func(where, msg string) {
		t.Helper()
		cond, err := influxql.ParseExpr(where)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := splitTime(cond, now, nil); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want %q", where, err, msg)
		}
	}
	bad("time > 'yesterday'", "invalid operation: time and *influxql.StringLiteral are not compatible")
	bad("time > '2016-13-01T00:00:00Z'", "invalid timestamp string")
	bad("time =~ /x/", "not compatible")
	bad("time != now()", "invalid time comparison operator")
}

func TestConvertCond(t *testing.T) {
	fields := fieldSet{"v": model.TypeFloat, "s": model.TypeString}
	f := func(where, want string) {
		t.Helper()
		cond, err := influxql.ParseExpr(where)
		if err != nil {
			t.Fatal(err)
		}
		e, err := convertCond(cond, fields)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if got := e.String(); got != want {
			t.Errorf("%s: %s, want %s", where, got, want)
		}
	}
	f("host = 'a'", `(host::tag = "a")`)
	f("v > 1.5", "(v::field > 1.5)")
	f("v > 1", "(v::field > 1i)")
	f("s =~ /x/", "(s::field =~ /x/)")
	// A name that is neither field nor tag reads as a missing tag.
	f("nope = 'x'", `(nope::tag = "x")`)
	f("host::field = 'a'", `(host::field = "a")`)
	f("v::tag = 'a'", `(v::tag = "a")`)
	f("(host = 'a' OR host = 'b') AND v >= 90.0", `(((host::tag = "a") OR (host::tag = "b")) AND (v::field >= 90))`)
	f("v + 1 > 2", "((v::field + 1i) > 2i)")
	f("b = true", "(b::tag = true)")

	cond, _ := influxql.ParseExpr("abs(v) > 1")
	if _, err := convertCond(cond, fields); err == nil {
		t.Error("a call in a condition converted")
	}
	if !tagOnly(mustParse(t, "host = 'a' AND x =~ /y/"), fields) || tagOnly(mustParse(t, "host = 'a' OR v > 1"), fields) {
		t.Error("tagOnly is wrong")
	}
}

func mustParse(t *testing.T, s string) influxql.Expr {
	t.Helper()
	e, err := influxql.ParseExpr(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
