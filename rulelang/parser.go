package rulelang

import (
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// maxNesting bounds the nesting of parentheses and unary operators, so that
// hostile input cannot exhaust the stack.
const maxNesting = 1000

// ParseFile parses the source of one rules file. filename is used only in
// positions. The returned File is never nil; when the source has syntax
// errors it holds the statements that parsed, and the error is an
// [ErrorList] with every syntax error, sorted by position. ParseFile does not
// keep src: the names and strings of facts refer to a copy of it, which
// the tree keeps alive, and other strings are copies, identifiers shared.
func ParseFile(filename string, src []byte) (*File, error) {
	if len(src) > MaxFileSize {
		f := &File{Name: filename}
		f.lines = lineTable{filename: filename, lines: []int{0}}
		var list ErrorList
		list.Add(Position{Filename: filename}, fmt.Sprintf(msgFileTooLarge, len(src), MaxFileSize))
		return f, list
	}
	if n := numParts(len(src)); n > 1 {
		if bounds := splitPoints(src, n); len(bounds) > 2 {
			return parseChunks(filename, src, bounds)
		}
	}
	return parseWhole(filename, src)
}

// parseWhole parses src in one piece.
func parseWhole(filename string, src []byte) (*File, error) {
	text := string(src)
	p := newParser(filename, src, &text, 0, len(src), math.MaxInt)
	p.parseFile()
	p.diags.list.Sort()
	return p.file, p.diags.list.Err()
}

// newParser returns a parser reading src from offset start, which is 0 or
// the start of a line; text is a copy of src. The parser's file holds the
// statements, comments and line starts from start on, and numbers lines
// from start (parseChunks shifts them when joining the parts); its
// parseFile stops before the first statement that begins at or after
// offset stop. The part up to offset end, the expected end of the
// statements to parse, sizes its buffers.
func newParser(filename string, src []byte, text *string, start, end, stop int) *parser {
	p := &parser{stop: stop, source: text}
	p.file = &File{Name: filename}
	p.file.lines.filename = filename
	p.diags.lines = &p.file.lines
	p.sc.initAt(&p.file.lines, src, start, end, &p.diags, true)
	// Most statements take one line: size the list once.
	p.file.Stmts = make([]Stmt, 0, cap(p.file.lines.lines))
	p.next()
	return p
}

// bailout is panicked to abandon the statement being parsed after a syntax
// error; the statement loop recovers and resynchronises.
type bailout struct{}

type parser struct {
	sc    scanner
	file  *File
	diags diagnostics
	// strs holds the bytes of the strings of the tree, which are cut
	// from it and never rewritten: one allocation for many strings.
	strs []byte
	// names caches identifiers by a hash of their text, so that a name
	// repeated through the file (types, fields, variables) is stored once.
	names  [512]string
	depth  int     // current expression nesting
	prev   token   // the token before the current one
	stop   int     // parseFile stops at a statement starting at or after this offset
	source *string // a copy of the source, for the facts

	// Slabs for the most frequent nodes, to allocate them in bulk.
	idents slab[Ident]
	lits   slab[BasicLit]
	sels   slab[SelectorExpr]
	bins   slab[BinaryExpr]
	facts  slab[FactStmt]

	calls    slab[CallExpr]
	rules    slab[RuleDecl]
	unaries  slab[UnaryExpr]
	parens   slab[ParenExpr]
	comments slab[Comment]
	blocks   slab[Block]
	bindings slab[Binding]

	// Scratch buffers for lists, copied to exact-size slices when done.
	args          sliceSlab[Arg]
	fargs         sliceSlab[factArg]
	blockBuf      []*Block
	blockSlices   sliceSlab[*Block]
	bindingBuf    []*Binding
	bindingSlices sliceSlab[*Binding]
	actionBuf     []*CallExpr
	actionSlices  sliceSlab[*CallExpr]
	exprStack     []Expr
	exprSlices    sliceSlab[Expr]
}

// next advances to the next token, collecting comments on the way.
func (p *parser) next() {
	p.prev = p.sc.tok
	p.sc.next()
	for p.sc.tok == tokComment {
		c := p.comments.new()
		c.Slash, c.Text = p.sc.pos, p.text()
		p.file.Comments = append(p.file.Comments, c)
		p.sc.next()
	}
}

func (p *parser) tok() token { return p.sc.tok }
func (p *parser) pos() Pos   { return p.sc.pos }

// errorf records a syntax error at pos. Only the first error of a line is
// kept: later ones on the same line are usually consequences of it.
func (p *parser) errorf(pos Pos, format string, args ...any) {
	if n := len(p.diags.list); n > 0 {
		if p.diags.list[n-1].Pos.Line == p.file.lines.position(pos).Line {
			return
		}
	}
	p.diags.errorf(pos, format, args...)
}

// fail records a syntax error and abandons the current statement.
func (p *parser) fail(pos Pos, format string, args ...any) {
	p.errorf(pos, format, args...)
	panic(bailout{})
}

// failExpected reports that the current token is not what was expected.
func (p *parser) failExpected(what string) {
	p.fail(p.pos(), msgExpected, what, p.describe())
}

// describe names the current token for error messages.
func (p *parser) describe() string {
	switch t := p.tok(); {
	case t == tokEOF:
		return "end of file"
	case t == tokIdent:
		return "identifier " + string(p.sc.src[p.sc.pos-1:p.sc.end])
	case t == tokNumber:
		return "number " + string(p.sc.src[p.sc.pos-1:p.sc.end])
	case t == tokString:
		return "string " + StringValue(string(p.sc.lit)).String()
	case t == tokIllegal:
		return "invalid token"
	case t.isKeyword():
		return "keyword " + string(p.sc.src[p.sc.pos-1:p.sc.end])
	default:
		return "'" + t.String() + "'"
	}
}

// expect consumes a token of kind t, or fails naming what.
func (p *parser) expect(t token, what string) Pos {
	pos := p.pos()
	if p.tok() != t {
		p.failExpected(what)
	}
	p.next()
	return pos
}

// text returns the source text of the current token.
func (p *parser) text() string { return p.save(p.sc.src[p.sc.pos-1 : p.sc.end]) }

// save returns b as a string stored in p.strs.
func (p *parser) save(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(p.strs)-len(p.strs) < len(b) {
		p.strs = make([]byte, 0, max(len(b), min(2*cap(p.strs), 1<<20), 512))
	}
	n := len(p.strs)
	p.strs = append(p.strs, b...)
	return unsafe.String(&p.strs[n], len(b))
}

// name returns the text of the current token, an identifier or keyword,
// as a string shared with earlier occurrences of the same name.
func (p *parser) name() string {
	b := p.sc.src[p.sc.pos-1 : p.sc.end]
	// A name is never empty. Its length and three of its bytes tell most
	// names apart; a collision only costs storing the name again.
	n := uint(len(b))
	h := n*0x9E37 ^ uint(b[0])*0x2F ^ uint(b[n-1])*0x1F3 ^ uint(b[n/2])*0x61
	e := &p.names[(h^h>>9)%uint(len(p.names))]
	if *e != string(b) {
		*e = p.save(b)
	}
	return *e
}

// ident parses an identifier.
func (p *parser) ident(what string) *Ident {
	if p.tok() != tokIdent {
		p.failExpected(what)
	}
	return p.takeIdent()
}

// fieldName parses a field name: an identifier or a keyword, since fields
// may be named like keywords (type, not, ...).
func (p *parser) fieldName(what string) *Ident {
	if p.tok() != tokIdent && !p.tok().isKeyword() {
		p.failExpected(what)
	}
	return p.takeIdent()
}

func (p *parser) takeIdent() *Ident {
	id := p.idents.new()
	id.NamePos = p.pos()
	id.Name = p.name()
	p.next()
	return id
}

// atStmtStart reports whether the current token can begin a statement, for
// resynchronisation after an error: the keywords type, rule and retract
// (unless used as a field name after "."), or an identifier in column 1.
func (p *parser) atStmtStart() bool {
	switch p.tok() {
	case tokEOF:
		return true
	case tokType, tokRule, tokRetract:
		return p.prev != tokPeriod
	case tokIdent:
		off := int(p.pos()) - 1
		return off == 0 || p.sc.src[off-1] == '\n'
	}
	return false
}

func (p *parser) parseFile() {
	for p.tok() != tokEOF && int(p.pos())-1 < p.stop {
		if s := p.parseStmt(); s != nil {
			p.file.Stmts = append(p.file.Stmts, s)
		}
	}
}

// parseStmt parses one statement. After a syntax error it skips to the next
// statement start and returns nil.
func (p *parser) parseStmt() (s Stmt) {
	start := p.pos()
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
			s = nil
			p.depth = 0
			clear(p.exprStack)
			p.exprStack = p.exprStack[:0]
			if p.pos() == start && p.tok() != tokEOF {
				p.next()
			}
			for !p.atStmtStart() {
				p.next()
			}
		}
	}()
	switch p.tok() {
	case tokType:
		return p.parseTypeDecl()
	case tokRule:
		return p.parseRule()
	case tokRetract:
		return p.parseRetract()
	case tokIdent:
		return p.parseFact()
	}
	p.failExpected(msgWantStatement)
	return nil
}

