package rulelang

import (
	"io"
	"strings"
)

// maxLineWidth is the width beyond which the printer splits a rule over
// several lines.
const maxLineWidth = 100

// Format returns the canonical source of f. Comments are kept: comments
// between statements stay where they are, a comment on the line where a
// statement ends stays at the end of that line, and comments inside a
// statement move to the lines before it. Runs of blank lines between
// statements become one blank line.
//
// Parsing the output yields f again, up to positions and comment placement.
func Format(f *File) []byte {
	p := &printer{f: f}
	p.file()
	return []byte(p.b.String())
}

// Fprint writes the canonical source of f to w.
func Fprint(w io.Writer, f *File) error {
	_, err := w.Write(Format(f))
	return err
}

// ExprString returns the canonical source of an expression.
func ExprString(x Expr) string {
	var b strings.Builder
	writeExpr(&b, x)
	return b.String()
}

type printer struct {
	f        *File
	b        strings.Builder
	ci       int  // index of the next comment to print
	lastLine int  // source line on which the last printed item ended
	started  bool // an item has been printed
}

func (p *printer) line(pos Pos) int { return p.f.lines.position(pos).Line }

// sep starts a new item whose first source line is line: a newline after
// the previous item, plus a blank line if the source had one.
func (p *printer) sep(line int) {
	if !p.started {
		p.started = true
		return
	}
	p.b.WriteByte('\n')
	if line > p.lastLine+1 {
		p.b.WriteByte('\n')
	}
}

func (p *printer) comment(c *Comment) {
	p.sep(p.line(c.Pos()))
	p.b.WriteString(c.Text)
	p.lastLine = p.line(c.End() - 1)
}

func (p *printer) file() {
	cs := p.f.Comments
	for _, s := range p.f.Stmts {
		// Comments before the statement.
		for p.ci < len(cs) && cs[p.ci].Pos() < s.Pos() {
			p.comment(cs[p.ci])
			p.ci++
		}
		// Comments inside the statement move before it, without a blank
		// line between them and the statement.
		startLine := p.line(s.Pos())
		for p.ci < len(cs) && cs[p.ci].Pos() < s.End() {
			p.sep(startLine)
			p.b.WriteString(cs[p.ci].Text)
			p.lastLine = startLine - 1
			p.ci++
		}
		p.sep(startLine)
		p.stmt(s)
		endLine := p.line(s.End() - 1)
		p.lastLine = endLine
		// A comment starting on the statement's last line stays there.
		if p.ci < len(cs) && p.line(cs[p.ci].Pos()) == endLine {
			p.b.WriteByte(' ')
			p.b.WriteString(cs[p.ci].Text)
			p.lastLine = p.line(cs[p.ci].End() - 1)
			p.ci++
		}
	}
	for ; p.ci < len(cs); p.ci++ {
		p.comment(cs[p.ci])
	}
	if p.started {
		p.b.WriteByte('\n')
	}
}

func (p *printer) stmt(s Stmt) {
	b := &p.b
	switch s := s.(type) {
	case *TypeDecl:
		b.WriteString("type ")
		b.WriteString(s.Name.Name)
		b.WriteString(" : <")
		for i, f := range s.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			if f.Hash.IsValid() {
				b.WriteByte('#')
			}
			b.WriteString(f.Name.Name)
			b.WriteString(": ")
			b.WriteString(f.Type.Name)
		}
		b.WriteByte('>')
	case *FactStmt:
		b.WriteString(s.Type.Name)
		b.WriteByte('(')
		for i := range s.NumArgs() {
			if i > 0 {
				b.WriteString(", ")
			}
			a := s.Arg(i)
			b.WriteString(a.Name.Name)
			b.WriteString(": ")
			writeExpr(b, a.Value)
		}
		b.WriteByte(')')
	case *RetractStmt:
		b.WriteString("retract ")
		writeFact(b, &s.Type, s.Args)
	case *RuleDecl:
		writeRule(b, s)
	default:
		panic("BUG: unknown statement type")
	}
}

func writeFact(b *strings.Builder, typ *Ident, args []Arg) {
	b.WriteString(typ.Name)
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Name.Name)
		b.WriteString(": ")
		writeExpr(b, a.Value)
	}
	b.WriteByte(')')
}

