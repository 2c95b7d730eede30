package continuous

import "errors"

// Errors of the registry (Register, Put, Unregister, Get, Enable, Disable,
// MarkProcessed, Status).
var (
	// ErrNotFound is returned, wrapped with the name, for an aggregate that
	// is not registered.
	ErrNotFound = errors.New("continuous aggregate not found")
	// ErrExists is returned by Register, wrapped with the name, when an
	// aggregate of that name is registered already.
	ErrExists = errors.New("continuous aggregate already exists")
	// ErrInvalid is returned, wrapped with the aggregate's name and what is
	// wrong, for a definition that cannot be registered: a missing name,
	// source, target or field, an unknown or unsupported function, an
	// interval ≤ 0, a target equal to the source, an output name used twice,
	// a target another aggregate writes, a dependency cycle between
	// aggregates, a filter that is not a condition on tags, or an unknown
	// database or retention policy.
	ErrInvalid = errors.New("invalid continuous aggregate")
)

// Errors of refreshes and queries.
var (
	// ErrClosed is returned by every method of a closed Engine.
	ErrClosed = errors.New("continuous aggregate engine is closed")
	// ErrCorrupt is returned, wrapped with the key and the damage, when
	// stored aggregate metadata does not decode.
	ErrCorrupt = errors.New("corrupt continuous aggregate metadata")
)