// parseTypeDecl parses "type Name : <field: type, ...>".
func (p *parser) parseTypeDecl() *TypeDecl {
	d := &TypeDecl{Type: p.pos()}
	p.next()
	d.Name = p.ident("type name")
	p.expect(tokColon, "':' after the type name")
	p.expect(tokLss, "'<' before the fields")
	for p.tok() != tokGtr {
		f := &FieldDecl{}
		if p.tok() == tokHash {
			f.Hash = p.pos()
			p.next()
		}
		f.Name = p.fieldName("field name")
		p.expect(tokColon, "':' after the field name")
		f.Type = p.ident("field type (string, number or bool)")
		d.Fields = append(d.Fields, f)
		if p.tok() != tokComma {
			break
		}
		p.next()
	}
	if p.tok() != tokGtr {
		p.failExpected("',' or '>'")
	}
	d.Rangle = p.pos()
	p.next()
	return d
}

// parseFact parses "Type(field: value, ...)".
func (p *parser) parseFact() *FactStmt {
	s := p.facts.new()
	s.Type = Ident{NamePos: p.pos(), Name: p.name()}
	s.text = p.source
	p.next()
	s.Lparen = p.expect(tokLparen, "'(' after the type name")
	// The argument records are built in place at the end of a shared
	// chunk: one small allocation per many facts. A value is never a
	// fact, so the list is not reentered while it is open.
	p.fargs.open()
	for p.tok() != tokRparen {
		if p.tok() != tokIdent && !p.tok().isKeyword() {
			if p.tok() == tokEOF {
				p.failExpected("')'")
			}
			p.fail(p.pos(), msgPositionalArg)
		}
		a := p.fargs.push()
		a.name, a.nameEnd = p.pos(), Pos(p.sc.end+1)
		p.next()
		if p.tok() != tokColon {
			p.fail(a.name, msgPositionalArg)
		}
		p.next()
		p.parseFactValue(s, a)
		if p.tok() != tokComma {
			break
		}
		p.next()
	}
	if p.tok() != tokRparen {
		p.failExpected("',' or ')'")
	}
	s.Rparen = p.pos()
	p.next()
	s.args = p.fargs.close()
	return s
}

