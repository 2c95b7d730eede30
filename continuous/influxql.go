package continuous

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/influxcompat"
)

// InfluxQL runs InfluxQL's continuous-query statements on an Engine: it
// implements influxcompat.ContinuousQueries. A continuous query is a
// continuous aggregate like any other (the HTTP API lists it, and SHOW
// CONTINUOUS QUERIES lists aggregates made through the API):
//
//	CREATE CONTINUOUS QUERY cpu_1m ON db [RESAMPLE [EVERY 30s] [FOR 2h]] BEGIN
//	  SELECT mean(usage) AS usage_mean, max(usage) INTO [rp.]cpu_1m FROM [rp.]cpu
//	  [WHERE <tag condition>] GROUP BY time(1m[, offset]), host | * [fill(none)]
//	END
//
// maps to source cpu, target cpu_1m, interval 1m, fields usage → mean as
// usage_mean and usage → max as "max" (InfluxDB's column name), group by
// host. EVERY sets how often the scheduler refreshes; FOR is kept but
// changes nothing, because late points are folded in exactly whatever
// their age. Functions may be count, sum, mean, min, max, first and last,
// over a field or * (every field the function accepts, named
// <function>_<field>).
type InfluxQL struct{ e *Engine }

// NewInfluxQL returns the continuous-query statements of e.
func NewInfluxQL(e *Engine) *InfluxQL { return &InfluxQL{e: e} }

var _ influxcompat.ContinuousQueries = (*InfluxQL)(nil)

// Create registers the continuous query of stmt. Creating a query that
// exists with the same text does nothing, as in InfluxDB.
func (q *InfluxQL) Create(_ context.Context, stmt *influxql.CreateContinuousQueryStatement) error {
	d, err := q.definition(stmt)
	if err != nil {
		return err
	}
	err = q.e.Register(d)
	if errors.Is(err, ErrExists) {
		if old, gerr := q.e.Get(d.Name); gerr == nil && old.Query == d.Query {
			return nil
		}
		return fmt.Errorf("continuous query already exists: %s", d.Name)
	}
	return err
}

// Drop removes a continuous query of a database.
func (q *InfluxQL) Drop(_ context.Context, stmt *influxql.DropContinuousQueryStatement) error {
	d, err := q.e.Get(stmt.Name)
	if err != nil || (stmt.Database != "" && d.Database != stmt.Database) {
		return fmt.Errorf("%w: continuous query not found: %s", ErrNotFound, stmt.Name)
	}
	return q.e.Unregister(stmt.Name)
}

// Show returns one row per database, with the name and the CREATE
// statement of each of its aggregates.
func (q *InfluxQL) Show(context.Context) ([]*influxcompat.Row, error) {
	byDB := map[string][][]any{}
	for _, d := range q.e.List() {
		text := d.Query
		if text == "" {
			text = Statement(d)
		}
		byDB[d.Database] = append(byDB[d.Database], []any{d.Name, text})
	}
	var rows []*influxcompat.Row
	for _, info := range q.e.db.Databases() {
		rows = append(rows, &influxcompat.Row{Name: info.Name, Columns: []string{"name", "query"}, Values: byDB[info.Name]})
	}
	return rows, nil
}

