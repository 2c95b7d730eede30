package chunk

import (
	"errors"
	"fmt"
)

// Errors of encoding (Append and the Encoder methods). They are returned
// wrapped with the offending index or type; check them with [errors.Is].
var (
	// ErrEmpty is returned for a chunk without values.
	ErrEmpty = errors.New("chunk has no values")
	// ErrTooLarge is returned for a chunk of more than MaxCount values or
	// whose encoded payload exceeds MaxPayload bytes.
	ErrTooLarge = errors.New("chunk is too large")
	// ErrLengthMismatch is returned when the time and value columns differ in
	// length.
	ErrLengthMismatch = errors.New("time and value columns differ in length")
	// ErrUnsorted is returned when the timestamps are not strictly
	// increasing.
	ErrUnsorted = errors.New("timestamps are not strictly increasing")
	// ErrWrongType is returned for an invalid field type, or a value whose
	// type is not the chunk's, or columns of two different types.
	ErrWrongType = errors.New("wrong field type")
)

// Errors of decoding (Decode, ReadHeader and the Decoder methods).
var (
	// ErrCorrupt is returned, wrapped with a description of the damage, for a
	// chunk that fails its checksum or does not parse. A corrupt chunk never
	// makes a decoder panic.
	ErrCorrupt = errors.New("corrupt chunk")
	// ErrUnknownVersion is returned for a chunk whose format version this
	// package does not know (written by a newer accrete).
	ErrUnknownVersion = errors.New("unknown chunk format version")
)

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}
