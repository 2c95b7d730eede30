package rulelang

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// scanAll returns the tokens of src as "KIND:text" strings.
func scanAll(src string) ([]string, ErrorList) {
	var lt lineTable
	var d diagnostics
	d.lines = &lt
	var s scanner
	s.init(&lt, []byte(src), &d, false)
	var toks []string
	for s.next(); s.tok != tokEOF; s.next() {
		text := string(s.src[s.pos-1 : s.end])
		if s.tok == tokString {
			text = string(s.lit)
		}
		toks = append(toks, fmt.Sprintf("%s:%s", s.tok, text))
	}
	return toks, d.list
}

func TestScanner(t *testing.T) {
	f := func(src string, want ...string) {
		t.Helper()
		got, errs := scanAll(src)
		if len(errs) > 0 {
			t.Errorf("%q: unexpected errors %v", src, errs)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%q:\ngot  %v\nwant %v", src, got, want)
		}
	}
	f("")
	f("  // only a comment\n /* and another */ ")
	f("type Employee : <#id: string>",
		"type:type", "IDENT:Employee", ":::", "<:<", "#:#", "IDENT:id", ":::", "IDENT:string", ">:>")
	f("a==b!=c<=d>=e<f>g==>h",
		"IDENT:a", "==:==", "IDENT:b", "!=:!=", "IDENT:c", "<=:<=", "IDENT:d", ">=:>=", "IDENT:e",
		"<:<", "IDENT:f", ">:>", "IDENT:g", "==>:==>", "IDENT:h")
	f("1 1.5 2e10 3E-2 4.25e+3 007", "NUMBER:1", "NUMBER:1.5", "NUMBER:2e10", "NUMBER:3E-2", "NUMBER:4.25e+3", "NUMBER:007")
	f("a.b 1.x", "IDENT:a", ".:.", "IDENT:b", "NUMBER:1", ".:.", "IDENT:x")
	f(`"" "a\"b\\c\/d\n\t\r\u00e9"`, "STRING:", "STRING:a\"b\\c/d\n\t\ré")
	f("AND and And OR or NOT not TRUE false Type RULE Retract",
		"AND:AND", "AND:and", "AND:And", "OR:OR", "OR:or", "NOT:NOT", "NOT:not", "true:TRUE", "false:false",
		"type:Type", "rule:RULE", "retract:Retract")
	f("andy notes types _x x_1 été", "IDENT:andy", "IDENT:notes", "IDENT:types", "IDENT:_x", "IDENT:x_1", "IDENT:été")
	f("a+b-c*d/e", "IDENT:a", "+:+", "IDENT:b", "-:-", "IDENT:c", "*:*", "IDENT:d", "/:/", "IDENT:e")
	f("x // c\ny /* c\n */ z", "IDENT:x", "IDENT:y", "IDENT:z")
	f("\xEF\xBB\xBFtype", "type:type")
}

func TestScannerErrors(t *testing.T) {
	f := func(src, want string) {
		t.Helper()
		_, errs := scanAll(src)
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Error())
		}
		if got := strings.Join(msgs, "; "); got != want {
			t.Errorf("%q: got %q, want %q", src, got, want)
		}
	}
	f("a = b", "1:3: unexpected '=': use '==' to compare")
	f("\n  @", "2:3: illegal character '@'")
	f("a || b", "1:3: unexpected '||': use OR")
	f("\"abc", "1:1: string literal not terminated")
	f("\"ab\nc\"", "1:1: string literal not terminated; 2:2: string literal not terminated")
	f("x /* abc", "1:3: comment not terminated")
	f("1e+", "1:1: exponent has no digits")
	f("\xff", "1:1: invalid UTF-8 encoding")
	f("a ∑ b", "1:3: illegal character '∑'")
}

func TestLineTable(t *testing.T) {
	f, err := ParseFile("p.rules", []byte("type A : <id: string>\n\n  A(id: \"x\")\n"))
	if err != nil {
		t.Fatal(err)
	}
	fact := f.Stmts[1].(*FactStmt)
	if got := f.Position(fact.Pos()).String(); got != "p.rules:3:3" {
		t.Fatalf("fact at %s, want p.rules:3:3", got)
	}
	if got := f.Position(fact.End()).String(); got != "p.rules:3:13" {
		t.Fatalf("fact ends at %s, want p.rules:3:13", got)
	}
	if got := f.Position(NoPos).String(); got != "p.rules" {
		t.Fatalf("NoPos prints %q", got)
	}
	if got := (Position{Line: 2, Column: 5}).String(); got != "2:5" {
		t.Fatalf("position without file prints %q", got)
	}
}

