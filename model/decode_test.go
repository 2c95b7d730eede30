package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// checkDecode decodes data with dc and with ParseLines and fails unless both
// give the same points or the same error, and the Decoded batch groups the
// points by series correctly. It returns whether the fast path decoded data.
func checkDecode(t *testing.T, dc *Decoder, data []byte, opts ParseOptions) bool {
	t.Helper()
	want, werr := ParseLines(data, opts)
	fast := dc.fast(data, &ParseOptions{Precision: max(opts.Precision, 1), Now: opts.Now, MaxLineBytes: cmpOr(opts.MaxLineBytes, DefaultMaxLineBytes)})
	if fast && werr != nil {
		t.Fatalf("fast path accepted\n%q\nwhich ParseLines rejects: %v", data, werr)
	}
	got, err := dc.Decode(data, opts)
	if werr != nil || err != nil {
		if werr == nil || err == nil || err.Error() != werr.Error() {
			t.Fatalf("Decode of\n%q\nfailed with %v, ParseLines with %v", data, err, werr)
		}
		if got != nil {
			t.Fatalf("Decode returned a batch with error %v", err)
		}
		return fast
	}
	if !equalPoints(got.Points, want) || len(got.Points) != len(want) {
		t.Fatalf("Decode of\n%q\n(fast path %v) gave\n%s\nParseLines gave\n%s", data, fast, pointsString(got.Points), pointsString(want))
	}
	if len(got.SeriesOf) != len(got.Points) {
		t.Fatalf("%d series indexes for %d points", len(got.SeriesOf), len(got.Points))
	}
	seen := map[string]int{}
	for i, s := range got.Series {
		if _, dup := seen[s.Key]; dup {
			t.Fatalf("series %q listed twice", s.Key)
		}
		seen[s.Key] = i
		if key := string(AppendSeriesKey(nil, s.Measurement, s.Tags)); key != s.Key {
			t.Fatalf("series key %q, want %q", s.Key, key)
		}
		if s.First >= len(got.Points) || got.SeriesOf[s.First] != int32(i) || slices.Contains(got.SeriesOf[:s.First], int32(i)) {
			t.Fatalf("series %d (%q) has first point %d, series of the points %v", i, s.Key, s.First, got.SeriesOf)
		}
	}
	for i := range got.Points {
		p := &got.Points[i]
		s := got.Series[got.SeriesOf[i]]
		if p.Measurement != s.Measurement || !slices.Equal(p.Tags, s.Tags) {
			t.Fatalf("point %d (%s %v) is not of its series %q", i, p.Measurement, p.Tags, s.Key)
		}
	}
	return fast
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func TestDecodeTSBSTakesFastPath(t *testing.T) {
	var dc Decoder
	data := tsbsBatch(2000)
	if !checkDecode(t, &dc, data, ParseOptions{}) {
		t.Fatal("the fast path did not decode a TSBS batch")
	}
	d, err := dc.Decode(data, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Points) != 2000 || len(d.Series) != 100 {
		t.Fatalf("%d points of %d series, want 2000 of 100", len(d.Points), len(d.Series))
	}
	// Points of one series share their tags.
	if &d.Points[0].Tags[0] != &d.Points[100].Tags[0] {
		t.Error("points 0 and 100 of series host_0 do not share their tags")
	}
}

func TestDecodeCases(t *testing.T) {
	cases := []string{
		"",
		"\n\n",
		"cpu v=1",
		"cpu v=1\n",
		"cpu,b=2,a=1 v=1i,w=2u,x=t,y=\"s s,s\",z=-1.5e-3 10\ncpu,a=1,b=2 v=2i,w=3u,x=F,y=\"\",z=2 20\n",
		"cpu,a=1 v=1 1\ncpu,a=1 w=1,v=2 2\ncpu,a=1 v=3 3\ncpu,a=1 v=4,w=5,x=6 4\n",
		"cpu,a=1 v=1,v=2 1",
		"cpu,a=1 v=1,w=2 1\ncpu,a=1 w=3,w=4 2",
		"cpu,a=1,a=2 v=1 1",
		"cpu,a=1 v=1 1\r\n",
		"cpu,a=1 v=1 1 \n",
		"cpu,a=1  v=1 1",
		"cpu,a=1 v=1  1",
		"cpu,a=1 v=1i,v=2.5 1",
		"cpu,a=1 v=1 1\ncpu,a=1 v=1i 2\n",
		"cpu,a=1 v=9223372036854775807i,w=-9223372036854775808i,x=18446744073709551615u 1",
		"cpu,a=1 v=9223372036854775808i 1",
		"cpu,a=1 v=18446744073709551616u 1",
		"cpu,a=1 v=-1u 1",
		"cpu,a=1 v=+1i 1",
		"cpu,a=1 v=01i,w=00.5,x=1e400 1",
		"cpu,a=1 v=1e5,w=1E-5,x=.5,y=1.,z=-0 1",
		"cpu,a=1 v=inf 1",
		"cpu,a=1 v=NaN 1",
		"cpu,a=1 v=true,w=TRUE,x=True,y=tRUE 1",
		"cpu,a=1 v=1 +5",
		"cpu,a=1 v=1 -5",
		"cpu,a=1 v=1 99999999999999999999",
		"cpu,a=1 v=1 9223372036854775807",
		"cpu,a=1 v=1 1.5",
		"cpu,time=1 v=1 1",
		"cpu,a=1 time=1 1",
		"time v=1 1",
		"cpu,a= v=1 1",
		"cpu,=1 v=1 1",
		"cpu, v=1 1",
		",a=1 v=1 1",
		"cpu,a=1 =1 1",
		"cpu,a=1 v= 1",
		"cpu,a=1 v=1,",
		"cpu,a=1 v=1, 1",
		"cpu,a=1",
		"cpu,a=1 ",
		" cpu,a=1 v=1 1",
		"# comment\ncpu,a=1 v=1 1",
		"cpu\\ x,a\\,b=c\\=d v\\ w=1 1",
		"cpu,a=1 v=\"a\\\"b\" 1",
		"cpu,a=1 v=\"a\nb\" 1\ncpu,a=1 v=2 2",
		"cpu,a=1 v=\"unterminated 1",
		"cpu,a=1 v=\"x\"y 1",
		"cpu,a=é v=1 1",
		"cpu,a=1 v=\"é\" 1",
		"cpu,a=1 v=1 1\ncpu,a=1 v=2 1\n",
		"m,z=1,y=2,x=3 f=1 1\nm,x=3,y=2,z=1 f=2 2\nm,y=2,x=3,z=1 g=3 3\n",
		"m,a=1 f=1 1\nm,a=1 f=2 2 extra\n",
	}
	var dc Decoder
	for _, prec := range []Precision{Nanosecond, Second, Hour} {
		for _, c := range cases {
			checkDecode(t, &dc, []byte(c), ParseOptions{Precision: prec, Now: 1700000000123456789})
		}
	}
	// The line-length limit applies on the fast path too.
	for _, limit := range []int{6, 7, 8, 13, 14, 15} {
		checkDecode(t, &dc, []byte("m v=1 1\nmm v=22 1\n"), ParseOptions{MaxLineBytes: limit, Now: 1})
		checkDecode(t, &dc, []byte("m v=1 1\nmm v=22 1"), ParseOptions{MaxLineBytes: limit, Now: 1})
	}
}

// TestDecodeRandom decodes random batches of valid lines, some of them
// mutated, with one Decoder (so its buffers are reused): Decode must agree
// with ParseLines on every one.
func TestDecodeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var dc Decoder
	fastN := 0
	const n = 1500
	for range n {
		var b []byte
		lines := 1 + rng.IntN(40)
		for range lines {
			b = randomLine(rng, b)
		}
		if rng.IntN(3) == 0 && len(b) > 0 { // mutate a few bytes
			for range 1 + rng.IntN(3) {
				const noise = " ,=\\\"\n#-.0i9uetT"
				b[rng.IntN(len(b))] = noise[rng.IntN(len(noise))]
			}
		}
		prec := fuzzPrecisions[rng.IntN(len(fuzzPrecisions))]
		if checkDecode(t, &dc, b, ParseOptions{Precision: prec, Now: 1700000000123456789}) {
			fastN++
		}
	}
	if fastN < n/3 {
		t.Errorf("the fast path decoded only %d of %d batches", fastN, n)
	}
}