// parseFactValue parses the value of argument a of fact s. Fact values are
// nearly always bare literals, which go into a without a node of their own;
// anything else is parsed as an expression.
func (p *parser) parseFactValue(s *FactStmt, a *factArg) {
	a.value = p.pos()
	switch p.tok() {
	case tokString:
		a.kind = argString
		if p.sc.escaped {
			a.kind = argExpr // the text differs from the value: keep a node
		}
	case tokNumber:
		a.kind = argNumber
		a.num = p.numberValue()
	case tokTrue:
		a.kind = argTrue
	case tokFalse:
		a.kind = argFalse
	default:
		a.kind = argExpr
	}
	var x Expr
	if a.kind != argExpr {
		a.end = Pos(p.sc.end + 1)
		p.next()
		if t := p.tok(); t == tokComma || t == tokRparen {
			return
		}
		// An operator follows: the literal starts an expression.
		lit := p.lits.new()
		lit.ValuePos, lit.ValueEnd = a.value, a.end
		if a.kind == argString {
			// The copy of the source may not be complete yet.
			lit.Value = Value{Type: TypeString, Str: p.save(p.sc.src[a.value : a.end-2])}
		} else {
			lit.Value = s.argValue(a)
		}
		a.kind = argExpr
		x = p.parseBinaryRest(lit, precOr)
	} else {
		if p.tok() == tokNot {
			x = p.parseExpr()
		} else {
			x = p.parseUnary()
			if t := p.tok(); t != tokComma && t != tokRparen {
				x = p.parseBinaryRest(x, precOr)
			}
		}
		// A negative number is a literal too.
		if lit, ok := x.(*BasicLit); ok && lit.Value.Type == TypeNumber {
			a.kind, a.num, a.value, a.end = argNumber, lit.Value.Num, lit.ValuePos, lit.ValueEnd
			return
		}
	}
	a.expr = int32(len(s.exprs))
	s.exprs = append(s.exprs, x)
}

