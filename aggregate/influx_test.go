package aggregate

import (
	"math"
	"slices"
	"testing"

	"github.com/accretedb/accrete/model"
)

// These tests run the datasets of InfluxDB 1.x's query tests
// (query/select_test.go: SELECT f(value) ... GROUP BY time(10s), host) and
// expect the results InfluxDB's tests expect; the functions InfluxDB's tests
// do not cover on a dataset are computed by hand by InfluxDB's rules.

type influxPoint struct {
	host string
	sec  int64
	v    float64
}

const second = int64(1e9)

// cpuPoints is the dataset of InfluxDB's Median, Stddev and Spread tests,
// series after series as the iterators yield them.
var cpuPoints = []influxPoint{
	{"A", 0, 20}, {"A", 11, 3}, {"A", 31, 100},
	{"B", 5, 10}, {"B", 50, 1}, {"B", 51, 2}, {"B", 52, 3}, {"B", 53, 4}, {"B", 53, 5},
	{"A", 9, 19}, {"A", 10, 2},
}

// meanPoints is the dataset of InfluxDB's Mean tests: cpuPoints with 4
// instead of 3 at 52s.
var meanPoints = func() []influxPoint {
	ps := slices.Clone(cpuPoints)
	ps[6].v = 4
	return ps
}()

// percentilePoints is the dataset of InfluxDB's Percentile tests.
var percentilePoints = []influxPoint{
	{"A", 0, 20}, {"A", 11, 3}, {"A", 31, 100},
	{"B", 5, 10}, {"B", 50, 10}, {"B", 51, 9}, {"B", 52, 8}, {"B", 53, 7}, {"B", 54, 6},
	{"B", 55, 5}, {"B", 56, 4}, {"B", 57, 3}, {"B", 58, 2}, {"B", 59, 1},
	{"A", 9, 19}, {"A", 10, 2},
}

// The groups (host, 10s bucket) in InfluxDB's output order.
var influxGroups = []struct {
	host  string
	start int64
}{{"A", 0}, {"A", 10}, {"A", 30}, {"B", 0}, {"B", 50}}

func numberValue(t model.FieldType, x float64) model.FieldValue {
	switch t {
	case model.TypeInteger:
		return model.Int(int64(x))
	case model.TypeUnsigned:
		return model.Uint(uint64(x))
	}
	return model.Float(x)
}

// groupStates aggregates ps per group with states made by mk.
func groupStates(mk func() State, in model.FieldType, ps []influxPoint) []State {
	states := make([]State, len(influxGroups))
	for i := range states {
		states[i] = mk()
	}
	for _, p := range ps {
		for i, g := range influxGroups {
			if p.host == g.host && p.sec >= g.start && p.sec < g.start+10 {
				states[i].Add(p.sec*second, numberValue(in, p.v))
			}
		}
	}
	return states
}

