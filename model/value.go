package model

import (
	"fmt"
	"math"
	"strconv"
)

// FieldType is the type of a field value.
type FieldType uint8

// The field types. The zero FieldType is invalid so that a zero FieldValue is
// recognisably empty.
const (
	TypeInvalid FieldType = iota
	TypeFloat
	TypeInteger
	TypeUnsigned
	TypeString
	TypeBoolean
)

var fieldTypeNames = [...]string{
	TypeInvalid:  "invalid",
	TypeFloat:    "float",
	TypeInteger:  "integer",
	TypeUnsigned: "unsigned",
	TypeString:   "string",
	TypeBoolean:  "boolean",
}

// String returns the InfluxDB name of the type ("float", "integer",
// "unsigned", "string", "boolean").
func (t FieldType) String() string {
	if int(t) < len(fieldTypeNames) {
		return fieldTypeNames[t]
	}
	return "FieldType(" + strconv.Itoa(int(t)) + ")"
}

// Numeric reports whether values of the type are numbers.
func (t FieldType) Numeric() bool {
	return t == TypeFloat || t == TypeInteger || t == TypeUnsigned
}

// FieldValue is one typed field value. The zero value is invalid (its Type is
// TypeInvalid). FieldValue is small and meant to be passed by value.
type FieldValue struct {
	typ  FieldType
	bits uint64 // float64 bits, int64, uint64 or 0/1 for booleans
	str  string
}

// Float returns a float field value.
func Float(f float64) FieldValue { return FieldValue{typ: TypeFloat, bits: math.Float64bits(f)} }

// Int returns an integer field value.
func Int(i int64) FieldValue { return FieldValue{typ: TypeInteger, bits: uint64(i)} }

// Uint returns an unsigned field value.
func Uint(u uint64) FieldValue { return FieldValue{typ: TypeUnsigned, bits: u} }

// String returns a string field value.
func String(s string) FieldValue { return FieldValue{typ: TypeString, str: s} }

// Bool returns a boolean field value.
func Bool(b bool) FieldValue {
	v := FieldValue{typ: TypeBoolean}
	if b {
		v.bits = 1
	}
	return v
}

// Type returns the value's type.
func (v FieldValue) Type() FieldType { return v.typ }

// IsValid reports whether v holds a value.
func (v FieldValue) IsValid() bool { return v.typ != TypeInvalid }

// FloatV returns the float64 held by a TypeFloat value.
func (v FieldValue) FloatV() float64 { return math.Float64frombits(v.bits) }

// IntV returns the int64 held by a TypeInteger value.
func (v FieldValue) IntV() int64 { return int64(v.bits) }

// UintV returns the uint64 held by a TypeUnsigned value.
func (v FieldValue) UintV() uint64 { return v.bits }

// StringV returns the string held by a TypeString value.
func (v FieldValue) StringV() string { return v.str }

// BoolV returns the bool held by a TypeBoolean value.
func (v FieldValue) BoolV() bool { return v.bits != 0 }

// Bits returns the raw 64-bit payload of a non-string value: the IEEE 754
// bits of a float, the two's complement of an integer, the unsigned value,
// or 0/1 for a boolean. Codecs use it to avoid a type switch per value.
func (v FieldValue) Bits() uint64 { return v.bits }

// FromBits rebuilds a non-string value of type t from its [FieldValue.Bits].
func FromBits(t FieldType, bits uint64) FieldValue { return FieldValue{typ: t, bits: bits} }

// Number returns the value as a float64 and true for numeric types, and
// 0, false otherwise. Integers beyond 2^53 lose precision.
func (v FieldValue) Number() (float64, bool) {
	switch v.typ {
	case TypeFloat:
		return math.Float64frombits(v.bits), true
	case TypeInteger:
		return float64(int64(v.bits)), true
	case TypeUnsigned:
		return float64(v.bits), true
	}
	return 0, false
}

// Equal reports whether two values have the same type and the same payload.
// Floats compare by bits, so NaN equals NaN of the same bits and 0 differs
// from -0.
func (v FieldValue) Equal(o FieldValue) bool {
	return v.typ == o.typ && v.bits == o.bits && v.str == o.str
}

// Interface returns the value as float64, int64, uint64, string or bool, or
// nil for an invalid value. JSON encoders use it.
func (v FieldValue) Interface() any {
	switch v.typ {
	case TypeFloat:
		return v.FloatV()
	case TypeInteger:
		return v.IntV()
	case TypeUnsigned:
		return v.UintV()
	case TypeString:
		return v.str
	case TypeBoolean:
		return v.BoolV()
	}
	return nil
}

// String formats the value as line protocol writes it: floats in shortest
// round-trip form, integers with an "i" suffix, unsigned with "u", strings
// quoted.
func (v FieldValue) String() string {
	return string(appendFieldValue(nil, v))
}

// GoString helps test failures print values readably.
func (v FieldValue) GoString() string {
	return fmt.Sprintf("model.FieldValue{%s %s}", v.typ, v.String())
}
