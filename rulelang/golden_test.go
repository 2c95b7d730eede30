package rulelang

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept)\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

func globFiles(t *testing.T, pattern string, atLeast int) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < atLeast {
		t.Fatalf("%s: found %d files, want at least %d", pattern, len(files), atLeast)
	}
	return files
}

func mustParse(t *testing.T, name string, src []byte) *File {
	t.Helper()
	f, err := ParseFile(name, src)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return f
}

// TestFormatGolden formats testdata/format/*.rules and compares with the
// .golden files. Formatting is idempotent and keeps the tree.
func TestFormatGolden(t *testing.T) {
	for _, file := range globFiles(t, "testdata/format/*.rules", 2) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f := mustParse(t, file, src)
			out := Format(f)
			checkGolden(t, strings.TrimSuffix(file, ".rules")+".golden", out)
			if filepath.Base(file) == "canonical.rules" && !bytes.Equal(out, src) {
				t.Errorf("canonical source is not a fixed point of Format:\n%s", out)
			}
			g := mustParse(t, "formatted", out)
			if again := Format(g); !bytes.Equal(again, out) {
				t.Errorf("formatting is not idempotent:\n--- once\n%s\n--- twice\n%s", out, again)
			}
			if d := treeDiff(f, g); d != "" {
				t.Errorf("formatting changed the tree: %s", d)
			}
		})
	}
}

// TestRoundTrip: for every test file without syntax errors,
// parse(print(ast)) equals ast up to positions.
func TestRoundTrip(t *testing.T) {
	files := append(globFiles(t, "testdata/*.rules", 3), append(globFiles(t, "testdata/examples/*.rules", 5), globFiles(t, "testdata/classify/*.rules", 1)...)...)
	n := 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		f, err := ParseFile(file, src)
		if err != nil {
			continue
		}
		n++
		out := Format(f)
		g, err := ParseFile("formatted", out)
		if err != nil {
			t.Errorf("%s: formatted source does not parse: %v\n%s", file, err, out)
			continue
		}
		if d := treeDiff(f, g); d != "" {
			t.Errorf("%s: round trip changed the tree: %s", file, d)
		}
	}
	if n < 7 {
		t.Fatalf("only %d files round-tripped", n)
	}
}

// TestExamples: every example of the design, the worked examples and the
// multi-source aggregation seed parses and checks, and its classification
// matches the golden file.
func TestExamples(t *testing.T) {
	for _, file := range append(globFiles(t, "testdata/examples/*.rules", 5), globFiles(t, "testdata/classify/*.rules", 1)...) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := Compile(file, src)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(file, ".rules")+".golden", []byte(programString(prog)))
		})
	}
}

// treeDiff compares the statements and comment texts of two files up to
// positions. It returns "" when they are equal, else the first difference.
func treeDiff(f, g *File) string {
	a := strings.Split(astString(f.Stmts)+astString(f.Comments), "\n")
	b := strings.Split(astString(g.Stmts)+astString(g.Comments), "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("line %d of the dump:\n--- before\n%s\n--- after\n%s", i+1, x, y)
		}
	}
	return ""
}

// astString renders a syntax tree without positions, for comparing trees.
func astString(x any) string {
	var b strings.Builder
	writeAST(&b, reflect.ValueOf(x))
	return b.String()
}

var posType = reflect.TypeOf(Pos(0))

func writeAST(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		writeAST(b, v.Elem())
	case reflect.Struct:
		if !v.CanAddr() {
			p := reflect.New(v.Type())
			p.Elem().Set(v)
			v = p.Elem()
		}
		b.WriteString(v.Type().Name())
		b.WriteByte('{')
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Type == posType || !f.IsExported() {
				continue
			}
			b.WriteString(f.Name)
			b.WriteByte(':')
			writeAST(b, v.Field(i))
			b.WriteByte(' ')
		}
		if s, ok := v.Addr().Interface().(*FactStmt); ok {
			// The arguments of a fact are read through methods.
			args := make([]Arg, s.NumArgs())
			for i := range args {
				args[i] = s.Arg(i)
			}
			b.WriteString("Args:")
			writeAST(b, reflect.ValueOf(args))
		}
		b.WriteByte('}')
	case reflect.Slice:
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			writeAST(b, v.Index(i))
		}
		b.WriteString("]\n")
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	default:
		fmt.Fprintf(b, "%v", v.Interface())
	}
}

