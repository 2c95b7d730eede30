package rete

import (
	"errors"
	"strings"

	"github.com/accretedb/accrete/rulelang"
)

// Errors of declarations and rules ([Engine.Declare], [Engine.AddRule]).
var (
	// ErrTypeConflict is returned when a type is declared again with other
	// fields or another key than its first declaration.
	ErrTypeConflict = errors.New("type declared differently before")
	// ErrDuplicateRule is returned when a rule's name is already taken.
	ErrDuplicateRule = errors.New("duplicate rule")
)

// Errors of changes ([Engine.Apply]) and rules ([Engine.AddRule]).
var (
	// ErrUnknownType is returned for a fact of a type not declared yet, or
	// a rule over one.
	ErrUnknownType = errors.New("undeclared type")
	// ErrNoFact is returned for a retraction of a key that no fact has.
	ErrNoFact = errors.New("no such fact")
	// ErrBadFact is returned for a fact with the wrong number of values or
	// a value of the wrong type.
	ErrBadFact = errors.New("bad fact")
)

// Errors of queries ([Engine.Explain]).
var (
	// ErrUnknownRule is returned for a rule name the engine does not know.
	ErrUnknownRule = errors.New("unknown rule")
)

// ErrMismatch is returned by [Engine.Run] in checking mode ([Options.Check])
// when an incrementally maintained result differs from its recomputation
// from scratch. It means a bug in the engine.
var ErrMismatch = errors.New("incremental result differs from recomputation")

// ChangeError reports a change of a step that could not be applied. The
// other changes of the step were applied.
type ChangeError struct {
	Index  int    // position of the change in the step
	Change Change // the change
	Err    error  // what went wrong, wrapping one of the change errors above
}

func (e *ChangeError) Error() string { return e.Err.Error() }
func (e *ChangeError) Unwrap() error { return e.Err }

// ChangeErrors lists the changes of one step that could not be applied, in
// order. errors.Is looks through all of them.
type ChangeErrors []*ChangeError

func (l ChangeErrors) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the individual errors.
func (l ChangeErrors) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// StmtError is a runtime error of one statement run by [Engine.Exec]: the
// statement had no effect and the run went on with the next one.
type StmtError struct {
	Pos rulelang.Position // the statement's position
	Err error
}

// Error formats the error as file:line:col: message.
func (e *StmtError) Error() string {
	if e.Pos.IsValid() || e.Pos.Filename != "" {
		return e.Pos.String() + ": " + e.Err.Error()
	}
	return e.Err.Error()
}

func (e *StmtError) Unwrap() error { return e.Err }
