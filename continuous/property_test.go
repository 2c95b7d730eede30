package continuous

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// The property test writes random points — in order, late, out of order,
// overwriting — and deletes random ranges of a source measurement,
// interleaved with refreshes of several aggregates (all seven functions,
// group by tags, by all tags, a filter, an offset, and a second level over
// the first), reopening the engine now and then. After every refresh the
// materialized buckets of the refreshed aggregates must equal a
// from-scratch computation over an in-memory model of the source.

const sec = int64(time.Second)

// propertyDefs are the aggregates of the property test.
func propertyDefs() []Definition {
	f := func(field, fn string) Field { return Field{Field: field, Function: fn} }
	return []Definition{
		{Name: "ten", Database: "db", Source: "m", Target: "m_10s", Interval: Duration(10 * time.Second),
			GroupBy: []string{"host"}, Enabled: true, Fields: []Field{
				f("f", "count"), f("f", "sum"), f("f", "mean"), f("f", "min"), f("f", "max"), f("f", "first"), f("f", "last"),
				f("i", "sum"), f("i", "min"), f("i", "max"), f("i", "mean"),
				f("s", "count"), f("s", "first"), f("s", "last"),
				f("b", "max"), f("b", "first"), f("b", "count"),
			}},
		{Name: "seven", Database: "db", Source: "m", Target: "m_7s", Interval: Duration(7 * time.Second),
			Offset: Duration(3 * time.Second), GroupBy: []string{"dc"}, Filter: "host != 'c'", Enabled: true,
			Fields: []Field{{Field: "i", Function: "mean", As: "im"}, f("f", "max"), f("b", "min"), f("s", "last")}},
		{Name: "minute", Database: "db", Source: "m_10s", Target: "m_1m", Interval: Duration(time.Minute), Enabled: true,
			Fields: []Field{
				{Field: "f_mean", Function: "mean"}, {Field: "f_max", Function: "max"}, {Field: "f_min", Function: "min"},
				{Field: "f_count", Function: "count"}, {Field: "f_sum", Function: "sum"},
				{Field: "f_first", Function: "first"}, {Field: "f_last", Function: "last"},
				{Field: "i_sum", Function: "sum"}, {Field: "s_last", Function: "last"},
				{Field: "f_mean", Function: "min", As: "min_of_means"},
				{Field: "s_count", Function: "sum", As: "s_total"},
			}},
		{Name: "all", Database: "db", Source: "m", Target: "m_all", Interval: Duration(20 * time.Second),
			GroupBy: []string{"*"}, Filter: "dc = 'x' OR host = 'a'", Enabled: true,
			Fields: []Field{f("f", "count"), f("s", "last"), f("i", "first")}},
	}
}

// model is the source data: series key → field → time → value.
type srcModel struct {
	series map[string]*modelSeries
}

type modelSeries struct {
	tags   model.Tags
	fields map[string]map[int64]model.FieldValue
}

func (m *srcModel) write(pts []model.Point) {
	for _, p := range pts {
		k := string(model.AppendSeriesKey(nil, p.Measurement, p.Tags))
		s := m.series[k]
		if s == nil {
			s = &modelSeries{tags: p.Tags, fields: map[string]map[int64]model.FieldValue{}}
			m.series[k] = s
		}
		for _, f := range p.Fields {
			if s.fields[f.Key] == nil {
				s.fields[f.Key] = map[int64]model.FieldValue{}
			}
			s.fields[f.Key][p.Time] = f.Value
		}
	}
}

func (m *srcModel) delete(filter storage.TagFilter, lo, hi int64) {
	for k, s := range m.series {
		if filter != nil && !filter.Match(s.tags) {
			continue
		}
		if lo == math.MinInt64 && hi == math.MaxInt64 {
			delete(m.series, k)
			continue
		}
		for _, vals := range s.fields {
			for ts := range vals {
				if ts >= lo && ts <= hi {
					delete(vals, ts)
				}
			}
		}
	}
}

// row is one point of a reference input: tags, time and fields.
type row struct {
	tags   model.Tags
	t      int64
	fields map[string]model.FieldValue
}

func (m *srcModel) rows() []row {
	var out []row
	for _, s := range m.series {
		byTime := map[int64]map[string]model.FieldValue{}
		for f, vals := range s.fields {
			for ts, v := range vals {
				if byTime[ts] == nil {
					byTime[ts] = map[string]model.FieldValue{}
				}
				byTime[ts][f] = v
			}
		}
		for ts, fs := range byTime {
			out = append(out, row{tags: s.tags, t: ts, fields: fs})
		}
	}
	return out
}