func TestParseKeepsGoodStatements(t *testing.T) {
	src := "type A : <id: string>\nA(id: \"a\" \"b\")\nA(id: \"c\")\nrule r : {a: A} ==> print(a.id)\n"
	f, err := ParseFile("p.rules", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 || list[0].Error() != "p.rules:2:11: expected ',' or ')', found string \"b\"" {
		t.Fatalf("error: %v", err)
	}
	if len(f.Stmts) != 3 {
		t.Fatalf("got %d statements, want the 3 good ones", len(f.Stmts))
	}
	if _, ok := f.Stmts[2].(*RuleDecl); !ok {
		t.Fatalf("last statement is %T", f.Stmts[2])
	}
}

func TestParseTree(t *testing.T) {
	f := mustParse(t, "p.rules", []byte(`rule r : {d: D, a: avg(e.x)} / {e: E} / -1 - -e.x * 2 > 3 OR NOT e.ok ==> print("s", a), go()`))
	r := f.Stmts[0].(*RuleDecl)
	if len(r.Blocks) != 2 || len(r.Blocks[0].Bindings) != 2 || r.Blocks[0].Bindings[1].Agg.Fun.Name != "AVG" {
		t.Fatalf("blocks: %s", astString(r.Blocks))
	}
	or := r.Cond.(*BinaryExpr)
	if or.Op != OpOr {
		t.Fatalf("top operator %s, want OR", or.Op)
	}
	gt := or.X.(*BinaryExpr)
	sub := gt.X.(*BinaryExpr)
	if gt.Op != OpGt || sub.Op != OpSub {
		t.Fatalf("operators %s %s", gt.Op, sub.Op)
	}
	if lit := sub.X.(*BasicLit); lit.Value.Num != -1 {
		t.Fatalf("-1 folded to %v", lit.Value)
	}
	mul := sub.Y.(*BinaryExpr)
	if neg, ok := mul.X.(*UnaryExpr); !ok || neg.Op != OpNeg || mul.Op != OpMul {
		t.Fatalf("-e.x * 2 parsed as %s", astString(mul))
	}
	if not := or.Y.(*UnaryExpr); not.Op != OpNot {
		t.Fatalf("NOT parsed as %s", astString(or.Y))
	}
	if len(r.Actions) != 2 || r.Actions[1].Fun.Name != "go" || len(r.Actions[1].Args) != 0 {
		t.Fatalf("actions: %s", astString(r.Actions))
	}
	if got := ExprString(r.Cond); got != "-1 - -e.x * 2 > 3 OR NOT e.ok" {
		t.Fatalf("ExprString = %q", got)
	}
}

func TestNestingLimit(t *testing.T) {
	deep := "rule r : {a: A} / " + strings.Repeat("(", maxNesting+5) + "1" + strings.Repeat(")", maxNesting+5) + " ==> print(1)"
	_, err := ParseFile("deep.rules", []byte(deep))
	if err == nil || !strings.Contains(err.Error(), "expression nested too deeply") {
		t.Fatalf("error %v", err)
	}
	ok := "type A : <n: number>\nrule r : {a: A} / " + strings.Repeat("NOT ", 100) + "a.n > " + strings.Repeat("-", 100) + "1 ==> print(1)"
	if _, err := Compile("ok.rules", []byte(ok)); err != nil {
		t.Fatal(err)
	}
}

func TestKeyword(t *testing.T) {
	f := func(word string, want token) {
		t.Helper()
		if got := keyword([]byte(word)); got != want {
			t.Errorf("keyword(%q) = %s, want %s", word, got, want)
		}
	}
	for _, w := range []string{"or", "OR", "Or"} {
		f(w, tokOr)
	}
	f("and", tokAnd)
	f("aNd", tokAnd)
	f("NOT", tokNot)
	f("type", tokType)
	f("TRUE", tokTrue)
	f("Rule", tokRule)
	f("false", tokFalse)
	f("RETRACT", tokRetract)
	for _, w := range []string{"", "o", "ox", "an", "andy", "nut", "types", "tru", "rules", "retracts", "fals", "id", "AVG", "print"} {
		f(w, tokIdent)
	}
}
