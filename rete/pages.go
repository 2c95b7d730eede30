package rete

// pages is an array that grows by whole pages: growing never copies what
// is there, so a single insert never pays for moving a large array, and
// the memory kept is at most one page more than needed.
type pages[T any] struct {
	p [][]T
}

const (
	pageBits = 12
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
)

// at returns element i, which must be below the size.
func (a *pages[T]) at(i uint32) *T { return &a.p[i>>pageBits][i&pageMask] }

// get returns element i, or the zero T beyond the size.
func (a *pages[T]) get(i uint32) T {
	if p := int(i >> pageBits); p < len(a.p) {
		if page := a.p[p]; int(i&pageMask) < len(page) {
			return page[i&pageMask]
		}
	}
	var zero T
	return zero
}

// ensure grows the array to hold at least n elements (zero when new). The
// first page grows by doubling, so that small arrays stay small.
func (a *pages[T]) ensure(n uint32) {
	if len(a.p) <= 1 && n <= pageSize {
		if len(a.p) == 0 {
			a.p = append(a.p, nil)
		}
		if have := uint32(len(a.p[0])); have < n {
			a.p[0] = append(a.p[0], make([]T, min(max(n, 2*have, 16), pageSize)-have)...)
		}
		return
	}
	if len(a.p) == 1 && len(a.p[0]) < pageSize {
		a.p[0] = append(a.p[0], make([]T, pageSize-len(a.p[0]))...)
	}
	for uint64(len(a.p))<<pageBits < uint64(n) {
		a.p = append(a.p, make([]T, pageSize))
	}
}

// set stores v at i, growing the array as needed.
func (a *pages[T]) set(i uint32, v T) {
	a.ensure(i + 1)
	*a.at(i) = v
}

// rowPages stores a row of n codes per slot, rowsPerPage rows per page.
type rowPages struct {
	n int // codes per row
	p [][]uint64
}

const rowsPerPage = 1024

// row returns the codes of slot s, which must be below the size.
func (r *rowPages) row(s uint32) []uint64 {
	i := int(s%rowsPerPage) * r.n
	return r.p[s/rowsPerPage][i : i+r.n : i+r.n]
}

// ensure grows the storage to hold at least n rows. The first page grows
// by doubling.
func (r *rowPages) ensure(n uint32) {
	if len(r.p) <= 1 && n <= rowsPerPage {
		if len(r.p) == 0 {
			r.p = append(r.p, nil)
		}
		if have := len(r.p[0]) / max(r.n, 1); have < int(n) {
			rows := min(max(int(n), 2*have, 16), rowsPerPage)
			r.p[0] = append(r.p[0], make([]uint64, (rows-have)*r.n)...)
		}
		return
	}
	if len(r.p) == 1 && len(r.p[0]) < rowsPerPage*r.n {
		r.p[0] = append(r.p[0], make([]uint64, rowsPerPage*r.n-len(r.p[0]))...)
	}
	for len(r.p)*rowsPerPage < int(n) {
		r.p = append(r.p, make([]uint64, rowsPerPage*r.n))
	}
}
