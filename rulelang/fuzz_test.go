package rulelang

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bytes to the parser and the checker. Neither may
// panic or take long; diagnostics must carry valid positions; a file that
// parses must print to source that parses back to the same tree, and
// printing must be idempotent; parsing and checking in parts must give
// the same results as in one piece. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("type T : <id: string>\nT(id: \"a\")\nrule r : {t: T} / t.id == \"a\" ==> print(t.id)\n"))
	f.Add([]byte("rule r : {a: A, n: COUNT(b.x)} / {b: B} / b.y == a.id AND n > -1.5e3 ==> f(n)"))
	f.Fuzz(func(t *testing.T, src []byte) {
		start := time.Now()
		file, err := ParseFile("fuzz.rules", src)
		if file == nil {
			t.Fatal("ParseFile returned a nil File")
		}
		// Cut into parts, the source must parse exactly as in one piece.
		checkSameAsWhole(t, "fuzz.rules", src, 3)
		if err != nil {
			checkDiagnostics(t, src, err)
		} else {
			out := Format(file)
			again, err := ParseFile("formatted.rules", out)
			if err != nil {
				t.Fatalf("formatted source does not parse: %v\n%s", err, out)
			}
			if d := treeDiff(file, again); d != "" {
				t.Fatalf("round trip changed the tree: %s", d)
			}
			if twice := Format(again); !bytes.Equal(out, twice) {
				t.Fatalf("formatting is not idempotent:\n--- once\n%s\n--- twice\n%s", out, twice)
			}
			prog, err := Check(file)
			if err != nil {
				checkDiagnostics(t, src, err)
				if prog != nil {
					t.Fatal("Check returned a program and an error")
				}
			} else {
				_ = programString(prog)
			}
			// Checked in parts, the file must give the same program or
			// diagnostics.
			if parts, perr := checkInParts(file, 3); fmt.Sprint(perr) != fmt.Sprint(err) || !reflect.DeepEqual(parts, prog) {
				t.Fatalf("checking in parts differs: %v\n--- whole: %v", perr, err)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v for %d bytes", d, len(src))
		}
	})
}

// checkDiagnostics asserts that err is a sorted, non-empty ErrorList whose
// positions lie within src.
func checkDiagnostics(t *testing.T, src []byte, err error) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("error is not a non-empty ErrorList: %v", err)
	}
	for i, d := range list {
		p := d.Pos
		if p.Line < 1 || p.Column < 1 || p.Offset < 0 || p.Offset > len(src) {
			t.Fatalf("diagnostic %q has an invalid position %+v (source has %d bytes)", d.Msg, p, len(src))
		}
		if i > 0 && list.Less(i, i-1) {
			t.Fatalf("diagnostics not sorted: %v before %v", list[i-1], d)
		}
		if d.Msg == "" {
			t.Fatal("empty diagnostic message")
		}
	}
}
