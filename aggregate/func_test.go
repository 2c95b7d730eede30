package aggregate

import (
	"errors"
	"strings"
	"testing"

	"github.com/accretedb/accrete/model"
)

func TestParseFunc(t *testing.T) {
	f := func(name string, want Func) {
		t.Helper()
		got, err := ParseFunc(name)
		if err != nil || got != want {
			t.Errorf("ParseFunc(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	f("count", Count)
	f("sum", Sum)
	f("mean", Mean)
	f("MEAN", Mean)
	f("avg", Mean)
	f("AVG", Mean)
	f("Min", Min)
	f("max", Max)
	f("first", First)
	f("last", Last)
	f("spread", Spread)
	f("stddev", Stddev)
	f("median", Median)
	f("percentile", Percentile)
	f("DISTINCT", Distinct)

	bad := func(name, wantMsg string) {
		t.Helper()
		got, err := ParseFunc(name)
		if err == nil {
			t.Fatalf("ParseFunc(%q) = %v, want an error", name, got)
		}
		if !errors.Is(err, ErrUnknownFunc) {
			t.Errorf("ParseFunc(%q) error %v does not wrap ErrUnknownFunc", name, err)
		}
		if err.Error() != wantMsg {
			t.Errorf("ParseFunc(%q) error %q, want %q", name, err, wantMsg)
		}
	}
	bad("foo", `unsupported aggregate function "foo"`)
	bad("top", `unsupported aggregate function "top"`)
	bad("Mode", `unsupported aggregate function "Mode"`)
	bad("integral", `unsupported aggregate function "integral"`)
	for _, name := range []string{"Mode", "integral", "MEAN", "avg"} {
		if _, err := ParseQueryFunc(name); err != nil {
			t.Errorf("ParseQueryFunc(%q): %v", name, err)
		}
	}
	if _, err := ParseQueryFunc("top"); !errors.Is(err, ErrUnknownFunc) {
		t.Errorf("ParseQueryFunc(top) error %v, want ErrUnknownFunc", err)
	}
	bad("", `unsupported aggregate function ""`)
	bad("mean ", `unsupported aggregate function "mean "`)
}

func TestFuncString(t *testing.T) {
	f := func(fn Func, want string) {
		t.Helper()
		if got := fn.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", uint8(fn), got, want)
		}
	}
	f(Count, "count")
	f(Mean, "mean")
	f(Percentile, "percentile")
	f(Distinct, "distinct")
	f(0, "Func(0)")
	f(Mode, "mode")
	f(Integral, "integral")
	f(15, "Func(15)")
	for _, fn := range allFuncs {
		if back, err := ParseQueryFunc(fn.String()); err != nil || back != fn {
			t.Errorf("ParseQueryFunc(%q) = %v, %v; want %v", fn.String(), back, err, fn)
		}
	}
}

func TestAcceptsAndResultType(t *testing.T) {
	const (
		F = model.TypeFloat
		I = model.TypeInteger
		U = model.TypeUnsigned
		S = model.TypeString
		B = model.TypeBoolean
		X = model.TypeInvalid
	)
	// Result types for float, integer, unsigned, string, boolean inputs; X
	// where the input is not accepted.
	f := func(fn Func, want [5]model.FieldType) {
		t.Helper()
		for i, in := range allTypes {
			if got := fn.ResultType(in); got != want[i] {
				t.Errorf("%s.ResultType(%s) = %s, want %s", fn, in, got, want[i])
			}
			if got := fn.Accepts(in); got != (want[i] != X) {
				t.Errorf("%s.Accepts(%s) = %v, want %v", fn, in, got, want[i] != X)
			}
		}
		if fn.Accepts(model.TypeInvalid) || fn.ResultType(model.TypeInvalid) != X {
			t.Errorf("%s accepts TypeInvalid", fn)
		}
	}
	f(Count, [5]model.FieldType{I, I, I, I, I})
	f(Sum, [5]model.FieldType{F, I, U, X, X})
	f(Mean, [5]model.FieldType{F, F, F, X, X})
	f(Min, [5]model.FieldType{F, I, U, X, B})
	f(Max, [5]model.FieldType{F, I, U, X, B})
	f(First, [5]model.FieldType{F, I, U, S, B})
	f(Last, [5]model.FieldType{F, I, U, S, B})
	f(Spread, [5]model.FieldType{F, I, U, X, X})
	f(Stddev, [5]model.FieldType{F, F, F, X, X})
	f(Median, [5]model.FieldType{F, F, F, X, X})
	f(Percentile, [5]model.FieldType{F, I, U, X, X})
	f(Distinct, [5]model.FieldType{F, I, U, S, B})
	f(0, [5]model.FieldType{X, X, X, X, X})
	f(Mode, [5]model.FieldType{F, I, U, S, B})
	f(Integral, [5]model.FieldType{F, F, F, X, X})
	f(15, [5]model.FieldType{X, X, X, X, X})
}

func TestMergeableAndRetractable(t *testing.T) {
	f := func(fn Func, mergeable, retractable bool) {
		t.Helper()
		if got := fn.Mergeable(); got != mergeable {
			t.Errorf("%s.Mergeable() = %v, want %v", fn, got, mergeable)
		}
		if got := fn.Retractable(); got != retractable {
			t.Errorf("%s.Retractable() = %v, want %v", fn, got, retractable)
		}
	}
	f(Count, true, true)
	f(Sum, true, true)
	f(Mean, true, true)
	f(Min, true, true)
	f(Max, true, true)
	f(First, true, true)
	f(Last, true, true)
	f(Spread, true, true)
	f(Stddev, true, false)
	f(Median, false, false)
	f(Percentile, false, false)
	f(Distinct, true, false)
	f(Mode, false, false)
	f(Integral, false, false)
	f(0, false, false)
}

func TestNewReturnsConcreteStates(t *testing.T) {
	f := func(fn Func, in model.FieldType, wantType string) {
		t.Helper()
		s := newState(fn, in)
		if got := describe(s); !strings.HasPrefix(got, wantType+" ") {
			t.Errorf("New(%s, %s) = %s, want a %s", fn, in, got, wantType)
		}
		if s.Func() != fn || s.InputType() != in {
			t.Errorf("New(%s, %s) reports %s of %s", fn, in, s.Func(), s.InputType())
		}
		if _, isAdder := s.(FloatAdder); in == model.TypeFloat && !isAdder {
			t.Errorf("New(%s, %s) is not a FloatAdder", fn, in)
		}
	}
	f(Count, model.TypeString, "*aggregate.CountState")
	f(Sum, model.TypeInteger, "*aggregate.SumState")
	f(Mean, model.TypeUnsigned, "*aggregate.MeanState")
	f(Min, model.TypeBoolean, "*aggregate.MinState")
	f(Max, model.TypeFloat, "*aggregate.MaxState")
	f(First, model.TypeString, "*aggregate.FirstState")
	f(Last, model.TypeBoolean, "*aggregate.LastState")
	f(Spread, model.TypeFloat, "*aggregate.SpreadState")
	f(Stddev, model.TypeInteger, "*aggregate.StddevState")
	f(Median, model.TypeFloat, "*aggregate.MedianState")
	f(Percentile, model.TypeFloat, "*aggregate.PercentileState")
	f(Distinct, model.TypeBoolean, "*aggregate.DistinctState")
}

func expectPanic(t *testing.T, what, wantSubstr string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		msg, _ := r.(string)
		if r == nil || !strings.HasPrefix(msg, "BUG: ") || !strings.Contains(msg, wantSubstr) {
			t.Errorf("%s: panic %v, want a BUG panic containing %q", what, r, wantSubstr)
		}
	}()
	fn()
}

func TestMisusePanics(t *testing.T) {
	expectPanic(t, "New(sum, string)", "sum does not accept string", func() { New(Sum, model.TypeString) })
	expectPanic(t, "New(percentile)", "NewPercentile", func() { New(Percentile, model.TypeFloat) })
	expectPanic(t, "New(0)", "invalid function", func() { New(0, model.TypeFloat) })
	expectPanic(t, "Add of wrong type", "given a integer value", func() {
		NewSum(model.TypeFloat).Add(0, model.Int(1))
	})
	expectPanic(t, "AddFloat on integers", "AddFloat on min state of integer", func() {
		NewMin(model.TypeInteger).AddFloat(0, 1)
	})
	expectPanic(t, "Merge of other function", "cannot merge", func() {
		NewSum(model.TypeFloat).Merge(NewMean(model.TypeFloat))
	})
	expectPanic(t, "Merge of other type", "cannot merge", func() {
		NewSum(model.TypeFloat).Merge(NewSum(model.TypeInteger))
	})
	expectPanic(t, "Merge of mergeable into ordered", "cannot merge", func() {
		newOrdered(Min, model.TypeFloat).Merge(NewMin(model.TypeFloat))
	})
	expectPanic(t, "Merge of other percentile", "different percentiles", func() {
		NewPercentile(50, model.TypeFloat).Merge(NewPercentile(90, model.TypeFloat))
	})
	expectPanic(t, "Remove from empty count", "empty count", func() {
		NewCount(model.TypeFloat).Remove(0, model.Float(1))
	})
	expectPanic(t, "Remove from empty sum", "empty sum", func() {
		NewSum(model.TypeInteger).Remove(0, model.Int(1))
	})
	expectPanic(t, "Remove from empty mean", "empty mean", func() {
		NewMean(model.TypeInteger).Remove(0, model.Int(1))
	})
	expectPanic(t, "Remove of absent point", "not in the min state", func() {
		s := newOrdered(Min, model.TypeInteger)
		s.Add(1, model.Int(5))
		s.Remove(2, model.Int(5))
	})
	expectPanic(t, "FloatSum.Remove when empty", "empty FloatSum", func() { new(FloatSum).Remove(1) })
	expectPanic(t, "FloatSum.Result(max)", "cannot compute max", func() { new(FloatSum).Result(Max) })
	expectPanic(t, "FloatMinMax.Result(sum)", "cannot compute sum", func() { new(FloatMinMax).Result(Sum) })
}

func TestNewRetractable(t *testing.T) {
	f := func(fn Func, in model.FieldType, wantErr error) {
		t.Helper()
		s, err := NewRetractable(fn, in)
		if wantErr != nil {
			if !errors.Is(err, wantErr) || s != nil {
				t.Errorf("NewRetractable(%s, %s) = %v, %v; want error %v", fn, in, s, err, wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), fn.String()) {
				t.Errorf("NewRetractable(%s, %s) error %q does not name the function", fn, in, err)
			}
			return
		}
		if err != nil || s.Func() != fn || s.InputType() != in {
			t.Errorf("NewRetractable(%s, %s) = %v, %v", fn, in, s, err)
		}
	}
	f(Count, model.TypeString, nil)
	f(Sum, model.TypeFloat, nil)
	f(Mean, model.TypeInteger, nil)
	f(Min, model.TypeBoolean, nil)
	f(Max, model.TypeUnsigned, nil)
	f(First, model.TypeString, nil)
	f(Last, model.TypeFloat, nil)
	f(Spread, model.TypeInteger, nil)
	f(Stddev, model.TypeFloat, ErrNotRetractable)
	f(Median, model.TypeFloat, ErrNotRetractable)
	f(Percentile, model.TypeFloat, ErrNotRetractable)
	f(Distinct, model.TypeFloat, ErrNotRetractable)
	f(Sum, model.TypeString, ErrTypeNotAccepted)
	f(Min, model.TypeString, ErrTypeNotAccepted)
}
