package rulelang

// This file declares the syntax tree produced by [ParseFile]. Every node
// records the positions of its tokens; [Fprint] writes a tree back as
// canonical source.

// Node is implemented by every syntax tree node.
type Node interface {
	Pos() Pos // position of the first byte of the node
	End() Pos // position of the byte just after the node
}

// Stmt is a top-level statement: *TypeDecl, *FactStmt, *RetractStmt or
// *RuleDecl.
type Stmt interface {
	Node
	stmtNode()
}

// Expr is an expression: *Ident, *BasicLit, *SelectorExpr, *UnaryExpr,
// *BinaryExpr, *ParenExpr or *CallExpr.
type Expr interface {
	Node
	exprNode()
}

// File is a parsed source file.
type File struct {
	Name     string     // file name used in positions
	Stmts    []Stmt     // statements in source order
	Comments []*Comment // all comments in source order

	lines lineTable
}

// Position converts a Pos of this file into a file:line:col position.
func (f *File) Position(p Pos) Position { return f.lines.position(p) }

// Comment is a // line comment or a /* block */ comment.
type Comment struct {
	Slash Pos    // position of the leading "/"
	Text  string // the comment text including its delimiters
}

func (c *Comment) Pos() Pos { return c.Slash }
func (c *Comment) End() Pos { return c.Slash + Pos(len(c.Text)) }

// TypeDecl is "type Name : <field: type, ...>".
type TypeDecl struct {
	Type   Pos // position of the keyword
	Name   *Ident
	Fields []*FieldDecl
	Rangle Pos // position of the closing ">"
}

// FieldDecl is one field of a TypeDecl: [#]name: type.
type FieldDecl struct {
	Hash Pos // position of "#" marking the key field, or NoPos
	Name *Ident
	Type *Ident // string, number or bool; checked by Check
}

// FactStmt asserts a fact: Type(field: value, ...). Facts are the bulk of
// large files, so their arguments are kept in compact records without
// pointers and read with NumArgs and Arg; the names and plain literal
// values refer to a copy of the source text, which the tree keeps alive.
type FactStmt struct {
	Type   Ident
	Lparen Pos
	Rparen Pos

	args  []factArg
	exprs []Expr  // argument values other than plain literals, by factArg.expr
	text  *string // the source text, which positions index
}

// factArg is one argument of a FactStmt.
type factArg struct {
	name, nameEnd Pos // the name is the source text between them
	value, end    Pos // positions of the value and just after it
	num           float64
	kind          argKind
	expr          int32 // index in FactStmt.exprs for argExpr
}

// argKind is the kind of value of a factArg.
type argKind uint8

const (
	argString argKind = iota // a string without escapes: the text between the quotes
	argNumber                // the number num
	argFalse
	argTrue
	argExpr // any other expression: FactStmt.exprs[expr]
)

// NumArgs returns the number of arguments.
func (s *FactStmt) NumArgs() int { return len(s.args) }

// Arg returns argument i, 0 <= i < NumArgs(). A literal value is returned
// as a new *BasicLit on each call.
func (s *FactStmt) Arg(i int) Arg {
	a := &s.args[i]
	arg := Arg{Name: Ident{NamePos: a.name, Name: s.argName(a)}}
	if a.kind == argExpr {
		arg.Value = s.exprs[a.expr]
	} else {
		arg.Value = &BasicLit{ValuePos: a.value, ValueEnd: a.end, Value: s.argValue(a)}
	}
	return arg
}

func (s *FactStmt) argName(a *factArg) string { return (*s.text)[a.name-1 : a.nameEnd-1] }

// argValue returns the value of a literal argument (not argExpr).
func (s *FactStmt) argValue(a *factArg) Value {
	switch a.kind {
	case argString:
		return Value{Type: TypeString, Str: (*s.text)[a.value : a.end-2]}
	case argNumber:
		return Value{Type: TypeNumber, Num: a.num}
	}
	return Value{Type: TypeBool, Bool: a.kind == argTrue}
}

// RetractStmt is "retract Type(key: value)".
type RetractStmt struct {
	Retract Pos // position of the keyword
	Type    Ident
	Lparen  Pos
	Args    []Arg
	Rparen  Pos
}

// Arg is a named argument "name: value" of a fact or retract.
type Arg struct {
	Name  Ident
	Value Expr
}

// RuleDecl is
//
//	rule name : {block} / {block} ... [/ condition] ==> action, ...
type RuleDecl struct {
	Rule    Pos // position of the keyword
	Name    *Ident
	Blocks  []*Block
	Cond    Expr // nil when the rule has no condition part
	Arrow   Pos  // position of "==>"
	Actions []*CallExpr
}

