package continuous

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// mkey names a measurement of a retention policy.
type mkey struct{ db, rp, m string }

func (k mkey) String() string { return fmt.Sprintf("%s.%s.%s", k.db, k.rp, k.m) }

// output is one aggregation of a compiled definition.
type output struct {
	name  string // output field
	input string // source field
	fn    aggregate.Func
}

// agg is a registered aggregate: its compiled definition and its runtime
// state.
type agg struct {
	// Set by compile, never changed.
	id       uint32
	def      Definition // normalized, retention policies resolved, as registered
	interval int64
	offset   int64
	groupBy  []string // sorted; nil with groupAll
	groupAll bool
	filter   storage.TagFilter // nil matches every series
	outputs  []output
	inputs   []string // distinct source fields, in first-use order
	src, tgt mkey

	// cur is the current definition: def with the settings that may change
	// later (Enabled, Every, For, Lag, Query).
	cur atomic.Pointer[Definition]
	// markBelow is the time before which a write of the source is late and
	// marks its bucket dirty: the watermark, or a higher one a running
	// refresh is about to commit. The observer reads it without locks.
	markBelow atomic.Int64
	// srcRetention is how long source data is kept (ns, 0 forever); buckets
	// older are frozen.
	srcRetention atomic.Int64
	// work is set when dirty markers may wait.
	work atomic.Bool

	// refresh serializes refreshes of the aggregate with each other and
	// with Unregister.
	refresh sync.Mutex

	mu struct {
		sync.Mutex
		watermark     int64 // committed: buckets before it are materialized
		retained      int64 // committed: buckets before it were removed by Retention
		lastProcessed time.Time
		dropped       bool
		status        Status
	}
}

// compile checks a normalized definition against nothing but itself and
// builds its aggregate.
func compile(id uint32, d Definition) (*agg, error) {
	a := &agg{id: id, def: d, interval: int64(d.Interval), offset: int64(d.Offset)}
	a.groupAll = len(d.GroupBy) == 1 && d.GroupBy[0] == "*"
	if !a.groupAll {
		a.groupBy = d.GroupBy
	}
	if d.Filter != "" {
		f, err := parseFilter(d.Filter)
		if err != nil {
			return nil, invalid(d.Name, "filter: %v", err)
		}
		a.filter = f
	}
	for _, f := range d.Fields {
		fn, err := aggregate.ParseFunc(f.Function)
		if err != nil {
			return nil, invalid(d.Name, "%v", err)
		}
		a.outputs = append(a.outputs, output{name: f.As, input: f.Field, fn: fn})
		if !slices.Contains(a.inputs, f.Field) {
			a.inputs = append(a.inputs, f.Field)
		}
	}
	tgtRP := d.TargetRetentionPolicy
	if tgtRP == "" {
		tgtRP = d.RetentionPolicy
	}
	a.src = mkey{d.Database, d.RetentionPolicy, d.Source}
	a.tgt = mkey{d.Database, tgtRP, d.Target}
	a.setCurrent(d)
	a.mu.watermark, a.mu.retained = unset, unset
	a.markBelow.Store(unset)
	return a, nil
}

// setCurrent stores the current definition.
func (a *agg) setCurrent(d Definition) {
	d.GroupBy = slices.Clone(d.GroupBy)
	d.Fields = slices.Clone(d.Fields)
	a.cur.Store(&d)
}

// bucket returns the start of the bucket holding t.
func (a *agg) bucket(t int64) int64 {
	d := t - a.offset
	q := d / a.interval
	if d%a.interval < 0 {
		q--
	}
	return q*a.interval + a.offset
}

// bucketUp returns the start of the first bucket starting at or after t.
func (a *agg) bucketUp(t int64) int64 {
	b := a.bucket(t)
	if b < t {
		b += a.interval
	}
	return b
}

// closedBefore returns the end of the closed buckets at now: buckets
// starting before it end at or before now - Lag.
func (a *agg) closedBefore(now time.Time) int64 {
	return a.bucket(now.UnixNano() - int64(a.cur.Load().Lag))
}

// frozenBefore returns the start of the oldest bucket whose source data is
// still complete: buckets starting before it may have lost data to the
// source's retention, so they are never recomputed (and deletes there do
// not dirty them).
func (a *agg) frozenBefore(now int64, srcRet func(database, rp, measurement string) time.Duration) int64 {
	r := a.srcRetention.Load()
	if srcRet != nil {
		if m := int64(srcRet(a.src.db, a.src.rp, a.src.m)); m > 0 && (r <= 0 || m < r) {
			r = m
		}
	}
	if r <= 0 {
		return math.MinInt64
	}
	return a.bucketUp(now - r)
}

// retainFrom returns the start of the oldest bucket the target keeps.
func (a *agg) retainFrom(now int64) int64 {
	if a.def.Retention <= 0 {
		return math.MinInt64
	}
	return a.bucket(now - int64(a.def.Retention))
}

// appendGroup appends the group key of a series' tags.
func (a *agg) appendGroup(dst []byte, tags model.Tags) []byte {
	return appendGroupTags(dst, tags, a.groupBy, a.groupAll)
}

// groupFilter returns a filter matching the source series of a group.
func (a *agg) groupFilter(group string) (storage.TagFilter, error) {
	tags, err := groupTags(group)
	if err != nil {
		return nil, err
	}
	var f storage.And
	if a.groupAll {
		f = append(f, seriesFilter(tags))
	} else {
		for _, t := range tags {
			f = append(f, storage.TagEq{Key: t.Key, Value: t.Value})
		}
		for _, k := range a.groupBy {
			if _, ok := tags.Get(k); !ok {
				f = append(f, storage.TagEq{Key: k, Value: ""})
			}
		}
	}
	if a.filter != nil {
		f = append(f, a.filter)
	}
	return f, nil
}

