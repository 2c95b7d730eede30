package query

import (
	"cmp"
	"fmt"
	"math"
	"regexp"

	"github.com/accretedb/accrete/model"
)

// Expr is a condition on points: a tree of [*Binary] nodes over [*Ref]s to
// tags and fields, [*Literal]s and [*Regex]es. Its value semantics follow
// InfluxQL's: a missing field is null and every comparison with null is
// false (the != operator included); a tag a series does not carry reads as
// the empty string; numbers of different types compare by value; integer
// arithmetic wraps around on overflow; a division or integer modulo by
// zero gives 0.
//
// Expressions are immutable once built and safe for concurrent use.
type Expr interface {
	fmt.Stringer
	expr()
}

// Op is an operator of a [*Binary] expression.
type Op uint8

// The operators.
const (
	OpAnd Op = iota + 1
	OpOr
	OpEq
	OpNeq
	OpLt
	OpLte
	OpGt
	OpGte
	OpMatch    // =~ regular expression
	OpNotMatch // !~ regular expression
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpMod
)

var opNames = [...]string{
	OpAnd: "AND", OpOr: "OR", OpEq: "=", OpNeq: "!=", OpLt: "<", OpLte: "<=", OpGt: ">",
	OpGte: ">=", OpMatch: "=~", OpNotMatch: "!~", OpAdd: "+", OpSub: "-", OpMul: "*",
	OpDiv: "/", OpMod: "%",
}

func (op Op) String() string {
	if int(op) < len(opNames) && opNames[op] != "" {
		return opNames[op]
	}
	return fmt.Sprintf("Op(%d)", uint8(op))
}

func (op Op) comparison() bool { return op >= OpEq && op <= OpNotMatch }

// RefKind says what a [*Ref] names.
type RefKind uint8

// The kinds of references.
const (
	FieldRef RefKind = iota + 1
	TagRef
)

// Binary applies Op to LHS and RHS.
type Binary struct {
	Op       Op
	LHS, RHS Expr
}

// Ref reads a tag or a field of the point.
type Ref struct {
	Name string
	Kind RefKind
}

// Literal is a constant: a float, integer, unsigned, string or boolean.
type Literal struct {
	Value model.FieldValue
}

// Regex is a regular expression, the right operand of =~ and !~.
type Regex struct {
	Re *regexp.Regexp
}

func (*Binary) expr()  {}
func (*Ref) expr()     {}
func (*Literal) expr() {}
func (*Regex) expr()   {}

func (b *Binary) String() string {
	return "(" + b.LHS.String() + " " + b.Op.String() + " " + b.RHS.String() + ")"
}

func (r *Ref) String() string {
	if r.Kind == TagRef {
		return r.Name + "::tag"
	}
	return r.Name + "::field"
}

func (l *Literal) String() string { return l.Value.String() }
func (r *Regex) String() string   { return "/" + r.Re.String() + "/" }

// True and False are the constant conditions.
var (
	True  Expr = &Literal{Value: model.Bool(true)}
	False Expr = &Literal{Value: model.Bool(false)}
)

// And returns the conjunction of a and b; a nil operand is left out.
func And(a, b Expr) Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &Binary{Op: OpAnd, LHS: a, RHS: b}
}

// FieldRefs returns the names of the fields e reads, each once, in the order
// they first appear.
func FieldRefs(e Expr) []string {
	var out []string
	walk(e, func(r *Ref) {
		if r.Kind == FieldRef && !containsString(out, r.Name) {
			out = append(out, r.Name)
		}
	})
	return out
}

// HasFieldRefs reports whether e reads any field.
func HasFieldRefs(e Expr) bool { return len(FieldRefs(e)) > 0 }

func walk(e Expr, fn func(*Ref)) {
	switch e := e.(type) {
	case *Binary:
		walk(e.LHS, fn)
		walk(e.RHS, fn)
	case *Ref:
		fn(e)
	}
}

func containsString(a []string, s string) bool {
	for _, x := range a {
		if x == s {
			return true
		}
	}
	return false
}

// tri is a three-valued truth: the outcome of a condition for a series
// before its field values are known.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

// evalTags decides e for a series with the given tags without looking at
// fields: triUnknown when the outcome depends on field values.
func evalTags(e Expr, tags model.Tags) tri {
	if b, ok := e.(*Binary); ok {
		switch b.Op {
		case OpAnd:
			l := evalTags(b.LHS, tags)
			if l == triFalse {
				return triFalse
			}
			r := evalTags(b.RHS, tags)
			switch {
			case r == triFalse:
				return triFalse
			case l == triTrue && r == triTrue:
				return triTrue
			}
			return triUnknown
		case OpOr:
			l := evalTags(b.LHS, tags)
			if l == triTrue {
				return triTrue
			}
			r := evalTags(b.RHS, tags)
			switch {
			case r == triTrue:
				return triTrue
			case l == triFalse && r == triFalse:
				return triFalse
			}
			return triUnknown
		}
	}
	if HasFieldRefs(e) {
		return triUnknown
	}
	if truth(eval(e, &row{tags: tags})) {
		return triTrue
	}
	return triFalse
}

