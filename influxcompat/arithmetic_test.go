package influxcompat

import (
	"math"
	"strings"
	"testing"

	"github.com/influxdata/influxql"
)

// TestEvalArithmetic checks the values of arithmetic columns on one row's
// values, as InfluxDB 1.6 gives them: integer arithmetic wraps around,
// integer division gives a float, division by zero gives 0 and a float
// modulo by zero NaN (null in JSON), a null operand gives null, bitwise
// operators work on integers and booleans.
func TestEvalArithmetic(t *testing.T) {
	row := map[string]any{
		"i": int64(20), "j": int64(3), "big": int64(math.MaxInt64), "f": 7.5,
		"b": true, "c": false, "s": "x", callSymbol(0): int64(90720019), callSymbol(1): 2.5,
	}
	f := func(expr string, want any) {
		t.Helper()
		e, err := influxql.ParseExpr(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		// call0, call1 stand for the symbols of calls, as compileFields
		// writes them.
		e = influxql.RewriteExpr(e, func(e influxql.Expr) influxql.Expr {
			if r, ok := e.(*influxql.VarRef); ok && strings.HasPrefix(r.Val, "call") {
				return &influxql.VarRef{Val: callSymbol(int(r.Val[4] - '0'))}
			}
			return e
		})
		got := evalArithmetic(e, row)
		if wf, ok := want.(float64); ok && math.IsNaN(wf) {
			if gf, ok := got.(float64); !ok || !math.IsNaN(gf) {
				t.Errorf("%s = %v (%T), want NaN", expr, got, got)
			}
			return
		}
		if got != want {
			t.Errorf("%s = %v (%T), want %v (%T)", expr, got, got, want, want)
		}
	}
	// Integers stay integers, except for division.
	f("i + j", int64(23))
	f("i - j * 2", int64(14))
	f("(i - j) * 2", int64(34))
	f("i % j", int64(2))
	f("i / j", 20.0/3)
	f("i / 4", 5.0)
	f("-i", int64(-20))
	// Overflow wraps around.
	f("big + 1", int64(math.MinInt64))
	f("big * 2", int64(-2))
	f("i * 922337203685477581", int64(4))
	// The product InfluxDB 1.6 answers for available * 9000000000000.
	f("call0 * 9000000000000", int64(4823431756779728896))
	// Division and modulo by zero.
	f("i / 0", 0.0)
	f("i % 0", int64(0))
	f("f / 0", 0.0)
	f("f % 0", math.NaN())
	// Integers next to floats become floats.
	f("i + f", 27.5)
	f("f % j", 1.5)
	f("call1 * 2", 5.0)
	f("call0 - call0", int64(0))
	// Bitwise operators.
	f("i & 6", int64(4))
	f("i | 1", int64(21))
	f("i ^ j", int64(23))
	f("b & c", false)
	f("b | c", true)
	f("b ^ c", true)
	// Null operands, missing values and strings give null.
	f("i + missing", nil)
	f("missing * 2", nil)
	f("f / missing", nil)
	f("s + 1", nil)
	f("i + s", nil)
}
