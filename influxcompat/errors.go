package influxcompat

import (
	"errors"
	"fmt"
)

// Errors of statements. Their texts are InfluxDB 1.x's, since clients match
// on them; they reach clients as the "error" of a statement's [Result].
var (
	// ErrDatabaseNameRequired is returned for a statement that needs a
	// database when neither the statement nor [Options.Database] names one.
	ErrDatabaseNameRequired = errors.New("database name required")
	// ErrDatabaseNotFound is wrapped with the name by statements naming a
	// database that does not exist: "database not found: x".
	ErrDatabaseNotFound = errors.New("database not found")
	// ErrRetentionPolicyNotFound is wrapped with the name by statements
	// naming a retention policy that does not exist.
	ErrRetentionPolicyNotFound = errors.New("retention policy not found")
	// ErrContinuousQueriesDisabled is returned for CREATE, SHOW and DROP
	// CONTINUOUS QUERY when the executor has no [ContinuousQueries].
	ErrContinuousQueriesDisabled = errors.New("continuous queries are not enabled")
	// ErrUnsupportedStatement is wrapped with the statement for InfluxQL
	// statements accrete does not execute (users, grants, shards,
	// subscriptions, KILL QUERY, ...).
	ErrUnsupportedStatement = errors.New("statement is not supported")
	// ErrUnsupportedFunction is wrapped with the function's name for calls
	// of InfluxQL functions accrete does not implement (top, derivative,
	// ...): "unsupported function: top()".
	ErrUnsupportedFunction = errors.New("unsupported function")
)

// Errors of retention policy statements, with InfluxDB's texts.
var (
	errDurationTooLow        = errors.New("retention policy duration must be at least 1h0m0s")
	errIncompatibleDurations = errors.New("retention policy duration must be greater than the shard duration")
)

// emitError carries an error of the emit callback out of a statement: it
// ends Execute with that error.
type emitError struct{ err error }

func (e *emitError) Error() string { return e.err.Error() }
func (e *emitError) Unwrap() error { return e.err }

// ParseError is returned by [Executor.Execute] when the query text does not
// parse; no statement runs. Its Error is the message InfluxDB 1.x answers
// with status 400: "error parsing query: " and the parser's message with
// the line and character of the problem.
type ParseError struct {
	Err error // usually an *influxql.ParseError
}

// Error implements error.
func (e *ParseError) Error() string { return "error parsing query: " + e.Err.Error() }

// Unwrap returns the parser's error.
func (e *ParseError) Unwrap() error { return e.Err }

// databaseNotFound returns the error InfluxDB gives for a missing database.
func databaseNotFound(name string) error {
	return fmt.Errorf("%w: %s", ErrDatabaseNotFound, name)
}
