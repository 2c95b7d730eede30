package rulelang

import "strings"

// Term is a checked, typed expression: *Const, *FieldRef, *AggRef, *Unary or
// *Binary. Terms have no parentheses and no unresolved names; the engine
// evaluates them with the indices they carry.
type Term interface {
	Pos() Pos
	Type() Type
	String() string // canonical source form
	term()
}

// Op is an operator, in syntax trees (UnaryExpr, BinaryExpr) and in checked
// terms (Unary, Binary). The parser writes OpAdd for every "+"; the checker
// resolves it to OpAdd or OpConcat by the operand types.
type Op uint8

// The operators.
const (
	OpNeg    Op = iota // -x (number)
	OpNot              // NOT x (bool)
	OpAdd              // number + number
	OpConcat           // string + string
	OpSub              // -
	OpMul              // *
	OpDiv              // /
	OpEq               // == (operands of the same type)
	OpNe               // !=
	OpLt               // < (numbers or strings)
	OpLe               // <=
	OpGt               // >
	OpGe               // >=
	OpAnd              // AND (bool)
	OpOr               // OR (bool)
)

var opText = [...]string{
	OpNeg: "-", OpNot: "NOT", OpAdd: "+", OpConcat: "+", OpSub: "-", OpMul: "*", OpDiv: "/",
	OpEq: "==", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=", OpAnd: "AND", OpOr: "OR",
}

// String returns the operator as written in source.
func (o Op) String() string {
	if int(o) < len(opText) {
		return opText[o]
	}
	return "Op(?)"
}

func (o Op) precedence() int {
	switch o {
	case OpOr:
		return precOr
	case OpAnd:
		return precAnd
	case OpNot:
		return precNot
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		return precCmp
	case OpAdd, OpConcat, OpSub:
		return precAdd
	case OpMul, OpDiv:
		return precMul
	}
	return precUnary
}

// Const is a literal value.
type Const struct {
	At    Pos
	Value Value
}

// FieldRef reads a field of a pattern variable: Rule.Vars[Var], field
// Rule.Vars[Var].Type.Fields[Field].
type FieldRef struct {
	At        Pos
	typ       Type // beside At, where it takes no room of its own
	Var       int
	Field     int
	VarName   string
	FieldName string
}

// AggRef reads the value of an aggregation variable, Rule.Aggregates[Agg].
// Its type is number.
type AggRef struct {
	At   Pos
	Agg  int
	Name string
}

// Unary is OpNeg or OpNot applied to X.
type Unary struct {
	At Pos // position of the operator
	Op Op
	X  Term
}

// Binary is X Op Y.
type Binary struct {
	At   Pos // position of the operator
	Op   Op
	X, Y Term
}

func (t *Const) Pos() Pos    { return t.At }
func (t *FieldRef) Pos() Pos { return t.At }
func (t *AggRef) Pos() Pos   { return t.At }
func (t *Unary) Pos() Pos    { return t.At }
func (t *Binary) Pos() Pos   { return t.At }

func (t *Const) Type() Type    { return t.Value.Type }
func (t *FieldRef) Type() Type { return t.typ }
func (t *AggRef) Type() Type   { return TypeNumber }
func (t *Unary) Type() Type {
	if t.Op == OpNot {
		return TypeBool
	}
	return TypeNumber
}
func (t *Binary) Type() Type {
	switch t.Op {
	case OpConcat:
		return TypeString
	case OpAdd, OpSub, OpMul, OpDiv:
		return TypeNumber
	}
	return TypeBool
}

func (*Const) term()    {}
func (*FieldRef) term() {}
func (*AggRef) term()   {}
func (*Unary) term()    {}
func (*Binary) term()   {}

func (t *Const) String() string    { return termString(t) }
func (t *FieldRef) String() string { return t.VarName + "." + t.FieldName }
func (t *AggRef) String() string   { return t.Name }
func (t *Unary) String() string    { return termString(t) }
func (t *Binary) String() string   { return termString(t) }

func termString(t Term) string {
	var b strings.Builder
	writeTerm(&b, t, precLowest)
	return b.String()
}

// writeTerm writes t, in parentheses when its operator binds more loosely
// than the context prec requires.
func writeTerm(b *strings.Builder, t Term, prec int) {
	switch t := t.(type) {
	case *Const:
		writeValue(b, t.Value)
	case *FieldRef, *AggRef:
		b.WriteString(t.String())
	case *Unary:
		p := t.Op.precedence()
		if p < prec {
			b.WriteByte('(')
		}
		b.WriteString(t.Op.String())
		if t.Op == OpNot {
			b.WriteByte(' ')
			writeTerm(b, t.X, precNot)
		} else {
			writeTerm(b, t.X, precUnary)
		}
		if p < prec {
			b.WriteByte(')')
		}
	case *Binary:
		p := t.Op.precedence()
		if p < prec {
			b.WriteByte('(')
		}
		// Operators are left associative; comparisons do not chain.
		right := p + 1
		left := p
		if p == precCmp {
			left = p + 1
		}
		writeTerm(b, t.X, left)
		b.WriteByte(' ')
		b.WriteString(t.Op.String())
		b.WriteByte(' ')
		writeTerm(b, t.Y, right)
		if p < prec {
			b.WriteByte(')')
		}
	default:
		panic("BUG: unknown term type")
	}
}
