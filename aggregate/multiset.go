package aggregate

import "github.com/tidwall/btree"

// multiset is an ordered multiset of timestamped values with counts: the
// state of an *OrderedState. It holds its only distinct entry inline and
// builds a B-tree once a second distinct entry arrives, so a multiset of one
// distinct value does not allocate. Add, remove, first and last are
// O(log n) in the number of distinct entries.
type multiset struct {
	less  func(a, b entry) bool // strict order of distinct entries; n is ignored
	total uint64                // number of entries, with multiplicity
	one   entry                 // the only distinct entry while tree is nil and total > 0
	tree  *btree.BTreeG[entry]  // all distinct entries with their counts, or nil
}

func (m *multiset) same(a, b entry) bool { return !m.less(a, b) && !m.less(b, a) }

// add adds e.n copies of e.
func (m *multiset) add(e entry) {
	m.total += e.n
	switch {
	case m.tree != nil:
		if old, ok := m.tree.Get(e); ok {
			e.n += old.n
		}
		m.tree.Set(e)
	case m.one.n == 0:
		m.one = e
	case m.same(m.one, e):
		m.one.n += e.n
	default:
		m.tree = btree.NewBTreeGOptions(m.less, btree.Options{NoLocks: true})
		m.tree.Set(m.one)
		m.tree.Set(e)
		m.one = entry{}
	}
}

// remove removes one copy of e and reports whether there was one. The
// B-tree is dropped when the multiset becomes empty.
func (m *multiset) remove(e entry) bool {
	if m.tree == nil {
		if m.total == 0 || !m.same(m.one, e) {
			return false
		}
		m.one.n--
		m.total--
		if m.total == 0 {
			m.one = entry{}
		}
		return true
	}
	old, ok := m.tree.Get(e)
	if !ok {
		return false
	}
	if old.n == 1 {
		m.tree.Delete(old)
	} else {
		old.n--
		m.tree.Set(old)
	}
	m.total--
	if m.total == 0 {
		m.tree = nil
	}
	return true
}

// first returns the least entry.
func (m *multiset) first() (entry, bool) {
	if m.tree != nil {
		return m.tree.Min()
	}
	return m.one, m.total > 0
}

// last returns the greatest entry.
func (m *multiset) last() (entry, bool) {
	if m.tree != nil {
		return m.tree.Max()
	}
	return m.one, m.total > 0
}

// distinct returns the number of distinct entries.
func (m *multiset) distinct() int {
	switch {
	case m.tree != nil:
		return m.tree.Len()
	case m.total > 0:
		return 1
	}
	return 0
}

// scan calls fn for every distinct entry in order.
func (m *multiset) scan(fn func(e entry) bool) {
	switch {
	case m.tree != nil:
		m.tree.Scan(fn)
	case m.total > 0:
		fn(m.one)
	}
}

func (m *multiset) reset() {
	m.total, m.one, m.tree = 0, entry{}, nil
}
