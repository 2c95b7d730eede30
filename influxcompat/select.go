package influxcompat

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/query"
	"github.com/accretedb/accrete/storage"
)

// source is one measurement a SELECT reads, with its fields.
type source struct {
	db, rp, name string
	fields       []storage.FieldInfo
	tagKeys      []string
}

func (s *source) fieldSet() fieldSet {
	fs := make(fieldSet, len(s.fields))
	for _, f := range s.fields {
		fs[f.Name] = f.Type
	}
	return fs
}

// selectPlan is a compiled SELECT: what to read and how to shape the rows.
type selectPlan struct {
	stmt    *influxql.SelectStatement // wildcards expanded
	sources []*source                 // sorted by name

	tr        query.TimeRange
	readMin   int64         // with MaxSelectBuckets: no data before it is read
	cond      influxql.Expr // the condition without time; nil for none
	interval  query.Interval
	dims      []string // GROUP BY tag keys, sorted
	fill      influxql.FillOption
	fillValue any
	ascending bool

	limit, offset, slimit, soffset int

	columns []string // the time column, then one per field
	cols    []column // one per field
	calls   []*callPlan
	raw     bool
	empty   bool // nothing to read
	// auxSelector: a single selector with tags or fields, which are read
	// at the selected point.
	auxSelector bool
	// selector: a single selector call without GROUP BY time reports the
	// time of the selected point.
	selector bool
}

// column is one output column after time: a call's result or a raw tag or
// field value.
type column struct {
	call  int    // a bare call: index in selectPlan.calls; else -1
	ref   string // a bare reference: the tag or field name
	isTag bool   // ref is a tag
	// expr is arithmetic, evaluated per row with influxql's evaluator: its
	// calls are replaced by references to callSymbol(i), its references
	// read the values of refs.
	expr influxql.Expr
	refs []auxRef
}

// auxRef is a tag or field a raw row reads.
type auxRef struct {
	name  string
	isTag bool
}

// callSymbol names the value of call i in arithmetic; no field or tag
// name contains a NUL byte.
func callSymbol(i int) string { return "\x00" + strconv.Itoa(i) }

// callPlan is one distinct aggregate call.
type callPlan struct {
	expr       *influxql.Call
	fn         aggregate.Func
	field      string
	percentile float64
	// countDistinct is count(distinct(field)): the number of distinct
	// values.
	countDistinct bool
	// unit is integral's unit of time in nanoseconds.
	unit int64
	// transform, when set, makes the call a transformation: of the
	// aggregate fn of field (inner) with GROUP BY time, or of the raw
	// values of field (fn is 0) without it.
	transform *query.Transform
	inner     *influxql.Call
}

// raw reports whether the call transforms raw values.
func (c *callPlan) raw() bool { return c.transform != nil && c.fn == 0 }

// accepts reports whether the call takes values of type t.
func (c *callPlan) accepts(t model.FieldType) bool {
	if c.raw() {
		return c.transform.Func.Accepts(t)
	}
	return c.fn.Accepts(t) && (c.transform == nil || c.transform.Func.Accepts(c.fn.ResultType(t)))
}

// resultType returns the type of the call's values over a field of type t.
func (c *callPlan) resultType(t model.FieldType) model.FieldType {
	switch {
	case c.raw():
		return c.transform.Func.ResultType(t)
	case c.countDistinct:
		t = model.TypeInteger
	default:
		t = c.fn.ResultType(t)
	}
	if c.transform != nil {
		return c.transform.Func.ResultType(t)
	}
	return t
}

// lookback returns the number of intervals read beyond the time range for
// the call (see query.Transform.Lookback).
func (c *callPlan) lookback() int64 {
	if c.transform == nil || c.raw() {
		return 0
	}
	return c.transform.Lookback()
}