// definition translates a CREATE CONTINUOUS QUERY statement.
func (q *InfluxQL) definition(stmt *influxql.CreateContinuousQueryStatement) (Definition, error) {
	d := Definition{Name: stmt.Name, Database: stmt.Database, Enabled: true,
		Every: Duration(stmt.ResampleEvery), For: Duration(stmt.ResampleFor), Query: stmt.String()}
	bad := func(format string, args ...any) (Definition, error) {
		return Definition{}, invalid(stmt.Name, format, args...)
	}
	sel := stmt.Source
	if sel == nil {
		return bad("no SELECT statement")
	}
	if sel.Target == nil || sel.Target.Measurement == nil {
		return bad("a continuous query needs an INTO clause")
	}
	tgt := sel.Target.Measurement
	if tgt.Name == "" || tgt.Regex != nil {
		return bad("the INTO measurement must be named (:MEASUREMENT is not supported)")
	}
	if tgt.Database != "" && tgt.Database != stmt.Database {
		return bad("the INTO measurement must be in database %q", stmt.Database)
	}
	d.Target, d.TargetRetentionPolicy = tgt.Name, tgt.RetentionPolicy
	if len(sel.Sources) != 1 {
		return bad("a continuous query reads exactly one measurement")
	}
	src, ok := sel.Sources[0].(*influxql.Measurement)
	if !ok || src.Name == "" || src.Regex != nil {
		return bad("a continuous query reads one named measurement, not %s", sel.Sources[0])
	}
	if src.Database != "" && src.Database != stmt.Database {
		return bad("the FROM measurement must be in database %q", stmt.Database)
	}
	d.Source, d.RetentionPolicy = src.Name, src.RetentionPolicy
	if d.TargetRetentionPolicy == "" {
		d.TargetRetentionPolicy = d.RetentionPolicy
	}
	for _, dim := range sel.Dimensions {
		switch x := dim.Expr.(type) {
		case *influxql.Call:
			if x.Name != "time" || len(x.Args) == 0 || len(x.Args) > 2 {
				return bad("invalid GROUP BY %s", x)
			}
			iv, ok := x.Args[0].(*influxql.DurationLiteral)
			if !ok {
				return bad("GROUP BY time needs a duration, not %s", x.Args[0])
			}
			d.Interval = Duration(iv.Val)
			if len(x.Args) == 2 {
				off, ok := x.Args[1].(*influxql.DurationLiteral)
				if !ok {
					return bad("the offset of GROUP BY time must be a duration, not %s", x.Args[1])
				}
				d.Offset = Duration(((off.Val % iv.Val) + iv.Val) % iv.Val)
			}
		case *influxql.VarRef:
			d.GroupBy = append(d.GroupBy, x.Val)
		case *influxql.Wildcard:
			d.GroupBy = []string{"*"}
		default:
			return bad("cannot GROUP BY %s", dim.Expr)
		}
	}
	if d.Interval <= 0 {
		return bad("a continuous query needs GROUP BY time(interval)")
	}
	if sel.Fill != influxql.NullFill && sel.Fill != influxql.NoFill {
		return bad("fill other than none or null is not supported")
	}
	if sel.Limit > 0 || sel.Offset > 0 || sel.SLimit > 0 || sel.SOffset > 0 {
		return bad("LIMIT and OFFSET are not supported")
	}
	if sel.Condition != nil {
		if influxql.HasTimeExpr(sel.Condition) {
			return bad("a continuous query may not restrict time")
		}
		d.Filter = sel.Condition.String()
	}
	names := sel.ColumnNames()
	for i, f := range sel.Fields {
		call, ok := f.Expr.(*influxql.Call)
		if !ok || len(call.Args) != 1 {
			return bad("field %s is not an aggregate of one field", f.Expr)
		}
		fn, err := aggregate.ParseFunc(call.Name)
		if err != nil {
			return bad("unknown function %q", call.Name)
		}
		switch arg := call.Args[0].(type) {
		case *influxql.VarRef:
			as := f.Alias
			if as == "" && i+1 < len(names) {
				as = names[i+1]
			}
			d.Fields = append(d.Fields, Field{Field: arg.Val, Function: fn.String(), As: as})
		case *influxql.Wildcard:
			fields, err := q.e.db.FieldKeys(d.Database, d.RetentionPolicy, d.Source)
			if err != nil {
				return bad("%v", err)
			}
			n := len(d.Fields)
			for _, fi := range fields {
				if fn.Accepts(fi.Type) {
					d.Fields = append(d.Fields, Field{Field: fi.Name, Function: fn.String(), As: fn.String() + "_" + fi.Name})
				}
			}
			if len(d.Fields) == n {
				return bad("%s(*) matches no field of %q", fn, d.Source)
			}
		default:
			return bad("field %s is not an aggregate of one field", f.Expr)
		}
	}
	return d, nil
}

// Statement returns the CREATE CONTINUOUS QUERY statement equivalent to a
// definition.
func Statement(d Definition) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE CONTINUOUS QUERY %s ON %s ", influxql.QuoteIdent(d.Name), influxql.QuoteIdent(d.Database))
	if d.Every > 0 || d.For > 0 {
		b.WriteString("RESAMPLE ")
		if d.Every > 0 {
			fmt.Fprintf(&b, "EVERY %s ", influxql.FormatDuration(time.Duration(d.Every)))
		}
		if d.For > 0 {
			fmt.Fprintf(&b, "FOR %s ", influxql.FormatDuration(time.Duration(d.For)))
		}
	}
	b.WriteString("BEGIN SELECT ")
	for i, f := range d.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		as := f.As
		if as == "" {
			as = f.Field + "_" + f.Function
		}
		fmt.Fprintf(&b, "%s(%s) AS %s", f.Function, influxql.QuoteIdent(f.Field), influxql.QuoteIdent(as))
	}
	tgtRP := d.TargetRetentionPolicy
	if tgtRP == "" {
		tgtRP = d.RetentionPolicy
	}
	fmt.Fprintf(&b, " INTO %s FROM %s", qualified(d.Database, tgtRP, d.Target), qualified(d.Database, d.RetentionPolicy, d.Source))
	if d.Filter != "" {
		fmt.Fprintf(&b, " WHERE %s", d.Filter)
	}
	fmt.Fprintf(&b, " GROUP BY time(%s", influxql.FormatDuration(time.Duration(d.Interval)))
	if d.Offset > 0 {
		fmt.Fprintf(&b, ", %s", influxql.FormatDuration(time.Duration(d.Offset)))
	}
	b.WriteString(")")
	for _, k := range d.GroupBy {
		if k == "*" {
			b.WriteString(", *")
		} else {
			fmt.Fprintf(&b, ", %s", influxql.QuoteIdent(k))
		}
	}
	b.WriteString(" END")
	return b.String()
}

// qualified returns db.rp.m, or db..m without a retention policy.
func qualified(db, rp, m string) string {
	q := influxql.QuoteIdent(db) + "."
	if rp != "" {
		q += influxql.QuoteIdent(rp)
	}
	return q + "." + influxql.QuoteIdent(m)
}
