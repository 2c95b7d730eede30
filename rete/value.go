package rete

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
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
//
// The index is an open-addressing hash table with linear probing, at most
// half full so that probe runs stay short. A slot holds a string of up to
// 8 bytes packed into a word, so that finding it touches nothing but the
// slot; a longer string is represented by its 64-bit hash and compared
// with the stored string only when the hashes agree. A slot's home
// position derives from its word, so growing the table and deleting (by
// backward shift) never rehash strings.
type strTable struct {
	seed  maphash.Seed
	slots []strSlot
	used  int
	strs  pages[string]
	refs  pages[uint32]
	n     uint32 // indices handed out
	free  []uint32
}

// strSlot is a slot of the index; meta is 0 for an empty slot.
type strSlot struct {
	word uint64 // the bytes of a short string, or the hash of a long one
	meta uint64 // id+1 in the low 32 bits; length+1 of a short string, or 0, above
}

const maxShort = 8

func newStrTable() strTable {
	return strTable{seed: maphash.MakeSeed(), slots: make([]strSlot, 64)}
}

// key returns the word and the length tag of s.
func (t *strTable) key(s string) (word, tag uint64) {
	if len(s) > maxShort {
		return maphash.String(t.seed, s), 0
	}
	for i := 0; i < len(s); i++ {
		word |= uint64(s[i]) << (8 * i)
	}
	return word, uint64(len(s)) + 1
}

// home returns the first slot to probe for a word. The word is mixed
// (splitmix64's finalizer) so that every input bit moves the result:
// packed strings like "p100001" and "p100002" differ in one high byte.
func (t *strTable) home(word uint64) uint64 {
	word ^= word >> 30
	word *= 0xbf58476d1ce4e5b9
	word ^= word >> 27
	word *= 0x94d049bb133111eb
	word ^= word >> 31
	return word & uint64(len(t.slots)-1)
}

// find returns the index of s, or the slot where it would go.
func (t *strTable) find(s string, word, tag uint64) (id uint32, slot int, ok bool) {
	mask := uint64(len(t.slots) - 1)
	for i := t.home(word); ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.meta == 0 {
			return 0, int(i), false
		}
		if sl.word == word && sl.meta>>32 == tag {
			id := uint32(sl.meta) - 1
			if tag != 0 || *t.strs.at(id) == s {
				return id, int(i), true
			}
		}
	}
}

// intern returns the index of s, taking one reference.
func (t *strTable) intern(s string) uint32 {
	word, tag := t.key(s)
	id, slot, ok := t.find(s, word, tag)
	if ok {
		*t.refs.at(id)++
		return id
	}
	if n := len(t.free); n > 0 {
		id = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		id = t.n
		t.n++
		t.strs.ensure(t.n)
		t.refs.ensure(t.n)
	}
	*t.strs.at(id) = s
	*t.refs.at(id) = 1
	t.slots[slot] = strSlot{word: word, meta: tag<<32 | uint64(id+1)}
	t.used++
	if t.used*2 > len(t.slots) {
		t.grow()
	}
	return id
}

// reserve grows the index so that n more strings fit without growing it
// again.
func (t *strTable) reserve(n int) {
	size := len(t.slots)
	for (t.used+n)*2 > size {
		size *= 2
	}
	if size > len(t.slots) {
		t.rehash(size)
	}
}

func (t *strTable) grow() { t.rehash(2 * len(t.slots)) }

func (t *strTable) rehash(size int) {
	old := t.slots
	t.slots = make([]strSlot, size)
	mask := uint64(len(t.slots) - 1)
	for _, sl := range old {
		if sl.meta == 0 {
			continue
		}
		i := t.home(sl.word)
		for t.slots[i].meta != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = sl
	}
}

// touch reads the slot where the search for s starts and returns a value
// of it: touching the strings of many facts before interning them lets
// their cache misses overlap.
func (t *strTable) touch(s string) uint64 {
	word, _ := t.key(s)
	return t.slots[t.home(word)].meta
}

// lookup returns the index of s without taking a reference.
func (t *strTable) lookup(s string) (uint32, bool) {
	word, tag := t.key(s)
	id, _, ok := t.find(s, word, tag)
	return id, ok
}

// release drops one reference to id.
func (t *strTable) release(id uint32) {
	r := t.refs.at(id)
	if *r == 0 {
		panic("BUG: release of a string without references")
	}
	*r--
	if *r > 0 {
		return
	}
	s := t.str(id)
	word, tag := t.key(s)
	_, slot, ok := t.find(s, word, tag)
	if !ok {
		panic("BUG: interned string missing from its index")
	}
	// Backward-shift deletion: move later entries of the probe run into
	// the hole when their home position allows it.
	mask := len(t.slots) - 1
	hole := slot
	for i := (hole + 1) & mask; t.slots[i].meta != 0; i = (i + 1) & mask {
		home := int(t.home(t.slots[i].word))
		if (i-home)&mask >= (i-hole)&mask {
			t.slots[hole] = t.slots[i]
			hole = i
		}
	}
	t.slots[hole] = strSlot{}
	t.used--
	*t.strs.at(id) = ""
	t.free = append(t.free, id)
}

// str returns the string with index id.
func (t *strTable) str(id uint32) string { return *t.strs.at(id) }

// decode returns the value of code c of a field of type kind.
func (e *Engine) decode(kind rulelang.Type, c uint64) rulelang.Value {
	switch kind {
	case rulelang.TypeString:
		return rulelang.StringValue(e.strs.str(uint32(c)))
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
