package rulelang

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The files testdata/*.rules carry their expected diagnostics as comments
// /* ERROR "regexp" */ placed right after the token the diagnostic points
// at (as in the go/types test files). The regexp is taken literally between
// the quotes, so it cannot contain a double quote. Every expected diagnostic must be
// reported at that line and column with a matching message, and nothing else
// may be reported. A file with syntax errors is only parsed; otherwise it is
// also checked.

var errorMarker = regexp.MustCompile(`^/\* ERROR "([^"]*)" \*/$`)

type expectedError struct {
	pos Position
	rx  *regexp.Regexp
}

// expectedErrors scans src for ERROR markers.
func expectedErrors(t *testing.T, filename string, src []byte) []expectedError {
	t.Helper()
	var lt lineTable
	lt.filename = filename
	var diags diagnostics
	diags.lines = &lt
	var s scanner
	s.init(&lt, src, &diags, true)
	var prev Pos
	var want []expectedError
	for s.next(); s.tok != tokEOF; s.next() {
		if s.tok != tokComment {
			prev = s.pos
			continue
		}
		m := errorMarker.FindSubmatch(s.lit)
		if m == nil {
			continue
		}
		rx, err := regexp.Compile(string(m[1]))
		if err != nil {
			t.Fatalf("%s: bad ERROR marker: %v", lt.position(s.pos), err)
		}
		if !prev.IsValid() {
			t.Fatalf("%s: ERROR marker before any token", lt.position(s.pos))
		}
		want = append(want, expectedError{pos: lt.position(prev), rx: rx})
	}
	return want
}

// diagnose parses and, without syntax errors, checks src.
func diagnose(filename string, src []byte) (*Program, ErrorList, error) {
	prog, err := Compile(filename, src)
	if err == nil {
		return prog, nil, nil
	}
	var list ErrorList
	if !errors.As(err, &list) {
		return nil, nil, err
	}
	return nil, list, nil
}

func TestErrorMarkers(t *testing.T) {
	files, err := filepath.Glob("testdata/*.rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found only %d test files", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := expectedErrors(t, file, src)
			_, got, err := diagnose(file, src)
			if err != nil {
				t.Fatalf("error is not an ErrorList: %v", err)
			}
			for _, d := range got {
				i := matchExpected(want, d)
				if i < 0 {
					t.Errorf("unexpected diagnostic: %s", d)
					continue
				}
				want = append(want[:i], want[i+1:]...)
			}
			for _, w := range want {
				t.Errorf("%s: missing diagnostic matching %q", w.pos, w.rx)
			}
		})
	}
}

func matchExpected(want []expectedError, d *Diagnostic) int {
	for i, w := range want {
		if w.pos.Line == d.Pos.Line && w.pos.Column == d.Pos.Column && w.rx.MatchString(d.Msg) {
			return i
		}
	}
	return -1
}

// TestErrorListFormat pins the exact text of an ErrorList, sorted by
// position, one diagnostic per line.
func TestErrorListFormat(t *testing.T) {
	src := "type T : <id: string, n: number>\n" +
		"T(id: \"a\", n: \"x\")\n" +
		"U(id: 1)\n" +
		"rule r : {t: T} / t.n + t.id > 1 ==> print(t.id)\n"
	_, err := Compile("prog.rules", []byte(src))
	want := strings.Join([]string{
		`prog.rules:2:15: field n of T is number, but the value is string`,
		`prog.rules:3:1: unknown type U`,
		`prog.rules:4:23: invalid operation +: mismatched types number and string`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 3 || list[1].Pos.Line != 3 || list[1].Pos.Column != 1 {
		t.Fatalf("ErrorList contents wrong: %#v", list)
	}
}
