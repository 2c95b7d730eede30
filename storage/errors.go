package storage

import (
	"errors"
	"fmt"

	"github.com/accretedb/accrete/model"
)

// Errors of catalog operations (databases and retention policies).
var (
	// ErrDatabaseNotFound is returned when a named database does not exist.
	ErrDatabaseNotFound = errors.New("database not found")
	// ErrRetentionPolicyNotFound is returned when a named retention policy
	// does not exist, or a database has no default policy and none was named.
	ErrRetentionPolicyNotFound = errors.New("retention policy not found")
	// ErrRetentionPolicyExists is returned when creating a retention policy
	// whose name is taken with different settings.
	ErrRetentionPolicyExists = errors.New("retention policy already exists")
	// ErrInvalidName is returned for an empty or over-long database,
	// retention policy or metadata namespace name.
	ErrInvalidName = errors.New("invalid name")
	// ErrInvalidDuration is returned for a negative duration, or a
	// retention duration shorter than the partition (shard) duration.
	ErrInvalidDuration = errors.New("invalid duration")
)

// Errors of writes.
var (
	// ErrEmptyBatch is returned for a write without points or a batch without
	// operations.
	ErrEmptyBatch = errors.New("empty batch")
	// ErrInvalidPoint is returned, wrapped with the point's index and what is
	// wrong, for a point without measurement or fields, with unsorted or
	// duplicate tags, an invalid value, or a series key longer than
	// MaxSeriesKeyLen.
	ErrInvalidPoint = errors.New("invalid point")
	// ErrFieldTypeConflict is matched (with errors.Is) by every
	// *FieldTypeConflictError.
	ErrFieldTypeConflict = errors.New("field type conflict")
	// ErrBatchCommitted is returned when a committed or discarded Batch is
	// used again.
	ErrBatchCommitted = errors.New("batch already committed")
)

// Errors of the whole database.
var (
	// ErrClosed is returned by every method of a closed DB.
	ErrClosed = errors.New("storage is closed")
	// ErrCorrupt is returned, wrapped with the key and the damage, when
	// stored data does not decode.
	ErrCorrupt = errors.New("corrupt storage")
	// ErrIncompatible is returned by Open for a directory written by an
	// unknown version of the format.
	ErrIncompatible = errors.New("incompatible storage format")
)

// FieldTypeConflictError reports a write of a value whose type differs from
// the type the field was first written with (earlier, or earlier in the
// same batch). Nothing of the write is stored.
type FieldTypeConflictError struct {
	Measurement string
	Field       string
	Existing    model.FieldType // the field's type
	Written     model.FieldType // the type of the rejected value
}

func (e *FieldTypeConflictError) Error() string {
	return fmt.Sprintf("field type conflict: measurement %q field %q is %s, write has %s",
		e.Measurement, e.Field, e.Existing, e.Written)
}

// Unwrap returns ErrFieldTypeConflict.
func (e *FieldTypeConflictError) Unwrap() error { return ErrFieldTypeConflict }
