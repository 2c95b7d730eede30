package rulelang

import "testing"

func TestSlab(t *testing.T) {
	var s slab[int]
	seen := make(map[*int]bool)
	for i := 0; i < 10000; i++ {
		p := s.new()
		if *p != 0 || seen[p] {
			t.Fatalf("allocation %d: value %d, reused %v", i, *p, seen[p])
		}
		*p = i + 1
		seen[p] = true
	}
	if want := maxChunkBytes / 8; s.last != want {
		t.Fatalf("chunk length %d after 10000 allocations, want %d", s.last, want)
	}

	var ss sliceSlab[int]
	a := ss.take([]int{1, 2, 3})
	b := ss.alloc(2)
	if len(a) != 3 || cap(a) != 3 || a[2] != 3 || len(b) != 2 || cap(b) != 2 || b[0] != 0 {
		t.Fatalf("a=%v (cap %d) b=%v (cap %d)", a, cap(a), b, cap(b))
	}
	b = append(b, 9) // must not overwrite a neighbour
	if c := ss.alloc(1); c[0] != 0 {
		t.Fatalf("append to a slab slice wrote into the next one")
	}
	if ss.take(nil) != nil || ss.alloc(0) != nil {
		t.Fatal("empty slices must be nil")
	}
	big := ss.alloc(5000)
	if len(big) != 5000 {
		t.Fatalf("big allocation has length %d", len(big))
	}
}

func TestSliceSlabOpen(t *testing.T) {
	var s sliceSlab[int]
	var got [][]int
	for n := 0; n < 3000; n += 7 {
		s.open()
		for i := 0; i < n; i++ {
			*s.push() = n + i
		}
		x := s.close()
		if len(x) != n || cap(x) != n || (n == 0) != (x == nil) {
			t.Fatalf("slice of %d: len %d cap %d", n, len(x), cap(x))
		}
		got = append(got, x)
		// An abandoned slice must not disturb the next ones.
		s.open()
		*s.push() = -1
	}
	for k, x := range got {
		for i, v := range x {
			if v != 7*k+i {
				t.Fatalf("slice %d element %d is %d, want %d", k, i, v, 7*k+i)
			}
		}
	}
}
