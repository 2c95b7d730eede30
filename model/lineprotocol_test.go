package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// pointsString renders points one per line in line protocol, so that test
// failures show them readably and comparisons see every field.
func pointsString(ps []Point) string {
	var b []byte
	for i := range ps {
		b = AppendLine(b, &ps[i])
	}
	return string(b)
}

// equalPoints reports whether two point lists are equal, floats by bits,
// a nil tag set equal to an empty one.
func equalPoints(a, b []Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		p, q := &a[i], &b[i]
		if p.Measurement != q.Measurement || p.Time != q.Time || len(p.Tags) != len(q.Tags) || len(p.Fields) != len(q.Fields) {
			return false
		}
		for j := range p.Tags {
			if p.Tags[j] != q.Tags[j] {
				return false
			}
		}
		for j := range p.Fields {
			if p.Fields[j].Key != q.Fields[j].Key || !p.Fields[j].Value.Equal(q.Fields[j].Value) {
				return false
			}
		}
	}
	return true
}

func TestParsePrecision(t *testing.T) {
	f := func(s string, want Precision, wantName string) {
		t.Helper()
		p, err := ParsePrecision(s)
		if err != nil || p != want || p.String() != wantName {
			t.Errorf("ParsePrecision(%q) = %v (%q), %v; want %v (%q)", s, int64(p), p, err, int64(want), wantName)
		}
	}
	f("", Nanosecond, "ns")
	f("n", Nanosecond, "ns")
	f("ns", Nanosecond, "ns")
	f("u", Microsecond, "us")
	f("us", Microsecond, "us")
	f("µs", Microsecond, "us")
	f("µ", Microsecond, "us")
	f("ms", Millisecond, "ms")
	f("s", Second, "s")
	f("m", Minute, "m")
	f("h", Hour, "h")

	bad := func(s, wantMsg string) {
		t.Helper()
		p, err := ParsePrecision(s)
		if err == nil || err.Error() != wantMsg || p != 0 {
			t.Errorf("ParsePrecision(%q) = %v, %v; want error %q", s, p, err, wantMsg)
		}
	}
	bad("x", `invalid precision "x": want one of ns, us, ms, s, m, h`)
	bad("NS", `invalid precision "NS": want one of ns, us, ms, s, m, h`)
	bad("d", `invalid precision "d": want one of ns, us, ms, s, m, h`)
	bad(" s", `invalid precision " s": want one of ns, us, ms, s, m, h`)

	if got := Precision(7).String(); got != "7ns" {
		t.Errorf("Precision(7).String() = %q", got)
	}
}

func TestParseLinesPrecision(t *testing.T) {
	f := func(prec Precision, input string, wantTimes ...int64) {
		t.Helper()
		ps, err := ParseLines([]byte(input), ParseOptions{Precision: prec, Now: 1})
		if err != nil {
			t.Fatalf("%v: %v", prec, err)
		}
		if len(ps) != len(wantTimes) {
			t.Fatalf("%v: %d points, want %d", prec, len(ps), len(wantTimes))
		}
		for i, p := range ps {
			if p.Time != wantTimes[i] {
				t.Errorf("%v: point %d at %d, want %d", prec, i, p.Time, wantTimes[i])
			}
		}
	}
	f(0, "cpu v=1 1700000000123456789", 1700000000123456789) // zero means ns
	f(Nanosecond, "cpu v=1 1700000000123456789\ncpu v=1 -5", 1700000000123456789, -5)
	f(Microsecond, "cpu v=1 1700000000123456", 1700000000123456000)
	f(Millisecond, "cpu v=1 1700000000123\ncpu v=1 -1", 1700000000123000000, -1000000)
	f(Second, "cpu v=1 1700000000", 1700000000000000000)
	f(Minute, "cpu v=1 28333333", 28333333*60e9)
	f(Hour, "cpu v=1 472222\ncpu v=1 0", 472222*3600e9, 0)
	// The largest and smallest times each precision can express.
	f(Second, "cpu v=1 9223372036\ncpu v=1 -9223372036", 9223372036e9, -9223372036e9)
	f(Hour, "cpu v=1 2562047\ncpu v=1 -2562047", 2562047*3600e9, -2562047*3600e9)
	f(Nanosecond, "cpu v=1 9223372036854775807\ncpu v=1 -9223372036854775808", 9223372036854775807, -9223372036854775808)
}

