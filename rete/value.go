package rete

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/accretedb/accrete/rulelang"
)

// Facts store one 8-byte code per field: a number as its IEEE 754 bits, a
// string as its index in the engine's string table, a bool as 0 or 1. The
// field's type, known from the fact type, says how to read a code.

// negZero is the code of -0.
const negZero = 1 << 63

// keyCode returns the code used to compare a field value for equality in
// keys and join indexes: the stored code, except that -0 becomes +0, since
// the two compare equal.
func keyCode(kind rulelang.Type, c uint64) uint64 {
	if kind == rulelang.TypeNumber && c == negZero {
		return 0
	}
	return c
}

// strTable interns the strings of fact fields. Every stored code holds a
// reference; a string whose last reference is released is forgotten and
// its index reused.
type strTable struct {
	index map[string]uint32
	strs  []string
	refs  []uint32
	free  []uint32
}

func newStrTable() strTable {
	return strTable{index: make(map[string]uint32)}
}

// intern returns the index of s, taking one reference.
func (t *strTable) intern(s string) uint32 {
	if id, ok := t.index[s]; ok {
		t.refs[id]++
		return id
	}
	var id uint32
	if n := len(t.free); n > 0 {
		id = t.free[n-1]
		t.free = t.free[:n-1]
		t.strs[id] = s
		t.refs[id] = 1
	} else {
		id = uint32(len(t.strs))
		t.strs = append(t.strs, s)
		t.refs = append(t.refs, 1)
	}
	t.index[s] = id
	return id
}

// lookup returns the index of s without taking a reference.
func (t *strTable) lookup(s string) (uint32, bool) {
	id, ok := t.index[s]
	return id, ok
}

// acquire takes one more reference to id.
func (t *strTable) acquire(id uint32) { t.refs[id]++ }

// release drops one reference to id.
func (t *strTable) release(id uint32) {
	if t.refs[id] == 0 {
		panic("BUG: release of a string without references")
	}
	t.refs[id]--
	if t.refs[id] == 0 {
		delete(t.index, t.strs[id])
		t.strs[id] = ""
		t.free = append(t.free, id)
	}
}

// decode returns the value of code c of a field of type kind.
func (e *Engine) decode(kind rulelang.Type, c uint64) rulelang.Value {
	switch kind {
	case rulelang.TypeString:
		return rulelang.StringValue(e.strs.strs[c])
	case rulelang.TypeNumber:
		return rulelang.NumberValue(math.Float64frombits(c))
	case rulelang.TypeBool:
		return rulelang.BoolValue(c != 0)
	}
	panic("BUG: decode of a field of invalid type")
}

// FormatNumber formats f as JavaScript's Number.prototype.toString does:
// the shortest decimal that reads back as f, without an exponent when
// 1e-6 <= |f| < 1e21 (1234567, 43333.333333333336, 0.5), with one otherwise
// (1e+21, 1.5e-7). Zero of either sign is "0", infinities are "Infinity"
// and "-Infinity", and NaN is "NaN".
func FormatNumber(f float64) string {
	switch {
	case f == 0:
		return "0"
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if abs := math.Abs(f); abs >= 1e-6 && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	// Go writes at least two exponent digits (1e-07); JavaScript does not.
	i := strings.IndexByte(s, 'e')
	mant, exp := s[:i], s[i+1:]
	sign := exp[:1]
	digits := strings.TrimLeft(exp[1:], "0")
	return mant + "e" + sign + digits
}

// FormatValue formats v as print writes it: a string raw, a number with
// [FormatNumber], a bool as true or false.
func FormatValue(v rulelang.Value) string {
	switch v.Type {
	case rulelang.TypeString:
		return v.Str
	case rulelang.TypeNumber:
		return FormatNumber(v.Num)
	case rulelang.TypeBool:
		return strconv.FormatBool(v.Bool)
	}
	return "<invalid>"
}

// QuoteValue formats v as a named action's argument: a string quoted as Go's
// strconv.Quote does ("d1", "tab\there"), anything else as [FormatValue].
func QuoteValue(v rulelang.Value) string {
	if v.Type == rulelang.TypeString {
		return strconv.Quote(v.Str)
	}
	return FormatValue(v)
}

// appendKeyBytes appends the 8-byte codes of a composite key.
func appendKeyBytes(dst []byte, codes []uint64) []byte {
	for _, c := range codes {
		dst = binary.LittleEndian.AppendUint64(dst, c)
	}
	return dst
}

// sameValue reports whether two values are equal as the language's ==
// compares them (numbers by value, so -0 == 0).
func sameValue(a, b rulelang.Value) bool {
	if a.Type != b.Type {
		return false
	}
	switch a.Type {
	case rulelang.TypeString:
		return a.Str == b.Str
	case rulelang.TypeNumber:
		return a.Num == b.Num
	case rulelang.TypeBool:
		return a.Bool == b.Bool
	}
	return false
}

// typeMismatch describes a value of the wrong type for a field.
func typeMismatch(t *rulelang.TypeInfo, f int, v rulelang.Value) error {
	return fmt.Errorf("field %s of %s is %s, but the value is %s: %w",
		t.Fields[f].Name, t.Name, t.Fields[f].Type, v.Type, ErrBadFact)
}
