package retention

import (
	"errors"
	"fmt"
	"time"
)

// Errors of definitions.
var (
	// ErrInvalid is returned, wrapped with the definition's name and what
	// is wrong, for a definition that cannot be stored.
	ErrInvalid = errors.New("invalid retention")
	// ErrNotFound is returned for an unknown definition name.
	ErrNotFound = errors.New("retention not found")
	// ErrExists is returned when creating a definition whose name is taken.
	ErrExists = errors.New("retention already exists")
)

// Errors of writes.
var (
	// ErrTooOld is matched (with errors.Is) by every *TooOldError.
	ErrTooOld = errors.New("point is older than the retention cutoff")
)

// TooOldError rejects a write holding a point older than the cutoff of a
// retention.
type TooOldError struct {
	Measurement string
	// Time of the point and Cutoff, the oldest time the retention keeps.
	Time, Cutoff time.Time
	// Policy is the retention policy whose duration rejected the point, or
	// "" when Definition did.
	Policy string
	// Definition is the name of the per-measurement retention that
	// rejected the point, or "".
	Definition string
}

func (e *TooOldError) Error() string {
	of := fmt.Sprintf("retention policy %q", e.Policy)
	if e.Definition != "" {
		of = fmt.Sprintf("retention %q", e.Definition)
	}
	return fmt.Sprintf("point of %q at %s is older than the retention cutoff %s of %s",
		e.Measurement, e.Time.UTC().Format(time.RFC3339Nano), e.Cutoff.UTC().Format(time.RFC3339Nano), of)
}

// Unwrap returns ErrTooOld.
func (e *TooOldError) Unwrap() error { return ErrTooOld }
