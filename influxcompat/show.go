package influxcompat

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/query"
	"github.com/accretedb/accrete/storage"
)

func (x *execution) showDatabases() error {
	r := &Row{Name: "databases", Columns: []string{"name"}}
	for _, d := range x.e.store.Databases() {
		r.Values = append(r.Values, []any{d.Name})
	}
	x.out.add(r)
	return nil
}

func (x *execution) showRetentionPolicies(s *influxql.ShowRetentionPoliciesStatement) error {
	db := s.Database
	if db == "" {
		db = x.opts.Database
	}
	if db == "" {
		return ErrDatabaseNameRequired
	}
	info, err := x.e.store.Database(db)
	if err != nil {
		if errors.Is(err, storage.ErrDatabaseNotFound) {
			return databaseNotFound(db)
		}
		return err
	}
	r := &Row{Columns: []string{"name", "duration", "shardGroupDuration", "replicaN", "default"}}
	for _, p := range info.RetentionPolicies {
		r.Values = append(r.Values, []any{p.Name, p.Duration.String(), p.ShardDuration.String(), int64(p.Replication), p.Default})
	}
	x.out.add(r)
	return nil
}

// metaScope is the database, retention policies and measurements a SHOW
// statement looks at, with its tag condition.
type metaScope struct {
	db   string
	rps  []string // every retention policy of the database
	cond influxql.Expr
	// tr limits the series to those with values in it, when it is
	// bounded.
	tr query.TimeRange
}

// scope resolves the database of a SHOW statement. InfluxDB 1.6 answers
// SHOW MEASUREMENTS on a database that does not exist with an empty result
// (found is false) and the other SHOW statements with an error; it rejects
// time conditions, which name (the statement's name) is for.
func (x *execution) scope(name, db string, cond influxql.Expr, missingIsEmpty bool) (sc metaScope, found bool, err error) {
	if db == "" {
		db = x.opts.Database
	}
	if db == "" {
		return sc, false, ErrDatabaseNameRequired
	}
	if name == "SHOW MEASUREMENTS" && influxql.HasTimeExpr(cond) {
		return sc, false, fmt.Errorf("%s doesn't support time in WHERE clause", name)
	}
	info, err := x.e.store.Database(db)
	if errors.Is(err, storage.ErrDatabaseNotFound) {
		if missingIsEmpty {
			return sc, false, nil
		}
		return sc, false, databaseNotFound(db)
	} else if err != nil {
		return sc, false, err
	}
	rest, tr, err := splitTime(cond, x.now, nil)
	if err != nil {
		return sc, false, err
	}
	if err := checkCondition(rest); err != nil {
		return sc, false, err
	}
	sc = metaScope{db: db, cond: rest, tr: tr}
	for _, p := range info.RetentionPolicies {
		sc.rps = append(sc.rps, p.Name)
	}
	return sc, true, nil
}