func TestParseLinesDefaultTime(t *testing.T) {
	f := func(prec Precision, now int64, want int64) {
		t.Helper()
		ps, err := ParseLines([]byte("cpu v=1\ncpu v=2 7\ncpu,host=a v=3"), ParseOptions{Precision: prec, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 3 || ps[0].Time != want || ps[1].Time != 7*int64(prec) || ps[2].Time != want {
			t.Errorf("%v, now %d: times %d %d %d, want %d %d %d", prec, now, ps[0].Time, ps[1].Time, ps[2].Time, want, 7*int64(prec), want)
		}
	}
	const now = 1700000123456789123 // 2023-11-14T22:15:23.456789123Z
	f(Nanosecond, now, now)
	f(Microsecond, now, 1700000123456789000)
	f(Millisecond, now, 1700000123456000000)
	f(Second, now, 1700000123000000000)
	f(Minute, now, 1700000100000000000)
	f(Hour, now, 1699999200000000000)

	// Without Now, lines without a timestamp get the current time,
	// truncated to the precision.
	before := time.Now().Truncate(time.Second).UnixNano()
	ps, err := ParseLines([]byte("cpu v=1"), ParseOptions{Precision: Second})
	after := time.Now().UnixNano()
	if err != nil {
		t.Fatal(err)
	}
	if got := ps[0].Time; got < before || got > after || got%1e9 != 0 {
		t.Errorf("default time %d not a whole second in [%d, %d]", got, before, after)
	}
}

func TestParseLines(t *testing.T) {
	f := func(name, input string, want ...Point) {
		t.Helper()
		got, err := ParseLines([]byte(input), ParseOptions{Now: 42})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if !equalPoints(got, want) {
			t.Errorf("%s: got\n%swant\n%s", name, pointsString(got), pointsString(want))
		}
	}
	f("empty input", "")
	f("only blank lines and comments", "\n\n   \n# a comment\r\n  #another\n")
	f("comments and blank lines",
		"# header comment\n\ncpu v=1 1\n   \n  # indented comment\r\n\r\ncpu v=2 2\n# trailing comment",
		Point{Measurement: "cpu", Fields: []Field{{"v", Float(1)}}, Time: 1},
		Point{Measurement: "cpu", Fields: []Field{{"v", Float(2)}}, Time: 2})
	f("CRLF line ends", "cpu v=1i 1\r\ncpu v=2i\r\n",
		Point{Measurement: "cpu", Fields: []Field{{"v", Int(1)}}, Time: 1},
		Point{Measurement: "cpu", Fields: []Field{{"v", Int(2)}}, Time: 42})
	f("all value types",
		`m f=-1.5e-7,i=-9223372036854775808i,u=18446744073709551615u,s="a \"q\" \\ b",t=true,F=F,T=TRUE,z=0 5`,
		Point{Measurement: "m", Fields: []Field{
			{"f", Float(-1.5e-7)}, {"i", Int(-9223372036854775808)}, {"u", Uint(18446744073709551615)},
			{"s", String(`a "q" \ b`)}, {"t", Bool(true)}, {"F", Bool(false)}, {"T", Bool(true)}, {"z", Float(0)},
		}, Time: 5})
	f("tags sorted", "cpu,zone=z,az=a,host=h,b=2 v=1 1",
		Point{Measurement: "cpu", Tags: Tags{{"az", "a"}, {"b", "2"}, {"host", "h"}, {"zone", "z"}}, Fields: []Field{{"v", Float(1)}}, Time: 1})
	f("repeated tag and field keys: last wins", "cpu,b=1,a=2,b=3 x=1,y=2,x=3i 1",
		Point{Measurement: "cpu", Tags: Tags{{"a", "2"}, {"b", "3"}}, Fields: []Field{{"x", Int(3)}, {"y", Float(2)}}, Time: 1})
	f("escapes",
		`my\ cpu\,x,tag\ key\=1=va\,l\=ue\ here,t=C:\\dir\x field\ key\=\,="str\\ing",path=1 1`,
		Point{Measurement: "my cpu,x", Tags: Tags{{"t", `C:\\dir\x`}, {"tag key=1", "va,l=ue here"}},
			Fields: []Field{{"field key=,", String(`str\ing`)}, {"path", Float(1)}}, Time: 1})
	f("multi-line string", "cpu s=\"line 1\nline 2\" 1\ncpu v=1 2",
		Point{Measurement: "cpu", Fields: []Field{{"s", String("line 1\nline 2")}}, Time: 1},
		Point{Measurement: "cpu", Fields: []Field{{"v", Float(1)}}, Time: 2})
	f("unicode", "température,ville=Zürich valeur=21.5,état=\"ok ✓\" 1",
		Point{Measurement: "température", Tags: Tags{{"ville", "Zürich"}}, Fields: []Field{{"valeur", Float(21.5)}, {"état", String("ok ✓")}}, Time: 1})
}

func TestParseLinesErrors(t *testing.T) {
	f := func(name, input string, opts ParseOptions, wantLine, wantColumn int, wantMsg string) {
		t.Helper()
		if opts.Now == 0 {
			opts.Now = 1
		}
		ps, err := ParseLines([]byte(input), opts)
		if ps != nil {
			t.Errorf("%s: returned %d points with error %v", name, len(ps), err)
		}
		var le *LineError
		if !errors.As(err, &le) {
			t.Errorf("%s: error %v (%T), want a *LineError", name, err, err)
			return
		}
		if le.Line != wantLine || le.Column != wantColumn || le.Msg != wantMsg {
			t.Errorf("%s: error at %d:%d %q, want %d:%d %q", name, le.Line, le.Column, le.Msg, wantLine, wantColumn, wantMsg)
		}
		lines := strings.Split(input, "\n")
		if wantText := strings.TrimRight(lines[wantLine-1], "\r"); len(wantText) <= 64 && le.Text != wantText {
			t.Errorf("%s: error text %q, want %q", name, le.Text, wantText)
		}
	}
	var none ParseOptions
	f("missing fields", "cpu,host=a", none, 1, 11, "expected field key but none found")
	f("missing fields before timestamp", "cpu,host=a 123", none, 1, 15, `want '=' after field key "123", found end of input`)
	f("bad field value", "cpu v=abc 1", none, 1, 7, "field value has unrecognized type")
	f("bad float syntax", "cpu v=1.2.3 1", none, 1, 7, `cannot parse value for field key "v": invalid float value syntax`)
	f("negative unsigned", "cpu v=-1u", none, 1, 7, `cannot parse value for field key "v": invalid unsigned integer value syntax`)
	f("integer out of range", "cpu v=9223372036854775808i", none, 1, 7, `cannot parse value for field key "v": line-protocol value out of range`)
	f("float out of range", "cpu v=1e400", none, 1, 7, `cannot parse value for field key "v": line-protocol value out of range`)
	f("bad bool", "cpu v=tru", none, 1, 7, `cannot parse value for field key "v": invalid bool value "tru"`)
	f("unterminated string", `cpu v="abc 1`, none, 1, 7, "expected closing quote for string field value, found end of input")
	f("bad timestamp", "cpu v=1 12x", none, 1, 9, `invalid timestamp ("12x")`)
	f("text after timestamp", "cpu v=1 1 2", none, 1, 11, `unexpected text after timestamp ("2")`)
	f("timestamp beyond int64", "cpu v=1 9223372036854775808", none, 1, 0, `invalid timestamp "9223372036854775808"`)
	f("timestamp overflow with precision h", "cpu v=1 2562047\ncpu v=1 2562048", ParseOptions{Precision: Hour}, 2, 0, "timestamp 2562048h is out of range")
	f("negative timestamp overflow with precision s", "cpu v=1 -9223372037", ParseOptions{Precision: Second}, 1, 0, "timestamp -9223372037s is out of range")
	f("NaN", "cpu v=NaN 1", none, 1, 7, "field value has unrecognized type")
	f("Inf", "cpu v=1,w=+Inf 1", none, 1, 11, "field value has unrecognized type")
	f("inf", "cpu v=-inf 1", none, 1, 7, `cannot parse value for field key "v": non-number "-inf" cannot be represented as a line-protocol field value`)
	f("field named time", "cpu time=1 1", none, 1, 0, `invalid field key "time": "time" is reserved`)
	f("tag named time", "cpu,time=x v=1", none, 1, 0, `invalid tag key "time": "time" is reserved`)
	f("empty tag value", "cpu,host= v=1", none, 1, 10, `expected tag value after tag key "host", but none found`)
	f("empty tag key", "cpu,=a v=1", none, 1, 5, "expected tag key or field but found '=' instead")
	f("empty field key", "cpu =1", none, 1, 5, "invalid character '=' found at start of field key")
	f("invalid UTF-8", "cpu v=1\n\xffcpu v=1", none, 2, 1, `invalid utf-8 sequence in token "\xffcpu"`)
	f("error on line 3 of 5", "cpu v=1 1\ncpu v=2 2\ncpu v=x 3\ncpu v=4 4\ncpu v=5 5", none, 3, 7, "field value has unrecognized type")
	f("reserved key on line 3 of 5", "cpu v=1 1\ncpu v=2 2\ncpu,time=1 v=3 3\ncpu v=4 4\ncpu v=5 5", none, 3, 0, `invalid tag key "time": "time" is reserved`)
	f("line count skips comments and blank lines", "# c\n\ncpu v=1\n  \ncpu time=1", none, 5, 0, `invalid field key "time": "time" is reserved`)
	f("error after a multi-line string", "cpu s=\"a\nb\" 1\ncpu v=y", none, 3, 7, "field value has unrecognized type")
	f("reserved key after a multi-line string", "cpu s=\"a\n\n# b\nc\" 1\ncpu time=1", none, 5, 0, `invalid field key "time": "time" is reserved`)
	f("reserved key after strings with escaped quotes and newlines", "cpu s=\"a\\\"\nb\\\\\",k=\"\n\" 1\ncpu time=1", none, 4, 0, `invalid field key "time": "time" is reserved`)
	f("reserved key after quotes in names", "a=\"b,t=x\\=\"y k\"=\"\" 1\ncpu time=1", none, 2, 0, `invalid field key "time": "time" is reserved`)

	// A line over the limit is rejected before any decoding: the bad
	// syntax on line 1 is not reported, the length of line 3 is.
	long := "cpu v=\"" + strings.Repeat("x", 100) + "\""
	f("line too long", "bad line\ncpu v=1\n"+long+"\ncpu v=2", ParseOptions{MaxLineBytes: 100}, 3, 0,
		"line is 108 bytes long, longer than the limit of 100")
	f("last line too long", "cpu v=1\n"+long, ParseOptions{MaxLineBytes: 107}, 2, 0,
		"line is 108 bytes long, longer than the limit of 107")
	if _, err := ParseLines([]byte("cpu v=1\n"+long), ParseOptions{MaxLineBytes: 108}); err != nil {
		t.Errorf("line of exactly the limit: %v", err)
	}
	huge := "cpu v=\"" + strings.Repeat("y", DefaultMaxLineBytes) + "\""
	f("line over the default limit", "cpu v=1\n\n"+huge+"\n", none, 3, 0,
		"line is 1048584 bytes long, longer than the limit of 1048576")
}

func TestLineErrorString(t *testing.T) {
	f := func(e LineError, want string) {
		t.Helper()
		if got := e.Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
	f(LineError{Line: 3, Column: 7, Msg: "bad value", Text: `cpu v="x`}, `line 3:7: bad value (in "cpu v=\"x")`)
	f(LineError{Line: 2, Msg: "too long"}, "line 2: too long")

	_, err := ParseLines([]byte("cpu v=1\ncpu v=x"), ParseOptions{})
	if got, want := err.Error(), `line 2:7: field value has unrecognized type (in "cpu v=x")`; got != want {
		t.Errorf("ParseLines error %q, want %q", got, want)
	}
	long := strings.Repeat("m", 100) + " v=x"
	_, err = ParseLines([]byte(long), ParseOptions{})
	var le *LineError
	if !errors.As(err, &le) || le.Text != long[:64] {
		t.Errorf("error text of a long line: %v", err)
	}
}

func TestAppendLine(t *testing.T) {
	f := func(p Point, want string) {
		t.Helper()
		got := string(AppendLine([]byte("prefix\n"), &p))
		if got != "prefix\n"+want {
			t.Errorf("AppendLine = %q, want %q", got, "prefix\n"+want)
		}
		ps, err := ParseLines([]byte(want), ParseOptions{})
		if err != nil || !equalPoints(ps, []Point{p}) {
			t.Errorf("ParseLines(%q) = %s, %v", want, pointsString(ps), err)
		}
	}
	f(Point{Measurement: "cpu", Fields: []Field{{"v", Float(1)}}, Time: 0}, "cpu v=1 0\n")
	f(Point{
		Measurement: `a\b c,d=e`,
		Tags:        Tags{{"k ey", `v,a=l\z`}, {"x", `\ `}},
		Fields:      []Field{{"f=1", String("q\"\\\n")}, {`g\h`, Int(-7)}, {"h", Uint(7)}, {"i", Bool(false)}, {"j", Float(-0.5)}},
		Time:        -5,
	}, `a\b\ c\,d=e,k\ ey=v\,a\=l\z,x=\\  f\=1="q\"\\`+"\n"+`",g\h=-7i,h=7u,i=false,j=-0.5 -5`+"\n")
}

// TestParseLinesPointsIndependent checks that the points of a batch do not
// share storage that appending to one of them could overwrite in another.
func TestParseLinesPointsIndependent(t *testing.T) {
	ps, err := ParseLines([]byte("cpu,a=1 x=1 1\ncpu,b=2 y=2 2\ncpu,c=3 z=3 3\n"), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := pointsString(ps[1:])
	for i := range 3 {
		ps[0].Tags = append(ps[0].Tags, Tag{Key: "t" + string(rune('a'+i)), Value: "v"})
		ps[0].Fields = append(ps[0].Fields, Field{Key: "f" + string(rune('a'+i)), Value: Int(9)})
	}
	if after := pointsString(ps[1:]); after != before {
		t.Fatalf("appending to point 0 changed the others:\n%s->\n%s", before, after)
	}
	if got := pointsString(ps[:1]); got != "cpu,a=1,ta=v,tb=v,tc=v x=1,fa=9i,fb=9i,fc=9i 1\n" {
		t.Fatalf("point 0 is %q", got)
	}
}