// programString renders a checked program for golden files: types, facts
// and rules with their classified conditions and resolved indices.
func programString(p *Program) string {
	var b strings.Builder
	for _, s := range p.Stmts {
		switch s := s.(type) {
		case *TypeInfo:
			fmt.Fprintf(&b, "type %s #%d key=%d", s.Name, s.Index, s.Key)
			for _, f := range s.Fields {
				fmt.Fprintf(&b, " %s:%s", f.Name, f.Type)
			}
			b.WriteByte('\n')
		case *Fact:
			fmt.Fprintf(&b, "fact %s", s.Type.Name)
			for _, v := range s.Values {
				fmt.Fprintf(&b, " %s", v)
			}
			b.WriteByte('\n')
		case *Retract:
			fmt.Fprintf(&b, "retract %s %s\n", s.Type.Name, s.Key)
		case *Rule:
			writeRuleInfo(&b, s)
		}
	}
	return b.String()
}

func writeRuleInfo(b *strings.Builder, r *Rule) {
	fmt.Fprintf(b, "rule %s #%d %s\n", r.Name, r.Index, r.Kind)
	for _, v := range r.Vars {
		fmt.Fprintf(b, "  var %d %s: %s (block %d)\n", v.Index, v.Name, v.Type.Name, v.Block)
		for _, f := range v.Filters {
			fmt.Fprintf(b, "    filter %s\n", termDebug(f))
		}
	}
	for _, a := range r.Aggregates {
		fmt.Fprintf(b, "  agg %d %s = %s(%s) over %s\n", a.Index, a.Name, a.Func, termDebug(a.Arg), r.Vars[a.Source].Name)
	}
	for _, j := range r.Joins {
		p, c := r.Vars[j.Parent], r.Vars[j.Child]
		fmt.Fprintf(b, "  join %s -> %s on", p.Name, c.Name)
		for _, k := range j.Keys {
			fmt.Fprintf(b, " %s.%s == %s.%s", p.Name, p.Type.Fields[k.ParentField].Name, c.Name, c.Type.Fields[k.ChildField].Name)
		}
		b.WriteByte('\n')
	}
	for _, t := range r.JoinFilters {
		fmt.Fprintf(b, "  join filter %s\n", termDebug(t))
	}
	for _, t := range r.Thresholds {
		fmt.Fprintf(b, "  threshold %s\n", termDebug(t))
	}
	for _, a := range r.Actions {
		name := a.Name
		if a.Print {
			name = "print (built in)"
		}
		fmt.Fprintf(b, "  action %s", name)
		for _, t := range a.Args {
			fmt.Fprintf(b, " [%s]", termDebug(t))
		}
		b.WriteByte('\n')
	}
}

// termDebug renders a term with its types and resolved indices:
// field refs as v.f@var.field, aggregates as name@index.
func termDebug(t Term) string {
	switch t := t.(type) {
	case *Const:
		return t.Value.String()
	case *FieldRef:
		return fmt.Sprintf("%s.%s@%d.%d:%s", t.VarName, t.FieldName, t.Var, t.Field, t.Type())
	case *AggRef:
		return fmt.Sprintf("%s@%d", t.Name, t.Agg)
	case *Unary:
		return fmt.Sprintf("(%s %s)", t.Op, termDebug(t.X))
	case *Binary:
		op := t.Op.String()
		if t.Op == OpConcat {
			op = "concat"
		}
		return fmt.Sprintf("(%s %s %s):%s", termDebug(t.X), op, termDebug(t.Y), t.Type())
	}
	panic("BUG: unknown term")
}