// measurements lists the measurements of the scope named by sources (all
// when there are none), sorted and without duplicates.
func (x *execution) measurements(sc metaScope, sources influxql.Sources) ([]string, error) {
	var all []string
	for _, rp := range sc.rps {
		ms, err := x.snap.Measurements(sc.db, rp)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	if len(sources) == 0 {
		return all, nil
	}
	var out []string
	for _, src := range sources {
		m, ok := src.(*influxql.Measurement)
		if !ok {
			return nil, errors.New("subqueries are not supported")
		}
		for _, name := range all {
			if m.Regex != nil && m.Regex.Val.MatchString(name) || m.Regex == nil && m.Name == name {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// series returns the series of a measurement in every retention policy of
// the scope that match its condition.
func (x *execution) series(sc metaScope, measurement string) ([]storage.Series, error) {
	var out []storage.Series
	for _, rp := range sc.rps {
		fields, err := x.snap.Fields(sc.db, rp, measurement)
		if err != nil {
			return nil, err
		}
		fs := fieldSet{}
		for _, f := range fields {
			fs[f.Name] = f.Type
		}
		cond, err := convertCond(sc.cond, fs)
		if err != nil {
			return nil, err
		}
		ss, err := x.snap.Series(sc.db, rp, measurement, seriesFilter(cond))
		if err != nil {
			return nil, err
		}
		if sc.tr.HasMin() || sc.tr.HasMax() {
			if ss, err = x.withData(sc.db, rp, ss, fields, sc.tr); err != nil {
				return nil, err
			}
		}
		out = append(out, ss...)
	}
	return out, nil
}

// withData keeps the series that have a value in tr. InfluxDB answers at
// the granularity of its shards (whole shard groups); accrete looks at the
// series themselves.
func (x *execution) withData(db, rp string, series []storage.Series, fields []storage.FieldInfo, tr query.TimeRange) ([]storage.Series, error) {
	if tr.Empty() {
		return nil, nil
	}
	cur := x.snap.NewCursor()
	defer cur.Close()
	kept := series[:0]
next:
	for _, s := range series {
		for _, f := range fields {
			if err := cur.Seek(db, rp, s.ID, f.ID, tr.Min, tr.Max); err != nil {
				return nil, err
			}
			if cur.Next() {
				kept = append(kept, s)
				continue next
			}
			if err := cur.Err(); err != nil {
				return nil, err
			}
		}
	}
	return kept, nil
}

// seriesFilter matches the series for which a tag condition holds.
func seriesFilter(cond query.Expr) storage.TagFilter {
	if cond == nil {
		return nil
	}
	return tagCond{cond}
}

type tagCond struct{ e query.Expr }

func (c tagCond) Match(tags model.Tags) bool { return query.MatchTags(c.e, tags) }

func (x *execution) showMeasurements(s *influxql.ShowMeasurementsStatement) error {
	sc, found, err := x.scope("SHOW MEASUREMENTS", s.Database, s.Condition, true)
	if err != nil || !found {
		return err
	}
	var sources influxql.Sources
	if s.Source != nil {
		sources = influxql.Sources{s.Source}
	}
	names, err := x.measurements(sc, sources)
	if err != nil {
		return err
	}
	if sc.cond != nil {
		kept := names[:0]
		for _, m := range names {
			ss, err := x.series(sc, m)
			if err != nil {
				return err
			}
			if len(ss) > 0 {
				kept = append(kept, m)
			}
		}
		names = kept
	}
	names = page(names, s.Offset, s.Limit)
	if len(names) == 0 {
		return nil
	}
	r := &Row{Name: "measurements", Columns: []string{"name"}}
	for _, n := range names {
		r.Values = append(r.Values, []any{n})
	}
	x.out.add(r)
	return nil
}

// page applies OFFSET and LIMIT to a list.
func page[T any](a []T, offset, limit int) []T {
	if offset > 0 {
		if offset >= len(a) {
			return nil
		}
		a = a[offset:]
	}
	if limit > 0 && limit < len(a) {
		a = a[:limit]
	}
	return a
}

func (x *execution) showTagKeys(s *influxql.ShowTagKeysStatement) error {
	sc, found, err := x.scope("SHOW TAG KEYS", s.Database, s.Condition, false)
	if err != nil || !found {
		return err
	}
	names, err := x.measurements(sc, s.Sources)
	if err != nil {
		return err
	}
	for _, m := range names {
		ss, err := x.series(sc, m)
		if err != nil {
			return err
		}
		var keys []string
		for _, se := range ss {
			for _, t := range se.Tags {
				keys = append(keys, t.Key)
			}
		}
		slices.Sort(keys)
		keys = page(slices.Compact(keys), s.Offset, s.Limit)
		if len(keys) == 0 {
			continue
		}
		r := &Row{Name: m, Columns: []string{"tagKey"}}
		for _, k := range keys {
			r.Values = append(r.Values, []any{k})
		}
		if err := x.out.addSeparate(r); err != nil {
			return err
		}
	}
	return nil
}

func (x *execution) showTagValues(s *influxql.ShowTagValuesStatement) error {
	sc, found, err := x.scope("SHOW TAG VALUES", s.Database, s.Condition, false)
	if err != nil || !found {
		return err
	}
	match, err := tagKeyMatcher(s.Op, s.TagKeyExpr)
	if err != nil {
		return err
	}
	names, err := x.measurements(sc, s.Sources)
	if err != nil {
		return err
	}
	type kv struct{ k, v string }
	for _, m := range names {
		ss, err := x.series(sc, m)
		if err != nil {
			return err
		}
		var pairs []kv
		for _, se := range ss {
			for _, t := range se.Tags {
				if match(t.Key) {
					pairs = append(pairs, kv{t.Key, t.Value})
				}
			}
		}
		slices.SortFunc(pairs, func(a, b kv) int {
			if c := strings.Compare(a.k, b.k); c != 0 {
				return c
			}
			return strings.Compare(a.v, b.v)
		})
		pairs = page(slices.Compact(pairs), s.Offset, s.Limit)
		if len(pairs) == 0 {
			continue
		}
		r := &Row{Name: m, Columns: []string{"key", "value"}}
		for _, p := range pairs {
			r.Values = append(r.Values, []any{p.k, p.v})
		}
		if err := x.out.addSeparate(r); err != nil {
			return err
		}
	}
	return nil
}

// tagKeyMatcher returns the test of the WITH KEY clause of SHOW TAG VALUES.
func tagKeyMatcher(op influxql.Token, e influxql.Expr) (func(string) bool, error) {
	switch op {
	case influxql.EQ, influxql.NEQ:
		lit, ok := e.(*influxql.StringLiteral)
		if !ok {
			return nil, fmt.Errorf("invalid WITH KEY value: %s", e)
		}
		if op == influxql.EQ {
			return func(k string) bool { return k == lit.Val }, nil
		}
		return func(k string) bool { return k != lit.Val }, nil
	case influxql.EQREGEX, influxql.NEQREGEX:
		re, ok := e.(*influxql.RegexLiteral)
		if !ok {
			return nil, fmt.Errorf("invalid WITH KEY value: %s", e)
		}
		if op == influxql.EQREGEX {
			return re.Val.MatchString, nil
		}
		return func(k string) bool { return !re.Val.MatchString(k) }, nil
	case influxql.IN:
		list, ok := e.(*influxql.ListLiteral)
		if !ok {
			return nil, fmt.Errorf("invalid WITH KEY value: %s", e)
		}
		return func(k string) bool { return slices.Contains(list.Vals, k) }, nil
	}
	return nil, fmt.Errorf("invalid WITH KEY operator: %s", op)
}

func (x *execution) showFieldKeys(s *influxql.ShowFieldKeysStatement) error {
	sc, found, err := x.scope("", s.Database, nil, false)
	if err != nil || !found {
		return err
	}
	names, err := x.measurements(sc, s.Sources)
	if err != nil {
		return err
	}
	type ft struct{ name, typ string }
	for _, m := range names {
		var keys []ft
		for _, rp := range sc.rps {
			fields, err := x.snap.Fields(sc.db, rp, m)
			if err != nil {
				return err
			}
			for _, f := range fields {
				keys = append(keys, ft{f.Name, f.Type.String()})
			}
		}
		slices.SortFunc(keys, func(a, b ft) int {
			if c := strings.Compare(a.name, b.name); c != 0 {
				return c
			}
			return strings.Compare(a.typ, b.typ)
		})
		keys = page(slices.Compact(keys), s.Offset, s.Limit)
		if len(keys) == 0 {
			continue
		}
		r := &Row{Name: m, Columns: []string{"fieldKey", "fieldType"}}
		for _, k := range keys {
			r.Values = append(r.Values, []any{k.name, k.typ})
		}
		if err := x.out.addChunked(r); err != nil {
			return err
		}
	}
	return nil
}

func (x *execution) showSeries(s *influxql.ShowSeriesStatement) error {
	sc, found, err := x.scope("SHOW SERIES", s.Database, s.Condition, false)
	if err != nil || !found {
		return err
	}
	names, err := x.measurements(sc, s.Sources)
	if err != nil {
		return err
	}
	var keys []string
	for _, m := range names {
		ss, err := x.series(sc, m)
		if err != nil {
			return err
		}
		for _, se := range ss {
			keys = append(keys, se.Key)
		}
	}
	slices.Sort(keys)
	keys = page(slices.Compact(keys), s.Offset, s.Limit)
	if len(keys) == 0 {
		return nil
	}
	r := &Row{Columns: []string{"key"}}
	for _, k := range keys {
		r.Values = append(r.Values, []any{k})
	}
	return x.out.addChunked(r)
}
