package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// fuzzBytes hands out the bytes of a fuzz input, zeros past its end.
type fuzzBytes struct{ b []byte }

func (r *fuzzBytes) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzBytes) uint64() uint64 {
	var b [8]byte
	for i := range b {
		b[i] = r.byte()
	}
	return binary.LittleEndian.Uint64(b[:])
}

// namePalette holds the pieces names are built of: plain characters, the
// characters line protocol escapes, backslashes, quotes and multi-byte
// UTF-8.
var namePalette = []string{"a", "b", "Z", "0", " ", ",", "=", `\`, `"`, "#", "é", "日", "-", "_", "\\ ", "\\,"}

// name builds a name of 1 to 8 palette pieces that line protocol can
// carry: no trailing backslash (it would escape the separator after it).
func (r *fuzzBytes) name() string {
	var b strings.Builder
	for range 1 + r.byte()%8 {
		b.WriteString(namePalette[int(r.byte())%len(namePalette)])
	}
	s := b.String()
	if strings.HasSuffix(s, `\`) {
		s += "x"
	}
	return s
}

// fuzzPoints builds 1 to 4 points of the shapes ParseLines returns: sorted
// unique tags with non-empty values, unique field keys, no key named time,
// finite floats, valid UTF-8 strings.
func fuzzPoints(data []byte) []Point {
	r := fuzzBytes{b: data}
	ps := make([]Point, 1+r.byte()%4)
	for i := range ps {
		p := &ps[i]
		p.Measurement = r.name()
		if p.Measurement[0] == '#' { // a line starting with # is a comment
			p.Measurement = "m" + p.Measurement
		}
		for range r.byte() % 4 {
			if k := r.name(); k != "time" {
				p.Tags = append(p.Tags, Tag{Key: k, Value: r.name()})
			}
		}
		p.Tags.Sort()
		for range 1 + r.byte()%4 {
			k := r.name()
			for k == "time" || slices.ContainsFunc(p.Fields, func(f Field) bool { return f.Key == k }) {
				k += "_"
			}
			var v FieldValue
			switch r.byte() % 5 {
			case 0:
				f := math.Float64frombits(r.uint64())
				if math.IsNaN(f) || math.IsInf(f, 0) {
					f = float64(int64(r.uint64())) / 1000
				}
				v = Float(f)
			case 1:
				v = Int(int64(r.uint64()))
			case 2:
				v = Uint(r.uint64())
			case 3:
				b := make([]byte, r.byte()%16)
				for j := range b {
					b[j] = r.byte()
				}
				v = String(strings.ToValidUTF8(string(b), "\uFFFD"))
			case 4:
				v = Bool(r.byte()&1 != 0)
			}
			p.Fields = append(p.Fields, Field{Key: k, Value: v})
		}
		p.Time = int64(r.uint64())
	}
	return ps
}

// FuzzLineRoundTrip encodes points with AppendLine and decodes them with
// ParseLines: the result must be the same points.
func FuzzLineRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ps := fuzzPoints(data)
		var batch []byte
		for i := range ps {
			batch = AppendLine(batch, &ps[i])
		}
		got, err := ParseLines(batch, ParseOptions{})
		if err != nil {
			t.Fatalf("ParseLines of\n%s: %v", batch, err)
		}
		if !equalPoints(got, ps) {
			t.Fatalf("round trip of\n%sgave\n%s", batch, pointsString(got))
		}
	})
}

var fuzzPrecisions = [...]Precision{Nanosecond, Microsecond, Millisecond, Second, Minute, Hour}

// FuzzParseLines decodes arbitrary input: ParseLines must not panic, and
// either fail with a *LineError on an existing line and return no points,
// or return valid points that AppendLine re-encodes to a batch that
// decodes to the same points.
func FuzzParseLines(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, prec uint8) {
		opts := ParseOptions{Precision: fuzzPrecisions[int(prec)%len(fuzzPrecisions)], Now: 1700000000123456789, MaxLineBytes: 4096}
		ps, err := ParseLines(data, opts)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T) is not a *LineError", err, err)
			}
			if lines := bytes.Count(data, []byte("\n")) + 1; le.Line < 1 || le.Line > lines || le.Column < 0 {
				t.Fatalf("error at %d:%d in %d lines: %v", le.Line, le.Column, lines, err)
			}
			if ps != nil {
				t.Fatalf("%d points returned with error %v", len(ps), err)
			}
			return
		}
		for _, p := range ps {
			if p.Measurement == "" || len(p.Fields) == 0 {
				t.Fatalf("point without measurement or fields: %+v", p)
			}
			for i, tag := range p.Tags {
				if tag.Value == "" || tag.Key == "time" || i > 0 && p.Tags[i-1].Key >= tag.Key {
					t.Fatalf("bad tags %v", p.Tags)
				}
			}
			for _, fl := range p.Fields {
				v := fl.Value
				if fl.Key == "time" || !v.IsValid() || v.Type() == TypeFloat && (math.IsNaN(v.FloatV()) || math.IsInf(v.FloatV(), 0)) {
					t.Fatalf("bad field %q=%v", fl.Key, v)
				}
			}
			if p.Time%int64(opts.Precision) != 0 {
				t.Fatalf("time %d is not a multiple of the precision %v", p.Time, opts.Precision)
			}
		}
		var batch []byte
		for i := range ps {
			batch = AppendLine(batch, &ps[i])
		}
		again, err := ParseLines(batch, ParseOptions{})
		if err != nil {
			t.Fatalf("ParseLines of re-encoded\n%s: %v", batch, err)
		}
		if !equalPoints(again, ps) {
			t.Fatalf("re-encoded\n%sgave\n%s", batch, pointsString(again))
		}
	})
}

// FuzzSeriesKey checks that ParseSeriesKey inverts AppendSeriesKey for
// names of any bytes, and that it never panics on arbitrary keys.
func FuzzSeriesKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		// Arbitrary input as a key: if it parses, writing the parts back
		// and parsing again must give the same parts.
		if m, tags, err := ParseSeriesKey(data); err == nil {
			key := AppendSeriesKey(nil, m, tags)
			m2, tags2, err := ParseSeriesKey(key)
			if err != nil || m2 != m || !slices.Equal(tags2, tags) {
				t.Fatalf("%q parsed to %q %v, which writes %q, which parses to %q %v (%v)", data, m, tags, key, m2, tags2, err)
			}
		}
		// Arbitrary input as names separated by zero bytes: measurement,
		// then tag keys and values.
		parts := strings.Split(string(data), "\x00")
		m := parts[0]
		var tags Tags
		for i := 1; i+1 < len(parts); i += 2 {
			tags = append(tags, Tag{Key: parts[i], Value: parts[i+1]})
		}
		tags.Sort()
		key := AppendSeriesKey(nil, m, tags)
		m2, tags2, err := ParseSeriesKey(key)
		if err != nil || m2 != m || len(tags2) != len(tags) || len(tags) > 0 && !slices.Equal(tags2, tags) {
			t.Fatalf("key %q of %q %v parses to %q %v (%v)", key, m, tags, m2, tags2, err)
		}
	})
}