// writeRule writes a rule on one line when it fits in maxLineWidth, else
// with each block, the condition and the actions on lines of their own.
func writeRule(b *strings.Builder, r *RuleDecl) {
	blocks := make([]string, len(r.Blocks))
	for i, bl := range r.Blocks {
		blocks[i] = blockString(bl, "")
	}
	cond := ""
	if r.Cond != nil {
		cond = ExprString(r.Cond)
	}
	var acts strings.Builder
	for i, a := range r.Actions {
		if i > 0 {
			acts.WriteString(", ")
		}
		writeExpr(&acts, a)
	}

	var one strings.Builder
	one.WriteString("rule ")
	one.WriteString(r.Name.Name)
	one.WriteString(" : ")
	for i, s := range blocks {
		if i > 0 {
			one.WriteString(" / ")
		}
		one.WriteString(s)
	}
	if r.Cond != nil {
		one.WriteString(" / ")
		one.WriteString(cond)
	}
	one.WriteString(" ==> ")
	one.WriteString(acts.String())
	if one.Len() <= maxLineWidth {
		b.WriteString(one.String())
		return
	}

	const indent = "  "
	b.WriteString("rule ")
	b.WriteString(r.Name.Name)
	b.WriteString(" :")
	for i, s := range blocks {
		b.WriteString("\n" + indent)
		if i > 0 {
			b.WriteString("/ ")
		}
		if len(indent)+len(s) > maxLineWidth && len(r.Blocks[i].Bindings) > 1 {
			pad := "\n" + indent + " "
			if i > 0 {
				pad += "  "
			}
			s = blockString(r.Blocks[i], pad)
		}
		b.WriteString(s)
	}
	if r.Cond != nil {
		b.WriteString("\n" + indent + "/ ")
		conj := conjuncts(r.Cond, nil)
		if len(indent)+2+len(cond) > maxLineWidth && len(conj) > 1 {
			for i, c := range conj {
				if i > 0 {
					b.WriteString("\n" + indent + "  AND ")
				}
				writeExpr(b, c)
			}
		} else {
			b.WriteString(cond)
		}
	}
	b.WriteString("\n" + indent + "==> ")
	b.WriteString(acts.String())
}

// conjuncts appends the operands of a left-nested chain of AND (not looking
// into parentheses, so that printing them joined by AND gives x back).
func conjuncts(x Expr, list []Expr) []Expr {
	if bx, ok := x.(*BinaryExpr); ok && bx.Op == OpAnd {
		list = conjuncts(bx.X, list)
		return append(list, bx.Y)
	}
	return append(list, x)
}

// blockString formats a pattern block. With sep == "" the bindings are
// separated by ", "; otherwise by "," + sep (a newline and indentation).
func blockString(bl *Block, sep string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, bd := range bl.Bindings {
		if i > 0 {
			b.WriteByte(',')
			if sep == "" {
				b.WriteByte(' ')
			} else {
				b.WriteString(sep)
			}
		}
		b.WriteString(bd.Name.Name)
		b.WriteString(": ")
		if bd.Agg != nil {
			writeExpr(&b, bd.Agg)
		} else {
			b.WriteString(bd.Type.Name)
		}
	}
	b.WriteByte('}')
	return b.String()
}

func writeExpr(b *strings.Builder, x Expr) {
	switch x := x.(type) {
	case *Ident:
		b.WriteString(x.Name)
	case *BasicLit:
		writeValue(b, x.Value)
	case *SelectorExpr:
		b.WriteString(x.X.Name)
		b.WriteByte('.')
		b.WriteString(x.Sel.Name)
	case *UnaryExpr:
		b.WriteString(x.Op.String())
		if x.Op == OpNot {
			b.WriteByte(' ')
		}
		writeExpr(b, x.X)
	case *BinaryExpr:
		writeExpr(b, x.X)
		b.WriteByte(' ')
		b.WriteString(x.Op.String())
		b.WriteByte(' ')
		writeExpr(b, x.Y)
	case *ParenExpr:
		b.WriteByte('(')
		writeExpr(b, x.X)
		b.WriteByte(')')
	case *CallExpr:
		b.WriteString(x.Fun.Name)
		b.WriteByte('(')
		for i, a := range x.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, a)
		}
		b.WriteByte(')')
	default:
		panic("BUG: unknown expression type")
	}
}
