package aggregate

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/accretedb/accrete/model"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// TestEncodingGolden pins the byte layout documented in the package
// documentation; a change here breaks stored states.
func TestEncodingGolden(t *testing.T) {
	f := func(s State, ps []pt, wantHex string) {
		t.Helper()
		addAll(s, ps)
		got := mustEncode(t, s)
		if want := unhex(wantHex); !bytes.Equal(got, want) {
			t.Errorf("%s encodes as % x, want % x", describe(s), got, want)
		}
		d, err := Decode(got)
		if err != nil {
			t.Fatalf("Decode(% x): %v", got, err)
		}
		if !outcomeOf(d).equal(outcomeOf(s)) {
			t.Errorf("decoded %s: %v, want %v", describe(s), outcomeOf(d), outcomeOf(s))
		}
	}
	i, fl := model.Int, model.Float
	// The example of the package documentation.
	f(NewMean(model.TypeInteger), []pt{at(i(3), 1), at(i(4), 2)},
		"01 03 02 00  02  00 00 00 00 00 00 1c 40  00 00 00 00 00 00 00 00  00  00")
	f(NewCount(model.TypeString), []pt{at(model.String("x"), 1)}, "01 01 04 00  01")
	f(NewCount(model.TypeFloat), nil, "01 01 01 00  00")
	f(NewSum(model.TypeInteger), []pt{at(i(-3), 1), at(i(1), 2)}, "01 02 02 00  02  03") // zig-zag -2
	f(NewSum(model.TypeUnsigned), []pt{at(model.Uint(300), 1)}, "01 02 03 00  01  ac 02")
	f(NewSum(model.TypeFloat), []pt{at(fl(1e100), 1), at(fl(1), 2), at(fl(-1e100), 3)},
		"01 02 01 00  03  00 00 00 00 00 00 00 00  00 00 00 00 00 00 f0 3f  00  00")
	f(NewSum(model.TypeFloat), []pt{at(fl(math.Inf(1)), 1), at(fl(math.NaN()), 2), at(fl(2), 3)},
		"01 02 01 00  03  00 00 00 00 00 00 00 40  00 00 00 00 00 00 00 00  02  01")
	f(NewMin(model.TypeFloat), nil, "01 04 01 00  00")
	f(NewMin(model.TypeFloat), []pt{at(fl(2), 5), at(fl(-1), -1)}, "01 04 01 00  01  01  00 00 00 00 00 00 f0 bf")
	f(NewLast(model.TypeString), []pt{at(model.String("hi"), 2)}, "01 07 04 00  01  04  02 68 69")
	f(NewFirst(model.TypeBoolean), []pt{at(model.Bool(true), 0)}, "01 06 05 00  01  00  01")
	f(NewSpread(model.TypeInteger), []pt{at(i(5), 0), at(i(-2), 0)}, "01 08 02 00  01  03  0a")
	f(NewStddev(model.TypeFloat), []pt{at(fl(1), 0), at(fl(3), 0)},
		"01 09 01 00  02  00 00 00 00 00 00 00 40  00 00 00 00 00 00 00 40")
	f(NewMedian(model.TypeUnsigned), []pt{at(model.Uint(7), 0), at(model.Uint(1), 0)}, "01 0a 03 00  02  01 07")
	f(NewPercentile(50, model.TypeInteger), []pt{at(i(1), 2)}, "01 0b 02 00  00 00 00 00 00 00 49 40  01  04 02")
	f(NewDistinct(model.TypeBoolean), []pt{at(model.Bool(true), 3), at(model.Bool(false), 1), at(model.Bool(true), 0)},
		"01 0c 05 00  02  00 01  02 00")
	ord := func(fn Func, in model.FieldType) State { return newOrdered(fn, in) }
	f(ord(Max, model.TypeInteger), []pt{at(i(1), 4), at(i(9), 2), at(i(1), 4)}, "01 05 02 01  02  04 12 01  08 02 02")
	f(ord(Spread, model.TypeUnsigned), []pt{at(model.Uint(3), 4), at(model.Uint(3), 9)}, "01 08 03 01  01  00 03 02")
}

