package rulelang

import (
	"fmt"
	"sort"
	"strings"
)

// Diagnostic is one error found in a source file by the scanner, the parser
// or the checker.
type Diagnostic struct {
	Pos Position
	Msg string
}

// Error formats the diagnostic as file:line:col: message.
func (d *Diagnostic) Error() string {
	if d.Pos.Filename != "" || d.Pos.IsValid() {
		return d.Pos.String() + ": " + d.Msg
	}
	return d.Msg
}

// ErrorList is a list of diagnostics. [ParseFile] and [Check] return one as
// their error; use errors.As to get at the individual diagnostics.
type ErrorList []*Diagnostic

// Add appends a diagnostic.
func (l *ErrorList) Add(pos Position, msg string) {
	*l = append(*l, &Diagnostic{Pos: pos, Msg: msg})
}

// Len, Less and Swap implement sort.Interface, ordering by file, line,
// column and message.
func (l ErrorList) Len() int      { return len(l) }
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l ErrorList) Less(i, j int) bool {
	a, b := l[i].Pos, l[j].Pos
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Column != b.Column {
		return a.Column < b.Column
	}
	return l[i].Msg < l[j].Msg
}

// Sort sorts the list by position. The sort is stable for equal positions and
// messages.
func (l ErrorList) Sort() { sort.Stable(l) }

// Error prints every diagnostic as file:line:col: message, one per line.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	for i, d := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.Error())
	}
	return b.String()
}

// Err returns l as an error, or nil when l is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// diagnostics collects errors for one file.
type diagnostics struct {
	lines *lineTable
	list  ErrorList
}

func (d *diagnostics) errorf(p Pos, format string, args ...any) {
	d.list.Add(d.lines.position(p), fmt.Sprintf(format, args...))
}
