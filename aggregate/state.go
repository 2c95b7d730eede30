package aggregate

import (
	"fmt"

	"github.com/accretedb/accrete/model"
)

// State is the running state of one aggregate function over the values of
// one field type: a partial aggregate that values are added to, that merges
// with other partials of the same function and type, and that encodes to a
// stable binary form.
//
// A State is not safe for concurrent use; even Result and AppendBinary may
// reorder internal buffers (Median, Percentile sort their values). AppendBinary appends to the caller's buffer
// and keeps no reference to it; UnmarshalBinary copies what it keeps.
type State interface {
	// Func returns the aggregate function.
	Func() Func
	// InputType returns the type of the values the state aggregates.
	InputType() model.FieldType
	// Add adds the value v with timestamp ts (nanoseconds). v must have the
	// state's input type; Add panics otherwise.
	Add(ts int64, v model.FieldValue)
	// Merge adds every value added to other, as if they had been added to
	// the receiver after its own. other must be of the same concrete type,
	// function and input type (and percentile); Merge panics otherwise.
	// other is not modified.
	Merge(other State)
	// Result returns the aggregate of the values added, of type
	// Func().ResultType(InputType()), and false when there is none: no
	// values, or fewer than two for Stddev, or a percentile rank out of
	// range. Count over no values is Int(0), true.
	Result() (model.FieldValue, bool)
	// AppendBinary appends the state's encoding to dst (see the package
	// documentation for the layout).
	AppendBinary(dst []byte) ([]byte, error)
	// UnmarshalBinary replaces the state with the one encoded in data, which
	// must name the same function, input type and form. On error (wrapping
	// ErrCorruptState or ErrUnsupportedVersion) the state is unchanged.
	UnmarshalBinary(data []byte) error
	// Reset empties the state, keeping its function, type and parameter.
	Reset()
}

// Retractable is a State that can also take values back out: after Remove of
// a value that was added, the state is what it would be had the value never
// been added. Removing a value that is not in the state is a bug of the
// caller and panics.
type Retractable interface {
	State
	// Remove takes back one value added with the same timestamp and value.
	// Count, Sum and Mean ignore ts, as does Spread.
	Remove(ts int64, v model.FieldValue)
}

// Selector is a State whose result is one of its input points: Min, Max,
// First, Last and Percentile. InfluxQL reports the selected point's
// timestamp when a query has no GROUP BY time interval.
type Selector interface {
	State
	// Selected returns the selected point; ok is false when Result is.
	Selected() (ts int64, v model.FieldValue, ok bool)
}

// FloatAdder adds float64 values in hot loops (query scans, rollups) without
// boxing each into a model.FieldValue: AddFloat(ts, f) is Add(ts,
// model.Float(f)). Every state New returns implements it; it may be called
// on states of float inputs only (on a *CountState of any input) and panics
// otherwise. It does not allocate, except that Median, Percentile and
// Distinct grow their buffers.
type FloatAdder interface {
	AddFloat(ts int64, f float64)
}

// mergeArg returns other as the receiver's concrete type, and panics when it
// is not of the same type, function and input type.
func mergeArg[T State](s T, other State) T {
	o, ok := other.(T)
	if !ok || o.Func() != s.Func() || o.InputType() != s.InputType() {
		panic(fmt.Sprintf("BUG: cannot merge %s into %s", describe(other), describe(s)))
	}
	return o
}

func describe(s State) string {
	if s == nil {
		return "nil state"
	}
	return fmt.Sprintf("%T (%s of %s values)", s, s.Func(), s.InputType())
}

// checkType panics when v is not of the state's input type.
func checkType(f Func, t model.FieldType, v model.FieldValue) {
	if v.Type() != t {
		panic(fmt.Sprintf("BUG: %s state of %s values given a %s value", f, t, v.Type()))
	}
}

// checkFloat panics when a float is added to a state of another type.
func checkFloat(f Func, t model.FieldType) {
	if t != model.TypeFloat {
		panic(fmt.Sprintf("BUG: AddFloat on %s state of %s values", f, t))
	}
}
