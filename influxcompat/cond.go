package influxcompat

import (
	"fmt"
	"time"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/query"
)

// splitTime extracts the time range of a WHERE clause and returns the rest
// of the condition. now() is evaluated at now. Without a lower bound the
// range starts at query.MinTime, without an upper bound it ends at
// query.MaxTime.
func splitTime(cond influxql.Expr, now time.Time, loc *time.Location) (influxql.Expr, query.TimeRange, error) {
	valuer := &influxql.NowValuer{Now: now, Location: loc}
	rest, tr, err := influxql.ConditionExpr(cond, valuer)
	if err != nil {
		return nil, query.TimeRange{}, err
	}
	return rest, query.TimeRange{Min: tr.MinTimeNano(), Max: tr.MaxTimeNano()}, nil
}

// checkCondition rejects function calls in a condition, as InfluxDB does.
func checkCondition(e influxql.Expr) error {
	var err error
	influxql.WalkFunc(e, func(n influxql.Node) {
		if c, ok := n.(*influxql.Call); ok && err == nil {
			err = fmt.Errorf("invalid function call in condition: %s", c)
		}
	})
	return err
}

// fieldSet tells which names are fields of a measurement.
type fieldSet map[string]model.FieldType

// convertCond translates an InfluxQL condition (without time) into a
// query.Expr for one measurement. A name is a field when it is cast with
// ::field or, uncast, names a field of the measurement; every other name is
// a tag, as in InfluxDB (a name that is neither reads as a missing tag,
// the empty string).
func convertCond(e influxql.Expr, fields fieldSet) (query.Expr, error) {
	if e == nil {
		return nil, nil
	}
	switch e := e.(type) {
	case *influxql.ParenExpr:
		return convertCond(e.Expr, fields)
	case *influxql.BinaryExpr:
		op, ok := binaryOps[e.Op]
		if !ok {
			return nil, fmt.Errorf("invalid operator %s in condition: %s", e.Op, e)
		}
		l, err := convertCond(e.LHS, fields)
		if err != nil {
			return nil, err
		}
		r, err := convertCond(e.RHS, fields)
		if err != nil {
			return nil, err
		}
		return &query.Binary{Op: op, LHS: l, RHS: r}, nil
	case *influxql.VarRef:
		return convertRef(e, fields), nil
	case *influxql.StringLiteral:
		return &query.Literal{Value: model.String(e.Val)}, nil
	case *influxql.NumberLiteral:
		return &query.Literal{Value: model.Float(e.Val)}, nil
	case *influxql.IntegerLiteral:
		return &query.Literal{Value: model.Int(e.Val)}, nil
	case *influxql.UnsignedLiteral:
		return &query.Literal{Value: model.Uint(e.Val)}, nil
	case *influxql.BooleanLiteral:
		return &query.Literal{Value: model.Bool(e.Val)}, nil
	case *influxql.DurationLiteral:
		return &query.Literal{Value: model.Int(int64(e.Val))}, nil
	case *influxql.TimeLiteral:
		return &query.Literal{Value: model.Int(e.Val.UnixNano())}, nil
	case *influxql.NilLiteral:
		return &query.Literal{}, nil
	case *influxql.RegexLiteral:
		return &query.Regex{Re: e.Val}, nil
	case *influxql.Call:
		return nil, fmt.Errorf("invalid function call in condition: %s", e)
	}
	return nil, fmt.Errorf("invalid condition expression: %s", e)
}

func convertRef(r *influxql.VarRef, fields fieldSet) *query.Ref {
	switch r.Type {
	case influxql.Tag:
		return &query.Ref{Name: r.Val, Kind: query.TagRef}
	case influxql.AnyField, influxql.Float, influxql.Integer, influxql.Unsigned, influxql.String, influxql.Boolean:
		return &query.Ref{Name: r.Val, Kind: query.FieldRef}
	}
	if _, ok := fields[r.Val]; ok {
		return &query.Ref{Name: r.Val, Kind: query.FieldRef}
	}
	return &query.Ref{Name: r.Val, Kind: query.TagRef}
}

var binaryOps = map[influxql.Token]query.Op{
	influxql.AND:      query.OpAnd,
	influxql.OR:       query.OpOr,
	influxql.EQ:       query.OpEq,
	influxql.NEQ:      query.OpNeq,
	influxql.LT:       query.OpLt,
	influxql.LTE:      query.OpLte,
	influxql.GT:       query.OpGt,
	influxql.GTE:      query.OpGte,
	influxql.EQREGEX:  query.OpMatch,
	influxql.NEQREGEX: query.OpNotMatch,
	influxql.ADD:      query.OpAdd,
	influxql.SUB:      query.OpSub,
	influxql.MUL:      query.OpMul,
	influxql.DIV:      query.OpDiv,
	influxql.MOD:      query.OpMod,
}

// tagOnly reports whether a condition names no field of the measurement,
// as DELETE and the SHOW statements require.
func tagOnly(e influxql.Expr, fields fieldSet) bool {
	only := true
	influxql.WalkFunc(e, func(n influxql.Node) {
		if r, ok := n.(*influxql.VarRef); ok && convertRef(r, fields).Kind == query.FieldRef {
			only = false
		}
	})
	return only
}
