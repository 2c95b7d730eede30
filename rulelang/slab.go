package rulelang

import "unsafe"

// The parser and the checker allocate their most frequent nodes in chunks:
// a large program makes millions of small nodes, and allocating them one by
// one dominates the cost of parsing. A chunk stays alive while any node in
// it does, which suits syntax trees and programs, whose nodes live and die
// together. Chunks start small and double up to a limit, so that a short
// input does not pay for large chunks.

// Chunks stay within the runtime's small object size (32 KiB), which the
// allocator serves from per-processor caches without zeroing fresh pages
// again, where larger ones take the page heap's slower path.
const (
	firstChunk    = 8
	maxChunkBytes = 32 << 10
)

// chunkLen returns the length of the chunk to allocate after one of length
// last, for elements of the given size.
func chunkLen(last int, size uintptr) int {
	return min(max(2*last, firstChunk), max(int(maxChunkBytes/size), 1))
}

// slab hands out pointers to zeroed values cut from shared chunks. It
// advances an index rather than reslicing the chunk, so that handing out a
// value writes no pointer (and takes no write barrier while the garbage
// collector runs).
type slab[T any] struct {
	buf  []T
	next int // index of the next free value in buf
	last int // size of the last chunk
}

func (s *slab[T]) new() *T {
	if s.next >= len(s.buf) {
		s.last = chunkLen(s.last, unsafe.Sizeof(*new(T)))
		s.buf = make([]T, s.last)
		s.next = 0
	}
	x := &s.buf[s.next]
	s.next++
	return x
}

// sliceSlab hands out short slices cut from shared chunks.
type sliceSlab[T any] struct {
	buf   []T
	next  int // index of the first free element in buf
	last  int // size of the last chunk
	start int // index of the open slice's first element (see open)
}

// alloc returns a zeroed slice of length n with len == cap, or nil when n
// is 0.
func (s *sliceSlab[T]) alloc(n int) []T {
	if n == 0 {
		return nil
	}
	if len(s.buf)-s.next < n {
		s.last = chunkLen(s.last, unsafe.Sizeof(*new(T)))
		s.buf = make([]T, max(s.last, n))
		s.next = 0
	}
	out := s.buf[s.next : s.next+n : s.next+n]
	s.next += n
	return out
}

// take returns a copy of x with len == cap, or nil when x is empty.
func (s *sliceSlab[T]) take(x []T) []T {
	out := s.alloc(len(x))
	copy(out, x)
	return out
}

// open starts a slice built element by element with push and ended with
// close, in place at the end of the current chunk. Only one slice may be
// open at a time; a slice left open is abandoned by the next open.
func (s *sliceSlab[T]) open() { s.start = s.next }

// push appends a zeroed element to the open slice and returns it. The
// pointer is valid until the next push, which may move the slice to a new
// chunk.
func (s *sliceSlab[T]) push() *T {
	if s.next >= len(s.buf) {
		n := s.next - s.start
		s.last = chunkLen(s.last, unsafe.Sizeof(*new(T)))
		buf := make([]T, max(s.last, 2*n))
		copy(buf, s.buf[s.start:s.next])
		// Drop the old chunk's references to the moved elements.
		clear(s.buf[s.start:s.next])
		s.buf, s.start, s.next = buf, 0, n
	}
	x := &s.buf[s.next]
	s.next++
	return x
}

// close ends the open slice and returns it with len == cap, or nil when it
// is empty.
func (s *sliceSlab[T]) close() []T {
	if s.next == s.start {
		return nil
	}
	return s.buf[s.start:s.next:s.next]
}