// parseRetract parses "retract Type(key: value)".
func (p *parser) parseRetract() *RetractStmt {
	s := &RetractStmt{Retract: p.pos()}
	p.next()
	if p.tok() != tokIdent {
		p.failExpected("type name after retract")
	}
	s.Type = Ident{NamePos: p.pos(), Name: p.name()}
	p.next()
	s.Lparen, s.Args, s.Rparen = p.parseArgs()
	return s
}

// parseArgs parses "(name: value, ...)".
func (p *parser) parseArgs() (lparen Pos, args []Arg, rparen Pos) {
	lparen = p.expect(tokLparen, "'(' after the type name")
	// The arguments are built in place at the end of a shared chunk:
	// one small allocation per many facts. A value is never a fact, so
	// the list is not reentered while it is open.
	p.args.open()
	for p.tok() != tokRparen {
		if p.tok() != tokIdent && !p.tok().isKeyword() {
			if p.tok() == tokEOF {
				p.failExpected("')'")
			}
			p.fail(p.pos(), msgPositionalArg)
		}
		a := p.args.push()
		a.Name = Ident{NamePos: p.pos(), Name: p.name()}
		p.next()
		if p.tok() != tokColon {
			p.fail(a.Name.Pos(), msgPositionalArg)
		}
		p.next()
		// Fact values are nearly always bare literals: skip the
		// precedence levels unless an operator follows.
		var v Expr
		if p.tok() == tokNot {
			v = p.parseExpr()
		} else {
			v = p.parseUnary()
			if t := p.tok(); t != tokComma && t != tokRparen {
				v = p.parseBinaryRest(v, precOr)
			}
		}
		a.Value = v
		if p.tok() != tokComma {
			break
		}
		p.next()
	}
	if p.tok() != tokRparen {
		p.failExpected("',' or ')'")
	}
	rparen = p.pos()
	p.next()
	return lparen, p.args.close(), rparen
}

// parseRule parses
//
//	rule name : {block} / {block} ... [/ condition] ==> action, ...
func (p *parser) parseRule() *RuleDecl {
	r := p.rules.new()
	r.Rule = p.pos()
	p.next()
	r.Name = p.ident("rule name")
	p.expect(tokColon, "':' after the rule name")
	if p.tok() != tokLbrace {
		p.failExpected("'{' to start the first pattern block")
	}
	blocks := append(p.blockBuf[:0], p.parseBlock())
	for p.tok() == tokQuo {
		p.next()
		if p.tok() == tokLbrace {
			blocks = append(blocks, p.parseBlock())
			continue
		}
		if p.tok() == tokArrow {
			p.failExpected("a pattern block or a condition after '/'")
		}
		r.Cond = p.parseExpr()
		break
	}
	p.blockBuf = blocks[:0]
	r.Blocks = p.blockSlices.take(blocks)
	if p.tok() != tokArrow {
		if r.Cond == nil {
			p.failExpected("'/' or '==>'")
		}
		p.failExpected("'==>' before the actions")
	}
	r.Arrow = p.pos()
	p.next()
	actions := p.actionBuf[:0]
	for {
		if p.tok() != tokIdent {
			p.failExpected("action")
		}
		name := p.takeIdent()
		if p.tok() != tokLparen {
			p.failExpected("'(' after the action name")
		}
		actions = append(actions, p.parseCall(name))
		if p.tok() != tokComma {
			break
		}
		p.next()
	}
	p.actionBuf = actions[:0]
	r.Actions = p.actionSlices.take(actions)
	return r
}

