package aggregate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/accretedb/accrete/model"
)

// Func identifies an aggregate function. The zero Func is invalid.
//
// The numeric values are part of the binary encoding of states (see the
// package documentation) and never change; new functions get new values.
type Func uint8

// The aggregate functions.
const (
	Count      Func = 1  // number of values; any type; integer result
	Sum        Func = 2  // sum; numeric; keeps the input type
	Mean       Func = 3  // arithmetic mean; numeric; float result
	Min        Func = 4  // smallest value; numeric or boolean; keeps the type
	Max        Func = 5  // largest value; numeric or boolean; keeps the type
	First      Func = 6  // value with the earliest timestamp; any type
	Last       Func = 7  // value with the latest timestamp; any type
	Spread     Func = 8  // max - min; numeric; keeps the input type
	Stddev     Func = 9  // sample standard deviation; numeric; float result
	Median     Func = 10 // middle value; numeric; float result
	Percentile Func = 11 // nearest-rank percentile; numeric; keeps the type
	Distinct   Func = 12 // the distinct values; any type; keeps the type
	Mode       Func = 13 // most frequent value; any type; keeps the type
	Integral   Func = 14 // area under the points; numeric; float result
)

// numFuncs is one past the largest valid Func.
const numFuncs = Integral + 1

var funcNames = [numFuncs]string{
	Count:      "count",
	Sum:        "sum",
	Mean:       "mean",
	Min:        "min",
	Max:        "max",
	First:      "first",
	Last:       "last",
	Spread:     "spread",
	Stddev:     "stddev",
	Median:     "median",
	Percentile: "percentile",
	Distinct:   "distinct",
	Mode:       "mode",
	Integral:   "integral",
}

// ParseFunc returns the function with the given InfluxQL name, ignoring case:
// "count", "sum", "mean", "min", "max", "first", "last", "spread", "stddev",
// "median", "percentile" or "distinct". "avg", the rule language's name for
// the mean, is accepted as well. Any other name, including InfluxQL
// functions accrete does not implement such as "top" and the query-only
// "mode" and "integral" (see [ParseQueryFunc]), yields an error wrapping
// [ErrUnknownFunc] that names it:
//
//	unsupported aggregate function "top"
//
// Rules, continuous aggregates and downsampling configurations name their
// functions with ParseFunc.
func ParseFunc(name string) (Func, error) {
	return parseFunc(name, Distinct)
}

// ParseQueryFunc is [ParseFunc] for InfluxQL queries: it also accepts
// "mode" and "integral", whose states keep every point and which only
// queries compute.
func ParseQueryFunc(name string) (Func, error) {
	return parseFunc(name, numFuncs-1)
}

