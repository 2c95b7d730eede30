package rulelang

import (
	"fmt"
	"sort"
)

// token is the kind of a lexical token.
type token uint8

// The tokens of the rule language.
const (
	tokIllegal token = iota
	tokEOF
	tokComment

	tokIdent  // salary
	tokNumber // 52000, 1.5, 2e-3
	tokString // "abc"

	tokLparen // (
	tokRparen // )
	tokLbrace // {
	tokRbrace // }
	tokComma  // ,
	tokColon  // :
	tokPeriod // .
	tokHash   // #
	tokArrow  // ==>
	tokAdd    // +
	tokSub    // -
	tokMul    // *
	tokQuo    // / (division, and the separator of rule parts)
	tokEql    // ==
	tokNeq    // !=
	tokLss    // <
	tokLeq    // <=
	tokGtr    // >
	tokGeq    // >=
	keywordBeg
	tokType    // type
	tokRule    // rule
	tokRetract // retract
	tokAnd     // AND
	tokOr      // OR
	tokNot     // NOT
	tokTrue    // true
	tokFalse   // false
	keywordEnd
)

var tokenText = [...]string{
	tokIllegal: "ILLEGAL",
	tokEOF:     "EOF",
	tokComment: "COMMENT",
	tokIdent:   "IDENT",
	tokNumber:  "NUMBER",
	tokString:  "STRING",
	tokLparen:  "(",
	tokRparen:  ")",
	tokLbrace:  "{",
	tokRbrace:  "}",
	tokComma:   ",",
	tokColon:   ":",
	tokPeriod:  ".",
	tokHash:    "#",
	tokArrow:   "==>",
	tokAdd:     "+",
	tokSub:     "-",
	tokMul:     "*",
	tokQuo:     "/",
	tokEql:     "==",
	tokNeq:     "!=",
	tokLss:     "<",
	tokLeq:     "<=",
	tokGtr:     ">",
	tokGeq:     ">=",
	tokType:    "type",
	tokRule:    "rule",
	tokRetract: "retract",
	tokAnd:     "AND",
	tokOr:      "OR",
	tokNot:     "NOT",
	tokTrue:    "true",
	tokFalse:   "false",
}

// String returns the canonical spelling of an operator or keyword, or the
// name of a token class (IDENT, NUMBER, ...).
func (t token) String() string {
	if int(t) < len(tokenText) && tokenText[t] != "" {
		return tokenText[t]
	}
	return fmt.Sprintf("token(%d)", int(t))
}

// isKeyword reports whether t is a keyword. Keywords are recognised in any
// letter case (AND, and, And); the printer writes the spelling of String.
func (t token) isKeyword() bool { return keywordBeg < t && t < keywordEnd }

// keyword maps an identifier to its keyword token, ignoring ASCII letter
// case, or returns tokIdent.
func keyword(ident []byte) token {
	// Dispatch on the length first: most identifiers are rejected there or
	// by their first letter.
	switch len(ident) {
	case 2:
		if equalFold(ident, "or") {
			return tokOr
		}
	case 3:
		if equalFold(ident, "and") {
			return tokAnd
		}
		if equalFold(ident, "not") {
			return tokNot
		}
	case 4:
		switch ident[0] | 0x20 {
		case 't':
			if equalFold(ident, "type") {
				return tokType
			}
			if equalFold(ident, "true") {
				return tokTrue
			}
		case 'r':
			if equalFold(ident, "rule") {
				return tokRule
			}
		}
	case 5:
		if equalFold(ident, "false") {
			return tokFalse
		}
	case 7:
		if equalFold(ident, "retract") {
			return tokRetract
		}
	}
	return tokIdent
}

// equalFold reports whether b equals the lower-case ASCII word w, ignoring
// ASCII letter case in b.
func equalFold(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
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

// binaryOp returns the operator of a binary operator token.
func (t token) binaryOp() Op {
	switch t {
	case tokAdd:
		return OpAdd
	case tokSub:
		return OpSub
	case tokMul:
		return OpMul
	case tokQuo:
		return OpDiv
	case tokEql:
		return OpEq
	case tokNeq:
		return OpNe
	case tokLss:
		return OpLt
	case tokLeq:
		return OpLe
	case tokGtr:
		return OpGt
	case tokGeq:
		return OpGe
	case tokAnd:
		return OpAnd
	case tokOr:
		return OpOr
	}
	panic("BUG: " + t.String() + " is not a binary operator")
}

// precedence returns the precedence of t as a binary operator, or
// precLowest if t is not one.
func (t token) precedence() int {
	switch t {
	case tokOr:
		return precOr
	case tokAnd:
		return precAnd
	case tokEql, tokNeq, tokLss, tokLeq, tokGtr, tokGeq:
		return precCmp
	case tokAdd, tokSub:
		return precAdd
	case tokMul, tokQuo:
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
	lines    []int // offset of the first byte of each line; lines[0] is 0 for a whole file
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