// parseBlock parses "{binding, ...}".
func (p *parser) parseBlock() *Block {
	b := p.blocks.new()
	b.Lbrace = p.pos()
	p.next()
	if p.tok() == tokRbrace {
		p.fail(p.pos(), msgEmptyBlock)
	}
	bindings := p.bindingBuf[:0]
	for {
		bd := p.bindings.new()
		if p.tok() != tokIdent {
			p.failExpected("variable name")
		}
		bd.Name.NamePos, bd.Name.Name = p.pos(), p.name()
		p.next()
		p.expect(tokColon, "':' after the variable name")
		name := p.ident("type name or aggregate function")
		if p.tok() == tokLparen {
			// Aggregate functions are written in any letter case; the
			// tree holds the canonical upper case name.
			if f, ok := aggFuncByName(name.Name); ok {
				name.Name = f.String()
			}
			bd.Agg = p.parseCall(name)
		} else {
			bd.Type = name
		}
		bindings = append(bindings, bd)
		if p.tok() != tokComma {
			break
		}
		p.next()
	}
	p.bindingBuf = bindings[:0]
	b.Bindings = p.bindingSlices.take(bindings)
	if p.tok() != tokRbrace {
		p.failExpected("',' or '}'")
	}
	b.Rbrace = p.pos()
	p.next()
	return b
}

// parseCall parses "(args)" after the function name fun.
func (p *parser) parseCall(fun *Ident) *CallExpr {
	c := p.calls.new()
	c.Fun, c.Lparen = fun, p.pos()
	p.next()
	// Arguments may contain calls: collect them on a stack shared by
	// all nesting levels.
	base := len(p.exprStack)
	for p.tok() != tokRparen {
		x := p.parseExpr()
		p.exprStack = append(p.exprStack, x)
		if p.tok() != tokComma {
			break
		}
		p.next()
	}
	c.Args = p.exprSlices.take(p.exprStack[base:])
	clear(p.exprStack[base:])
	p.exprStack = p.exprStack[:base]
	if p.tok() != tokRparen {
		p.failExpected("',' or ')'")
	}
	c.Rparen = p.pos()
	p.next()
	return c
}

// Expressions, loosest first:
//
//	or   = and { OR and }
//	and  = not { AND not }
//	not  = NOT not | cmp
//	cmp  = add [ ("==" | "!=" | "<" | "<=" | ">" | ">=") add ]
//	add  = mul { ("+" | "-") mul }
//	mul  = unary { ("*" | "/") unary }
//	unary = "-" unary | primary
//	primary = literal | name | name "." field | name "(" args ")" | "(" or ")"
//
// parseBinary implements the binary levels by precedence climbing.

func (p *parser) parseExpr() Expr { return p.parseBinary(precOr) }

// parseBinary parses an expression whose binary operators all have a
// precedence of at least prec.
func (p *parser) parseBinary(prec int) Expr {
	if p.tok() == tokNot && prec <= precNot {
		pos := p.pos()
		p.enter()
		p.next()
		x := p.unaries.new()
		x.OpPos, x.Op = pos, OpNot
		x.X = p.parseBinary(precNot)
		p.depth--
		return p.parseBinaryRest(x, prec)
	}
	return p.parseBinaryRest(p.parseUnary(), prec)
}

