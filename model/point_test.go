package model

import (
	"errors"
	"slices"
	"testing"
)

func TestSeriesKey(t *testing.T) {
	f := func(measurement string, tags Tags, want string) {
		t.Helper()
		p := Point{Measurement: measurement, Tags: tags}
		if got := string(p.SeriesKey()); got != want {
			t.Errorf("SeriesKey(%q, %v) = %q, want %q", measurement, tags, got, want)
		}
		if got := string(AppendSeriesKey([]byte("x"), measurement, tags)); got != "x"+want {
			t.Errorf("AppendSeriesKey onto a prefix = %q", got)
		}
		m, ts, err := ParseSeriesKey([]byte(want))
		if err != nil || m != measurement || !slices.Equal(ts, tags) {
			t.Errorf("ParseSeriesKey(%q) = %q, %v, %v; want %q, %v", want, m, ts, err, measurement, tags)
		}
	}
	f("cpu", nil, "cpu")
	f("cpu", Tags{{"host", "a"}, {"region", "us west"}}, `cpu,host=a,region=us\ west`)
	f("cpu load", Tags{{"host name", "a,b"}, {"k=1", `back\slash`}}, `cpu\ load,host\ name=a\,b,k\=1=back\\slash`)
	f("a=b", Tags{{"k", "v=w"}}, `a=b,k=v\=w`)                                 // '=' needs no escape in a measurement
	f(`trailing\`, Tags{{`k\`, `v\`}}, `trailing\\,k\\=v\\`)                   // trailing backslashes survive
	f("new\nline", Tags{{"k", "a\nb"}, {"l", `\n`}}, `new\nline,k=a\nb,l=\\n`) // a newline and a literal \n differ
	f("", Tags{{"k", ""}}, `,k=`)
	f("ünïcode", Tags{{"é", "日本"}}, "ünïcode,é=日本")
}

func TestParseSeriesKeyErrors(t *testing.T) {
	f := func(key string) {
		t.Helper()
		m, tags, err := ParseSeriesKey([]byte(key))
		if !errors.Is(err, errBadSeriesKey) || err.Error() != "malformed series key" || m != "" || tags != nil {
			t.Errorf("ParseSeriesKey(%q) = %q, %v, %v; want malformed series key", key, m, tags, err)
		}
	}
	f(`cpu\`)
	f(`cpu,host`)
	f(`cpu,host=a,`)
	f(`cpu,host=a\`)
	f(`cpu,ho\st`)
}

func TestTagsSort(t *testing.T) {
	f := func(in, want Tags) {
		t.Helper()
		got := slices.Clone(in)
		got.Sort()
		if !slices.Equal(got, want) {
			t.Errorf("Sort(%v) = %v, want %v", in, got, want)
		}
	}
	f(nil, nil)
	f(Tags{{"b", "1"}, {"a", "2"}}, Tags{{"a", "2"}, {"b", "1"}})
	f(Tags{{"b", "1"}, {"a", "2"}, {"b", "3"}, {"a", "4"}, {"b", "5"}}, Tags{{"a", "4"}, {"b", "5"}})
	f(Tags{{"B", "1"}, {"a", "2"}, {"_", "3"}}, Tags{{"B", "1"}, {"_", "3"}, {"a", "2"}}) // byte order

	ts := Tags{{"a", "1"}, {"c", "3"}, {"e", ""}}
	g := func(key, want string, wantOK bool) {
		t.Helper()
		if v, ok := ts.Get(key); v != want || ok != wantOK {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", key, v, ok, want, wantOK)
		}
	}
	g("a", "1", true)
	g("c", "3", true)
	g("e", "", true)
	g("b", "", false)
	g("z", "", false)
	g("", "", false)
}
