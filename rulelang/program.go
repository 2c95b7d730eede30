package rulelang

import (
	"strings"
)

// Program is a checked file, ready for the engine. Every name is resolved
// to an index and every expression is typed.
type Program struct {
	File  *File       // the checked file
	Types []*TypeInfo // in declaration order; TypeInfo.Index is the position here
	Rules []*Rule     // in declaration order; Rule.Index is the position here
	// Stmts lists every statement of File in file order: *TypeInfo, *Fact,
	// *Retract and *Rule. The engine runs them in this order; consecutive
	// *Fact and *Retract statements form one step.
	Stmts []Statement
}

// Type returns the type with the given name, or nil.
func (p *Program) Type(name string) *TypeInfo {
	for _, t := range p.Types {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Statement is one statement of a Program: *TypeInfo, *Fact, *Retract or
// *Rule.
type Statement interface {
	Pos() Pos
	statement()
}

// TypeInfo is a declared fact type.
type TypeInfo struct {
	Name   string
	At     Pos
	Index  int     // position in Program.Types
	Fields []Field // in declaration order; facts store values in this order
	// Key is the index of the key field: the field marked with #, else the
	// field named id, else -1 (the type has no key; a fact is identified by
	// all its values and cannot be retracted by key).
	Key int

	index map[string]int // field indices, for types with many fields
	file  *File          // the file that declares the type
}

// manyNames is the size above which name lookups switch from a linear
// search to a map, so that hostile input with huge declarations stays
// linear.
const manyNames = 8

// Field is a field of a TypeInfo.
type Field struct {
	Name string
	Type Type
	At   Pos
}

// FieldIndex returns the index of the named field, or -1.
func (t *TypeInfo) FieldIndex(name string) int {
	if t.index != nil {
		if i, ok := t.index[name]; ok {
			return i
		}
		return -1
	}
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

// Fact is an asserted fact: one value per field of its type, in the type's
// field order. Asserting a fact whose key already exists replaces it.
type Fact struct {
	Type   *TypeInfo
	Values []Value
	At     Pos
}

// Retract removes the fact of Type whose key field equals Key.
type Retract struct {
	Type *TypeInfo
	Key  Value
	At   Pos
}

func (t *TypeInfo) Pos() Pos { return t.At }
func (f *Fact) Pos() Pos     { return f.At }
func (r *Retract) Pos() Pos  { return r.At }
func (r *Rule) Pos() Pos     { return r.At }

func (*TypeInfo) statement() {}
func (*Fact) statement()     {}
func (*Retract) statement()  {}
func (*Rule) statement()     {}

// RuleKind distinguishes the two kinds of rules.
type RuleKind uint8

const (
	// JoinRule is a rule without aggregation variables. It matches tuples
	// of facts, one per pattern variable, and fires once per tuple.
	JoinRule RuleKind = iota
	// AggregationRule is a rule with aggregation variables. It holds per
	// fact of its main variable (Vars[0]); the other variables are sources
	// joined to it along the join tree Joins.
	AggregationRule
)

func (k RuleKind) String() string {
	if k == AggregationRule {
		return "aggregation"
	}
	return "join"
}

// Rule is a checked rule with its conditions classified.
type Rule struct {
	Name  string
	At    Pos
	Index int // position in Program.Rules
	Kind  RuleKind

	// Vars are the pattern variables in declaration order. In an
	// aggregation rule Vars[0] is the main variable and the others are
	// sources.
	Vars []*Var
	// Aggregates are the aggregation variables in declaration order
	// (empty for a join rule).
	Aggregates []*Aggregate

	// Joins are the equality join conditions, one entry per pair of
	// variables (several equalities between the same pair form one
	// composite key).
	//
	// In an aggregation rule they form a tree spanning Vars rooted at the
	// main variable, listed parent first in breadth-first order:
	// len(Joins) == len(Vars)-1 and Joins[i].Child is never the main
	// variable. In a join rule they are in order of appearance, with
	// Parent declared before Child, and need not form a tree.
	Joins []*Join
	// JoinFilters are the conjuncts of a join rule that mention two or more
	// variables and are not a simple equality of fields (beta tests). They
	// are always empty in an aggregation rule.
	JoinFilters []Term
	// Thresholds are the conjuncts that mention aggregation variables
	// (besides them, only fields of the main variable). The rule holds for
	// a main fact when all of them are true.
	Thresholds []Term

	// Cond is the whole condition as written (nil when the rule has none);
	// Joins, Var.Filters, JoinFilters and Thresholds partition its
	// top-level AND conjuncts.
	Cond Term

	Actions []*Action

	file *File // the file that declares the rule
}

// Main returns the main variable of an aggregation rule (Vars[0]).
func (r *Rule) Main() *Var { return r.Vars[0] }

// Var is a pattern variable of a rule.
type Var struct {
	Name  string
	At    Pos
	Index int // position in Rule.Vars
	Type  *TypeInfo
	Block int // index of the pattern block that declares it
	// Filters are the conjuncts that mention only this variable (alpha
	// tests). Conjuncts that mention no variable at all are filters of
	// Vars[0].
	Filters []Term
}

// Join is an equality join between two pattern variables:
// for every k in Keys, Parent.Fields[k.ParentField] == Child.Fields[k.ChildField].
type Join struct {
	Parent int // index in Rule.Vars
	Child  int // index in Rule.Vars
	Keys   []JoinKey
	At     Pos // position of the first equality
}

// JoinKey is one field pair of a Join.
type JoinKey struct {
	ParentField int // field index in the parent's type
	ChildField  int // field index in the child's type
}

// AggFunc is an aggregate function.
type AggFunc uint8

// The aggregate functions.
const (
	AggAvg AggFunc = iota
	AggSum
	AggCount
	AggMin
	AggMax
)

var aggFuncNames = [...]string{AggAvg: "AVG", AggSum: "SUM", AggCount: "COUNT", AggMin: "MIN", AggMax: "MAX"}

// String returns the function's canonical (upper case) name.
func (f AggFunc) String() string {
	if int(f) < len(aggFuncNames) {
		return aggFuncNames[f]
	}
	return "AggFunc(?)"
}

// aggFuncByName looks an aggregate function up by name, in any letter case.
func aggFuncByName(name string) (AggFunc, bool) {
	for i, n := range aggFuncNames {
		if strings.EqualFold(n, name) {
			return AggFunc(i), true
		}
	}
	return 0, false
}

// Aggregate is an aggregation variable: Func over Arg, evaluated for each
// distinct fact of the source variable connected to the main fact. Its
// value is a number.
type Aggregate struct {
	Name   string
	At     Pos
	Index  int // position in Rule.Aggregates; AggRef.Agg refers to it
	Func   AggFunc
	Arg    Term // mentions only fields of Source
	Source int  // index in Rule.Vars; never 0 (the main variable)
}

// Action is one action of a rule: the built-in print, or a named action
// delivered to subscribers.
type Action struct {
	Name  string
	At    Pos
	Print bool // the built-in print
	Args  []Term
}