// refBucket is the reference output of one group and bucket.
type refBucket struct {
	tags   model.Tags
	t      int64
	states map[string]aggregate.State // output → state
}

// reference computes d over rows from scratch: rows are sorted by time so
// that every state sees its values in time order, independently of how
// the engine splits and merges them.
func reference(d Definition, rows []row, outputs []Field) map[string]*refBucket {
	n, err := d.normalized()
	if err != nil {
		panic(err)
	}
	if outputs == nil {
		outputs = n.Fields
	}
	var filter storage.TagFilter
	if n.Filter != "" {
		if filter, err = parseFilter(n.Filter); err != nil {
			panic(err)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].t < rows[j].t })
	iv, off := int64(n.Interval), int64(n.Offset)
	out := map[string]*refBucket{}
	for _, r := range rows {
		if filter != nil && !filter.Match(r.tags) {
			continue
		}
		var tags model.Tags
		for _, t := range r.tags {
			if t.Value != "" && (slices.Contains(n.GroupBy, "*") || slices.Contains(n.GroupBy, t.Key)) {
				tags = append(tags, t)
			}
		}
		b := int64(math.Floor(float64(r.t-off)/float64(iv)))*iv + off
		key := fmt.Sprintf("%s@%d", model.AppendSeriesKey(nil, n.Target, tags), b)
		for _, o := range outputs {
			fn, _ := aggregate.ParseFunc(o.Function)
			v, ok := r.fields[o.Field]
			if !ok || !fn.Accepts(v.Type()) {
				continue
			}
			rb := out[key]
			if rb == nil {
				rb = &refBucket{tags: tags, t: b, states: map[string]aggregate.State{}}
				out[key] = rb
			}
			as := o.As
			if as == "" {
				as = o.Field + "_" + fn.String()
			}
			st := rb.states[as]
			if st == nil {
				st = aggregate.New(fn, v.Type())
				rb.states[as] = st
			}
			st.Add(r.t, v)
		}
	}
	return out
}

// lines renders reference buckets as the dump of their target would,
// keeping buckets in [from, before).
func lines(target string, buckets map[string]*refBucket, from, before int64) []string {
	var out []string
	for _, rb := range buckets {
		if rb.t < from || rb.t >= before {
			continue
		}
		var fields []model.Field
		for name, st := range rb.states {
			if v, ok := st.Result(); ok {
				fields = append(fields, model.Field{Key: name, Value: v})
			}
		}
		if len(fields) == 0 {
			continue
		}
		slices.SortFunc(fields, func(a, b model.Field) int { return strings.Compare(a.Key, b.Key) })
		p := model.Point{Measurement: target, Tags: rb.tags, Fields: fields, Time: rb.t / sec}
		out = append(out, strings.TrimSpace(string(model.AppendLine(nil, &p))))
	}
	sort.Strings(out)
	return out
}

// expected returns the reference lines of every aggregate over the model:
// the second level merges the first level's states where the engine does
// (the same function over an output of "ten": computed over the raw
// values) and reads its final values elsewhere.
func expected(defs map[string]Definition, m *srcModel, horizon map[string][2]int64) map[string][]string {
	raw := m.rows()
	out := map[string][]string{}
	var tenRef map[string]*refBucket
	for _, name := range []string{"ten", "seven", "all"} {
		d := defs[name]
		ref := reference(d, raw, nil)
		if name == "ten" {
			tenRef = ref
		}
		out[name] = lines(d.Target, ref, horizon[name][0], horizon[name][1])
	}
	// The second level.
	ten, _ := defs["ten"].normalized()
	minute, _ := defs["minute"].normalized()
	var merged, folded []Field
	for _, o := range minute.Fields {
		isMerged := false
		for _, lo := range ten.Fields {
			if lo.As == o.Field && lo.Function == o.Function {
				// Over the raw field the lower output reads.
				merged = append(merged, Field{Field: lo.Field, Function: o.Function, As: o.As})
				isMerged = true
			}
		}
		if !isMerged {
			folded = append(folded, o)
		}
	}
	// Raw rows with the first level's group tags only.
	var mapped []row
	for _, r := range raw {
		var tags model.Tags
		for _, t := range r.tags {
			if slices.Contains(ten.GroupBy, t.Key) {
				tags = append(tags, t)
			}
		}
		mapped = append(mapped, row{tags: tags, t: r.t, fields: r.fields})
	}
	// The first level's final values, as points of its target.
	var tenRows []row
	for _, rb := range tenRef {
		fs := map[string]model.FieldValue{}
		for name, st := range rb.states {
			if v, ok := st.Result(); ok {
				fs[name] = v
			}
		}
		tenRows = append(tenRows, row{tags: rb.tags, t: rb.t, fields: fs})
	}
	a := reference(minute, mapped, merged)
	b := reference(minute, tenRows, folded)
	for k, rb := range b {
		if x := a[k]; x != nil {
			for n, st := range rb.states {
				x.states[n] = st
			}
		} else {
			a[k] = rb
		}
	}
	out["minute"] = lines(minute.Target, a, horizon["minute"][0], horizon["minute"][1])
	return out
}