// readsField reports whether the aggregate reads a field of a point.
func (a *agg) readsField(fields []model.Field) bool {
	for _, f := range fields {
		if slices.Contains(a.inputs, f.Key) {
			return true
		}
	}
	return false
}

func (a *agg) watermark() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mu.watermark
}

func (a *agg) retained() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mu.retained
}

// setWatermark records a committed watermark and retention horizon.
func (a *agg) setWatermark(w, retained int64) {
	a.mu.Lock()
	a.mu.watermark, a.mu.retained = w, retained
	a.mu.Unlock()
	for {
		m := a.markBelow.Load()
		if m >= w || a.markBelow.CompareAndSwap(m, w) {
			return
		}
	}
}

// raiseMarkBelow makes writes before t late from now on.
func (a *agg) raiseMarkBelow(t int64) {
	for {
		m := a.markBelow.Load()
		if m >= t || a.markBelow.CompareAndSwap(m, t) {
			return
		}
	}
}

// binding ties an aggregate whose source is another aggregate's target to
// that lower level.
type binding struct {
	lower *agg
	// merge holds, per output, the index of the lower level's output whose
	// partial states are merged, or -1 when the output folds the lower
	// level's final values like any source field.
	merge []int
	// nested is set when every lower bucket lies in one bucket.
	nested bool
}

// catalog is an immutable view of the registered aggregates. A new one
// replaces it on every registry change.
type catalog struct {
	byName   map[string]*agg
	bySource map[mkey][]*agg
	byDBRP   map[[2]string][]*agg // by the source's database and retention policy
	byTarget map[mkey]*agg
	lower    map[*agg]*binding
	order    []*agg // lower levels before the levels reading them, then by name
}

// buildCatalog indexes aggs and checks that targets are unique and that no
// aggregate depends on itself. Problems involving focus, an aggregate being
// registered, name it.
func buildCatalog(aggs []*agg, focus *agg) (*catalog, error) {
	c := &catalog{
		byName:   map[string]*agg{},
		bySource: map[mkey][]*agg{},
		byDBRP:   map[[2]string][]*agg{},
		byTarget: map[mkey]*agg{},
		lower:    map[*agg]*binding{},
	}
	slices.SortFunc(aggs, func(x, y *agg) int {
		switch {
		case x == focus:
			return -1
		case y == focus:
			return 1
		case x.def.Name < y.def.Name:
			return -1
		case x.def.Name > y.def.Name:
			return 1
		}
		return 0
	})
	for _, a := range aggs {
		c.byName[a.def.Name] = a
		c.bySource[a.src] = append(c.bySource[a.src], a)
		k := [2]string{a.src.db, a.src.rp}
		c.byDBRP[k] = append(c.byDBRP[k], a)
		if o := c.byTarget[a.tgt]; o != nil {
			return nil, invalid(o.def.Name, "target %s is written by the continuous aggregate %q too", a.tgt, a.def.Name)
		}
		c.byTarget[a.tgt] = a
	}
	for _, a := range aggs {
		if a.src == a.tgt {
			return nil, invalid(a.def.Name, "target %q is the source", a.def.Target)
		}
		if l := c.byTarget[a.src]; l != nil {
			c.lower[a] = bind(a, l)
		}
	}
	// Each aggregate reads at most one lower level: walking down from any
	// aggregate either ends or comes back (a cycle).
	for _, a := range aggs {
		seen := map[*agg]bool{a: true}
		path := []string{a.def.Name}
		for b := c.lower[a]; b != nil; b = c.lower[b.lower] {
			path = append(path, b.lower.def.Name)
			if seen[b.lower] {
				return nil, invalid(a.def.Name, "dependency cycle between continuous aggregates: %s", joinArrow(path))
			}
			seen[b.lower] = true
		}
	}
	slices.SortFunc(aggs, func(x, y *agg) int { return strings.Compare(x.def.Name, y.def.Name) })
	done := map[*agg]bool{}
	var visit func(a *agg)
	visit = func(a *agg) {
		if done[a] {
			return
		}
		done[a] = true
		if b := c.lower[a]; b != nil {
			visit(b.lower)
		}
		c.order = append(c.order, a)
	}
	for _, a := range aggs {
		visit(a)
	}
	return c, nil
}

func joinArrow(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += " -> "
		}
		s += fmt.Sprintf("%q", n)
	}
	return s
}

// bind decides how a reads its lower level l: an output whose source field
// is an output of l with the same function merges l's partial states, so a
// mean over a mean is the mean of the raw values; other outputs fold l's
// final values.
func bind(a, l *agg) *binding {
	b := &binding{lower: l, merge: make([]int, len(a.outputs))}
	b.nested = a.interval%l.interval == 0 && (a.offset-l.offset)%l.interval == 0
	for i, o := range a.outputs {
		b.merge[i] = -1
		if !b.nested {
			continue
		}
		for j, lo := range l.outputs {
			if lo.name == o.input && lo.fn == o.fn {
				b.merge[i] = j
			}
		}
	}
	return b
}

// without returns the aggregates of c other than name.
func (c *catalog) without(name string) []*agg {
	var out []*agg
	for n, a := range c.byName {
		if n != name {
			out = append(out, a)
		}
	}
	return out
}