// MatchTags reports whether a condition may hold for a series with the
// given tags: it is false only when the tags alone make the condition
// false, whatever the field values.
func MatchTags(e Expr, tags model.Tags) bool { return evalTags(e, tags) != triFalse }

// row is what a condition is evaluated on: the tags of a series and the
// values of some of its fields at one time, indexed by slot.
type row struct {
	tags   model.Tags
	values []model.FieldValue
	slots  map[string]int // field name → index in values
}

func (r *row) field(name string) model.FieldValue {
	if i, ok := r.slots[name]; ok {
		return r.values[i]
	}
	return model.FieldValue{}
}

// value is an evaluated operand: a field value, a regular expression, or
// null (neither set).
type value struct {
	v  model.FieldValue
	re *regexp.Regexp
}

func truth(v value) bool { return v.v.Type() == model.TypeBoolean && v.v.BoolV() }

// eval evaluates e on r.
func eval(e Expr, r *row) value {
	switch e := e.(type) {
	case *Literal:
		return value{v: e.Value}
	case *Regex:
		return value{re: e.Re}
	case *Ref:
		if e.Kind == TagRef {
			v, _ := r.tags.Get(e.Name)
			return value{v: model.String(v)}
		}
		return value{v: r.field(e.Name)}
	case *Binary:
		return binary(e.Op, eval(e.LHS, r), eval(e.RHS, r))
	}
	panic(fmt.Sprintf("BUG: cannot evaluate %T", e))
}

var (
	boolTrue  = value{v: model.Bool(true)}
	boolFalse = value{v: model.Bool(false)}
)

func boolValue(b bool) value {
	if b {
		return boolTrue
	}
	return boolFalse
}

// binary applies op to two evaluated operands with InfluxQL's semantics.
func binary(op Op, l, r value) value {
	lt, rt := l.v.Type(), r.v.Type()
	// A null next to a boolean reads as false.
	if lt == model.TypeInvalid && l.re == nil && rt == model.TypeBoolean {
		l, lt = boolFalse, model.TypeBoolean
	} else if rt == model.TypeInvalid && r.re == nil && lt == model.TypeBoolean {
		r, rt = boolFalse, model.TypeBoolean
	}
	switch {
	case lt == model.TypeBoolean:
		if rt != model.TypeBoolean {
			break
		}
		a, b := l.v.BoolV(), r.v.BoolV()
		switch op {
		case OpAnd:
			return boolValue(a && b)
		case OpOr:
			return boolValue(a || b)
		case OpEq:
			return boolValue(a == b)
		case OpNeq:
			return boolValue(a != b)
		}
	case lt == model.TypeString:
		a := l.v.StringV()
		switch op {
		case OpEq:
			return boolValue(rt == model.TypeString && a == r.v.StringV())
		case OpNeq:
			return boolValue(rt == model.TypeString && a != r.v.StringV())
		case OpMatch:
			return boolValue(r.re != nil && r.re.MatchString(a))
		case OpNotMatch:
			return boolValue(r.re != nil && !r.re.MatchString(a))
		}
	case lt.Numeric() && rt.Numeric():
		return numeric(op, l.v, r.v)
	}
	if op.comparison() {
		return boolFalse
	}
	return value{}
}

// numeric applies op to two numbers. Integers of the same type stay exact;
// an integer next to a float is converted to float.
func numeric(op Op, a, b model.FieldValue) value {
	at, bt := a.Type(), b.Type()
	switch {
	case at == model.TypeInteger && bt == model.TypeInteger:
		return intOp(op, a.IntV(), b.IntV())
	case at == model.TypeUnsigned && bt == model.TypeUnsigned:
		return uintOp(op, a.UintV(), b.UintV())
	case at == model.TypeInteger && bt == model.TypeUnsigned:
		if op.comparison() {
			return boolValue(compareSigned(a.IntV(), b.UintV(), op))
		}
		return uintOp(op, uint64(a.IntV()), b.UintV())
	case at == model.TypeUnsigned && bt == model.TypeInteger:
		if op.comparison() {
			return boolValue(compareSigned(b.IntV(), a.UintV(), mirror(op)))
		}
		return uintOp(op, a.UintV(), uint64(b.IntV()))
	}
	x, _ := a.Number()
	y, _ := b.Number()
	return floatOp(op, x, y)
}

// mirror returns the operator that gives the same result with the operands
// swapped.
func mirror(op Op) Op {
	switch op {
	case OpLt:
		return OpGt
	case OpLte:
		return OpGte
	case OpGt:
		return OpLt
	case OpGte:
		return OpLte
	}
	return op
}

