package rulelang

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Type is the type of a field, a literal or an expression.
type Type uint8

// The types of the language. TypeInvalid marks an expression whose type
// could not be determined because of an earlier error.
const (
	TypeInvalid Type = iota
	TypeString
	TypeNumber
	TypeBool
)

// String returns the type's name as written in source.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeNumber:
		return "number"
	case TypeBool:
		return "bool"
	}
	return "invalid type"
}

// typeByName maps a field type name of a type declaration to its Type.
func typeByName(name string) Type {
	switch name {
	case "string":
		return TypeString
	case "number":
		return TypeNumber
	case "bool":
		return TypeBool
	}
	return TypeInvalid
}

// Value is a typed constant: a literal in the source, or a field value of a
// fact. Only the field selected by Type is meaningful. Numbers are float64.
type Value struct {
	Str  string
	Num  float64
	Type Type
	Bool bool
}

// StringValue, NumberValue and BoolValue build Values.
func StringValue(s string) Value  { return Value{Type: TypeString, Str: s} }
func NumberValue(f float64) Value { return Value{Type: TypeNumber, Num: f} }
func BoolValue(b bool) Value      { return Value{Type: TypeBool, Bool: b} }

// String returns the value as a literal of the language: a quoted string,
// a number or true/false.
func (v Value) String() string {
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

func writeValue(b *strings.Builder, v Value) {
	switch v.Type {
	case TypeString:
		writeQuoted(b, v.Str)
	case TypeNumber:
		b.WriteString(formatNumber(v.Num))
	case TypeBool:
		if v.Bool {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	default:
		b.WriteString("<invalid>")
	}
}

// formatNumber writes f in the shortest form that reads back to the same
// float64, without an exponent when 1e-6 <= |f| < 1e21. The scanner accepts
// every output.
func formatNumber(f float64) string {
	if f == 0 {
		// Also for -0: a literal "-0" would read back as -0 anyway, but
		// keep the canonical form simple.
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	// Go writes at least two exponent digits (1e-07); drop the padding.
	if i := strings.IndexByte(s, 'e'); i >= 0 && i+3 < len(s) && s[i+2] == '0' {
		s = s[:i+2] + s[i+3:]
	}
	return s
}

// writeQuoted writes s as a double-quoted string literal with the escapes
// the scanner understands.
func writeQuoted(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				// Keep invalid bytes as they are: the scanner reads
				// them back unchanged.
				b.WriteByte(c)
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		default:
			b.WriteByte(c)
		}
		i++
	}
	b.WriteByte('"')
}