func parseFunc(name string, last Func) (Func, error) {
	lower := strings.ToLower(name)
	if lower == "avg" {
		return Mean, nil
	}
	for f := Count; f <= last; f++ {
		if funcNames[f] == lower {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownFunc, name)
}

// String returns the function's InfluxQL name in lower case, as
// ParseQueryFunc accepts it.
func (f Func) String() string {
	if f.valid() {
		return funcNames[f]
	}
	return "Func(" + strconv.Itoa(int(f)) + ")"
}

func (f Func) valid() bool { return f >= Count && f < numFuncs }

// Accepts reports whether f takes values of type t. As in InfluxDB 1.x:
// Count, First, Last, Distinct and Mode take every type; Min and Max take
// numbers and booleans (false < true); Sum, Mean, Spread, Stddev, Median,
// Percentile and Integral take numbers only (float, integer, unsigned).
func (f Func) Accepts(t model.FieldType) bool {
	switch f {
	case Count, First, Last, Distinct, Mode:
		return t >= model.TypeFloat && t <= model.TypeBoolean
	case Min, Max:
		return t.Numeric() || t == model.TypeBoolean
	case Sum, Mean, Spread, Stddev, Median, Percentile, Integral:
		return t.Numeric()
	}
	return false
}

// ResultType returns the type of f's result over values of type in, as
// InfluxDB 1.x reports it: Count gives integers; Mean, Stddev, Median and
// Integral give floats; every other function keeps the input type (a sum of integers is an
// integer). It returns model.TypeInvalid when f does not accept in.
func (f Func) ResultType(in model.FieldType) model.FieldType {
	if !f.Accepts(in) {
		return model.TypeInvalid
	}
	switch f {
	case Count:
		return model.TypeInteger
	case Mean, Stddev, Median, Integral:
		return model.TypeFloat
	}
	return in
}

// Mergeable reports whether f's partial state has a size independent of the
// number of values added (for Distinct: of the number of distinct values),
// so that partial states can be materialized per bucket and merged later
// into exact results. It is true for every function but Median,
// Percentile, Mode and Integral, whose states keep all values; their Merge
// is exact too, it is just not cheap.
func (f Func) Mergeable() bool {
	return f.valid() && f != Median && f != Percentile && f != Mode && f != Integral
}

// Retractable reports whether [NewRetractable] supports f: Count, Sum, Mean,
// Min, Max, First, Last and Spread.
func (f Func) Retractable() bool {
	switch f {
	case Count, Sum, Mean, Min, Max, First, Last, Spread:
		return true
	}
	return false
}

// New returns an empty state of f for values of type in. It panics when f
// does not accept in (check [Func.Accepts] first) and for Percentile, which
// needs its parameter: use [NewPercentile].
//
// The returned state is the concrete type named after the function
// (*CountState, *SumState, ...), and implements [FloatAdder].
func New(f Func, in model.FieldType) State {
	switch f {
	case Count:
		return NewCount(in)
	case Sum:
		return NewSum(in)
	case Mean:
		return NewMean(in)
	case Min:
		return NewMin(in)
	case Max:
		return NewMax(in)
	case First:
		return NewFirst(in)
	case Last:
		return NewLast(in)
	case Spread:
		return NewSpread(in)
	case Stddev:
		return NewStddev(in)
	case Median:
		return NewMedian(in)
	case Percentile:
		panic("BUG: aggregate.New(percentile): the percentile needs its parameter, use NewPercentile")
	case Distinct:
		return NewDistinct(in)
	case Mode:
		return NewMode(in)
	case Integral:
		return NewIntegral(DefaultIntegralUnit, in)
	}
	panic(fmt.Sprintf("BUG: aggregate.New of invalid function %s", f))
}

// NewRetractable returns an empty state of f for values of type in that
// supports [Retractable.Remove]. Count, Sum and Mean return their ordinary
// states (*CountState, *SumState, *MeanState), which are retractable as they
// are. Min, Max, First, Last and Spread return an [*OrderedState] keeping the
// multiset of values. Other functions yield an error wrapping
// [ErrNotRetractable]; a type f does not accept yields one wrapping
// [ErrTypeNotAccepted].
func NewRetractable(f Func, in model.FieldType) (Retractable, error) {
	if !f.Retractable() {
		return nil, fmt.Errorf("aggregate function %s: %w", f, ErrNotRetractable)
	}
	if !f.Accepts(in) {
		return nil, fmt.Errorf("aggregate function %s on %s values: %w", f, in, ErrTypeNotAccepted)
	}
	switch f {
	case Count:
		return NewCount(in), nil
	case Sum:
		return NewSum(in), nil
	case Mean:
		return NewMean(in), nil
	}
	return newOrdered(f, in), nil
}

// Decode returns the state encoded in data by a state's AppendBinary, of the
// function, input type and form (partial or retractable) its header names.
// Errors wrap [ErrCorruptState] or [ErrUnsupportedVersion]. Decode never
// panics, whatever data holds.
func Decode(data []byte) (State, error) {
	h, err := readHeader(data)
	if err != nil {
		return nil, err
	}
	var s State
	switch {
	case h.form == formMultiset:
		if !h.fn.Retractable() || h.fn == Count || h.fn == Sum || h.fn == Mean {
			return nil, corruptf(h.fn, "form %d is not used by %s", h.form, h.fn)
		}
		s = newOrdered(h.fn, h.typ)
	case h.fn == Percentile:
		s = NewPercentile(0, h.typ)
	default:
		s = New(h.fn, h.typ)
	}
	if err := s.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return s, nil
}

// mustAccept panics when f does not take values of type t.
func mustAccept(f Func, t model.FieldType) {
	if !f.Accepts(t) {
		panic(fmt.Sprintf("BUG: aggregate function %s does not accept %s values", f, t))
	}
}
