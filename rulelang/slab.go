package rulelang

// The parser and the checker allocate their most frequent nodes in chunks:
// a large program makes millions of small nodes, and allocating them one by
// one dominates the cost of parsing. A chunk stays alive while any node in
// it does, which suits syntax trees and programs, whose nodes live and die
// together. Chunks start small and double up to a limit, so that a short
// input does not pay for large chunks.

const (
	firstChunk = 8
	maxChunk   = 1024
)

func nextChunk(last int) int {
	return min(max(2*last, firstChunk), maxChunk)
}

// slab hands out pointers to zeroed values cut from shared chunks.
type slab[T any] struct {
	buf  []T
	last int // size of the last chunk
}

func (s *slab[T]) new() *T {
	if len(s.buf) == 0 {
		s.last = nextChunk(s.last)
		s.buf = make([]T, s.last)
	}
	x := &s.buf[0]
	s.buf = s.buf[1:]
	return x
}

// sliceSlab hands out short slices cut from shared chunks.
type sliceSlab[T any] struct {
	buf  []T
	last int // size of the last chunk
}

// alloc returns a zeroed slice of length n with len == cap, or nil when n
// is 0.
func (s *sliceSlab[T]) alloc(n int) []T {
	if n == 0 {
		return nil
	}
	if len(s.buf) < n {
		s.last = nextChunk(s.last)
		s.buf = make([]T, max(s.last, n))
	}
	out := s.buf[:n:n]
	s.buf = s.buf[n:]
	return out
}

// take returns a copy of x with len == cap, or nil when x is empty.
func (s *sliceSlab[T]) take(x []T) []T {
	out := s.alloc(len(x))
	copy(out, x)
	return out
}
