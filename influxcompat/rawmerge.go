package influxcompat

import (
	"container/heap"
	"slices"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/query"
)

// rawMerge merges the points of the series of one group into rows the
// way InfluxDB's sorted merge does, so that points of equal time come in
// the same order: a container/heap of the series (in key order, reversed
// newest first) ordered by time, then by the string values of the
// references in name order up to the first that is not a string; an
// exhausted series leaves the heap, the others are popped and pushed back.
type rawMerge struct {
	p        *selectPlan
	names    []string          // the fields in the series' values
	refs     []auxRef          // everything the columns read, sorted by name
	slot     []int             // per ref: field slot, or -1 for a tag
	refTypes []model.FieldType // per ref: its type, for fill defaults
	col      []int             // per bare column: index in refs, or -1 for arithmetic
	heap     []*rawCursor
}

func newRawMerge(p *selectPlan, names []string, fields fieldSet) *rawMerge {
	m := &rawMerge{p: p, names: names, refs: p.auxRefs()}
	m.slot = make([]int, len(m.refs))
	m.refTypes = make([]model.FieldType, len(m.refs))
	for i, r := range m.refs {
		m.slot[i] = -1
		if t, ok := fields[r.name]; ok && !r.isTag {
			m.slot[i] = slices.Index(names, r.name)
			m.refTypes[i] = t
		} else if !ok || r.isTag {
			m.refTypes[i] = model.TypeString
		}
	}
	m.col = make([]int, len(p.cols))
	for k, c := range p.cols {
		m.col[k] = -1
		if c.expr == nil {
			m.col[k] = slices.Index(m.refs, auxRef{name: c.ref, isTag: c.isTag})
		}
	}
	return m
}

// rawCursor walks the points of one series. tags holds the value of each
// tag ref, boxed once for all rows (nil for fields and missing tags).
type rawCursor struct {
	s    *query.RawSeries
	i    int
	tags []any
}

// value returns the value of ref r at the cursor's point.
func (m *rawMerge) value(c *rawCursor, r int) any {
	if k := m.slot[r]; k >= 0 {
		v := c.s.Values[c.i*len(m.names)+k]
		if !v.IsValid() {
			return nil
		}
		return v.Interface()
	}
	return c.tags[r]
}

// auxString returns the value of ref r as a string, for the tie-break, and
// whether it is one.
func (m *rawMerge) auxString(c *rawCursor, r int) (string, bool) {
	if k := m.slot[r]; k >= 0 {
		v := c.s.Values[c.i*len(m.names)+k]
		return v.StringV(), v.Type() == model.TypeString
	}
	s, ok := c.tags[r].(string)
	return s, ok
}

// Len, Less, Swap, Push and Pop implement heap.Interface.
func (m *rawMerge) Len() int { return len(m.heap) }

func (m *rawMerge) Less(i, j int) bool {
	a, b := m.heap[i], m.heap[j]
	ta, tb := a.s.Times[a.i], b.s.Times[b.i]
	if ta != tb {
		if m.p.ascending {
			return ta < tb
		}
		return ta > tb
	}
	for r := range m.refs {
		va, oka := m.auxString(a, r)
		vb, okb := m.auxString(b, r)
		if !oka || !okb {
			return false
		}
		if va != vb {
			if m.p.ascending {
				return va < vb
			}
			return va > vb
		}
	}
	return false
}

func (m *rawMerge) Swap(i, j int) { m.heap[i], m.heap[j] = m.heap[j], m.heap[i] }

func (m *rawMerge) Push(v any) { m.heap = append(m.heap, v.(*rawCursor)) }

func (m *rawMerge) Pop() any {
	v := m.heap[len(m.heap)-1]
	m.heap = m.heap[:len(m.heap)-1]
	return v
}

// merge returns the rows of the series (in key order) in output order,
// skipping offset rows and keeping at most limit (0: all).
func (m *rawMerge) merge(series []query.RawSeries, offset, limit int) [][]any {
	n := 0
	for i := range series {
		s := &series[i]
		n += s.Len()
		c := &rawCursor{s: s, tags: make([]any, len(m.refs))}
		for r, ref := range m.refs {
			if m.slot[r] < 0 && ref.isTag {
				if v, ok := s.Tags.Get(ref.name); ok && v != "" {
					c.tags[r] = v
				}
			}
		}
		m.heap = append(m.heap, c)
	}
	if !m.p.ascending {
		slices.Reverse(m.heap)
	}
	heap.Init(m)
	if limit > 0 {
		n = min(n, limit)
	}
	rows := make([][]any, 0, n)
	width := 1 + len(m.p.cols)
	// One backing array for all rows.
	cells := make([]any, 0, n*width)
	defaults := newRowDefaults(m.p, len(m.refs))
	refVals := make([]any, len(m.refs))
	vars := map[string]any{} // arithmetic scratch
	skipped := 0
	for m.Len() > 0 {
		if limit > 0 && len(rows) == limit {
			break
		}
		c := heap.Pop(m).(*rawCursor)
		for r := range m.refs {
			v := m.value(c, r)
			refVals[r] = defaults.get(r, v, v != nil, m.refTypes[r])
		}
		if skipped < offset {
			skipped++
		} else {
			start := len(cells)
			cells = append(cells, c.s.Times[c.i])
			for k, col := range m.p.cols {
				if r := m.col[k]; r >= 0 {
					cells = append(cells, refVals[r])
					continue
				}
				for _, ref := range col.refs {
					vars[ref.name] = refVals[slices.Index(m.refs, ref)]
				}
				cells = append(cells, evalArithmetic(col.expr, vars))
			}
			rows = append(rows, cells[start:len(cells):len(cells)])
		}
		if c.i+1 < c.s.Len() {
			c.i++
			heap.Push(m, c)
		}
	}
	return rows
}
