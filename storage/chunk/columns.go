package chunk

import (
	"fmt"

	"github.com/accretedb/accrete/model"
)

// Columns holds the points of one chunk as typed columns: Times and the
// value column named by Type (Floats for TypeFloat, Ints for TypeInteger,
// Uints for TypeUnsigned, Strings for TypeString, Bools for TypeBoolean),
// both of the same length. The other value columns are empty.
//
// A Columns is meant to be reused: Decode overwrites it keeping the
// capacity of every column, so a scan that decodes chunk after chunk into
// the same Columns allocates nothing once the columns have grown (string
// chunks excepted: their strings share one new allocation per chunk).
type Columns struct {
	Type    model.FieldType
	Times   []int64
	Floats  []float64
	Ints    []int64
	Uints   []uint64
	Strings []string
	Bools   []bool
}

// Len returns the number of points.
func (c *Columns) Len() int { return len(c.Times) }

// Reset empties c, keeping the capacity of its columns, and sets its type
// to invalid.
func (c *Columns) Reset() { c.reset(model.TypeInvalid, 0) }

// reset sets c's type and resizes Times and the value column of the type
// to n, and the other columns to 0.
func (c *Columns) reset(t model.FieldType, n int) {
	c.Type = t
	c.Times = grow(c.Times, n)
	c.Floats = c.Floats[:0]
	c.Ints = c.Ints[:0]
	c.Uints = c.Uints[:0]
	clear(c.Strings) // drop references to old strings
	c.Strings = c.Strings[:0]
	c.Bools = c.Bools[:0]
	switch t {
	case model.TypeFloat:
		c.Floats = grow(c.Floats, n)
	case model.TypeInteger:
		c.Ints = grow(c.Ints, n)
	case model.TypeUnsigned:
		c.Uints = grow(c.Uints, n)
	case model.TypeString:
		c.Strings = grow(c.Strings, n)
	case model.TypeBoolean:
		c.Bools = grow(c.Bools, n)
	}
}

// valuesLen returns the length of the value column of c.Type, or -1 when
// the type is invalid.
func (c *Columns) valuesLen() int {
	switch c.Type {
	case model.TypeFloat:
		return len(c.Floats)
	case model.TypeInteger:
		return len(c.Ints)
	case model.TypeUnsigned:
		return len(c.Uints)
	case model.TypeString:
		return len(c.Strings)
	case model.TypeBoolean:
		return len(c.Bools)
	}
	return -1
}

// Value returns the value of point i as a model.FieldValue. It is for
// callers off the hot path; scans should read the typed column.
func (c *Columns) Value(i int) model.FieldValue {
	switch c.Type {
	case model.TypeFloat:
		return model.Float(c.Floats[i])
	case model.TypeInteger:
		return model.Int(c.Ints[i])
	case model.TypeUnsigned:
		return model.Uint(c.Uints[i])
	case model.TypeString:
		return model.String(c.Strings[i])
	case model.TypeBoolean:
		return model.Bool(c.Bools[i])
	}
	panic(fmt.Sprintf("BUG: Value of columns of type %v", c.Type))
}

// Append adds one point. An empty Columns of invalid type takes the type
// of v; otherwise v must have c's type. Append does not check the order of
// times (encoding does).
func (c *Columns) Append(t int64, v model.FieldValue) error {
	if c.Type == model.TypeInvalid && c.Len() == 0 {
		c.Type = v.Type()
	}
	if v.Type() != c.Type || !v.IsValid() {
		return fmt.Errorf("%w: %v value in %v columns", ErrWrongType, v.Type(), c.Type)
	}
	c.Times = append(c.Times, t)
	switch c.Type {
	case model.TypeFloat:
		c.Floats = append(c.Floats, v.FloatV())
	case model.TypeInteger:
		c.Ints = append(c.Ints, v.IntV())
	case model.TypeUnsigned:
		c.Uints = append(c.Uints, v.UintV())
	case model.TypeString:
		c.Strings = append(c.Strings, v.StringV())
	case model.TypeBoolean:
		c.Bools = append(c.Bools, v.BoolV())
	}
	return nil
}
