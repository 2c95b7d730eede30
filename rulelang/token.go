package rulelang

import (
	"fmt"
	"sort"
)

// Token is the kind of a lexical token.
type Token uint8

// The tokens of the rule language.
const (
	ILLEGAL Token = iota
	EOF
	COMMENT

	IDENT  // salary
	NUMBER // 52000, 1.5, 2e-3
	STRING // "abc"

	LPAREN // (
	RPAREN // )
	LBRACE // {
	RBRACE // }
	COMMA  // ,
	COLON  // :
	PERIOD // .
	HASH   // #
	ARROW  // ==>
	ADD    // +
	SUB    // -
	MUL    // *
	QUO    // / (division, and the separator of rule parts)
	EQL    // ==
	NEQ    // !=
	LSS    // <
	LEQ    // <=
	GTR    // >
	GEQ    // >=
	keywordBeg
	TYPE    // type
	RULE    // rule
	RETRACT // retract
	AND     // AND
	OR      // OR
	NOT     // NOT
	TRUE    // true
	FALSE   // false
	keywordEnd
)

var tokenText = [...]string{
	ILLEGAL: "ILLEGAL",
	EOF:     "EOF",
	COMMENT: "COMMENT",
	IDENT:   "IDENT",
	NUMBER:  "NUMBER",
	STRING:  "STRING",
	LPAREN:  "(",
	RPAREN:  ")",
	LBRACE:  "{",
	RBRACE:  "}",
	COMMA:   ",",
	COLON:   ":",
	PERIOD:  ".",
	HASH:    "#",
	ARROW:   "==>",
	ADD:     "+",
	SUB:     "-",
	MUL:     "*",
	QUO:     "/",
	EQL:     "==",
	NEQ:     "!=",
	LSS:     "<",
	LEQ:     "<=",
	GTR:     ">",
	GEQ:     ">=",
	TYPE:    "type",
	RULE:    "rule",
	RETRACT: "retract",
	AND:     "AND",
	OR:      "OR",
	NOT:     "NOT",
	TRUE:    "true",
	FALSE:   "false",
}

// String returns the canonical spelling of an operator or keyword, or the
// name of a token class (IDENT, NUMBER, ...).
func (t Token) String() string {
	if int(t) < len(tokenText) && tokenText[t] != "" {
		return tokenText[t]
	}
	return fmt.Sprintf("token(%d)", int(t))
}

// IsKeyword reports whether t is a keyword. Keywords are recognised in any
// letter case (AND, and, And); the printer writes the spelling of String.
func (t Token) IsKeyword() bool { return keywordBeg < t && t < keywordEnd }

// Lookup maps an identifier to its keyword token, ignoring ASCII letter case,
// or returns IDENT.
func Lookup(ident string) Token { return keyword([]byte(ident)) }

func keyword(ident []byte) Token {
	// Every keyword is 2 to 7 ASCII letters long; anything else is an IDENT.
	if len(ident) < 2 || len(ident) > 7 {
		return IDENT
	}
	var buf [7]byte
	for i := 0; i < len(ident); i++ {
		c := ident[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(ident)]) {
	case "type":
		return TYPE
	case "rule":
		return RULE
	case "retract":
		return RETRACT
	case "and":
		return AND
	case "or":
		return OR
	case "not":
		return NOT
	case "true":
		return TRUE
	case "false":
		return FALSE
	}
	return IDENT
}

// Binary operator precedences; higher binds tighter.
const (
	precLowest = iota
	precOr
	precAnd
	precNot
	precCmp
	precAdd
	precMul
	precUnary
)

// precedence returns the precedence of t as a binary operator, or
// precLowest if t is not one.
func (t Token) precedence() int {
	switch t {
	case OR:
		return precOr
	case AND:
		return precAnd
	case EQL, NEQ, LSS, LEQ, GTR, GEQ:
		return precCmp
	case ADD, SUB:
		return precAdd
	case MUL, QUO:
		return precMul
	}
	return precLowest
}

// Pos is a compact source position: the byte offset in the file plus one.
// The zero value, NoPos, means "no position". Convert a Pos to a line and
// column with [File.Position]. Positions are 32 bits wide, which keeps
// syntax trees small and limits a source file to [MaxFileSize] bytes.
type Pos int32

// NoPos is the zero Pos.
const NoPos Pos = 0

// MaxFileSize is the size of the largest source file ParseFile accepts.
const MaxFileSize = 1<<31 - 2

// IsValid reports whether p is a position.
func (p Pos) IsValid() bool { return p != NoPos }

// Position is a readable source position.
type Position struct {
	Filename string
	Offset   int // byte offset, starting at 0
	Line     int // starting at 1
	Column   int // byte column, starting at 1
}

// IsValid reports whether the position has a line number.
func (p Position) IsValid() bool { return p.Line > 0 }

// String formats the position as file:line:col, line:col without a file
// name, or "-" when invalid.
func (p Position) String() string {
	if !p.IsValid() {
		if p.Filename != "" {
			return p.Filename
		}
		return "-"
	}
	if p.Filename == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}

// lineTable converts offsets to lines and columns.
type lineTable struct {
	filename string
	lines    []int // offset of the first byte of each line; lines[0] == 0
	size     int
}

func (t *lineTable) position(p Pos) Position {
	if !p.IsValid() {
		return Position{Filename: t.filename}
	}
	off := int(p) - 1
	if off > t.size {
		off = t.size
	}
	i := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return Position{Filename: t.filename, Offset: off, Line: i + 1, Column: off - t.lines[i] + 1}
}