// aggregate functions InfluxQL has that accrete does not implement; they
// are rejected with an error that names them.
var unsupportedFuncs = map[string]bool{
	"top": true, "bottom": true, "sample": true, "holt_winters": true, "holt_winters_with_fit": true,
	"exponential_moving_average": true, "double_exponential_moving_average": true,
	"triple_exponential_moving_average": true, "relative_strength_index": true,
	"triple_exponential_derivative": true, "kaufmans_efficiency_ratio": true,
	"kaufmans_adaptive_moving_average": true, "chande_momentum_oscillator": true,
	"count_hll": true, "sum_hll": true, "abs": true, "sin": true, "cos": true,
	"tan": true, "asin": true, "acos": true, "atan": true, "atan2": true, "exp": true,
	"log": true, "ln": true, "log2": true, "log10": true, "sqrt": true, "pow": true,
	"floor": true, "ceil": true, "round": true,
}

func unsupportedFunc(name string) error {
	return fmt.Errorf("%w: %s()", ErrUnsupportedFunction, name)
}

// compileSelect resolves the sources of stmt, expands its wildcards and
// checks it as InfluxDB 1.x does.
func (x *execution) compileSelect(stmt *influxql.SelectStatement) (*selectPlan, error) {
	p := &selectPlan{ascending: stmt.TimeAscending(), readMin: query.MinTime}
	if stmt.Location != nil {
		return nil, errors.New("tz() is not supported")
	}
	stmt = stmt.Clone()

	// The time range and the rest of the condition.
	cond, tr, err := splitTime(stmt.Condition, x.now, stmt.Location)
	if err != nil {
		return nil, err
	}
	if err := checkCondition(cond); err != nil {
		return nil, err
	}
	p.cond = cond

	if err := p.compileDimensions(stmt, x.now); err != nil {
		return nil, err
	}
	if tr.Max == query.MaxTime && !p.interval.IsZero() {
		// GROUP BY time without an upper bound ends at now().
		tr.Max = x.now.UnixNano()
	}
	p.tr = tr
	if err := x.checkBuckets(p); err != nil {
		return nil, err
	}
	p.fill, p.fillValue = stmt.Fill, stmt.FillValue
	p.limit, p.offset, p.slimit, p.soffset = stmt.Limit, stmt.Offset, stmt.SLimit, stmt.SOffset

	nonTime := 0
	for _, f := range stmt.Fields {
		if r, ok := f.Expr.(*influxql.VarRef); !ok || r.Val != "time" {
			nonTime++
		}
		if err := checkWildcards(f.Expr, true); err != nil {
			return nil, err
		}
	}
	if nonTime == 0 {
		return nil, errors.New("at least 1 non-time field must be queried")
	}
	if err := x.resolveSources(p, stmt); err != nil {
		return nil, err
	}

	// Expand wildcards against the fields and tags of the sources.
	concrete := stmt.Clone()
	concrete.Sources = nil
	for _, s := range p.sources {
		concrete.Sources = append(concrete.Sources, &influxql.Measurement{Database: s.db, RetentionPolicy: s.rp, Name: s.name})
	}
	rewritten, err := concrete.RewriteFields(fieldMapper{p.sources})
	if err != nil {
		return nil, err
	}
	rewritten.RewriteDistinct()
	rewritten.RewriteTimeFields()
	p.stmt = rewritten
	// Type errors, now that references have types. As in InfluxDB, only
	// the types RewriteFields gave decide: a reference it left untyped
	// (host::field where host is a tag) is of unknown type, not an error,
	// and reads null.
	typer := influxql.TypeValuerEval{TypeMapper: fieldMapper{p.sources}}
	for _, f := range rewritten.Fields {
		if _, err := typer.EvalType(f.Expr); err != nil {
			return nil, err
		}
	}

	// Dimensions after wildcard expansion.
	p.dims = p.dims[:0]
	for _, d := range rewritten.Dimensions {
		if r, ok := d.Expr.(*influxql.VarRef); ok && !slices.Contains(p.dims, r.Val) {
			p.dims = append(p.dims, r.Val)
		}
	}
	slices.Sort(p.dims)

	if len(rewritten.Fields) == 0 {
		// Wildcards that matched nothing: no rows, as in InfluxDB.
		p.empty = true
		return p, nil
	}
	if err := p.compileFields(); err != nil {
		return nil, err
	}
	if stmt.Target != nil && !p.raw && p.fill == influxql.NullFill {
		// SELECT ... INTO writes no empty buckets: InfluxDB's null fill
		// becomes no fill there (even for count).
		p.fill = influxql.NoFill
	}
	p.columns = rewritten.ColumnNames()
	return p, nil
}