// Block is a pattern block "{binding, ...}".
type Block struct {
	Lbrace   Pos
	Bindings []*Binding
	Rbrace   Pos
}

// Binding is one entry of a pattern block: either a pattern variable
// "name: Type" (Type set) or an aggregation variable "name: FUNC(expr)"
// (Agg set). Exactly one of Type and Agg is non-nil.
type Binding struct {
	Name Ident
	Type *Ident
	Agg  *CallExpr
}

// Ident is an identifier.
type Ident struct {
	NamePos Pos
	Name    string
}

// BasicLit is a string, number or boolean literal. A minus sign directly
// before a number literal is folded into it: "-3.5" is one BasicLit.
type BasicLit struct {
	ValuePos Pos
	ValueEnd Pos
	Value    Value
}

// SelectorExpr is a field reference "x.sel".
type SelectorExpr struct {
	X   Ident
	Sel Ident
}

// UnaryExpr is "-x" or "NOT x".
type UnaryExpr struct {
	OpPos Pos
	Op    Op // OpNeg or OpNot
	X     Expr
}

// BinaryExpr is "x op y".
type BinaryExpr struct {
	X     Expr
	OpPos Pos
	Op    Op // any binary Op but OpConcat: the parser writes OpAdd for every +
	Y     Expr
}

// ParenExpr is a parenthesized expression.
type ParenExpr struct {
	Lparen Pos
	X      Expr
	Rparen Pos
}

// CallExpr is "fun(args)": an aggregate in a pattern block or an action.
type CallExpr struct {
	Fun    *Ident
	Lparen Pos
	Args   []Expr
	Rparen Pos
}

func (d *TypeDecl) Pos() Pos    { return d.Type }
func (d *TypeDecl) End() Pos    { return d.Rangle + 1 }
func (s *FactStmt) Pos() Pos    { return s.Type.Pos() }
func (s *FactStmt) End() Pos    { return s.Rparen + 1 }
func (s *RetractStmt) Pos() Pos { return s.Retract }
func (s *RetractStmt) End() Pos { return s.Rparen + 1 }
func (d *RuleDecl) Pos() Pos    { return d.Rule }
func (d *RuleDecl) End() Pos    { return d.Actions[len(d.Actions)-1].End() }
func (f *FieldDecl) Pos() Pos {
	if f.Hash.IsValid() {
		return f.Hash
	}
	return f.Name.Pos()
}
func (f *FieldDecl) End() Pos { return f.Type.End() }
func (a *Arg) Pos() Pos       { return a.Name.Pos() }
func (a *Arg) End() Pos       { return a.Value.End() }
func (b *Block) Pos() Pos     { return b.Lbrace }
func (b *Block) End() Pos     { return b.Rbrace + 1 }
func (b *Binding) Pos() Pos   { return b.Name.Pos() }
func (b *Binding) End() Pos {
	if b.Agg != nil {
		return b.Agg.End()
	}
	return b.Type.End()
}

func (x *Ident) Pos() Pos        { return x.NamePos }
func (x *Ident) End() Pos        { return x.NamePos + Pos(len(x.Name)) }
func (x *BasicLit) Pos() Pos     { return x.ValuePos }
func (x *BasicLit) End() Pos     { return x.ValueEnd }
func (x *SelectorExpr) Pos() Pos { return x.X.Pos() }
func (x *SelectorExpr) End() Pos { return x.Sel.End() }
func (x *UnaryExpr) Pos() Pos    { return x.OpPos }
func (x *UnaryExpr) End() Pos    { return x.X.End() }
func (x *BinaryExpr) Pos() Pos   { return x.X.Pos() }
func (x *BinaryExpr) End() Pos   { return x.Y.End() }
func (x *ParenExpr) Pos() Pos    { return x.Lparen }
func (x *ParenExpr) End() Pos    { return x.Rparen + 1 }
func (x *CallExpr) Pos() Pos     { return x.Fun.Pos() }
func (x *CallExpr) End() Pos     { return x.Rparen + 1 }

func (*TypeDecl) stmtNode()    {}
func (*FactStmt) stmtNode()    {}
func (*RetractStmt) stmtNode() {}
func (*RuleDecl) stmtNode()    {}

func (*Ident) exprNode()        {}
func (*BasicLit) exprNode()     {}
func (*SelectorExpr) exprNode() {}
func (*UnaryExpr) exprNode()    {}
func (*BinaryExpr) exprNode()   {}
func (*ParenExpr) exprNode()    {}
func (*CallExpr) exprNode()     {}
