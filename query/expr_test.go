package query

import (
	"math"
	"regexp"
	"testing"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

func field(name string) *Ref { return &Ref{Name: name, Kind: FieldRef} }
func tag(name string) *Ref   { return &Ref{Name: name, Kind: TagRef} }
func lit(v model.FieldValue) *Literal {
	return &Literal{Value: v}
}
func bin(op Op, l, r Expr) *Binary { return &Binary{Op: op, LHS: l, RHS: r} }

// TestConditionValues checks InfluxQL's value semantics point by point:
// nulls, mixed numeric types, strings, booleans, regular expressions and
// arithmetic.
func TestConditionValues(t *testing.T) {
	tags := model.Tags{{Key: "host", Value: "a"}}
	slots := map[string]int{"f": 0, "i": 1, "u": 2, "s": 3, "b": 4, "null": 5}
	values := []model.FieldValue{model.Float(2.5), model.Int(3), model.Uint(4), model.String("x"), model.Bool(true), {}}
	f := func(e Expr, want bool) {
		t.Helper()
		r := &row{tags: tags, values: values, slots: slots}
		if got := truth(eval(e, r)); got != want {
			t.Errorf("eval(%s) = %v, want %v", e, got, want)
		}
		if got := compileMatcher(e, slots)(r); got != want {
			t.Errorf("compiled %s = %v, want %v", e, got, want)
		}
	}
	f(bin(OpGt, field("f"), lit(model.Float(2))), true)
	f(bin(OpGt, field("f"), lit(model.Int(2))), true)
	f(bin(OpLt, lit(model.Float(2)), field("f")), true)
	f(bin(OpEq, field("i"), lit(model.Float(3))), true)
	f(bin(OpEq, field("i"), lit(model.Int(3))), true)
	f(bin(OpGte, field("u"), lit(model.Int(4))), true)
	f(bin(OpLt, field("u"), lit(model.Int(-1))), false)
	f(bin(OpGt, field("u"), lit(model.Int(-1))), true)
	f(bin(OpLt, lit(model.Int(-1)), field("u")), true)
	f(bin(OpGt, field("f"), field("i")), false)
	f(bin(OpLt, field("f"), field("i")), true)
	// Null compares false, even with != and with !~.
	f(bin(OpEq, field("null"), lit(model.Float(1))), false)
	f(bin(OpNeq, field("null"), lit(model.Float(1))), false)
	f(bin(OpGt, field("nothere"), lit(model.Float(1))), false)
	f(bin(OpNotMatch, field("null"), &Regex{regexp.MustCompile("x")}), false)
	// A null next to a boolean is false.
	f(bin(OpNeq, field("null"), lit(model.Bool(true))), true)
	f(bin(OpEq, field("b"), lit(model.Bool(true))), true)
	// Strings compare with = and != only.
	f(bin(OpEq, field("s"), lit(model.String("x"))), true)
	f(bin(OpNeq, field("s"), lit(model.String("y"))), true)
	f(bin(OpLt, field("s"), lit(model.String("y"))), false)
	f(bin(OpEq, field("s"), lit(model.Int(1))), false)
	f(bin(OpMatch, field("s"), &Regex{regexp.MustCompile("^x$")}), true)
	f(bin(OpNotMatch, field("s"), &Regex{regexp.MustCompile("^x$")}), false)
	// Tags, missing tags read as "".
	f(bin(OpEq, tag("host"), lit(model.String("a"))), true)
	f(bin(OpEq, tag("dc"), lit(model.String(""))), true)
	f(bin(OpNeq, tag("dc"), lit(model.String("x"))), true)
	f(bin(OpMatch, tag("host"), &Regex{regexp.MustCompile("^a")}), true)
	// Arithmetic: integer division by zero is 0, float division too.
	f(bin(OpEq, bin(OpAdd, field("i"), lit(model.Int(1))), lit(model.Int(4))), true)
	f(bin(OpEq, bin(OpDiv, field("i"), lit(model.Int(2))), lit(model.Int(1))), true)
	f(bin(OpEq, bin(OpDiv, field("i"), lit(model.Int(0))), lit(model.Int(0))), true)
	f(bin(OpEq, bin(OpDiv, field("f"), lit(model.Float(0))), lit(model.Float(0))), true)
	f(bin(OpEq, bin(OpMul, field("f"), field("i")), lit(model.Float(7.5))), true)
	// AND, OR.
	f(bin(OpAnd, bin(OpEq, tag("host"), lit(model.String("a"))), bin(OpGt, field("f"), lit(model.Float(3)))), false)
	f(bin(OpOr, bin(OpEq, tag("host"), lit(model.String("a"))), bin(OpGt, field("f"), lit(model.Float(3)))), true)
	f(True, true)
	f(False, false)
}

// TestEvalTags checks what the tags alone decide.
func TestEvalTags(t *testing.T) {
	tags := model.Tags{{Key: "host", Value: "a"}}
	f := func(e Expr, want tri) {
		t.Helper()
		if got := evalTags(e, tags); got != want {
			t.Errorf("evalTags(%s) = %v, want %v", e, got, want)
		}
		if got := MatchTags(e, tags); got != (want != triFalse) {
			t.Errorf("MatchTags(%s) = %v", e, got)
		}
	}
	hostA := bin(OpEq, tag("host"), lit(model.String("a")))
	hostB := bin(OpEq, tag("host"), lit(model.String("b")))
	fv := bin(OpGt, field("v"), lit(model.Float(1)))
	f(hostA, triTrue)
	f(hostB, triFalse)
	f(fv, triUnknown)
	f(bin(OpAnd, hostA, fv), triUnknown)
	f(bin(OpAnd, hostB, fv), triFalse)
	f(bin(OpOr, hostA, fv), triTrue)
	f(bin(OpOr, hostB, fv), triUnknown)
	f(bin(OpOr, hostB, hostB), triFalse)
	f(bin(OpAnd, hostA, hostA), triTrue)
}

// TestTagFilter checks that conditions become the storage's own filters
// where they can, and match the same series either way.
func TestTagFilter(t *testing.T) {
	hostA := bin(OpEq, tag("host"), lit(model.String("a")))
	hostB := bin(OpEq, tag("host"), lit(model.String("b")))
	re := &Regex{regexp.MustCompile("^e")}
	f := func(e Expr, want storage.TagFilter) {
		t.Helper()
		got := tagFilter(e)
		if gs, ws := describeFilter(got), describeFilter(want); gs != ws {
			t.Errorf("tagFilter(%s) = %s, want %s", e, gs, ws)
		}
	}
	f(nil, nil)
	f(hostA, storage.TagEq{Key: "host", Value: "a"})
	f(bin(OpEq, lit(model.String("a")), tag("host")), storage.TagEq{Key: "host", Value: "a"})
	f(bin(OpNeq, tag("host"), lit(model.String("a"))), storage.TagNeq{Key: "host", Value: "a"})
	f(bin(OpMatch, tag("region"), re), storage.TagRegex{Key: "region", Re: re.Re})
	f(bin(OpNotMatch, tag("region"), re), storage.TagNotRegex{Key: "region", Re: re.Re})
	f(bin(OpOr, hostA, hostB), storage.Or{storage.TagEq{Key: "host", Value: "a"}, storage.TagEq{Key: "host", Value: "b"}})
	fv := bin(OpGt, field("v"), lit(model.Float(1)))
	f(bin(OpAnd, hostA, fv), storage.And{storage.TagEq{Key: "host", Value: "a"}, exprFilter{fv}})
	f(bin(OpOr, hostA, fv), exprFilter{bin(OpOr, hostA, fv)})
	f(True, nil)

	// Every form matches the same series as the condition itself.
	conds := []Expr{hostA, bin(OpOr, hostA, hostB), bin(OpAnd, hostA, fv), bin(OpOr, hostB, fv),
		bin(OpAnd, bin(OpOr, hostA, hostB), bin(OpNotMatch, tag("region"), re))}
	series := []model.Tags{
		{{Key: "host", Value: "a"}, {Key: "region", Value: "eu"}},
		{{Key: "host", Value: "b"}, {Key: "region", Value: "us"}},
		{{Key: "host", Value: "c"}},
		{},
	}
	for _, c := range conds {
		for _, s := range series {
			got := tagFilter(c) == nil || tagFilter(c).Match(s)
			if want := MatchTags(c, s); got != want {
				t.Errorf("%s on %v: filter %v, condition %v", c, s, got, want)
			}
		}
	}
}

func describeFilter(f storage.TagFilter) string {
	switch f := f.(type) {
	case nil:
		return "nil"
	case exprFilter:
		return "expr" + f.e.String()
	case storage.And:
		s := "And("
		for _, x := range f {
			s += describeFilter(x) + " "
		}
		return s + ")"
	case storage.Or:
		s := "Or("
		for _, x := range f {
			s += describeFilter(x) + " "
		}
		return s + ")"
	case storage.TagRegex:
		return "TagRegex{" + f.Key + " " + f.Re.String() + "}"
	case storage.TagNotRegex:
		return "TagNotRegex{" + f.Key + " " + f.Re.String() + "}"
	case storage.TagEq:
		return "TagEq{" + f.Key + "=" + f.Value + "}"
	case storage.TagNeq:
		return "TagNeq{" + f.Key + "=" + f.Value + "}"
	}
	return "?"
}

// TestArithmeticValues checks the arithmetic of expressions on operand
// values: integers wrap around on overflow, division and modulo by zero
// give 0 (a float modulo by zero NaN), a null operand gives null, an
// integer next to a float becomes a float.
func TestArithmeticValues(t *testing.T) {
	f := func(op Op, a, b, want model.FieldValue) {
		t.Helper()
		got := binary(op, value{v: a}, value{v: b}).v
		if got.Type() != want.Type() || got.String() != want.String() {
			t.Errorf("%s %s %s = %s (%s), want %s (%s)", a, op, b, got, got.Type(), want, want.Type())
		}
	}
	null := model.FieldValue{}
	// Overflow wraps.
	f(OpAdd, model.Int(math.MaxInt64), model.Int(1), model.Int(math.MinInt64))
	f(OpSub, model.Int(math.MinInt64), model.Int(1), model.Int(math.MaxInt64))
	f(OpMul, model.Int(1<<62), model.Int(4), model.Int(0))
	// InfluxDB 1.6 answers 4823431756779728896 for this product.
	f(OpMul, model.Int(90720019), model.Int(9000000000000), model.Int(4823431756779728896))
	f(OpDiv, model.Int(math.MinInt64), model.Int(-1), model.Int(math.MinInt64))
	f(OpMod, model.Int(math.MinInt64), model.Int(-1), model.Int(0))
	f(OpAdd, model.Uint(math.MaxUint64), model.Uint(2), model.Uint(1))
	f(OpSub, model.Uint(0), model.Uint(1), model.Uint(math.MaxUint64))
	f(OpMul, model.Uint(1<<63), model.Uint(2), model.Uint(0))
	// Integer division truncates; by zero it is 0, as is the modulo.
	f(OpDiv, model.Int(-7), model.Int(2), model.Int(-3))
	f(OpMod, model.Int(-7), model.Int(2), model.Int(-1))
	f(OpDiv, model.Int(7), model.Int(0), model.Int(0))
	f(OpMod, model.Int(7), model.Int(0), model.Int(0))
	f(OpDiv, model.Uint(7), model.Uint(0), model.Uint(0))
	f(OpMod, model.Uint(7), model.Uint(0), model.Uint(0))
	// Floats: division by zero is 0, modulo by zero NaN.
	f(OpDiv, model.Float(7), model.Float(0), model.Float(0))
	f(OpDiv, model.Int(7), model.Float(2), model.Float(3.5))
	f(OpMod, model.Float(7.5), model.Int(2), model.Float(1.5))
	f(OpMod, model.Float(7.5), model.Float(0), model.Float(math.NaN()))
	// Signed and unsigned mix as unsigned.
	f(OpAdd, model.Int(-1), model.Uint(2), model.Uint(1))
	f(OpSub, model.Uint(2), model.Int(3), model.Uint(math.MaxUint64))
	// Null operands and non-numbers give null.
	f(OpAdd, null, model.Int(1), null)
	f(OpMul, model.Float(2), null, null)
	f(OpDiv, null, null, null)
	f(OpAdd, model.String("a"), model.String("b"), null)
	f(OpAdd, model.Bool(true), model.Int(1), null)
	// Comparisons of integers of one type are exact beyond float precision.
	f(OpLt, model.Int(1<<53), model.Int(1<<53+1), model.Bool(true))
	f(OpGt, model.Uint(math.MaxUint64), model.Uint(math.MaxUint64-1), model.Bool(true))
	f(OpEq, model.Int(5), model.Int(5), model.Bool(true))
	f(OpNeq, model.Uint(5), model.Uint(5), model.Bool(false))
}