// TestEncodingRoundTrip encodes random states of every function, type and
// form, and checks that decoding gives a state with the same result that
// encodes to the same bytes, both by Decode and by UnmarshalBinary into an
// empty state.
func TestEncodingRoundTrip(t *testing.T) {
	r := newRand(13)
	for _, fn := range allFuncs {
		for _, in := range allTypes {
			if !fn.Accepts(in) {
				continue
			}
			for iter := range 40 {
				gen := valueGen{r: r, typ: in, special: fn != Stddev}
				ps := gen.points(r.IntN(30))
				states := []State{addAll(newState(fn, in), ps)}
				if fn.Retractable() {
					rs, _ := NewRetractable(fn, in)
					states = append(states, addAll(rs, ps))
				}
				for _, s := range states {
					enc := mustEncode(t, s)
					d, err := Decode(enc)
					if err != nil {
						t.Fatalf("%s, iteration %d: Decode: %v", describe(s), iter, err)
					}
					if re := mustEncode(t, d); !bytes.Equal(re, enc) {
						t.Fatalf("%s, iteration %d: re-encoding % x, want % x", describe(s), iter, re, enc)
					}
					if !outcomeOf(d).equal(outcomeOf(s)) {
						t.Fatalf("%s, iteration %d: decoded %v, want %v", describe(s), iter, outcomeOf(d), outcomeOf(s))
					}
					var empty State
					switch s.(type) {
					case *OrderedState:
						empty = newOrdered(fn, in)
					case *PercentileState:
						empty = NewPercentile(0, in)
					default:
						empty = New(fn, in)
					}
					if err := empty.UnmarshalBinary(enc); err != nil {
						t.Fatalf("%s, iteration %d: UnmarshalBinary: %v", describe(s), iter, err)
					}
					if re := mustEncode(t, empty); !bytes.Equal(re, enc) {
						t.Fatalf("%s, iteration %d: UnmarshalBinary then encoding % x, want % x", describe(s), iter, re, enc)
					}
					// Appending keeps what is in dst.
					prefixed, _ := s.AppendBinary([]byte("xy"))
					if !bytes.Equal(prefixed[:2], []byte("xy")) || !bytes.Equal(prefixed[2:], enc) {
						t.Fatalf("%s: AppendBinary does not append", describe(s))
					}
				}
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	f := func(hexData string, wantErr error, wantMsg string) {
		t.Helper()
		data := unhex(hexData)
		s, err := Decode(data)
		if err == nil {
			t.Errorf("Decode(% x) = %s, want an error", data, describe(s))
			return
		}
		if !errors.Is(err, wantErr) || !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("Decode(% x) error %q, want %v containing %q", data, err, wantErr, wantMsg)
		}
	}
	f("", ErrCorruptState, "shorter than the 4-byte header")
	f("01 01 01", ErrCorruptState, "shorter than the 4-byte header")
	f("02 01 01 00 00", ErrUnsupportedVersion, "version 2")
	f("00 01 01 00 00", ErrUnsupportedVersion, "version 0")
	f("01 00 01 00 00", ErrCorruptState, "unknown function 0")
	f("01 0f 01 00 00", ErrCorruptState, "unknown function 15")
	f("01 0e 04 00 00", ErrCorruptState, "integral does not take values of type string")
	f("01 0e 01 00 00 00", ErrCorruptState, "unit 0 out of range")
	f("01 0e 02 00 01 02 04 02 00 02", ErrCorruptState, "points out of time order")
	f("01 0d 05 00 02 02 01 00 00", ErrCorruptState, "points out of order")
	f("01 02 04 00 00", ErrCorruptState, "sum does not take values of type string")
	f("01 01 00 00 00", ErrCorruptState, "count does not take values of type invalid")
	f("01 01 01 02 00", ErrCorruptState, "unknown form 2")
	f("01 01 01 01 00", ErrCorruptState, "form 1 is not used by count")
	f("01 09 01 01 00", ErrCorruptState, "form 1 is not used by stddev")
	f("01 01 01 00", ErrCorruptState, "unexpected end of data")
	f("01 01 01 00 05 00", ErrCorruptState, "1 trailing bytes")
	f("01 01 01 00 ff ff ff ff ff ff ff ff ff ff 01", ErrCorruptState, "varint overflows 64 bits")
	f("01 01 01 00 ff ff ff ff ff ff ff ff ff 01", ErrCorruptState, "count 18446744073709551615 out of range")
	f("01 02 01 00 01 00 00 00 00", ErrCorruptState, "unexpected end of data")
	f("01 03 01 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 80 80 80 80 10 00", ErrCorruptState, "infinity counts 4294967296, 0 out of range")
	f("01 02 02 00 01 80", ErrCorruptState, "unexpected end of data")
	f("01 04 01 00 02", ErrCorruptState, "flag byte 2 is not 0 or 1")
	f("01 04 05 00 01 00 07", ErrCorruptState, "flag byte 7 is not 0 or 1")
	f("01 06 04 00 01 00 05 61", ErrCorruptState, "length 5 exceeds the 1 bytes left")
	f("01 08 02 00 01 04 02", ErrCorruptState, "minimum above maximum")
	f("01 0a 01 00 ff ff ff ff 0f", ErrCorruptState, "exceeds the 0 bytes left")
	f("01 0b 01 00 00 00 00 00 00 00 49 40 05 00", ErrCorruptState, "exceeds the 1 bytes left")
	f("01 0c 02 00 02 00 02 00 02", ErrCorruptState, "value listed twice")
	f("01 04 02 01 01 00 02 00", ErrCorruptState, "point with count 0")
	f("01 04 02 01 02 00 04 01 00 02 01", ErrCorruptState, "points out of order")
	f("01 04 02 01 02 00 02 01 00 02 01", ErrCorruptState, "points out of order") // a duplicate
	f("01 08 02 01 01 02 02 01", ErrCorruptState, "spread point with a timestamp")
	f("01 04 02 01 02 00 02 ff ff ff ff ff ff ff ff 7f 02 02 01", ErrCorruptState, "count overflow")

	// UnmarshalBinary checks the header names the receiver's function,
	// type and form, and leaves the state alone on error.
	s := NewSum(model.TypeInteger)
	s.Add(0, model.Int(5))
	g := func(data []byte, wantMsg string) {
		t.Helper()
		err := s.UnmarshalBinary(data)
		if !errors.Is(err, ErrCorruptState) || !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("UnmarshalBinary(% x) error %v, want one containing %q", data, err, wantMsg)
		}
		if v, _ := s.Result(); !v.Equal(model.Int(5)) {
			t.Errorf("failed UnmarshalBinary changed the state to %v", v)
		}
	}
	g(mustEncode(t, NewSum(model.TypeFloat)), "header is of a sum state of float values in form 0, want sum of integer")
	g(mustEncode(t, NewMean(model.TypeInteger)), "header is of a mean state")
	g(unhex("01 02 02 00 01"), "unexpected end of data")
	o := newOrdered(Min, model.TypeInteger)
	if err := o.UnmarshalBinary(mustEncode(t, NewMin(model.TypeInteger))); !errors.Is(err, ErrCorruptState) {
		t.Errorf("ordered state decodes a partial min: %v", err)
	}
}

// FuzzStateRoundTrip builds a state from fuzzed operations and checks that
// its encoding decodes to a state with the same result and encoding.
func FuzzStateRoundTrip(f *testing.F) {
	f.Add(byte(Sum), byte(model.TypeFloat), false, []byte("\x00\x01\x00\x00\x00\x00\x00\x00\xf0\x3f"))
	f.Fuzz(func(t *testing.T, fb, tb byte, retract bool, ops []byte) {
		fn := Func(1 + int(fb)%int(numFuncs-1))
		in := model.FieldType(1 + int(tb)%5)
		if !fn.Accepts(in) {
			return
		}
		var s State
		var rs Retractable
		switch {
		case retract && fn.Retractable():
			rs, _ = NewRetractable(fn, in)
			s = rs
		case fn == Percentile:
			s = NewPercentile(float64(fb), in)
		default:
			s = New(fn, in)
		}
		var live []pt
		for len(ops) > 1 {
			remove := ops[0]&1 == 1 && rs != nil && len(live) > 0
			ts := int64(int8(ops[1]))
			ops = ops[2:]
			if remove {
				i := int(uint8(ts)) % len(live)
				rs.Remove(live[i].ts, live[i].v)
				live = slices.Delete(live, i, i+1)
				continue
			}
			var v model.FieldValue
			v, ops = fuzzValue(in, ops)
			if (fn == Sum || fn == Mean) && rs != nil && in == model.TypeFloat {
				v = model.Float(math.Round(v.FloatV())) // retract exactly
			}
			s.Add(ts, v)
			live = append(live, pt{ts, v})
		}
		enc := mustEncode(t, s)
		d, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode of %s: %v", describe(s), err)
		}
		if re := mustEncode(t, d); !bytes.Equal(re, enc) {
			t.Fatalf("re-encoding % x, want % x", re, enc)
		}
		if !outcomeOf(d).equal(outcomeOf(s)) {
			t.Fatalf("decoded %v, want %v", outcomeOf(d), outcomeOf(s))
		}
	})
}