// checkWildcards rejects wildcards and regular expressions inside
// arithmetic, with InfluxDB's messages; top is true for a whole field.
func checkWildcards(e influxql.Expr, top bool) error {
	switch e := e.(type) {
	case *influxql.BinaryExpr:
		if err := checkWildcards(e.LHS, false); err != nil {
			return err
		}
		return checkWildcards(e.RHS, false)
	case *influxql.ParenExpr:
		return checkWildcards(e.Expr, top)
	case *influxql.Wildcard:
		if !top {
			return errors.New("unable to use wildcard in a binary expression")
		}
	case *influxql.RegexLiteral:
		if !top {
			return errors.New("unable to use regex in a binary expression")
		}
	case *influxql.Call:
		if top || len(e.Args) == 0 {
			return nil
		}
		switch e.Args[0].(type) {
		case *influxql.Wildcard:
			return fmt.Errorf("unsupported expression with wildcard: %s()", e.Name)
		case *influxql.RegexLiteral:
			return fmt.Errorf("unsupported expression with regex field: %s()", e.Name)
		}
	}
	return nil
}

// compileDimensions reads the GROUP BY clause: the time interval and the
// tag keys (wildcards are expanded later).
func (p *selectPlan) compileDimensions(stmt *influxql.SelectStatement, now time.Time) error {
	for _, d := range stmt.Dimensions {
		switch e := influxql.Reduce(d.Expr, nil).(type) {
		case *influxql.VarRef:
			if strings.EqualFold(e.Val, "time") {
				return errors.New("time() is a function and expects at least one argument")
			}
			p.dims = append(p.dims, e.Val)
		case *influxql.Call:
			if e.Name != "time" {
				return errors.New("only time() calls allowed in dimensions")
			} else if n := len(e.Args); n < 1 || n > 2 {
				return errors.New("time dimension expected 1 or 2 arguments")
			}
			lit, ok := e.Args[0].(*influxql.DurationLiteral)
			if !ok {
				return errors.New("time dimension must have duration argument")
			} else if p.interval.Duration != 0 {
				return errors.New("multiple time dimensions not allowed")
			}
			if lit.Val <= 0 {
				return fmt.Errorf("group by interval must be positive: %s", influxql.FormatDuration(lit.Val))
			}
			d := int64(lit.Val)
			p.interval.Duration = d
			if len(e.Args) == 2 {
				switch o := e.Args[1].(type) {
				case *influxql.DurationLiteral:
					p.interval.Offset = int64(o.Val) % d
				case *influxql.TimeLiteral:
					p.interval.Offset = floorMod(o.Val.UnixNano(), d)
				case *influxql.Call:
					if o.Name != "now" {
						return errors.New("time dimension offset function must be now()")
					} else if len(o.Args) != 0 {
						return errors.New("time dimension offset now() function requires no arguments")
					}
					p.interval.Offset = floorMod(now.UnixNano(), d)
				case *influxql.StringLiteral:
					if !o.IsTimeLiteral() {
						return errors.New("time dimension offset must be duration or now()")
					}
					t, err := o.ToTimeLiteral(stmt.Location)
					if err != nil {
						return err
					}
					p.interval.Offset = floorMod(t.Val.UnixNano(), d)
				default:
					return errors.New("time dimension offset must be duration or now()")
				}
				if p.interval.Offset < 0 {
					p.interval.Offset += d
				}
			}
		case *influxql.Wildcard, *influxql.RegexLiteral:
		default:
			return errors.New("only time and tag dimensions allowed")
		}
	}
	return nil
}

