package influxcompat

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// TSBS's cpu-only data set: measurement cpu, ten tags, ten integer fields,
// one row per host every ten seconds from 2016-01-01T00:00:00Z.
var (
	tsbsStart  = time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	tsbsFields = []string{"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
		"usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"}
)

const tsbsStep = 10 * time.Second

// tsbsData is what writeTSBS wrote: per host, per row, the ten values.
type tsbsData struct {
	hosts []string
	rows  int
	vals  [][][]int64 // host, row, field
}

func (d *tsbsData) time(row int) int64 {
	return tsbsStart.Add(time.Duration(row) * tsbsStep).UnixNano()
}

// writeTSBS writes hosts × dur of TSBS-like rows (random walks in [0, 100])
// in batches of about 10000 rows.
func writeTSBS(t testing.TB, db *storage.DB, hosts int, dur time.Duration) *tsbsData {
	t.Helper()
	rng := rand.New(rand.NewPCG(123, 456))
	d := &tsbsData{rows: int(dur / tsbsStep)}
	regions := []string{"us-east-1", "us-west-1", "eu-central-1", "ap-southeast-2"}
	tagsOf := make([]model.Tags, hosts)
	for h := 0; h < hosts; h++ {
		name := fmt.Sprintf("host_%d", h)
		d.hosts = append(d.hosts, name)
		tags := model.Tags{
			{Key: "arch", Value: []string{"x86", "x64"}[h%2]},
			{Key: "datacenter", Value: fmt.Sprintf("%s%c", regions[h%4], 'a'+rune(h%3))},
			{Key: "hostname", Value: name},
			{Key: "os", Value: []string{"Ubuntu16.10", "Ubuntu15.10", "Ubuntu16.04LTS"}[h%3]},
			{Key: "rack", Value: fmt.Sprint(h % 100)},
			{Key: "region", Value: regions[h%4]},
			{Key: "service", Value: fmt.Sprint(h % 20)},
			{Key: "service_environment", Value: []string{"production", "staging", "test"}[h%3]},
			{Key: "service_version", Value: fmt.Sprint(h % 2)},
			{Key: "team", Value: []string{"SF", "NYC", "LON", "CHI"}[h%4]},
		}
		tagsOf[h] = tags
		d.vals = append(d.vals, make([][]int64, d.rows))
	}
	cur := make([][]int64, hosts)
	for h := range cur {
		cur[h] = make([]int64, len(tsbsFields))
		for f := range cur[h] {
			cur[h][f] = rng.Int64N(101)
		}
	}
	batch := make([]model.Point, 0, 10000)
	for r := 0; r < d.rows; r++ {
		for h := 0; h < hosts; h++ {
			vals := make([]int64, len(tsbsFields))
			fields := make([]model.Field, len(tsbsFields))
			for f := range tsbsFields {
				v := cur[h][f] + rng.Int64N(11) - 5
				v = min(100, max(0, v))
				cur[h][f] = v
				vals[f] = v
				fields[f] = model.Field{Key: tsbsFields[f], Value: model.Int(v)}
			}
			d.vals[h][r] = vals
			batch = append(batch, model.Point{Measurement: "cpu", Tags: tagsOf[h], Fields: fields, Time: d.time(r)})
			if len(batch) == cap(batch) {
				if err := db.Write("db", "", batch); err != nil {
					t.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	}
	if len(batch) > 0 {
		if err := db.Write("db", "", batch); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// runJSON runs q and returns the results as InfluxDB's response body.
func runJSON(t testing.TB, e *Executor, q string, opts Options) string {
	t.Helper()
	var results []*Result
	if opts.Database == "" {
		opts.Database = "db"
	}
	err := e.Execute(context.Background(), q, opts, func(r *Result) error {
		results = append(results, r)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	b, err := json.Marshal(map[string]any{"results": results})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type response struct {
	Results []Result `json:"results"`
}

func decode(t testing.TB, body string) response {
	t.Helper()
	var r response
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	for _, res := range r.Results {
		if res.Err != "" {
			t.Fatalf("statement error: %s", res.Err)
		}
	}
	return r
}

func ts(t int64) string { return time.Unix(0, t).UTC().Format(time.RFC3339) }

// TestTSBSQueries runs every TSBS query shape on a small TSBS data set and
// checks the answers against the values written.
func TestTSBSQueries(t *testing.T) {
	db := openStore(t)
	d := writeTSBS(t, db, 10, 2*time.Hour)
	e := NewExecutor(db, nil)
	fieldIdx := func(name string) int { return slices.Index(tsbsFields, name) }
	// bucket folds the values of some hosts and a field over [from, to).
	fold := func(hosts []int, field int, from, to int64, fn func(acc, v int64, n int) int64) (int64, int) {
		var acc int64
		n := 0
		for _, h := range hosts {
			for r := 0; r < d.rows; r++ {
				if tm := d.time(r); tm >= from && tm < to {
					acc = fn(acc, d.vals[h][r][field], n)
					n++
				}
			}
		}
		return acc, n
	}
	maxFn := func(acc, v int64, n int) int64 {
		if n == 0 || v > acc {
			return v
		}
		return acc
	}
	sumFn := func(acc, v int64, _ int) int64 { return acc + v }

	t.Run("single-groupby-1-1-1", func(t *testing.T) {
		from := tsbsStart.Add(17 * time.Minute)
		q := fmt.Sprintf("SELECT max(usage_user) from cpu where (hostname = 'host_3') and time >= '%s' and time < '%s' group by time(1m)",
			from.Format(time.RFC3339), from.Add(time.Hour).Format(time.RFC3339))
		r := decode(t, runJSON(t, e, q, Options{}))
		s := r.Results[0].Series
		if len(s) != 1 || len(s[0].Values) != 60 || s[0].Name != "cpu" || s[0].Tags != nil {
			t.Fatalf("got %+v", r)
		}
		for i, row := range s[0].Values {
			b := from.Add(time.Duration(i) * time.Minute).UnixNano()
			want, _ := fold([]int{3}, 0, b, b+int64(time.Minute), maxFn)
			if row[0] != ts(b) || row[1] != float64(want) {
				t.Errorf("row %d = %v, want [%s %d]", i, row, ts(b), want)
			}
		}
	})

	t.Run("cpu-max-all-8", func(t *testing.T) {
		var sel []string
		for _, f := range tsbsFields {
			sel = append(sel, "max("+f+")")
		}
		hosts := []int{0, 2, 3, 5, 6, 7, 8, 9}
		var where []string
		for _, h := range hosts {
			where = append(where, fmt.Sprintf("hostname = 'host_%d'", h))
		}
		q := fmt.Sprintf("SELECT %s from cpu where (%s) and time >= '%s' and time < '%s' group by time(1h)",
			strings.Join(sel, ","), strings.Join(where, " or "), tsbsStart.Format(time.RFC3339), tsbsStart.Add(2*time.Hour).Format(time.RFC3339))
		r := decode(t, runJSON(t, e, q, Options{}))
		s := r.Results[0].Series
		if len(s) != 1 || len(s[0].Values) != 2 {
			t.Fatalf("got %+v", r)
		}
		wantCols := []string{"time", "max"}
		for i := 1; i < len(tsbsFields); i++ {
			wantCols = append(wantCols, fmt.Sprintf("max_%d", i))
		}
		if !slices.Equal(s[0].Columns, wantCols) {
			t.Errorf("columns %v, want %v", s[0].Columns, wantCols)
		}
		for i, row := range s[0].Values {
			b := tsbsStart.Add(time.Duration(i) * time.Hour).UnixNano()
			for f := range tsbsFields {
				want, _ := fold(hosts, f, b, b+int64(time.Hour), maxFn)
				if row[1+f] != float64(want) {
					t.Errorf("hour %d %s = %v, want %d", i, tsbsFields[f], row[1+f], want)
				}
			}
		}
	})

	t.Run("double-groupby-1", func(t *testing.T) {
		q := fmt.Sprintf("SELECT mean(usage_user) from cpu where time >= '%s' and time < '%s' group by time(1h),hostname",
			tsbsStart.Format(time.RFC3339), tsbsStart.Add(2*time.Hour).Format(time.RFC3339))
		r := decode(t, runJSON(t, e, q, Options{}))
		s := r.Results[0].Series
		if len(s) != len(d.hosts) {
			t.Fatalf("%d series, want %d", len(s), len(d.hosts))
		}
		// Series come sorted by hostname: host_0, host_1, host_10...
		names := slices.Clone(d.hosts)
		slices.Sort(names)
		for i, se := range s {
			if se.Tags["hostname"] != names[i] || len(se.Values) != 2 {
				t.Fatalf("series %d = %+v", i, se)
			}
			h := slices.Index(d.hosts, names[i])
			for j, row := range se.Values {
				b := tsbsStart.Add(time.Duration(j) * time.Hour).UnixNano()
				sum, n := fold([]int{h}, 0, b, b+int64(time.Hour), sumFn)
				if want := float64(sum) / float64(n); row[1] != want {
					t.Errorf("%s hour %d mean %v, want %v", names[i], j, row[1], want)
				}
			}
		}
	})

	t.Run("high-cpu-all", func(t *testing.T) {
		from, to := tsbsStart.Add(10*time.Minute), tsbsStart.Add(70*time.Minute)
		q := fmt.Sprintf("SELECT * from cpu where usage_user > 90.0  and time >= '%s' and time < '%s'",
			from.Format(time.RFC3339), to.Format(time.RFC3339))
		r := decode(t, runJSON(t, e, q, Options{}))
		want := 0
		for h := range d.hosts {
			for row := 0; row < d.rows; row++ {
				if tm := d.time(row); tm >= from.UnixNano() && tm < to.UnixNano() && d.vals[h][row][0] > 90 {
					want++
				}
			}
		}
		if want == 0 {
			t.Fatal("no row above 90: the data set does not exercise the query")
		}
		s := r.Results[0].Series
		if len(s) != 1 || len(s[0].Values) != want {
			t.Fatalf("got %d series, want 1 with %d rows", len(s), want)
		}
		cols := s[0].Columns
		if cols[0] != "time" || !slices.IsSorted(cols[1:]) || len(cols) != 21 {
			t.Errorf("columns %v", cols)
		}
		user := slices.Index(cols, "usage_user")
		prev := ""
		for _, row := range s[0].Values {
			if row[user].(float64) <= 90 {
				t.Errorf("row %v has usage_user <= 90", row)
			}
			if tm := row[0].(string); tm < prev {
				t.Errorf("rows out of time order: %s after %s", tm, prev)
			} else {
				prev = tm
			}
		}
	})

	t.Run("lastpoint", func(t *testing.T) {
		r := decode(t, runJSON(t, e, `SELECT * from cpu group by "hostname" order by time desc limit 1`, Options{}))
		s := r.Results[0].Series
		if len(s) != len(d.hosts) {
			t.Fatalf("%d series, want %d", len(s), len(d.hosts))
		}
		names := slices.Clone(d.hosts)
		slices.Sort(names)
		slices.Reverse(names)
		last := d.time(d.rows - 1)
		for i, se := range s {
			if se.Tags["hostname"] != names[i] || len(se.Values) != 1 || se.Values[0][0] != ts(last) {
				t.Fatalf("series %d = %+v", i, se)
			}
			if slices.Contains(se.Columns, "hostname") {
				t.Errorf("the grouped tag is a column: %v", se.Columns)
			}
			h := slices.Index(d.hosts, names[i])
			c := slices.Index(se.Columns, "usage_idle")
			if got, want := se.Values[0][c], float64(d.vals[h][d.rows-1][fieldIdx("usage_idle")]); got != want {
				t.Errorf("%s usage_idle %v, want %v", names[i], got, want)
			}
		}
	})

	t.Run("groupby-orderby-limit", func(t *testing.T) {
		end := tsbsStart.Add(63 * time.Minute)
		q := fmt.Sprintf("SELECT max(usage_user) from cpu WHERE time < '%s' group by time(1m) limit 5", end.Format(time.RFC3339))
		r := decode(t, runJSON(t, e, q, Options{}))
		s := r.Results[0].Series
		if len(s) != 1 || len(s[0].Values) != 5 {
			t.Fatalf("got %+v", r)
		}
		all := []int{}
		for h := range d.hosts {
			all = append(all, h)
		}
		for i, row := range s[0].Values {
			b := tsbsStart.Add(time.Duration(i) * time.Minute).UnixNano()
			want, _ := fold(all, 0, b, b+int64(time.Minute), maxFn)
			if row[0] != ts(b) || row[1] != float64(want) {
				t.Errorf("row %d = %v, want [%s %d]", i, row, ts(b), want)
			}
		}
	})

	t.Run("select-into", func(t *testing.T) {
		q := fmt.Sprintf("SELECT mean(*) INTO cpu_1m FROM cpu WHERE time >= '%s' AND time < '%s' GROUP BY time(1m), *",
			tsbsStart.Format(time.RFC3339), tsbsStart.Add(2*time.Hour).Format(time.RFC3339))
		wantN := float64(len(d.hosts) * 120)
		r := decode(t, runJSON(t, e, q, Options{}))
		s := r.Results[0].Series
		if len(s) != 1 || s[0].Name != "result" || !slices.Equal(s[0].Columns, []string{"time", "written"}) ||
			s[0].Values[0][0] != "1970-01-01T00:00:00Z" || s[0].Values[0][1] != wantN {
			t.Fatalf("got %+v", r)
		}
		r = decode(t, runJSON(t, e, "SELECT count(mean_usage_user) FROM cpu_1m", Options{}))
		if got := r.Results[0].Series[0].Values[0][1]; got != wantN {
			t.Errorf("count(mean_usage_user) = %v, want %v", got, wantN)
		}
		// Each written point is the mean of one host's minute.
		r = decode(t, runJSON(t, e, "SELECT mean_usage_system FROM cpu_1m WHERE hostname = 'host_4' LIMIT 2 OFFSET 7", Options{}))
		for i, row := range r.Results[0].Series[0].Values {
			b := tsbsStart.Add(time.Duration(7+i) * time.Minute).UnixNano()
			sum, n := fold([]int{4}, fieldIdx("usage_system"), b, b+int64(time.Minute), sumFn)
			if want := float64(sum) / float64(n); row[0] != ts(b) || row[1] != want {
				t.Errorf("row %v, want [%s %v]", row, ts(b), want)
			}
		}
		r = decode(t, runJSON(t, e, "SHOW TAG KEYS FROM cpu_1m", Options{}))
		if n := len(r.Results[0].Series[0].Values); n != 10 {
			t.Errorf("cpu_1m has %d tag keys, want the 10 of cpu", n)
		}
		decode(t, runJSON(t, e, "DROP MEASUREMENT cpu_1m", Options{}))
		r = decode(t, runJSON(t, e, "SELECT count(mean_usage_user) FROM cpu_1m", Options{}))
		if len(r.Results[0].Series) != 0 {
			t.Errorf("cpu_1m still answers after DROP MEASUREMENT: %+v", r)
		}
	})
}

// TestWorkersAgree runs the same statements with one worker and with
// several: the answers must be identical, floats bit for bit.
func TestWorkersAgree(t *testing.T) {
	db := openStore(t)
	writeTSBS(t, db, 12, 40*time.Minute)
	one := NewExecutor(db, &ExecutorOptions{Workers: 1})
	many := NewExecutor(db, &ExecutorOptions{Workers: 5})
	for _, q := range []string{
		"SELECT mean(usage_user), stddev(usage_system), median(usage_idle), percentile(usage_nice, 33) FROM cpu GROUP BY time(7m)",
		"SELECT mean(*) FROM cpu GROUP BY time(3m), region",
		"SELECT sum(usage_user), spread(usage_irq) FROM cpu WHERE usage_steal > 50.0 GROUP BY time(11m) fill(linear)",
		"SELECT distinct(usage_guest) FROM cpu WHERE usage_steal > 50.0 GROUP BY time(11m)",
		"SELECT first(usage_user), last(usage_user), min(usage_user), max(usage_user) FROM cpu GROUP BY datacenter",
		"SELECT * FROM cpu WHERE usage_user > 60.0 ORDER BY time DESC LIMIT 50",
		"SELECT usage_user, hostname FROM cpu WHERE time < '2016-01-01T00:10:00Z'",
		"SELECT * FROM cpu GROUP BY region ORDER BY time DESC LIMIT 3",
	} {
		// GROUP BY time without an upper bound ends at now().
		opts := Options{Now: func() time.Time { return tsbsStart.Add(time.Hour) }}
		a, b := runJSON(t, one, q, opts), runJSON(t, many, q, opts)
		if a != b {
			t.Errorf("%s:\n1 worker:  %.300s\n5 workers: %.300s", q, a, b)
		}
		if strings.Contains(a, `"error"`) || !strings.Contains(a, `"values"`) {
			t.Errorf("%s: %.300s", q, a)
		}
	}
}
