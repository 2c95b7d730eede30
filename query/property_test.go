package query

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// openStore opens a storage engine in a temporary directory with database
// "db".
func openStore(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	return db
}

func snapshot(t testing.TB, db *storage.DB) *StoreSnapshot {
	t.Helper()
	s, err := NewSnapshot(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// modelPoint is one stored value as the naive evaluator sees it.
type modelPoint struct {
	tags model.Tags
	t    int64
	f    model.FieldValue // field "f", float; invalid when absent
	i    model.FieldValue // field "i", integer; invalid when absent
}

// randomData writes random points of measurement "m" and returns them with
// overwrites applied (the last write of a series, time and field wins).
func randomData(t testing.TB, db *storage.DB, rng *rand.Rand) []modelPoint {
	hosts := []string{"h0", "h1", "h2", "h3", "h4"}
	base := int64(-30 * time.Minute) // straddles the epoch: negative times
	latest := map[string]*modelPoint{}
	var keys []string
	for batch := 0; batch < 6; batch++ {
		var pts []model.Point
		for n := 0; n < 400; n++ {
			var tags model.Tags
			tags = append(tags, model.Tag{Key: "host", Value: hosts[rng.IntN(len(hosts))]})
			if rng.IntN(3) > 0 {
				tags = append(tags, model.Tag{Key: "region", Value: fmt.Sprintf("r%d", rng.IntN(2))})
			}
			ts := base + rng.Int64N(int64(2*time.Hour))
			if rng.IntN(4) == 0 {
				ts -= ts % int64(time.Minute) // shared times across series
			}
			p := model.Point{Measurement: "m", Tags: tags, Time: ts}
			if rng.IntN(5) > 0 {
				p.Fields = append(p.Fields, model.Field{Key: "f", Value: model.Float(math.Round(rng.NormFloat64()*1000) / 8)})
			}
			if rng.IntN(5) > 0 || len(p.Fields) == 0 {
				p.Fields = append(p.Fields, model.Field{Key: "i", Value: model.Int(rng.Int64N(200) - 100)})
			}
			pts = append(pts, p)
			key := fmt.Sprintf("%s@%d", model.AppendSeriesKey(nil, "m", tags), ts)
			mp := latest[key]
			if mp == nil {
				mp = &modelPoint{tags: tags, t: ts}
				latest[key] = mp
				keys = append(keys, key)
			}
			for _, f := range p.Fields {
				if f.Key == "f" {
					mp.f = f.Value
				} else {
					mp.i = f.Value
				}
			}
		}
		if err := db.Write("db", "", pts); err != nil {
			t.Fatal(err)
		}
	}
	out := make([]modelPoint, 0, len(keys))
	for _, k := range keys {
		out = append(out, *latest[k])
	}
	return out
}

// naiveBucket computes the bucket start of t with exact arithmetic.
func naiveBucket(iv Interval, t int64) int64 {
	if iv.IsZero() {
		return MinTime
	}
	x := new(big.Int).Sub(big.NewInt(t), big.NewInt(iv.Offset))
	q := new(big.Int)
	m := new(big.Int)
	q.DivMod(x, big.NewInt(iv.Duration), m) // Euclidean: m >= 0
	x.Sub(x, m)
	x.Add(x, big.NewInt(iv.Offset))
	return x.Int64()
}

// naiveResult aggregates vals (with their times) the slow, obvious way. ok
// is false when there is no result.
func naiveResult(c Call, ts []int64, vals []model.FieldValue) (model.FieldValue, int64, bool) {
	n := len(vals)
	if n == 0 {
		return model.FieldValue{}, 0, false
	}
	typ := vals[0].Type()
	num := func(v model.FieldValue) float64 { f, _ := v.Number(); return f }
	idx := make([]int, n)
	for k := range idx {
		idx[k] = k
	}
	byValue := func() {
		sort.SliceStable(idx, func(a, b int) bool { return num(vals[idx[a]]) < num(vals[idx[b]]) })
	}
	switch c.Func {
	case aggregate.Count:
		return model.Int(int64(n)), 0, true
	case aggregate.Sum:
		if typ == model.TypeInteger {
			var s int64
			for _, v := range vals {
				s += v.IntV()
			}
			return model.Int(s), 0, true
		}
		var s float64
		for _, v := range vals {
			s += v.FloatV()
		}
		return model.Float(s), 0, true
	case aggregate.Mean:
		var s float64
		for _, v := range vals {
			s += num(v)
		}
		return model.Float(s / float64(n)), 0, true
	case aggregate.Min, aggregate.Max:
		best := 0
		for k := 1; k < n; k++ {
			a, b := num(vals[k]), num(vals[best])
			better := a < b
			if c.Func == aggregate.Max {
				better = a > b
			}
			if better || a == b && ts[k] < ts[best] {
				best = k
			}
		}
		return vals[best], ts[best], true
	case aggregate.First, aggregate.Last:
		best := 0
		for k := 1; k < n; k++ {
			earlier := ts[k] < ts[best]
			if c.Func == aggregate.Last {
				earlier = ts[k] > ts[best]
			}
			if earlier || ts[k] == ts[best] && num(vals[k]) > num(vals[best]) {
				best = k
			}
		}
		return vals[best], ts[best], true
	case aggregate.Spread:
		byValue()
		lo, hi := vals[idx[0]], vals[idx[n-1]]
		if typ == model.TypeInteger {
			return model.Int(hi.IntV() - lo.IntV()), 0, true
		}
		return model.Float(hi.FloatV() - lo.FloatV()), 0, true
	case aggregate.Stddev:
		if n < 2 {
			return model.FieldValue{}, 0, false
		}
		var s float64
		for _, v := range vals {
			s += num(v)
		}
		mean := s / float64(n)
		var sq float64
		for _, v := range vals {
			d := num(v) - mean
			sq += d * d
		}
		return model.Float(math.Sqrt(sq / float64(n-1))), 0, true
	case aggregate.Median:
		byValue()
		if n%2 == 1 {
			return model.Float(num(vals[idx[n/2]])), 0, true
		}
		return model.Float((num(vals[idx[n/2-1]]) + num(vals[idx[n/2]])) / 2), 0, true
	case aggregate.Percentile:
		byValue()
		rank := int(math.Floor(float64(n)*c.Percentile/100 + 0.5))
		if rank < 1 || rank > n {
			return model.FieldValue{}, 0, false
		}
		return vals[idx[rank-1]], 0, true
	case aggregate.Distinct:
		// Distinct by bits, as the aggregate package keeps -0 and +0 apart.
		set := map[uint64]bool{}
		for _, v := range vals {
			set[v.Bits()] = true
		}
		return model.Int(int64(len(set))), 0, true
	}
	panic("unknown function")
}

// naiveAggregate evaluates q over pts directly: every point is tested
// against the condition, grouped and bucketed.
type naiveGroup struct {
	tags  []string
	calls [][]naiveBucketResult
}

type naiveBucketResult struct {
	start int64
	ts    []int64
	vals  []model.FieldValue
}

func naiveAggregate(q *AggregateQuery, pts []modelPoint) []naiveGroup {
	groups := map[string]*naiveGroup{}
	var order []string
	for _, p := range pts {
		if !q.Range.Contains(p.t) {
			continue
		}
		r := &row{tags: p.tags, values: []model.FieldValue{p.f, p.i}, slots: map[string]int{"f": 0, "i": 1}}
		if q.Condition != nil && !truth(eval(q.Condition, r)) {
			continue
		}
		gt := make([]string, len(q.GroupBy))
		for k, key := range q.GroupBy {
			gt[k], _ = p.tags.Get(key)
		}
		gk := fmt.Sprint(gt)
		g := groups[gk]
		if g == nil {
			g = &naiveGroup{tags: gt, calls: make([][]naiveBucketResult, len(q.Calls))}
			groups[gk] = g
			order = append(order, gk)
		}
		start := naiveBucket(q.Interval, p.t)
		for ci, c := range q.Calls {
			v := r.field(c.Field)
			if !v.IsValid() {
				continue
			}
			bs := g.calls[ci]
			k := slices.IndexFunc(bs, func(b naiveBucketResult) bool { return b.start == start })
			if k < 0 {
				bs = append(bs, naiveBucketResult{start: start})
				k = len(bs) - 1
			}
			bs[k].ts = append(bs[k].ts, p.t)
			bs[k].vals = append(bs[k].vals, v)
			g.calls[ci] = bs
		}
	}
	var out []naiveGroup
	for _, k := range order {
		g := groups[k]
		has := false
		for _, bs := range g.calls {
			sort.Slice(bs, func(a, b int) bool { return bs[a].start < bs[b].start })
			has = has || len(bs) > 0
		}
		if has { // a group whose points lack the calls' fields has no result
			out = append(out, *g)
		}
	}
	sort.Slice(out, func(a, b int) bool { return slices.Compare(out[a].tags, out[b].tags) < 0 })
	return out
}

func randomCondition(rng *rand.Rand) Expr {
	hostEq := func() Expr {
		return bin(OpEq, tag("host"), lit(model.String(fmt.Sprintf("h%d", rng.IntN(5)))))
	}
	leaves := []func() Expr{
		hostEq,
		func() Expr { return bin(OpNeq, tag("host"), lit(model.String(fmt.Sprintf("h%d", rng.IntN(5))))) },
		func() Expr { return bin(OpMatch, tag("region"), &Regex{regexp.MustCompile("r[01]")}) },
		func() Expr { return bin(OpNotMatch, tag("region"), &Regex{regexp.MustCompile("1")}) },
		func() Expr { return bin(OpEq, tag("region"), lit(model.String(""))) },
		func() Expr { return bin(OpGt, field("f"), lit(model.Float(rng.NormFloat64()*100))) },
		func() Expr { return bin(OpLte, field("i"), lit(model.Int(rng.Int64N(200)-100))) },
	}
	var build func(depth int) Expr
	build = func(depth int) Expr {
		if depth == 0 || rng.IntN(3) == 0 {
			return leaves[rng.IntN(len(leaves))]()
		}
		op := OpAnd
		if rng.IntN(2) == 0 {
			op = OpOr
		}
		return bin(op, build(depth-1), build(depth-1))
	}
	switch rng.IntN(4) {
	case 0:
		return nil
	case 1: // TSBS's OR-ed hosts
		return bin(OpOr, hostEq(), hostEq())
	}
	return build(2)
}

func randomQuery(rng *rand.Rand) *AggregateQuery {
	q := &AggregateQuery{Database: "db", Measurement: "m", Range: Unbounded()}
	intervals := []time.Duration{0, time.Second, 7 * time.Second, time.Minute, 5 * time.Minute, 13 * time.Minute, time.Hour}
	d := intervals[rng.IntN(len(intervals))]
	if d > 0 {
		q.Interval = Interval{Duration: int64(d), Offset: rng.Int64N(int64(d))}
	}
	if rng.IntN(3) > 0 {
		q.Range.Min = int64(-40*time.Minute) + rng.Int64N(int64(time.Hour))
	}
	if rng.IntN(3) > 0 {
		q.Range.Max = q.Range.Min + rng.Int64N(int64(2*time.Hour))
		if q.Range.Min == MinTime {
			q.Range.Max = rng.Int64N(int64(time.Hour))
		}
	}
	q.Condition = randomCondition(rng)
	q.Sources = rng.IntN(2) == 0
	switch rng.IntN(4) {
	case 1:
		q.GroupBy = []string{"host"}
	case 2:
		q.GroupBy = []string{"host", "region"}
	case 3:
		q.GroupBy = []string{"region"}
	}
	funcs := []aggregate.Func{aggregate.Count, aggregate.Sum, aggregate.Mean, aggregate.Min, aggregate.Max,
		aggregate.First, aggregate.Last, aggregate.Spread, aggregate.Stddev, aggregate.Median,
		aggregate.Percentile, aggregate.Distinct}
	for n := 1 + rng.IntN(4); n > 0; n-- {
		c := Call{Func: funcs[rng.IntN(len(funcs))], Field: []string{"f", "i"}[rng.IntN(2)]}
		if c.Func == aggregate.Percentile {
			c.Percentile = float64(rng.IntN(101))
		}
		q.Calls = append(q.Calls, c)
	}
	return q
}

func describeQuery(q *AggregateQuery) string {
	return fmt.Sprintf("range %+v interval %+v cond %v group %v calls %+v", q.Range, q.Interval, q.Condition, q.GroupBy, q.Calls)
}

func closeEnough(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// TestAggregateProperty compares the engine's aggregates of random queries
// on random data with the naive evaluation of every point, and the engine
// on one worker with the engine on several: they must agree bit for bit.
func TestAggregateProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("seed %d", seed)
	db := openStore(t)
	pts := randomData(t, db, rng)
	snap := snapshot(t, db)
	one, many := NewEngine(1), NewEngine(4)
	ctx := context.Background()
	for n := 0; n < 150; n++ {
		q := randomQuery(rng)
		got, err := many.Aggregate(ctx, snap, q)
		if err != nil {
			t.Fatalf("%s: %v", describeQuery(q), err)
		}
		single, err := one.Aggregate(ctx, snap, q)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := dumpResult(got), dumpResult(single); a != b {
			t.Fatalf("%s: 4 workers and 1 worker differ:\n%s\n%s", describeQuery(q), a, b)
		}
		want := naiveAggregate(q, pts)
		compareAggregates(t, q, got, want)
		if q.Sources {
			checkSources(t, q, got, pts)
		}
		if t.Failed() {
			t.Fatalf("seed %d, query %d", seed, n)
		}
	}
}

// checkSources checks that the series each selector bucket names holds the
// selected point.
func checkSources(t *testing.T, q *AggregateQuery, r *AggregateResult, pts []modelPoint) {
	t.Helper()
	for _, g := range r.Groups {
		for ci, bs := range g.Calls {
			for _, b := range bs {
				sel, ok := b.State.(aggregate.Selector)
				if !ok {
					continue
				}
				ts, v, ok := sel.Selected()
				if !ok {
					continue
				}
				s := r.Series[b.Series]
				found := false
				for _, p := range pts {
					if p.t == ts && slices.Equal(p.tags, s.Tags) {
						fv := p.f
						if q.Calls[ci].Field == "i" {
							fv = p.i
						}
						found = fv.Equal(v)
						break
					}
				}
				if !found {
					t.Errorf("%s: call %d bucket %d selects %v at %d, but its series %s has no such point", describeQuery(q), ci, b.Start, v, ts, s.Key)
				}
			}
		}
	}
}

func dumpResult(r *AggregateResult) string {
	var sb strings.Builder
	for _, g := range r.Groups {
		fmt.Fprint(&sb, g.Tags, ":")
		for _, bs := range g.Calls {
			for _, b := range bs {
				v, ok := b.State.Result()
				fmt.Fprintf(&sb, " %d=%#v/%v", b.Start, v, ok)
				if sel, isSel := b.State.(aggregate.Selector); isSel {
					ts, _, _ := sel.Selected()
					fmt.Fprintf(&sb, "@%d", ts)
				}
			}
			sb.WriteString(" |")
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

func compareAggregates(t *testing.T, q *AggregateQuery, got *AggregateResult, want []naiveGroup) {
	t.Helper()
	// The engine lists every group with matching series, the naive
	// evaluator only those with points: compare groups with buckets.
	var gotGroups []AggregateGroup
	for _, g := range got.Groups {
		for _, bs := range g.Calls {
			if len(bs) > 0 {
				gotGroups = append(gotGroups, g)
				break
			}
		}
	}
	if len(gotGroups) != len(want) {
		t.Errorf("%s: %d groups, want %d", describeQuery(q), len(gotGroups), len(want))
		return
	}
	for gi, w := range want {
		g := gotGroups[gi]
		if !slices.Equal(g.Tags, w.tags) {
			t.Errorf("%s: group %d tags %v, want %v", describeQuery(q), gi, g.Tags, w.tags)
			return
		}
		for ci, c := range q.Calls {
			gb, wb := g.Calls[ci], w.calls[ci]
			if len(gb) != len(wb) {
				t.Errorf("%s: group %v call %d: %d buckets, want %d", describeQuery(q), w.tags, ci, len(gb), len(wb))
				return
			}
			for bi := range wb {
				if gb[bi].Start != wb[bi].start {
					t.Errorf("%s: group %v call %d bucket %d starts %d, want %d", describeQuery(q), w.tags, ci, bi, gb[bi].Start, wb[bi].start)
					return
				}
				wv, wts, wok := naiveResult(c, wb[bi].ts, wb[bi].vals)
				var gv model.FieldValue
				var gok bool
				if c.Func == aggregate.Distinct {
					n := gb[bi].State.(*aggregate.DistinctState).Len()
					gv, gok = model.Int(int64(n)), n > 0
				} else {
					gv, gok = gb[bi].State.Result()
				}
				if gok != wok {
					t.Errorf("%s: group %v call %s bucket %d: ok %v, want %v", describeQuery(q), w.tags, c.Func, gb[bi].Start, gok, wok)
					return
				}
				if !wok {
					continue
				}
				gf, _ := gv.Number()
				wf, _ := wv.Number()
				if gv.Type() != wv.Type() || !closeEnough(gf, wf) {
					t.Errorf("%s: group %v call %s(%s) bucket %d: %#v, want %#v", describeQuery(q), w.tags, c.Func, c.Field, gb[bi].Start, gv, wv)
					return
				}
				if c.Func == aggregate.Min || c.Func == aggregate.Max || c.Func == aggregate.First || c.Func == aggregate.Last {
					ts, _, _ := gb[bi].State.(aggregate.Selector).Selected()
					if ts != wts {
						t.Errorf("%s: group %v call %s bucket %d: selected time %d, want %d", describeQuery(q), w.tags, c.Func, gb[bi].Start, ts, wts)
						return
					}
				}
			}
		}
	}
}

// TestRawProperty compares the engine's raw reads of random queries, newest
// first with limits too, with the naive evaluation of every point. The data
// spans several partitions with gaps, so that reading backwards in windows
// crosses partitions and empty stretches.
func TestRawProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 11))
	t.Logf("seed %d", seed)
	db := openStore(t)
	day := int64(24 * time.Hour)
	var pts []modelPoint
	var batch []model.Point
	for h := 0; h < 4; h++ {
		tags := model.Tags{{Key: "host", Value: fmt.Sprintf("h%d", h)}}
		// Bursts of points on some days, sparse points on others.
		for d := int64(-2); d < 5; d++ {
			if rng.IntN(4) == 0 {
				continue
			}
			n, spread := 1+rng.IntN(300), day
			if rng.IntN(2) == 0 {
				spread = int64(time.Minute) * int64(1+rng.IntN(30))
			}
			base := d*day + rng.Int64N(day-spread+1)
			seen := map[int64]bool{}
			for k := 0; k < n; k++ {
				ts := base + rng.Int64N(spread)
				if seen[ts] {
					continue
				}
				seen[ts] = true
				mp := modelPoint{tags: tags, t: ts}
				p := model.Point{Measurement: "m", Tags: tags, Time: ts}
				if rng.IntN(4) > 0 {
					mp.f = model.Float(float64(rng.IntN(100)))
					p.Fields = append(p.Fields, model.Field{Key: "f", Value: mp.f})
				}
				if rng.IntN(4) > 0 || len(p.Fields) == 0 {
					mp.i = model.Int(rng.Int64N(100))
					p.Fields = append(p.Fields, model.Field{Key: "i", Value: mp.i})
				}
				pts = append(pts, mp)
				batch = append(batch, p)
			}
		}
	}
	if err := db.Write("db", "", batch); err != nil {
		t.Fatal(err)
	}
	if parts, _ := db.Partitions("db", ""); len(parts) < 3 {
		t.Fatalf("the data is in %d partitions, want several", len(parts))
	}
	snap := snapshot(t, db)
	e := NewEngine(3)
	for n := 0; n < 200; n++ {
		if n == 100 {
			// The second half reads compacted chunks instead of recent
			// blocks (newest points from chunk headers).
			if err := db.Compact(context.Background()); err != nil {
				t.Fatal(err)
			}
			snap = snapshot(t, db)
		}
		q := &RawQuery{Database: "db", Measurement: "m", Range: Unbounded(), Descending: rng.IntN(3) > 0}
		if rng.IntN(2) == 0 {
			q.Range.Min = -3*day + rng.Int64N(8*day)
		}
		if rng.IntN(2) == 0 {
			q.Range.Max = -3*day + rng.Int64N(8*day)
		}
		if rng.IntN(3) > 0 {
			q.Limit = 1 + rng.IntN(50)
		}
		switch rng.IntN(4) {
		case 0:
			q.Fields = []string{"f"}
		case 1:
			q.Fields = []string{"i", "f"}
		default:
			q.Fields = []string{"i"}
		}
		switch rng.IntN(3) {
		case 0:
			q.Condition = bin(OpGt, field("f"), lit(model.Float(float64(rng.IntN(100)))))
		case 1:
			q.Condition = bin(OpOr, bin(OpEq, tag("host"), lit(model.String("h1"))), bin(OpLt, field("i"), lit(model.Int(30))))
		}
		if rng.IntN(2) == 0 {
			q.GroupBy = []string{"host"}
		}
		if q.Limit > 0 && q.Condition == nil && rng.IntN(2) == 0 {
			q.AloneLimit = 1 + rng.IntN(3)
		}
		got, err := e.Raw(context.Background(), snap, q)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveRaw(q, pts)
		if g, w := dumpRaw(got), dumpRaw(want); g != w {
			t.Fatalf("seed %d query %d %+v cond %v:\ngot  %s\nwant %s", seed, n, *q, q.Condition, g, w)
		}
	}
}

// naiveRaw evaluates a raw query point by point.
func naiveRaw(q *RawQuery, pts []modelPoint) *RawResult {
	bySeries := map[string]*RawSeries{}
	var keys []string
	for _, p := range pts {
		if !q.Range.Contains(p.t) {
			continue
		}
		r := &row{tags: p.tags, values: []model.FieldValue{p.f, p.i}, slots: map[string]int{"f": 0, "i": 1}}
		has := false
		var vals []model.FieldValue
		for _, f := range q.Fields {
			v := r.field(f)
			has = has || v.IsValid()
			vals = append(vals, v)
		}
		if !has || q.Condition != nil && !truth(eval(q.Condition, r)) {
			continue
		}
		key := string(model.AppendSeriesKey(nil, "m", p.tags))
		s := bySeries[key]
		if s == nil {
			s = &RawSeries{Key: key, Tags: p.tags}
			bySeries[key] = s
			keys = append(keys, key)
		}
		s.Times = append(s.Times, p.t)
		s.Values = append(s.Values, vals...)
	}
	sort.Strings(keys)
	// Without a condition every series of a group is read: count them to
	// tell the series alone in their group.
	groupSize := map[string]int{}
	groupOf := func(tags model.Tags) string {
		var gt []string
		for _, key := range q.GroupBy {
			v, _ := tags.Get(key)
			gt = append(gt, v)
		}
		return strings.Join(gt, "\x00")
	}
	seen := map[string]bool{}
	for _, p := range pts {
		key := string(model.AppendSeriesKey(nil, "m", p.tags))
		if !seen[key] {
			seen[key] = true
			groupSize[groupOf(p.tags)]++
		}
	}
	res := &RawResult{}
	for _, k := range keys {
		s := bySeries[k]
		limit := q.Limit
		if q.AloneLimit > 0 && q.Limit > 0 && groupSize[groupOf(s.Tags)] == 1 {
			limit = q.AloneLimit
		}
		// Sort the series' points by time.
		idx := make([]int, s.Len())
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return s.Times[idx[a]] < s.Times[idx[b]] })
		if q.Descending {
			slices.Reverse(idx)
		}
		if limit > 0 && len(idx) > limit {
			idx = idx[:limit]
		}
		out := RawSeries{Key: s.Key, Tags: s.Tags}
		for _, i := range idx {
			out.Times = append(out.Times, s.Times[i])
			out.Values = append(out.Values, s.Values[i*len(q.Fields):(i+1)*len(q.Fields)]...)
		}
		var gt []string
		for _, key := range q.GroupBy {
			v, _ := s.Tags.Get(key)
			gt = append(gt, v)
		}
		if n := len(res.Groups); n == 0 || !slices.Equal(res.Groups[n-1].Tags, gt) {
			res.Groups = append(res.Groups, RawGroup{Tags: gt})
		}
		g := &res.Groups[len(res.Groups)-1]
		g.Series = append(g.Series, out)
	}
	return res
}

func dumpRaw(r *RawResult) string {
	var sb strings.Builder
	for _, g := range r.Groups {
		fmt.Fprint(&sb, g.Tags, "{")
		for _, s := range g.Series {
			fmt.Fprintf(&sb, "%s:", s.Key)
			for i, tm := range s.Times {
				fmt.Fprintf(&sb, " %d=%v", tm, s.Values[i*(len(s.Values)/max(1, s.Len())):(i+1)*(len(s.Values)/max(1, s.Len()))])
			}
			sb.WriteString("; ")
		}
		sb.WriteString("} ")
	}
	return sb.String()
}
