package query

import (
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
	"github.com/accretedb/accrete/storage/chunk"
)

// fieldRef is a field a query reads, resolved against the measurement's
// fields. A field the measurement does not have reads as always null.
type fieldRef struct {
	name   string
	id     uint32
	typ    model.FieldType
	exists bool
}

func resolveFields(names []string, fields []storage.FieldInfo) []fieldRef {
	out := make([]fieldRef, len(names))
	for i, n := range names {
		out[i].name = n
		for _, f := range fields {
			if f.Name == n {
				out[i] = fieldRef{name: n, id: f.ID, typ: f.Type, exists: true}
				break
			}
		}
	}
	return out
}

// aligner walks several fields of one series together in ascending time:
// each step stops at the next time at which at least one of the fields has
// a value, and tells which fields have one there. It owns one cursor per
// existing field.
type aligner struct {
	fields []fieldRef
	curs   []Cursor // nil for a field the measurement does not have
	cols   []*chunk.Columns
	pos    []int
	live   []bool
	at     []bool // at[k]: field k has a value at the current time
	time   int64
}

func newAligner(snap Snapshot, fields []fieldRef) *aligner {
	a := &aligner{
		fields: fields,
		curs:   make([]Cursor, len(fields)),
		cols:   make([]*chunk.Columns, len(fields)),
		pos:    make([]int, len(fields)),
		live:   make([]bool, len(fields)),
		at:     make([]bool, len(fields)),
	}
	for k, f := range fields {
		if f.exists {
			a.curs[k] = snap.NewCursor()
		}
	}
	return a
}

// seek positions the aligner before the values of series in [minT, maxT].
func (a *aligner) seek(db, rp string, series uint64, minT, maxT int64) error {
	for k, c := range a.curs {
		a.live[k], a.at[k], a.cols[k], a.pos[k] = false, false, nil, 0
		if c == nil {
			continue
		}
		if err := c.Seek(db, rp, series, a.fields[k].id, minT, maxT); err != nil {
			return err
		}
		if c.Next() {
			a.live[k], a.cols[k] = true, c.Columns()
		} else if err := c.Err(); err != nil {
			return err
		}
	}
	return nil
}

// next advances to the next time with a value and reports whether there is
// one. After it, time is that time and at tells which fields have a value.
func (a *aligner) next() (bool, error) {
	// Step past the values of the previous time.
	for k, at := range a.at {
		if !at {
			continue
		}
		a.at[k] = false
		a.pos[k]++
		if a.pos[k] == len(a.cols[k].Times) {
			a.pos[k] = 0
			if a.curs[k].Next() {
				a.cols[k] = a.curs[k].Columns()
			} else {
				a.live[k], a.cols[k] = false, nil
				if err := a.curs[k].Err(); err != nil {
					return false, err
				}
			}
		}
	}
	found := false
	for k, live := range a.live {
		if !live {
			continue
		}
		t := a.cols[k].Times[a.pos[k]]
		if !found || t < a.time {
			a.time, found = t, true
		}
	}
	if !found {
		return false, nil
	}
	for k, live := range a.live {
		a.at[k] = live && a.cols[k].Times[a.pos[k]] == a.time
	}
	return true, nil
}

// value returns field k's value at the current time, or the invalid
// (null) value when it has none.
func (a *aligner) value(k int) model.FieldValue {
	if !a.at[k] {
		return model.FieldValue{}
	}
	return a.cols[k].Value(a.pos[k])
}

func (a *aligner) close() {
	for _, c := range a.curs {
		if c != nil {
			c.Close()
		}
	}
}