func TestInfluxParity(t *testing.T) {
	none := math.NaN()
	// want holds the result per group, NaN for none; wantSec the selected
	// point's time in seconds for selectors.
	f := func(fn Func, p float64, ps []influxPoint, want [5]float64, wantSec [5]int64) {
		t.Helper()
		for _, in := range []model.FieldType{model.TypeFloat, model.TypeInteger, model.TypeUnsigned} {
			mk := func() State { return New(fn, in) }
			if fn == Percentile {
				mk = func() State { return NewPercentile(p, in) }
			}
			for i, s := range groupStates(mk, in, ps) {
				got, ok := s.Result()
				g := influxGroups[i]
				if math.IsNaN(want[i]) {
					if ok {
						t.Errorf("%s(%s) host=%s time=%ds: got %#v, want none", fn, in, g.host, g.start, got)
					}
					continue
				}
				wantV := numberValue(fn.ResultType(in), want[i])
				if !ok || !got.Equal(wantV) {
					t.Errorf("%s(%s) host=%s time=%ds: got %#v, %v; want %#v", fn, in, g.host, g.start, got, ok, wantV)
				}
				if sel, isSel := s.(Selector); isSel {
					if ts, _, _ := sel.Selected(); ts != wantSec[i]*second {
						t.Errorf("%s(%s) host=%s time=%ds: selected time %d, want %ds", fn, in, g.host, g.start, ts, wantSec[i])
					}
				}
			}
		}
	}
	var noSec [5]int64
	// Expected by InfluxDB's tests.
	f(Mean, 0, meanPoints, [5]float64{19.5, 2.5, 100, 10, 3.2}, noSec)
	f(Median, 0, cpuPoints, [5]float64{19.5, 2.5, 100, 10, 3}, noSec)
	f(Stddev, 0, cpuPoints, [5]float64{0.7071067811865476, 0.7071067811865476, none, none, 1.5811388300841898}, noSec)
	f(Spread, 0, cpuPoints, [5]float64{1, 1, 0, 0, 4}, noSec)
	f(Percentile, 90, percentilePoints, [5]float64{20, 3, 100, 10, 9}, [5]int64{0, 11, 31, 5, 51})
	f(Min, 0, cpuPoints, [5]float64{19, 2, 100, 10, 1}, [5]int64{9, 10, 31, 5, 50})
	// Computed by hand by InfluxDB's rules. At 53s B has 4 and 5: last()
	// takes the larger.
	f(Count, 0, cpuPoints, [5]float64{2, 2, 1, 1, 5}, noSec)
	f(Sum, 0, cpuPoints, [5]float64{39, 5, 100, 10, 15}, noSec)
	f(Max, 0, cpuPoints, [5]float64{20, 3, 100, 10, 5}, [5]int64{0, 11, 31, 5, 53})
	f(First, 0, cpuPoints, [5]float64{20, 2, 100, 10, 1}, [5]int64{0, 10, 31, 5, 50})
	f(Last, 0, cpuPoints, [5]float64{19, 3, 100, 10, 5}, [5]int64{9, 11, 31, 5, 53})
	f(Percentile, 50, percentilePoints, [5]float64{19, 2, 100, 10, 5}, [5]int64{9, 10, 31, 5, 55})
	// The 10th percentile of one or two values has rank
	// floor(n*10/100 + 0.5) = 0: none.
	f(Percentile, 10, percentilePoints, [5]float64{none, none, none, none, 1}, [5]int64{0, 0, 0, 0, 59})
	f(Median, 0, percentilePoints, [5]float64{19.5, 2.5, 100, 10, 5.5}, noSec)
}

func TestInfluxParityDistinct(t *testing.T) {
	// The datasets of InfluxDB's Distinct tests, one per type, as
	// (host, seconds, value) with values given per type.
	type point struct {
		host string
		sec  int64
		v    model.FieldValue
	}
	f := func(ps []point, want [3][]model.FieldValue) {
		t.Helper()
		groups := []struct {
			host  string
			start int64
		}{{"A", 0}, {"A", 10}, {"B", 0}}
		in := ps[0].v.Type()
		for i, g := range groups {
			s := NewDistinct(in)
			for _, p := range ps {
				if p.host == g.host && p.sec >= g.start && p.sec < g.start+10 {
					s.Add(p.sec*second, p.v)
				}
			}
			if got := s.Values(); !slices.EqualFunc(got, want[i], model.FieldValue.Equal) {
				t.Errorf("distinct(%s) host=%s time=%ds = %v, want %v", in, g.host, g.start, got, want[i])
			}
			if first, ok := s.Result(); !ok || !first.Equal(want[i][0]) {
				t.Errorf("distinct(%s) host=%s time=%ds: Result %v, want %v", in, g.host, g.start, first, want[i][0])
			}
		}
	}
	mk := func(vs [7]model.FieldValue) []point {
		return []point{
			{"A", 0, vs[0]}, {"A", 1, vs[1]},
			{"B", 5, vs[2]},
			{"A", 9, vs[3]}, {"A", 10, vs[4]}, {"A", 11, vs[5]}, {"A", 12, vs[6]},
		}
	}
	fl, in, un := model.Float, model.Int, model.Uint
	f(mk([7]model.FieldValue{fl(20), fl(19), fl(10), fl(19), fl(2), fl(2), fl(2)}),
		[3][]model.FieldValue{{fl(20), fl(19)}, {fl(2)}, {fl(10)}})
	f(mk([7]model.FieldValue{in(20), in(19), in(10), in(19), in(2), in(2), in(2)}),
		[3][]model.FieldValue{{in(20), in(19)}, {in(2)}, {in(10)}})
	f(mk([7]model.FieldValue{un(20), un(19), un(10), un(19), un(2), un(2), un(2)}),
		[3][]model.FieldValue{{un(20), un(19)}, {un(2)}, {un(10)}})
	s := model.String
	f(mk([7]model.FieldValue{s("a"), s("b"), s("c"), s("b"), s("d"), s("d"), s("d")}),
		[3][]model.FieldValue{{s("a"), s("b")}, {s("d")}, {s("c")}})
	b := model.Bool
	f(mk([7]model.FieldValue{b(true), b(false), b(false), b(true), b(false), b(false), b(true)}),
		[3][]model.FieldValue{{b(true), b(false)}, {b(false), b(true)}, {b(false)}})
}
