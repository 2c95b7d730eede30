package storage

import "github.com/accretedb/accrete/model"

// colArena hands out the column arrays of a write batch from a few large
// arrays that are reused from batch to batch, instead of allocating (and
// zeroing) two arrays per series field and batch. A batch takes an arena
// from its DB when it adds values and gives it back when it is committed or
// discarded, after which nothing refers to the columns any more: Commit has
// encoded them into the Pebble batch.
type colArena struct {
	ints   []int64 // times and integer values
	floats []float64
	uints  []uint64
	groups []fieldGroup
	need   int // values of the Write call being added, to size new arrays
}

// arenas is the number of arenas a DB keeps for reuse.
const arenas = 4

// getArena returns a free arena of the DB or a new one.
func (db *DB) getArena() *colArena {
	select {
	case a := <-db.arenas:
		return a
	default:
		return &colArena{}
	}
}

// putArena empties a and keeps it for reuse unless enough are kept.
func (db *DB) putArena(a *colArena) {
	a.ints, a.floats, a.uints = a.ints[:0], a.floats[:0], a.uints[:0]
	clear(a.groups) // drop the names and columns of the last batch
	a.groups = a.groups[:0]
	select {
	case db.arenas <- a:
	default:
	}
}

// carve returns an empty slice with room for n values from the free tail
// of *buf, or from a new array of at least need values when the tail is
// too short (the old array stays with the columns carved from it).
func carve[T any](buf *[]T, n, need int) []T {
	b := *buf
	if cap(b)-len(b) < n {
		b = make([]T, 0, max(n, need))
	}
	s := b[len(b) : len(b) : len(b)+n]
	*buf = b[:len(b)+n]
	return s
}

// newFieldGroup returns a group of type t with room for n values.
func (a *colArena) newFieldGroup(name string, t model.FieldType, n int) *fieldGroup {
	if len(a.groups) == cap(a.groups) {
		a.groups = make([]fieldGroup, 0, max(64, 2*cap(a.groups)))
	}
	a.groups = append(a.groups, fieldGroup{name: name})
	fg := &a.groups[len(a.groups)-1]
	c := &fg.cols
	c.Type = t
	c.Times = carve(&a.ints, n, 2*a.need)
	switch t {
	case model.TypeFloat:
		c.Floats = carve(&a.floats, n, a.need)
	case model.TypeInteger:
		c.Ints = carve(&a.ints, n, 2*a.need)
	case model.TypeUnsigned:
		c.Uints = carve(&a.uints, n, a.need)
	case model.TypeString:
		c.Strings = make([]string, 0, n)
	case model.TypeBoolean:
		c.Bools = make([]bool, 0, n)
	}
	return fg
}