// compareSigned compares a signed and an unsigned integer by value.
func compareSigned(i int64, u uint64, op Op) bool {
	c := 0
	switch {
	case i < 0 || uint64(i) < u:
		c = -1
	case uint64(i) > u:
		c = 1
	}
	return cmpResult(c, op)
}

func cmpResult(c int, op Op) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpNeq:
		return c != 0
	case OpLt:
		return c < 0
	case OpLte:
		return c <= 0
	case OpGt:
		return c > 0
	case OpGte:
		return c >= 0
	}
	return false
}

func floatOp(op Op, a, b float64) value {
	switch op {
	case OpEq:
		return boolValue(a == b)
	case OpNeq:
		return boolValue(a != b)
	case OpLt:
		return boolValue(a < b)
	case OpLte:
		return boolValue(a <= b)
	case OpGt:
		return boolValue(a > b)
	case OpGte:
		return boolValue(a >= b)
	case OpAdd:
		return value{v: model.Float(a + b)}
	case OpSub:
		return value{v: model.Float(a - b)}
	case OpMul:
		return value{v: model.Float(a * b)}
	case OpDiv:
		if b == 0 {
			return value{v: model.Float(0)}
		}
		return value{v: model.Float(a / b)}
	case OpMod:
		return value{v: model.Float(math.Mod(a, b))}
	}
	if op.comparison() {
		return boolFalse
	}
	return value{}
}

func intOp(op Op, a, b int64) value { return integerOp(op, a, b, model.Int) }

func uintOp(op Op, a, b uint64) value { return integerOp(op, a, b, model.Uint) }

// integerOp applies op to two integers of one type as InfluxQL does:
// arithmetic wraps around on overflow (two's complement, as in Go),
// division and modulo by zero give 0; mk makes the result's field value.
func integerOp[T int64 | uint64](op Op, a, b T, mk func(T) model.FieldValue) value {
	switch op {
	case OpAdd:
		return value{v: mk(a + b)}
	case OpSub:
		return value{v: mk(a - b)}
	case OpMul:
		return value{v: mk(a * b)}
	case OpDiv:
		if b == 0 {
			return value{v: mk(0)}
		}
		return value{v: mk(a / b)}
	case OpMod:
		if b == 0 {
			return value{v: mk(0)}
		}
		return value{v: mk(a % b)}
	}
	return boolValue(cmpResult(cmp.Compare(a, b), op))
}

// matcher tests a condition on rows of one series; fields are read from the
// row's slots.
type matcher func(r *row) bool

// compileMatcher returns a matcher for e. Comparisons of one field with a
// number, the shape of almost every field condition, get closures that do
// not go through the generic evaluator.
func compileMatcher(e Expr, slots map[string]int) matcher {
	if b, ok := e.(*Binary); ok {
		switch b.Op {
		case OpAnd:
			l, r := compileMatcher(b.LHS, slots), compileMatcher(b.RHS, slots)
			return func(x *row) bool { return l(x) && r(x) }
		case OpOr:
			l, r := compileMatcher(b.LHS, slots), compileMatcher(b.RHS, slots)
			return func(x *row) bool { return l(x) || r(x) }
		}
		if m := compileNumberCompare(b, slots); m != nil {
			return m
		}
	}
	return func(x *row) bool { return truth(eval(e, x)) }
}

// compileNumberCompare returns a matcher for "field op number" or "number op
// field" with a float literal, or nil for other shapes.
func compileNumberCompare(b *Binary, slots map[string]int) matcher {
	if b.Op < OpEq || b.Op > OpGte {
		return nil
	}
	ref, lit, op := asRefLiteral(b.LHS, b.RHS), b.RHS, b.Op
	if ref == nil {
		ref, lit, op = asRefLiteral(b.RHS, b.LHS), b.LHS, mirror(b.Op)
	}
	if ref == nil {
		return nil
	}
	l := lit.(*Literal).Value
	if l.Type() != model.TypeFloat {
		return nil
	}
	slot, ok := slots[ref.Name]
	if !ok {
		return func(*row) bool { return false }
	}
	c := l.FloatV()
	return func(x *row) bool {
		v := x.values[slot]
		var f float64
		switch v.Type() {
		case model.TypeFloat:
			f = v.FloatV()
		case model.TypeInteger:
			f = float64(v.IntV())
		case model.TypeUnsigned:
			f = float64(v.UintV())
		default:
			return false
		}
		switch op {
		case OpEq:
			return f == c
		case OpNeq:
			return f != c
		case OpLt:
			return f < c
		case OpLte:
			return f <= c
		case OpGt:
			return f > c
		}
		return f >= c
	}
}

// asRefLiteral returns a when a is a field reference and b a literal.
func asRefLiteral(a, b Expr) *Ref {
	r, ok := a.(*Ref)
	if !ok || r.Kind != FieldRef {
		return nil
	}
	if _, ok := b.(*Literal); !ok {
		return nil
	}
	return r
}
