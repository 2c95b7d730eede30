package rete

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accretedb/accrete/rulelang"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// formatEvent writes an event as a line with its kind, rule, the keys of
// its facts and its aggregate values, followed by one indented line per
// action.
func formatEvent(b *strings.Builder, ev *Event) {
	b.WriteString(ev.Kind.String())
	b.WriteByte(' ')
	b.WriteString(ev.Rule)
	for _, f := range ev.Facts {
		b.WriteByte(' ')
		if k := f.Key(); k.Type != rulelang.TypeInvalid {
			b.WriteString(k.String())
		} else {
			b.WriteString(f.String())
		}
	}
	for _, a := range ev.Aggregates {
		b.WriteString(" " + a.Name + "=" + FormatNumber(a.Value))
	}
	b.WriteByte('\n')
	for _, a := range ev.Actions {
		b.WriteString("  " + a.String() + "\n")
	}
}

// runEvents runs a program through Exec in checking mode and returns the
// event stream and runtime errors as text.
func runEvents(t *testing.T, name string, src []byte, batch bool) string {
	t.Helper()
	p, err := rulelang.Compile(name, src)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	var b strings.Builder
	e := New(&Options{Check: true})
	e.Subscribe(func(ev Event) { formatEvent(&b, &ev) })
	err = e.Exec(p, &ExecOptions{Batch: batch, Report: func(se *StmtError) {
		b.WriteString("error " + se.Error() + "\n")
	}})
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	return b.String()
}

// TestGolden runs every testdata/*.rules program and compares its event
// stream with the .golden file (with "// exec: batch" on the first line,
// consecutive facts form one step).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.rules")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files (%v)", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".rules"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			batch := strings.HasPrefix(string(src), "// exec: batch")
			got := runEvents(t, filepath.Base(file), src, batch)
			golden := strings.TrimSuffix(file, ".rules") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("events:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestExamplesExact pins shared/EXAMPLES.md §1 and §2 literally: the
// printed lines, in order.
func TestExamplesExact(t *testing.T) {
	f := func(file string, batch bool, want ...string) {
		t.Helper()
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := rulelang.Compile(file, src)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		e := New(&Options{Check: true})
		e.Subscribe(func(ev Event) {
			for _, a := range ev.Actions {
				got = append(got, a.String())
			}
		})
		if err := e.Exec(p, &ExecOptions{Batch: batch}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s (batch=%v): printed\n%s\nwant\n%s", file, batch, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	f("testdata/example1.rules", false,
		"dept d1 60000 80",
		"dept d2 30000 95",
		"dept d1 50000 80",
		"dept d1 50000 85",
		"dept d1 43333.333333333336 87")
	f("testdata/example2.rules", false, "understaffed d1 1", "understaffed d2 0")
	// With the last three statements as one step, d1 fires once with the
	// final values.
	f("testdata/example1.rules", true,
		"dept d1 60000 80",
		"dept d2 30000 95",
		"dept d1 43333.333333333336 87")
}
