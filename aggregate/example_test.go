package aggregate_test

import (
	"fmt"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
)

// Partial states of two buckets merge into the exact mean of all values,
// through their binary encoding.
func Example() {
	fn, err := aggregate.ParseFunc("MEAN")
	if err != nil {
		panic(err)
	}
	a, b := aggregate.New(fn, model.TypeInteger), aggregate.New(fn, model.TypeInteger)
	a.Add(1, model.Int(10))
	a.Add(2, model.Int(20))
	b.Add(3, model.Int(60))

	enc, _ := b.AppendBinary(nil)
	stored, err := aggregate.Decode(enc)
	if err != nil {
		panic(err)
	}
	a.Merge(stored)
	v, ok := a.Result()
	fmt.Println(v, ok, fn.ResultType(model.TypeInteger))

	_, err = aggregate.ParseFunc("top")
	fmt.Println(err)
	// Output:
	// 30 true float
	// unsupported aggregate function "top"
}

// The rule engine's MIN and AVG under retraction.
func ExampleFloatMinMax() {
	var salaries aggregate.FloatMinMax
	var sum aggregate.FloatSum
	for _, s := range []float64{52000, 48000, 48000, 61000} {
		salaries.Add(s)
		sum.Add(s)
	}
	salaries.Remove(48000) // one of the two
	sum.Remove(48000)
	lo, _ := salaries.Min()
	avg, _ := sum.Mean()
	fmt.Println(lo, avg, salaries.Len())
	// Output: 48000 53666.666666666664 3
}

// Selectors report the time of the point they select.
func ExampleSelector() {
	s, _ := aggregate.NewRetractable(aggregate.Max, model.TypeFloat)
	s.Add(10, model.Float(3))
	s.Add(20, model.Float(7))
	s.Remove(20, model.Float(7))
	ts, v, ok := s.(aggregate.Selector).Selected()
	fmt.Println(ts, v, ok)
	// Output: 10 3 true
}