// randomLine appends a line of a small vocabulary of series and fields, in
// varying tag and field orders, sometimes without a timestamp.
func randomLine(rng *rand.Rand, b []byte) []byte {
	b = fmt.Appendf(b, "m%d", rng.IntN(2))
	tags := []string{fmt.Sprintf("host=h%d", rng.IntN(3)), fmt.Sprintf("dc=d%d", rng.IntN(2)), "os=linux"}
	rng.Shuffle(len(tags), func(i, j int) { tags[i], tags[j] = tags[j], tags[i] })
	for _, tg := range tags[:rng.IntN(4)] {
		b = append(b, ',')
		b = append(b, tg...)
	}
	fields := []string{"a", "b", "c", "d"}
	if rng.IntN(4) > 0 {
		rng.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	}
	b = append(b, ' ')
	for i, f := range fields[:1+rng.IntN(4)] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f...)
		b = append(b, '=')
		switch f {
		case "a":
			b = fmt.Appendf(b, "%di", rng.Int64N(2000)-1000)
		case "b":
			b = fmt.Appendf(b, "%g", rng.NormFloat64()*1e3)
		case "c":
			b = fmt.Appendf(b, "%q", strings.Repeat("x y,", rng.IntN(3)))
		case "d":
			b = append(b, []string{"t", "false", "True"}[rng.IntN(3)]...)
		}
	}
	if rng.IntN(5) > 0 {
		b = fmt.Appendf(b, " %d", rng.Int64N(1e12))
	}
	return append(b, '\n')
}

// FuzzDecode checks that Decode agrees with ParseLines on arbitrary input.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("cpu,host=a,dc=b v=1i,w=2 10\ncpu,dc=b,host=a w=3,v=4i 20\n"), uint8(0))
	f.Add([]byte("m,a=1 f=\"x\",g=t 1\nm,a=1 g=f 2\n\nm f=1u\n"), uint8(3))
	f.Add(tsbsBatch(3), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, prec uint8) {
		var dc Decoder
		opts := ParseOptions{Precision: fuzzPrecisions[int(prec)%len(fuzzPrecisions)], Now: 1700000000123456789, MaxLineBytes: 4096}
		checkDecode(t, &dc, data, opts)
		// A second batch through the same decoder.
		checkDecode(t, &dc, append(data, "\nm2,x=y v=1 5\n"...), opts)
	})
}

func BenchmarkDecodeTSBS(b *testing.B) {
	data := tsbsBatch(10000)
	var dc Decoder
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := dc.Decode(data, ParseOptions{})
		if err != nil || len(d.Points) != 10000 {
			b.Fatal(err, len(d.Points))
		}
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "values/s")
}
