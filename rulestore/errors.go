package rulestore

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of programs ([Service.Put], [Service.Delete], [Service.Explain]).
// A program that does not compile, or whose types or retractions clash with
// the stored state, fails with a rulelang.ErrorList instead: one
// diagnostic per problem, with its line and column.
var (
	// ErrInvalidName is returned for a program name that is empty, longer
	// than 128 bytes, starts with a dot or holds a byte other than
	// letters, digits, '_', '-' and '.'.
	ErrInvalidName = errors.New("invalid program name")
	// ErrProgramNotFound is returned for a program name nothing is stored
	// under.
	ErrProgramNotFound = errors.New("program not found")
	// ErrRuleNotFound is returned for a rule name the program does not
	// declare.
	ErrRuleNotFound = errors.New("rule not found")
	// ErrFactsInUse is returned, wrapped in a [*FactsInUseError], when a
	// new version of a program would drop or change the declaration of a
	// type that has facts and that no other program declares.
	ErrFactsInUse = errors.New("the new program would discard stored facts")
)

// Errors of facts ([Service.Step], [Service.Retract], [Service.Facts]).
var (
	// ErrUnknownType is returned for a fact type no program declares.
	ErrUnknownType = errors.New("unknown type")
	// ErrNoFact is returned for a retraction of a key no fact has.
	ErrNoFact = errors.New("no such fact")
	// ErrBadFact is returned for a fact whose values do not fit its type.
	ErrBadFact = errors.New("bad fact")
	// ErrNoKey is returned when a fact is addressed by key but its type
	// has no key field.
	ErrNoKey = errors.New("type has no key field")
	// ErrBadKey is returned for a key that cannot be read as a value of
	// the key field's type.
	ErrBadKey = errors.New("bad key")
	// ErrNoChanges is returned for a step without any change.
	ErrNoChanges = errors.New("no facts or retractions given")
)

// ErrCorrupt is returned by [Open] when a stored record cannot be decoded
// or contradicts the stored programs.
var ErrCorrupt = errors.New("corrupt rules record")

// FactError is a change of a step that cannot be applied.
type FactError struct {
	// At is where the change came from: [Change.At], or "change N" (from
	// 0) when that is empty.
	At  string
	Err error // wraps ErrUnknownType, ErrNoFact, ErrBadFact or ErrBadKey
}

func (e *FactError) Error() string { return e.At + ": " + e.Err.Error() }
func (e *FactError) Unwrap() error { return e.Err }

// FactErrors lists every change of a step that cannot be applied, in
// order. A step with any of them changes nothing.
type FactErrors []*FactError

// maxFactErrors bounds the errors a step collects.
const maxFactErrors = 100

func (l FactErrors) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the individual errors, so that errors.Is looks through
// them.
func (l FactErrors) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// FactsInUseError says which stored facts a new version of a program would
// discard. [PutOptions.DropFacts] lets the new version drop them.
type FactsInUseError struct {
	Program string
	Types   []TypeLoss
}

// TypeLoss is a type whose facts a new program version would discard.
type TypeLoss struct {
	Type  string
	Facts int
	// Redeclared is set when the new version declares the type
	// differently; otherwise it no longer declares it.
	Redeclared bool
}

func (e *FactsInUseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "program %s: ", e.Program)
	for i, t := range e.Types {
		if i > 0 {
			b.WriteString("; ")
		}
		how := "no longer declares it"
		if t.Redeclared {
			how = "declares it differently"
		}
		fmt.Fprintf(&b, "type %s has %d facts and the new version %s", t.Type, t.Facts, how)
	}
	b.WriteString(" (retract those facts first, or allow dropping them)")
	return b.String()
}

func (e *FactsInUseError) Unwrap() error { return ErrFactsInUse }
