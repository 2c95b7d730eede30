package downsample

import (
	"errors"
	"fmt"

	"github.com/accretedb/accrete/storage"
)

// Errors of registering, looking up and removing configs.
var (
	// ErrInvalid wraps every validation error of a Config; the message
	// names the config and what is wrong.
	ErrInvalid = errors.New("invalid downsample")
	// ErrNotFound is returned for an unknown config name.
	ErrNotFound = errors.New("downsample not found")
	// ErrExists is returned by Register for a name already registered.
	ErrExists = errors.New("downsample already exists")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("downsample engine closed")
)

// Errors of writes observed by the engine.
var (
	// ErrTooOld rejects a write of a source point older than its config's
	// SourceRetention. It wraps storage.ErrInvalidPoint: the write is bad
	// input.
	ErrTooOld = fmt.Errorf("%w: older than the source retention of a downsample", storage.ErrInvalidPoint)
)

func errNotFound(name string) error { return fmt.Errorf("%w: %q", ErrNotFound, name) }
