package rete

import (
	"cmp"
	"math"

	"github.com/accretedb/accrete/rulelang"
)

// env is what a compiled expression reads: the field codes of the facts
// bound to the rule's variables and the values of its aggregation
// variables.
type env struct {
	e    *Engine
	rows [][]uint64 // per row index (see compiler.rowOf)
	aggs []float64
}

type (
	numFn  func(*env) float64
	strFn  func(*env) string
	boolFn func(*env) bool
	valFn  func(*env) rulelang.Value
)

// compiler turns checked terms into closures. rowOf maps a rule variable
// to the env row holding its fact.
type compiler struct {
	rowOf func(v int) int
}

// identity binds every variable to the row of the same index.
var identity = compiler{rowOf: func(v int) int { return v }}

// single binds every variable to row 0: for terms that mention one
// variable only (filters, aggregate arguments, thresholds).
var single = compiler{rowOf: func(int) int { return 0 }}

func (c compiler) value(t rulelang.Term) valFn {
	switch t.Type() {
	case rulelang.TypeString:
		f := c.str(t)
		return func(en *env) rulelang.Value { return rulelang.StringValue(f(en)) }
	case rulelang.TypeNumber:
		f := c.num(t)
		return func(en *env) rulelang.Value { return rulelang.NumberValue(f(en)) }
	case rulelang.TypeBool:
		f := c.bool(t)
		return func(en *env) rulelang.Value { return rulelang.BoolValue(f(en)) }
	}
	panic("BUG: term of invalid type " + t.String())
}

func (c compiler) num(t rulelang.Term) numFn {
	switch t := t.(type) {
	case *rulelang.Const:
		v := t.Value.Num
		return func(*env) float64 { return v }
	case *rulelang.FieldRef:
		r, f := c.rowOf(t.Var), t.Field
		return func(en *env) float64 { return math.Float64frombits(en.rows[r][f]) }
	case *rulelang.AggRef:
		a := t.Agg
		return func(en *env) float64 { return en.aggs[a] }
	case *rulelang.Unary:
		x := c.num(t.X)
		return func(en *env) float64 { return -x(en) }
	case *rulelang.Binary:
		x, y := c.num(t.X), c.num(t.Y)
		switch t.Op {
		case rulelang.OpAdd:
			return func(en *env) float64 { return x(en) + y(en) }
		case rulelang.OpSub:
			return func(en *env) float64 { return x(en) - y(en) }
		case rulelang.OpMul:
			return func(en *env) float64 { return x(en) * y(en) }
		case rulelang.OpDiv:
			return func(en *env) float64 { return x(en) / y(en) }
		}
	}
	panic("BUG: not a number term: " + t.String())
}

func (c compiler) str(t rulelang.Term) strFn {
	switch t := t.(type) {
	case *rulelang.Const:
		v := t.Value.Str
		return func(*env) string { return v }
	case *rulelang.FieldRef:
		r, f := c.rowOf(t.Var), t.Field
		return func(en *env) string { return en.e.strs.str(uint32(en.rows[r][f])) }
	case *rulelang.Binary:
		if t.Op == rulelang.OpConcat {
			x, y := c.str(t.X), c.str(t.Y)
			return func(en *env) string { return x(en) + y(en) }
		}
	}
	panic("BUG: not a string term: " + t.String())
}

func (c compiler) bool(t rulelang.Term) boolFn {
	switch t := t.(type) {
	case *rulelang.Const:
		v := t.Value.Bool
		return func(*env) bool { return v }
	case *rulelang.FieldRef:
		r, f := c.rowOf(t.Var), t.Field
		return func(en *env) bool { return en.rows[r][f] != 0 }
	case *rulelang.Unary:
		x := c.bool(t.X)
		return func(en *env) bool { return !x(en) }
	case *rulelang.Binary:
		switch t.Op {
		case rulelang.OpAnd:
			x, y := c.bool(t.X), c.bool(t.Y)
			return func(en *env) bool { return x(en) && y(en) }
		case rulelang.OpOr:
			x, y := c.bool(t.X), c.bool(t.Y)
			return func(en *env) bool { return x(en) || y(en) }
		}
		return c.compare(t)
	}
	panic("BUG: not a bool term: " + t.String())
}

// compare compiles a comparison; the checker made both operands one type.
func (c compiler) compare(t *rulelang.Binary) boolFn {
	var fn boolFn
	switch t.X.Type() {
	case rulelang.TypeNumber:
		fn = ordered(t.Op, c.num(t.X), c.num(t.Y))
	case rulelang.TypeString:
		fn = ordered(t.Op, c.str(t.X), c.str(t.Y))
	case rulelang.TypeBool:
		fn = equality(t.Op, c.bool(t.X), c.bool(t.Y))
	}
	if fn == nil {
		panic("BUG: cannot compile comparison " + t.String())
	}
	return fn
}

// ordered returns the comparison op of x and y, or nil when op is not a
// comparison.
func ordered[T cmp.Ordered](op rulelang.Op, x, y func(*env) T) boolFn {
	switch op {
	case rulelang.OpLt:
		return func(en *env) bool { return x(en) < y(en) }
	case rulelang.OpLe:
		return func(en *env) bool { return x(en) <= y(en) }
	case rulelang.OpGt:
		return func(en *env) bool { return x(en) > y(en) }
	case rulelang.OpGe:
		return func(en *env) bool { return x(en) >= y(en) }
	}
	return equality(op, x, y)
}

// equality returns the comparison op of x and y, or nil when op is
// neither == nor !=.
func equality[T comparable](op rulelang.Op, x, y func(*env) T) boolFn {
	switch op {
	case rulelang.OpEq:
		return func(en *env) bool { return x(en) == y(en) }
	case rulelang.OpNe:
		return func(en *env) bool { return x(en) != y(en) }
	}
	return nil
}

// maxVar returns the largest variable index a term mentions, or -1.
func maxVar(t rulelang.Term) int {
	switch t := t.(type) {
	case *rulelang.FieldRef:
		return t.Var
	case *rulelang.Unary:
		return maxVar(t.X)
	case *rulelang.Binary:
		return max(maxVar(t.X), maxVar(t.Y))
	}
	return -1
}

// mirrored maps a comparison to the one with its operands swapped.
var mirrored = map[rulelang.Op]rulelang.Op{
	rulelang.OpEq: rulelang.OpEq, rulelang.OpNe: rulelang.OpNe,
	rulelang.OpLt: rulelang.OpGt, rulelang.OpGt: rulelang.OpLt,
	rulelang.OpLe: rulelang.OpGe, rulelang.OpGe: rulelang.OpLe,
}

// canonical writes a term fully parenthesized with every variable written
// as $, so that equal filters of different rules compare equal.
func canonical(t rulelang.Term) string {
	switch t := t.(type) {
	case *rulelang.Const:
		return t.Value.String()
	case *rulelang.FieldRef:
		return "$." + t.FieldName
	case *rulelang.AggRef:
		return "#" + t.Name
	case *rulelang.Unary:
		return "(" + t.Op.String() + " " + canonical(t.X) + ")"
	case *rulelang.Binary:
		x, op, y := t.X, t.Op, t.Y
		if _, ok := x.(*rulelang.Const); ok {
			if _, ok := y.(*rulelang.Const); !ok {
				if m, ok := mirrored[op]; ok {
					// 10 < x.s is x.s > 10.
					x, op, y = y, m, x
				}
			}
		}
		return "(" + canonical(x) + " " + op.String() + " " + canonical(y) + ")"
	}
	panic("BUG: unknown term type")
}