// fuzzValue reads a value of type t from the front of b.
func fuzzValue(t model.FieldType, b []byte) (model.FieldValue, []byte) {
	var u uint64
	n := 0
	for ; n < 8 && n < len(b); n++ {
		u |= uint64(b[n]) << (8 * n)
	}
	switch t {
	case model.TypeFloat:
		return model.Float(math.Float64frombits(u)), b[n:]
	case model.TypeInteger:
		return model.Int(int64(u)), b[n:]
	case model.TypeUnsigned:
		return model.Uint(u), b[n:]
	case model.TypeBoolean:
		if len(b) == 0 {
			return model.Bool(false), b
		}
		return model.Bool(b[0]&1 == 1), b[1:]
	}
	if len(b) == 0 {
		return model.String(""), b
	}
	n = min(int(b[0]%8), len(b)-1)
	return model.String(string(b[1 : 1+n])), b[1+n:]
}

// FuzzUnmarshal feeds arbitrary bytes to Decode and to every state's
// UnmarshalBinary: they must not panic, and what decodes must re-encode to
// bytes that decode to the same state.
func FuzzUnmarshal(f *testing.F) {
	f.Add(unhex("01 03 02 00 02 00 00 00 00 00 00 1c 40 00 00 00 00 00 00 00 00 00 00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fn := range allFuncs {
			for _, in := range allTypes {
				if !fn.Accepts(in) {
					continue
				}
				_ = newState(fn, in).UnmarshalBinary(data)
				if fn.Retractable() && fn != Count && fn != Sum && fn != Mean {
					_ = newOrdered(fn, in).UnmarshalBinary(data)
				}
			}
		}
		s, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrCorruptState) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("Decode error %v wraps neither ErrCorruptState nor ErrUnsupportedVersion", err)
			}
			return
		}
		outcomeOf(s)
		enc := mustEncode(t, s)
		d, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded % x does not decode: %v", enc, err)
		}
		if re := mustEncode(t, d); !bytes.Equal(re, enc) {
			t.Fatalf("second re-encoding % x, want % x", re, enc)
		}
	})
}
