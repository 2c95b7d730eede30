package rulelang

import (
	"bytes"
	"math"
	"runtime"
	"sync"
	"unsafe"
)

// Large files are parsed in parts on several cores. Top-level statements
// are independent, so the file is cut at lines that look like the start of
// a statement and each part is parsed from there on its own. Where a cut is
// wrong (it falls inside a multi-line rule or a block comment) or where a
// part has syntax errors, the cut is verified rather than trusted: a part is
// kept only when the parser of the text before it stopped exactly at the
// cut, with a clean state, and the part itself found no error; otherwise
// that parser goes on through the part. The result is therefore the same
// tree, comments, line table and diagnostics as parsing the file in one
// piece.

// minPartSize is the size of the smallest part worth a goroutine of its
// own; maxParts bounds the number of parts, and partsPerProc is the number
// of parts per processor (see numParts). Checking uses the last two too.
const (
	minPartSize  = 512 << 10
	maxParts     = 64
	partsPerProc = 4
)

// numParts returns the number of parts to cut a file of size bytes into:
// several per processor, so that the scheduler can even out parts that
// take longer (rules cost more per byte than facts) and processors that
// other work holds up.
func numParts(size int) int {
	procs := runtime.GOMAXPROCS(0)
	if procs == 1 {
		return 1
	}
	return min(partsPerProc*procs, maxParts, size/minPartSize)
}

// splitPoints returns the offsets at which to cut src into about n parts:
// 0, then the starts of the other parts, then len(src). A result of length
// 2 means one part.
func splitPoints(src []byte, n int) []int {
	bounds := []int{0}
	for i := 1; i < n; i++ {
		// Each search starts after the last cut, so that src is read
		// once in all.
		from := max(i*len(src)/n, bounds[len(bounds)-1])
		o := stmtStartAfter(src, from, len(src))
		if o < 0 {
			break // no statement starts further on
		}
		if o > bounds[len(bounds)-1] {
			bounds = append(bounds, o)
		}
	}
	return append(bounds, len(src))
}

// stmtStartAfter returns the offset of the first line starting in
// src[from:limit] that looks like the start of a statement: "rule ",
// "type " or "retract " (in any letter case), or a name directly followed
// by "(" (a fact). It returns -1 if there is none.
func stmtStartAfter(src []byte, from, limit int) int {
	for from < limit {
		k := bytes.IndexByte(src[from:limit], '\n')
		if k < 0 {
			return -1
		}
		o := from + k + 1
		if o < limit && looksLikeStmt(src[o:]) {
			return o
		}
		from = o
	}
	return -1
}

func looksLikeStmt(b []byte) bool {
	if len(b) == 0 || !isLetter(b[0]) {
		return false
	}
	n := 1
	for n < len(b) && isIdentByte[b[n]] {
		n++
	}
	if n == len(b) {
		return false
	}
	switch keyword(b[:n]) {
	case tokRule, tokType, tokRetract:
		return b[n] == ' ' || b[n] == '\t'
	case tokIdent:
		return b[n] == '('
	}
	return false
}

// parseChunks parses src cut at bounds (see splitPoints), the parts
// concurrently, and joins the parts into one File.
func parseChunks(filename string, src []byte, bounds []int) (*File, error) {
	n := len(bounds) - 1
	// Each part copies its range of the source into buf, which facts
	// refer to through text once every part is done (see FactStmt).
	buf := make([]byte, len(src))
	var text string
	parts := make([]*parser, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for j := 1; j < n; j++ {
		wg.Go(func() {
			defer func() { panics[j] = recover() }()
			// The part numbers its lines from its start; the
			// lines of its diagnostics are shifted when it is kept.
			start, end := bounds[j], bounds[j+1]
			copy(buf[start:end], src[start:end])
			p := newParser(filename, src, &text, start, end, end)
			p.parseFile()
			parts[j] = p
		})
	}
	copy(buf[:bounds[1]], src[:bounds[1]])
	parts[0] = newParser(filename, src, &text, 0, bounds[1], bounds[1])
	parts[0].parseFile()
	wg.Wait()
	// buf is complete and never written again: an immutable string.
	text = unsafe.String(unsafe.SliceData(buf), len(buf))
	for _, r := range panics {
		if r != nil {
			panic(r)
		}
	}

	// Keep each part whose start the parser before it reached cleanly;
	// otherwise let that parser read on through the part.
	last := parts[0]
	kept := []*parser{last}
	for j := 1; j < n; j++ {
		if last.stoppedAt(bounds[j]) && len(parts[j].diags.list) == 0 {
			last = parts[j]
			kept = append(kept, last)
			continue
		}
		last.stop = bounds[j+1]
		if j == n-1 {
			last.stop = math.MaxInt
		}
		last.parseFile()
	}

	f := &File{Name: filename}
	nstmts, ncomments, nlines, ndiags := 0, 0, 0, 0
	for _, p := range kept {
		nstmts += len(p.file.Stmts)
		ncomments += len(p.file.Comments)
		nlines += len(p.file.lines.lines)
		ndiags += len(p.diags.list)
	}
	f.Stmts = make([]Stmt, 0, nstmts)
	if ncomments > 0 {
		f.Comments = make([]*Comment, 0, ncomments)
	}
	f.lines = lineTable{filename: filename, lines: make([]int, 0, nlines), size: len(src)}
	var diags ErrorList
	if ndiags > 0 {
		diags = make(ErrorList, 0, ndiags)
	}
	for i, p := range kept {
		f.Stmts = append(f.Stmts, p.file.Stmts...)
		f.Comments = append(f.Comments, p.file.Comments...)
		lines := p.file.lines.lines
		shift := 0
		if i > 0 {
			// The part's first line start ends the previous part's
			// table already.
			lines = lines[1:]
			shift = len(f.lines.lines) - 1
		}
		f.lines.lines = append(f.lines.lines, lines...)
		for _, d := range p.diags.list {
			d.Pos.Line += shift
			diags = append(diags, d)
		}
	}
	diags.Sort()
	return f, diags.Err()
}

// stoppedAt reports whether p stopped at a statement starting at offset
// off, which starts a line, having read everything before it: then a
// parser started at off continues exactly where p would.
func (p *parser) stoppedAt(off int) bool {
	lines := p.file.lines.lines
	return p.tok() != tokEOF && int(p.pos())-1 == off && lines[len(lines)-1] == off
}
