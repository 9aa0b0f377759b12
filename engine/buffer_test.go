package engine

import "testing"

func TestBufferClasses(t *testing.T) {
	for _, c := range []struct{ ask, cap int }{{1, 2048}, {2048, 2048}, {2049, 4096}, {65536, 65536}, {70000, 70000}} {
		if b := NewBuffer(c.ask); cap(b) != c.cap || len(b) != c.cap {
			t.Errorf("NewBuffer(%d): len %d cap %d, want %d", c.ask, len(b), cap(b), c.cap)
		}
	}
}

func TestRecycleReuses(t *testing.T) {
	b := NewBuffer(8192)
	b[0] = 42
	Recycle(b)
	// sync.Pool may drop entries, so reuse is likely rather than certain;
	// what must hold is that a reused buffer has the full class size.
	for i := 0; i < 10; i++ {
		c := NewBuffer(8192)
		if cap(c) != 8192 || len(c) != 8192 {
			t.Fatalf("reused buffer len %d cap %d", len(c), cap(c))
		}
		Recycle(c)
	}
	Recycle(make([]byte, 100))     // not a class: ignored
	Recycle(make([]byte, 3, 5000)) // not a class: ignored
}

func BenchmarkNewBufferRecycle(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Recycle(NewBuffer(64 << 10))
	}
}
