package rete

import (
	"strings"

	"github.com/accretedb/accrete/rulelang"
)

// EventKind says what happened to an activation.
type EventKind uint8

// The kinds of activation events.
const (
	// Fire: the rule started to hold (an aggregation rule for a main fact,
	// a join rule for a tuple). Its actions ran.
	Fire EventKind = iota + 1
	// Update: the rule still holds and a bound value changed: an aggregate
	// value or a field of the main fact (aggregation rules), a field of a
	// fact of the tuple (join rules). Its actions ran again.
	Update
	// Withdraw: the rule stopped holding. No action ran.
	Withdraw
)

func (k EventKind) String() string {
	switch k {
	case Fire:
		return "fire"
	case Update:
		return "update"
	case Withdraw:
		return "withdraw"
	}
	return "EventKind(?)"
}

// Event is a change of an activation, delivered to the handlers passed to
// [Engine.Subscribe].
type Event struct {
	Kind EventKind
	Rule string
	// Facts are the bound facts: the main fact of an aggregation rule, or
	// one fact per pattern variable of a join rule, in declaration order.
	// For a withdrawal they hold the values the facts had when the rule
	// stopped holding (a retracted fact's last values).
	Facts []Fact
	// Aggregates are the values of an aggregation rule's aggregation
	// variables, in declaration order; nil for join rules and withdrawals.
	Aggregates []Binding
	// Actions are the rule's actions with their arguments evaluated, in
	// order; nil for withdrawals.
	Actions []ActionCall
}

// Key returns the key of the main fact (the first bound fact).
func (ev *Event) Key() rulelang.Value { return ev.Facts[0].Key() }

// Binding is the value of an aggregation variable.
type Binding struct {
	Name  string
	Value float64
}

// ActionCall is one action run by a fire or an update.
type ActionCall struct {
	Name  string
	Print bool // the built-in print
	Args  []rulelang.Value
}

// String returns the action's output line as accrete run prints it: for
// print, the arguments separated by one space, strings raw (see
// [FormatValue]); for a named action, name(arg, ...) with strings quoted
// (see [QuoteValue]).
func (a ActionCall) String() string {
	var b strings.Builder
	if a.Print {
		for i, v := range a.Args {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(FormatValue(v))
		}
		return b.String()
	}
	b.WriteString(a.Name)
	b.WriteByte('(')
	for i, v := range a.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(QuoteValue(v))
	}
	b.WriteByte(')')
	return b.String()
}

// Fact is a fact of working memory: its type and one value per field, in
// the type's field order.
type Fact struct {
	Type   *rulelang.TypeInfo
	Values []rulelang.Value
}

// Key returns the value of the fact's key field, or the zero Value when its
// type has no key field (the whole content identifies such a fact).
func (f Fact) Key() rulelang.Value {
	if f.Type.Key < 0 {
		return rulelang.Value{}
	}
	return f.Values[f.Type.Key]
}

// String writes the fact in the language's syntax:
// Employee(id: "e1", deptId: "d1", salary: 60000).
func (f Fact) String() string {
	var b strings.Builder
	b.WriteString(f.Type.Name)
	b.WriteByte('(')
	for i, v := range f.Values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Type.Fields[i].Name)
		b.WriteString(": ")
		b.WriteString(v.String())
	}
	b.WriteByte(')')
	return b.String()
}

// fact decodes the fact in a slot.
func (e *Engine) fact(t *typeMem, slot uint32) Fact {
	row := t.row(slot)
	vals := make([]rulelang.Value, len(row))
	for i, c := range row {
		vals[i] = e.decode(t.kinds[i], c)
	}
	return Fact{Type: t.info, Values: vals}
}

// action is a compiled action of a rule.
type action struct {
	name  string
	print bool
	args  []valFn
}

func compileActions(c compiler, acts []*rulelang.Action) []action {
	out := make([]action, len(acts))
	for i, a := range acts {
		out[i] = action{name: a.Name, print: a.Print}
		for _, t := range a.Args {
			out[i].args = append(out[i].args, c.value(t))
		}
	}
	return out
}

func runActions(acts []action, en *env) []ActionCall {
	calls := make([]ActionCall, len(acts))
	for i, a := range acts {
		args := make([]rulelang.Value, len(a.args))
		for j, f := range a.args {
			args[j] = f(en)
		}
		calls[i] = ActionCall{Name: a.name, Print: a.print, Args: args}
	}
	return calls
}
