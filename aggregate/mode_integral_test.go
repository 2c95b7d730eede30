package aggregate

import (
	"bytes"
	"math"
	"testing"

	"github.com/accretedb/accrete/model"
)

func TestMode(t *testing.T) {
	f := func(name string, in model.FieldType, ps []pt, want model.FieldValue) {
		t.Helper()
		s := NewMode(in)
		for _, p := range ps {
			s.Add(p.ts, p.v)
		}
		got, ok := s.Result()
		if !ok || !got.Equal(want) {
			t.Errorf("%s: mode = %v, %v; want %v", name, got, ok, want)
		}
		// Round trip and a split merge give the same.
		d, err := Decode(mustEncode(t, s))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if g, _ := d.Result(); !g.Equal(want) {
			t.Errorf("%s: decoded mode = %v, want %v", name, g, want)
		}
		a, b := NewMode(in), NewMode(in)
		for i, p := range ps {
			if i%2 == 0 {
				a.Add(p.ts, p.v)
			} else {
				b.Add(p.ts, p.v)
			}
		}
		b.Merge(a)
		if g, _ := b.Result(); !g.Equal(want) {
			t.Errorf("%s: merged mode = %v, want %v", name, g, want)
		}
	}
	I, F := model.Int, model.Float
	// The cases checked against InfluxDB 1.6.
	f("tie, earlier run first", model.TypeInteger, []pt{at(I(5), 10), at(I(5), 20), at(I(3), 30), at(I(3), 40)}, I(5))
	f("tie, later run first", model.TypeInteger, []pt{at(I(5), 30), at(I(5), 40), at(I(3), 10), at(I(3), 20)}, I(3))
	f("tie across runs", model.TypeInteger, []pt{at(I(3), 10), at(I(5), 15), at(I(3), 40), at(I(5), 30), at(I(7), 5)}, I(5))
	f("all distinct: the least", model.TypeFloat, []pt{at(F(6), 1), at(F(-2.5), 2), at(F(9), 3)}, F(-2.5))
	f("most frequent", model.TypeFloat, []pt{at(F(1), 1), at(F(2), 2), at(F(2), 3), at(F(1.5), 4), at(F(2), 5)}, F(2))
	f("strings", model.TypeString, []pt{at(model.String("x"), 0), at(model.String("y"), 10), at(model.String("x"), 20)}, model.String("x"))
	f("booleans", model.TypeBoolean, []pt{at(model.Bool(true), 0), at(model.Bool(false), 10), at(model.Bool(true), 20)}, model.Bool(true))
	f("one point", model.TypeInteger, []pt{at(I(math.MinInt64), 7)}, I(math.MinInt64))
	if _, ok := NewMode(model.TypeFloat).Result(); ok {
		t.Error("mode of nothing has a result")
	}
}

func TestIntegral(t *testing.T) {
	f := func(name string, unit int64, in model.FieldType, ps []pt, want float64) {
		t.Helper()
		s := NewIntegral(unit, in)
		for _, p := range ps {
			s.Add(p.ts, p.v)
		}
		got, ok := s.Result()
		if !ok || math.Abs(got.FloatV()-want) > 1e-9*math.Abs(want) {
			t.Errorf("%s: integral = %v, %v; want %v", name, got, ok, want)
		}
		enc := mustEncode(t, s)
		d, err := Decode(enc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if g, _ := d.Result(); g.FloatV() != got.FloatV() || d.(*IntegralState).Unit() != unit {
			t.Errorf("%s: decoded integral = %v, want %v", name, g, got)
		}
		if re := mustEncode(t, d); !bytes.Equal(re, enc) {
			t.Errorf("%s: re-encoding differs", name)
		}
	}
	const s = int64(1e9)
	F, I := model.Float, model.Int
	// InfluxDB 1.6: host a and b of the transformation tests, merged by time.
	pts := []pt{at(F(1), 0), at(F(10), 5*s), at(F(3), 10*s), at(F(20), 15*s), at(F(2), 20*s), at(F(15), 25*s),
		at(F(30), 35*s), at(F(6), 40*s), at(F(7), 60*s), at(F(4), 95*s)}
	f("trapezoids", s, model.TypeFloat, pts, 852.5)
	f("per minute", 60*s, model.TypeFloat, pts, 852.5/60)
	f("out of order", s, model.TypeFloat, []pt{at(F(4), 95*s), at(F(7), 60*s)}, 192.5)
	f("integers", 10*s, model.TypeInteger, []pt{at(I(1), 0), at(I(3), 10*s), at(I(math.MaxInt64), 20*s)}, 2+0.5*(3+float64(math.MaxInt64)))
	f("one point", s, model.TypeFloat, []pt{at(F(5), 3)}, 0)
	// Of equal times the least value ends the trapezoid before, the
	// greatest starts the one after.
	f("equal times", s, model.TypeFloat, []pt{at(F(1), 0), at(F(9), 2*s), at(F(3), 2*s), at(F(5), 4*s)}, 4+14)
	if _, ok := NewIntegral(s, model.TypeFloat).Result(); ok {
		t.Error("integral of nothing has a result")
	}
	var walked []int64
	st := NewIntegral(s, model.TypeInteger)
	st.Add(20, I(2))
	st.Add(10, I(1))
	st.Walk(func(ts int64, v float64) { walked = append(walked, ts, int64(v)) })
	if len(walked) != 4 || walked[0] != 10 || walked[1] != 1 || walked[2] != 20 || walked[3] != 2 {
		t.Errorf("Walk = %v, want [10 1 20 2]", walked)
	}
}