// checkBuckets applies ExecutorOptions.MaxSelectBuckets as InfluxDB
// applies max-select-buckets: a bounded range may span at most that many
// buckets; from an unbounded one only the newest that many are read
// (readMin), the range itself staying unbounded.
func (x *execution) checkBuckets(p *selectPlan) error {
	limit := int64(x.e.maxBuckets)
	iv, tr := p.interval, p.tr
	if limit <= 0 || iv.IsZero() || tr.Empty() {
		return nil
	}
	if tr.HasMin() {
		if n := (iv.Start(tr.Max) - iv.Start(tr.Min)) / iv.Duration; n > limit {
			return fmt.Errorf("max-select-buckets limit exceeded: (%d/%d)", n, limit)
		}
		return nil
	}
	if last := iv.Start(tr.Max - 1); last > query.MinTime+(limit-1)*iv.Duration {
		p.readMin = last - (limit-1)*iv.Duration
	}
	return nil
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// resolveSources lists the measurements of the FROM clause, with database
// and retention policy defaults applied and regular expressions expanded.
func (x *execution) resolveSources(p *selectPlan, stmt *influxql.SelectStatement) error {
	seen := map[string]bool{}
	for _, src := range stmt.Sources {
		m, ok := src.(*influxql.Measurement)
		if !ok {
			return errors.New("subqueries are not supported")
		}
		db, rp, err := x.databaseOf(m.Database, m.RetentionPolicy)
		if err != nil {
			return err
		}
		var names []string
		if m.Regex != nil {
			all, err := x.snap.Measurements(db, rp)
			if err != nil {
				return err
			}
			for _, n := range all {
				if m.Regex.Val.MatchString(n) {
					names = append(names, n)
				}
			}
		} else {
			names = []string{m.Name}
		}
		for _, n := range names {
			key := db + "\x00" + rp + "\x00" + n
			if seen[key] {
				continue
			}
			seen[key] = true
			fields, err := x.snap.Fields(db, rp, n)
			if err != nil {
				return err
			}
			s := &source{db: db, rp: rp, name: n, fields: fields}
			s.tagKeys, err = x.tagKeys(db, rp, n)
			if err != nil {
				return err
			}
			p.sources = append(p.sources, s)
		}
	}
	slices.SortStableFunc(p.sources, func(a, b *source) int { return strings.Compare(a.name, b.name) })
	return nil
}

// compileFields checks the expanded fields and lists the calls and
// columns.
func (p *selectPlan) compileFields() error {
	fields := p.stmt.Fields
	hasAux, onlySelectors, hasDistinct := false, true, false
	byString := map[string]int{}
	nCalls := 0 // calls as written, repeated ones included
	addCall := func(e *influxql.Call) (int, error) {
		c, err := compileCall(e, p.interval)
		if err != nil {
			return 0, err
		}
		if c.transform != nil {
			c.transform.Descending = !p.ascending
		}
		nCalls++
		if c.fn == aggregate.Distinct && !c.countDistinct {
			hasDistinct = true
		}
		if !influxql.IsSelector(e) {
			onlySelectors = false
		}
		key := e.String()
		i, ok := byString[key]
		if !ok {
			i = len(p.calls)
			byString[key] = i
			p.calls = append(p.calls, c)
		}
		return i, nil
	}
	for _, f := range fields {
		// Fold constants first, as InfluxDB does: 1 + 1 is a literal.
		switch e := influxql.Reduce(f.Expr, nil).(type) {
		case *influxql.VarRef:
			hasAux = true
			p.cols = append(p.cols, column{call: -1, ref: e.Val, isTag: e.Type == influxql.Tag})
		case *influxql.Call:
			i, err := addCall(e)
			if err != nil {
				return err
			}
			p.cols = append(p.cols, column{call: i})
		case *influxql.BinaryExpr, *influxql.ParenExpr:
			col := column{call: -1}
			expr, err := arithmetic(e, addCall, &col.refs)
			if err != nil {
				return err
			}
			col.expr = expr
			hasAux = hasAux || len(col.refs) > 0
			p.cols = append(p.cols, col)
		case *influxql.Wildcard, *influxql.RegexLiteral:
			// RewriteFields expands them; one left matched nothing.
			return errors.New("at least 1 non-time field must be queried")
		case influxql.Literal:
			return errors.New("field must contain at least one variable")
		default:
			return fmt.Errorf("unsupported expression in the SELECT clause: %s", e)
		}
	}
	if len(p.calls) == 0 {
		switch p.fill {
		case influxql.NoFill:
			return errors.New("fill(none) must be used with a function")
		case influxql.LinearFill:
			return errors.New("fill(linear) must be used with a function")
		}
		if !p.interval.IsZero() {
			return errors.New("GROUP BY requires at least one aggregate function")
		}
		p.raw = true
		return nil
	}
	if hasDistinct && (len(fields) != 1 || hasAux || p.cols[0].expr != nil) {
		return errors.New("aggregate function distinct() cannot be combined with other functions or fields")
	}
	if hasAux {
		if !onlySelectors {
			return errors.New("mixing aggregate and non-aggregate queries is not supported")
		} else if nCalls > 1 {
			// InfluxDB counts calls as written: max(v), max(v), host fails.
			return errors.New("mixing multiple selector functions with tags or fields is not supported")
		}
		p.auxSelector = true
	}
	p.selector = len(p.calls) == 1 && influxql.IsSelector(p.calls[0].expr) && p.interval.IsZero()
	return nil
}

// arithmetic checks an arithmetic field expression and returns it ready
// for evaluation: calls (registered with addCall) become references to
// their symbols, references lose their types and are listed in refs.
func arithmetic(e influxql.Expr, addCall func(*influxql.Call) (int, error), refs *[]auxRef) (influxql.Expr, error) {
	switch e := e.(type) {
	case *influxql.BinaryExpr:
		_, l := e.LHS.(influxql.Literal)
		_, r := e.RHS.(influxql.Literal)
		if l && r {
			return nil, errors.New("cannot perform a binary expression on two literals")
		}
		lhs, err := arithmetic(e.LHS, addCall, refs)
		if err != nil {
			return nil, err
		}
		rhs, err := arithmetic(e.RHS, addCall, refs)
		if err != nil {
			return nil, err
		}
		return &influxql.BinaryExpr{Op: e.Op, LHS: lhs, RHS: rhs}, nil
	case *influxql.ParenExpr:
		inner, err := arithmetic(e.Expr, addCall, refs)
		if err != nil {
			return nil, err
		}
		return &influxql.ParenExpr{Expr: inner}, nil
	case *influxql.Call:
		i, err := addCall(e)
		if err != nil {
			return nil, err
		}
		return &influxql.VarRef{Val: callSymbol(i)}, nil
	case *influxql.VarRef:
		ref := auxRef{name: e.Val, isTag: e.Type == influxql.Tag}
		if !slices.Contains(*refs, ref) {
			*refs = append(*refs, ref)
		}
		return &influxql.VarRef{Val: e.Val}, nil
	case *influxql.Wildcard, *influxql.RegexLiteral:
		return nil, fmt.Errorf("unsupported expression with wildcard: %s", untyped(e))
	case influxql.Literal:
		return e, nil
	}
	return nil, fmt.Errorf("unsupported expression in the SELECT clause: %s", untyped(e))
}

// evalArithmetic evaluates an arithmetic column on the values m holds
// for its symbols and references, as InfluxDB does: integer division gives
// a float, null operands give null.
func evalArithmetic(expr influxql.Expr, m map[string]any) any {
	v := influxql.ValuerEval{Valuer: influxql.MapValuer(m), IntegerFloatDivision: true}
	return v.Eval(expr)
}

// untyped returns e without the types RewriteFields gave its references,
// as the user wrote it.
func untyped(e influxql.Expr) influxql.Expr {
	return influxql.RewriteExpr(influxql.CloneExpr(e), func(e influxql.Expr) influxql.Expr {
		if r, ok := e.(*influxql.VarRef); ok {
			return &influxql.VarRef{Val: r.Val}
		}
		return e
	})
}

// compileCall checks one call and returns its plan; interval is the
// GROUP BY time interval, which transformations of aggregates need.
func compileCall(e *influxql.Call, interval query.Interval) (*callPlan, error) {
	name := e.Name
	if tf, ok := query.ParseTransform(name); ok {
		return compileTransform(e, tf, interval)
	}
	switch name {
	case "count", "sum", "mean", "min", "max", "first", "last", "spread", "stddev", "median", "distinct", "mode":
		if len(e.Args) != 1 {
			if name == "distinct" {
				if len(e.Args) == 0 {
					return nil, errors.New("distinct function requires at least one argument")
				}
				return nil, errors.New("distinct function can only have one argument")
			}
			return nil, fmt.Errorf("invalid number of arguments for %s, expected %d, got %d", name, 1, len(e.Args))
		}
	case "percentile":
		if len(e.Args) != 2 {
			return nil, fmt.Errorf("invalid number of arguments for percentile, expected %d, got %d", 2, len(e.Args))
		}
	case "integral":
		if n := len(e.Args); n < 1 || n > 2 {
			return nil, fmt.Errorf("invalid number of arguments for integral, expected at least 1 but no more than 2, got %d", n)
		}
	default:
		if unsupportedFuncs[name] {
			return nil, unsupportedFunc(name)
		}
		return nil, fmt.Errorf("undefined function %s()", name)
	}
	fn, err := aggregate.ParseQueryFunc(name)
	if err != nil {
		return nil, unsupportedFunc(name)
	}
	c := &callPlan{expr: e, fn: fn}
	if name == "integral" {
		c.unit = aggregate.DefaultIntegralUnit
		if len(e.Args) == 2 {
			d, ok := e.Args[1].(*influxql.DurationLiteral)
			if !ok {
				return nil, errors.New("second argument must be a duration")
			}
			if d.Val <= 0 {
				return nil, fmt.Errorf("duration argument must be positive, got %s", influxql.FormatDuration(d.Val))
			}
			c.unit = int64(d.Val)
		}
	}
	arg := e.Args[0]
	if name == "count" {
		if inner, ok := arg.(*influxql.Call); ok {
			if inner.Name != "distinct" {
				return nil, fmt.Errorf("expected field argument in count()")
			}
			if len(inner.Args) != 1 {
				return nil, errors.New("distinct function can only have one argument")
			}
			arg = inner.Args[0]
			c.fn, c.countDistinct = aggregate.Distinct, true
		} else if d, ok := arg.(*influxql.Distinct); ok {
			arg = &influxql.VarRef{Val: d.Val}
			c.fn, c.countDistinct = aggregate.Distinct, true
		}
	}
	ref, ok := arg.(*influxql.VarRef)
	if !ok {
		if name == "distinct" {
			return nil, errors.New("expected field argument in distinct()")
		}
		return nil, fmt.Errorf("expected field argument in %s()", name)
	}
	c.field = ref.Val
	if name == "percentile" {
		switch lit := e.Args[1].(type) {
		case *influxql.IntegerLiteral:
			c.percentile = float64(lit.Val)
		case *influxql.NumberLiteral:
			c.percentile = lit.Val
		default:
			return nil, errors.New("expected float argument in percentile()")
		}
	}
	return c, nil
}

// compileTransform checks a transformation call as InfluxDB 1.6 does: of
// a field without GROUP BY time, of an aggregate with it.
func compileTransform(e *influxql.Call, tf query.TransformFunc, interval query.Interval) (*callPlan, error) {
	name := e.Name
	t := &query.Transform{Func: tf}
	n := len(e.Args)
	switch tf {
	case query.Derivative, query.NonNegativeDerivative, query.Elapsed:
		if n < 1 || n > 2 {
			return nil, fmt.Errorf("invalid number of arguments for %s, expected at least 1 but no more than 2, got %d", name, n)
		}
		// The default unit: 1s for derivatives (the GROUP BY interval for
		// those of aggregates), 1ns for elapsed.
		t.Unit = int64(time.Second)
		if tf == query.Elapsed {
			t.Unit = 1
		} else if !interval.IsZero() {
			t.Unit = interval.Duration
		}
		if n == 2 {
			d, ok := e.Args[1].(*influxql.DurationLiteral)
			if !ok {
				return nil, fmt.Errorf("second argument to %s must be a duration, got %T", name, e.Args[1])
			}
			if d.Val <= 0 {
				return nil, fmt.Errorf("duration argument must be positive, got %s", influxql.FormatDuration(d.Val))
			}
			t.Unit = int64(d.Val)
		}
	case query.MovingAverage:
		if n != 2 {
			return nil, fmt.Errorf("invalid number of arguments for moving_average, expected 2, got %d", n)
		}
		w, ok := e.Args[1].(*influxql.IntegerLiteral)
		if !ok {
			return nil, fmt.Errorf("second argument for moving_average must be an integer, got %T", e.Args[1])
		} else if w.Val <= 1 {
			return nil, fmt.Errorf("moving_average window must be greater than 1, got %d", w.Val)
		} else if w.Val > 1<<20 {
			// InfluxDB allocates the window up front; accrete bounds it.
			return nil, fmt.Errorf("moving_average window too large, got %d", w.Val)
		}
		t.N = int(w.Val)
	default:
		if n != 1 {
			return nil, fmt.Errorf("invalid number of arguments for %s, expected 1, got %d", name, n)
		}
	}
	switch arg := e.Args[0].(type) {
	case *influxql.Call:
		if interval.IsZero() {
			return nil, fmt.Errorf("%s aggregate requires a GROUP BY interval", name)
		}
		if _, nested := query.ParseTransform(arg.Name); nested {
			return nil, fmt.Errorf("%w: %s() of %s()", ErrUnsupportedFunction, name, arg.Name)
		}
		c, err := compileCall(arg, interval)
		if err != nil {
			return nil, err
		}
		if c.fn == aggregate.Distinct && !c.countDistinct {
			return nil, fmt.Errorf("%w: %s() of distinct()", ErrUnsupportedFunction, name)
		}
		c.expr, c.inner, c.transform = e, arg, t
		return c, nil
	case *influxql.VarRef:
		if !interval.IsZero() {
			return nil, fmt.Errorf("aggregate function required inside the call to %s", name)
		}
		return &callPlan{expr: e, field: arg.Val, transform: t}, nil
	default:
		if !interval.IsZero() {
			return nil, fmt.Errorf("aggregate function required inside the call to %s", name)
		}
		return nil, fmt.Errorf("expected field argument in %s()", name)
	}
}

// fieldMapper gives RewriteFields the fields and tags of the sources.
type fieldMapper struct {
	sources []*source
}

func (m fieldMapper) find(mm *influxql.Measurement) *source {
	for _, s := range m.sources {
		if s.name == mm.Name && s.db == mm.Database && s.rp == mm.RetentionPolicy {
			return s
		}
	}
	return nil
}

// FieldDimensions implements influxql.FieldMapper.
func (m fieldMapper) FieldDimensions(mm *influxql.Measurement) (map[string]influxql.DataType, map[string]struct{}, error) {
	fields := map[string]influxql.DataType{}
	dims := map[string]struct{}{}
	if s := m.find(mm); s != nil {
		for _, f := range s.fields {
			fields[f.Name] = dataType(f.Type)
		}
		for _, k := range s.tagKeys {
			dims[k] = struct{}{}
		}
	}
	return fields, dims, nil
}

// MapType implements influxql.TypeMapper.
func (m fieldMapper) MapType(mm *influxql.Measurement, name string) influxql.DataType {
	s := m.find(mm)
	if s == nil {
		return influxql.Unknown
	}
	for _, f := range s.fields {
		if f.Name == name {
			return dataType(f.Type)
		}
	}
	if slices.Contains(s.tagKeys, name) {
		return influxql.Tag
	}
	return influxql.Unknown
}

// CallType implements influxql.CallTypeMapper with InfluxDB's result types.
func (m fieldMapper) CallType(name string, args []influxql.DataType) (influxql.DataType, error) {
	switch name {
	case "mean", "median", "stddev", "integral", "derivative", "non_negative_derivative", "moving_average":
		return influxql.Float, nil
	case "count", "elapsed":
		return influxql.Integer, nil
	}
	if len(args) > 0 {
		return args[0], nil
	}
	return influxql.Unknown, nil
}

func dataType(t model.FieldType) influxql.DataType {
	switch t {
	case model.TypeFloat:
		return influxql.Float
	case model.TypeInteger:
		return influxql.Integer
	case model.TypeUnsigned:
		return influxql.Unsigned
	case model.TypeString:
		return influxql.String
	case model.TypeBoolean:
		return influxql.Boolean
	}
	return influxql.Unknown
}