// parseBinaryRest continues an expression whose first operand x has been
// parsed.
func (p *parser) parseBinaryRest(x Expr, prec int) Expr {
	for {
		op := p.tok()
		oprec := op.precedence()
		if oprec == precLowest || oprec < prec {
			return x
		}
		pos := p.pos()
		p.next()
		b := p.bins.new()
		b.X, b.OpPos, b.Op, b.Y = x, pos, op.binaryOp(), p.parseBinary(oprec+1)
		x = b
		if oprec == precCmp && p.tok().precedence() == precCmp {
			p.fail(p.pos(), msgChainedComparison)
		}
	}
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxNesting {
		p.fail(p.pos(), msgNestedTooDeep)
	}
}

func (p *parser) parseUnary() Expr {
	if p.tok() != tokSub {
		return p.parsePrimary()
	}
	pos := p.pos()
	p.next()
	if p.tok() == tokNumber {
		lit := p.parseNumber()
		lit.ValuePos = pos
		lit.Value.Num = -lit.Value.Num
		return lit
	}
	p.enter()
	x := p.unaries.new()
	x.OpPos, x.Op = pos, OpNeg
	x.X = p.parseUnary()
	p.depth--
	return x
}

func (p *parser) parsePrimary() Expr {
	switch p.tok() {
	case tokIdent:
		pos, name := p.pos(), p.name()
		p.next()
		if p.tok() == tokPeriod {
			p.next()
			if p.tok() != tokIdent && !p.tok().isKeyword() {
				p.failExpected("field name after '.'")
			}
			s := p.sels.new()
			s.X.NamePos, s.X.Name = pos, name
			s.Sel.NamePos, s.Sel.Name = p.pos(), p.name()
			p.next()
			return s
		}
		id := p.idents.new()
		id.NamePos, id.Name = pos, name
		if p.tok() == tokLparen {
			return p.parseCall(id)
		}
		return id
	case tokNumber:
		return p.parseNumber()
	case tokString:
		lit := p.lits.new()
		lit.ValuePos = p.pos()
		lit.ValueEnd = Pos(p.sc.end + 1)
		lit.Value = Value{Type: TypeString, Str: p.save(p.sc.lit)}
		p.next()
		return lit
	case tokTrue, tokFalse:
		lit := p.lits.new()
		lit.ValuePos = p.pos()
		lit.ValueEnd = Pos(p.sc.end + 1)
		lit.Value = Value{Type: TypeBool, Bool: p.tok() == tokTrue}
		p.next()
		return lit
	case tokLparen:
		x := p.parens.new()
		x.Lparen = p.pos()
		p.enter()
		p.next()
		x.X = p.parseExpr()
		p.depth--
		if p.tok() != tokRparen {
			p.failExpected("')'")
		}
		x.Rparen = p.pos()
		p.next()
		return x
	}
	p.failExpected("expression")
	return nil
}

// parseNumber parses the current NUMBER token.
func (p *parser) parseNumber() *BasicLit {
	lit := p.lits.new()
	lit.ValuePos = p.pos()
	lit.ValueEnd = Pos(p.sc.end + 1)
	lit.Value.Type = TypeNumber
	lit.Value.Num = p.numberValue()
	p.next()
	return lit
}

// numberValue returns the value of the current NUMBER token.
func (p *parser) numberValue() float64 {
	b := p.sc.src[p.sc.pos-1 : p.sc.end]
	if f, ok := parseSimpleNumber(b); ok {
		return f
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		p.fail(p.pos(), msgNumberRange, string(b))
	}
	return f
}

// exactPow10 holds the powers of ten that are exact in a float64.
var exactPow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// parseSimpleNumber converts digits with an optional fraction and at most
// 15 digits in all, the common case. Both the digits as an integer and the
// power of ten are exact in a float64, so one division rounds correctly
// and the result equals strconv.ParseFloat's. It reports false for any
// other form.
func parseSimpleNumber(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var n int64
	digits, frac := 0, -1
	for i, c := range b {
		switch {
		case isDigit(c):
			n = n*10 + int64(c-'0')
			digits++
		case c == '.' && frac < 0 && i > 0 && i < len(b)-1:
			frac = len(b) - 1 - i
		default:
			return 0, false
		}
	}
	if digits > 15 {
		return 0, false
	}
	if frac <= 0 {
		return float64(n), true
	}
	return float64(n) / exactPow10[frac], true
}
