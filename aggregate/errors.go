package aggregate

import "errors"

// Errors of looking up and constructing aggregate functions.
var (
	// ErrUnknownFunc is returned by [ParseFunc] for a name that is not one of
	// the supported aggregate functions. The returned error names the
	// function: `unsupported aggregate function "top"`.
	ErrUnknownFunc = errors.New("unsupported aggregate function")

	// ErrNotRetractable is returned by [NewRetractable] for a function that
	// has no retractable form.
	ErrNotRetractable = errors.New("aggregate function cannot retract values")

	// ErrTypeNotAccepted is returned by [NewRetractable] when the function
	// does not take values of the given field type (see [Func.Accepts]).
	ErrTypeNotAccepted = errors.New("aggregate function does not accept the field type")
)

// Errors of decoding a state's binary encoding.
var (
	// ErrCorruptState is wrapped by every error of [Decode] and of the states'
	// UnmarshalBinary methods for input that is not a valid encoding: short,
	// with trailing bytes, out-of-range fields, or a header naming another
	// function, field type or form than the receiving state.
	ErrCorruptState = errors.New("corrupt aggregate state")

	// ErrUnsupportedVersion is wrapped when the encoding's version byte is one
	// this build does not know (written by a newer accrete).
	ErrUnsupportedVersion = errors.New("unsupported aggregate state version")
)