func TestPropertyRefreshEqualsRecompute(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runProperty(t, uint64(seed), 250) })
	}
}

func runProperty(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	db, _ := testDB(t, nil)
	opts := &Options{MaxBatchBuckets: 1 + rng.IntN(40)}
	e := testEngine(t, db, opts)
	defs := map[string]Definition{}
	for _, d := range propertyDefs() {
		defs[d.Name] = d
		if err := e.Register(d); err != nil {
			t.Fatal(err)
		}
	}
	m := &srcModel{series: map[string]*modelSeries{}}
	hosts, dcs := []string{"a", "b", "c"}, []string{"x", "y", ""}
	now := int64(0)
	var log []string
	logf := func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	defer func() {
		if t.Failed() {
			t.Logf("seed %d, operations:\n%s", seed, strings.Join(log, "\n"))
		}
	}()
	point := func(ts int64) model.Point {
		tags := model.Tags{{Key: "host", Value: hosts[rng.IntN(len(hosts))]}}
		if dc := dcs[rng.IntN(len(dcs))]; dc != "" {
			tags = append(model.Tags{{Key: "dc", Value: dc}}, tags...)
		}
		var fields []model.Field
		for len(fields) == 0 {
			if rng.IntN(3) > 0 {
				fields = append(fields, model.Field{Key: "f", Value: model.Float(float64(rng.IntN(81)-40) / 4)})
			}
			if rng.IntN(2) == 0 {
				fields = append(fields, model.Field{Key: "i", Value: model.Int(int64(rng.IntN(100)))})
			}
			if rng.IntN(3) == 0 {
				fields = append(fields, model.Field{Key: "s", Value: model.String(fmt.Sprint("v", rng.IntN(5)))})
			}
			if rng.IntN(3) == 0 {
				fields = append(fields, model.Field{Key: "b", Value: model.Bool(rng.IntN(2) == 0)})
			}
		}
		return model.Point{Measurement: "m", Tags: tags, Fields: fields, Time: ts}
	}
	check := func(names ...string) {
		t.Helper()
		horizon := map[string][2]int64{}
		for name := range defs {
			a := e.cat.Load().byName[name]
			w := a.watermark()
			if w == unset {
				w = math.MinInt64
			}
			horizon[name] = [2]int64{math.MinInt64, w}
		}
		want := expected(defs, m, horizon)
		for _, name := range names {
			got := dump(t, db, "", defs[name].Target, time.Second)
			if !slices.Equal(got, want[name]) {
				t.Fatalf("%s after %d operations, watermark %d:\ngot\n\t%s\nwant\n\t%s", name, len(log), horizon[name][1],
					strings.Join(got, "\n\t"), strings.Join(want[name], "\n\t"))
			}
		}
	}
	// checkQuery compares the real-time answer of an aggregate just
	// refreshed with the reference over all data.
	checkQuery := func(name string) {
		t.Helper()
		horizon := map[string][2]int64{}
		for n := range defs {
			horizon[n] = [2]int64{math.MinInt64, math.MaxInt64}
		}
		want := expected(defs, m, horizon)[name]
		res, err := e.Query(context.Background(), name, time.Time{}, time.Unix(0, now+int64(time.Hour)), true)
		if err != nil {
			t.Fatal(err)
		}
		if got := resultLines(res); !slices.Equal(got, want) {
			t.Fatalf("real-time query of %s after %d operations:\ngot\n\t%s\nwant\n\t%s", name, len(log),
				strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
	}
	names := []string{"ten", "seven", "minute", "all"}
	for range steps {
		now += int64(rng.IntN(8)) * sec
		switch op := rng.IntN(20); {
		case op < 9: // write
			var pts []model.Point
			for range 1 + rng.IntN(6) {
				var ts int64
				switch rng.IntN(3) {
				case 0: // late, anywhere
					ts = int64(rng.IntN(int(now/sec)+1)) * sec
				case 1: // around now, out of order
					ts = now + int64(rng.IntN(11)-5)*sec
				default: // an overwrite of a recent time
					ts = max(0, now-int64(rng.IntN(30))*sec)
				}
				pts = append(pts, point(max(0, ts)))
			}
			if err := db.Write("db", "", pts); err != nil {
				if errorsIsConflict(err) {
					continue
				}
				t.Fatal(err)
			}
			m.write(pts)
			logf("write %d points at %v (now %d)", len(pts), times(pts), now/sec)
		case op < 11: // delete
			var filter storage.TagFilter
			switch rng.IntN(3) {
			case 0:
				filter = storage.TagEq{Key: "host", Value: hosts[rng.IntN(len(hosts))]}
			case 1:
				filter = storage.TagEq{Key: "dc", Value: dcs[rng.IntN(2)]}
			}
			lo := int64(rng.IntN(int(now/sec)+10)) * sec
			hi := lo + int64(rng.IntN(40))*sec
			if rng.IntN(10) == 0 {
				lo, hi = math.MinInt64, math.MaxInt64
			}
			if err := db.DeleteSeries("db", "", "m", filter, lo, hi); err != nil {
				t.Fatal(err)
			}
			m.delete(filter, lo, hi)
			logf("delete %v [%d, %d]", filter, lo/sec, hi/sec)
		case op < 18: // refresh
			name := names[rng.IntN(len(names))]
			st, err := e.Refresh(context.Background(), name, time.Unix(0, now))
			if err != nil {
				t.Fatal(err)
			}
			logf("refresh %s at %d: %+v", name, now/sec, st)
			check(name)
			checkQuery(name)
		case op == 18: // backfill
			name := names[rng.IntN(len(names))]
			lo := int64(rng.IntN(int(now/sec)+1)) * sec
			e.clock = func() time.Time { return time.Unix(0, now) }
			if _, err := e.RefreshRange(context.Background(), name, time.Unix(0, lo), time.Unix(0, lo+int64(rng.IntN(120)+1)*sec)); err != nil {
				t.Fatal(err)
			}
			logf("refresh range %s from %d", name, lo/sec)
			check(name)
		default: // reopen
			e.Close()
			var err error
			if e, err = Open(db, opts); err != nil {
				t.Fatal(err)
			}
			logf("reopen")
		}
	}
	now += 10 * int64(time.Minute)
	for _, name := range names {
		refresh(t, e, name, time.Unix(0, now))
	}
	check(names...)
}

func times(pts []model.Point) []int64 {
	var out []int64
	for _, p := range pts {
		out = append(out, p.Time/sec)
	}
	return out
}

func errorsIsConflict(err error) bool {
	var fe *storage.FieldTypeConflictError
	return errorsAs(err, &fe)
}

// resultLines renders a query result as line protocol, like dump.
func resultLines(res *Result) []string {
	var out []string
	for _, s := range res.Series {
		var tags model.Tags
		for k, v := range s.Tags {
			tags = append(tags, model.Tag{Key: k, Value: v})
		}
		tags.Sort()
		for _, row := range s.Values {
			var fields []model.Field
			for i, v := range row[1:] {
				if v == nil {
					continue
				}
				var fv model.FieldValue
				switch v := v.(type) {
				case float64:
					fv = model.Float(v)
				case int64:
					fv = model.Int(v)
				case uint64:
					fv = model.Uint(v)
				case string:
					fv = model.String(v)
				case bool:
					fv = model.Bool(v)
				}
				fields = append(fields, model.Field{Key: res.Columns[i+1], Value: fv})
			}
			slices.SortFunc(fields, func(a, b model.Field) int { return strings.Compare(a.Key, b.Key) })
			p := model.Point{Measurement: res.Name, Tags: tags, Fields: fields, Time: row[0].(time.Time).UnixNano() / sec}
			out = append(out, strings.TrimSpace(string(model.AppendLine(nil, &p))))
		}
	}
	sort.Strings(out)
	return out
}
