package engine

import (
	"math/bits"
	"sync"
	"unsafe"
)

// FlagPooled marks a Data frame whose payload is a whole buffer from
// NewBuffer, owned by nobody but the frame's receiver. The receiver may
// forward the frame as it is (the flag travels with it), or, once it no
// longer needs the bytes, give the buffer back with Recycle: the tcp writer
// does so after the socket took them, so a tcp -> echo -> tcp pipeline moves
// bulk data without allocating.
//
// A binding that keeps any part of such a payload, forwards only part of
// it, or sends it more than once must not pass the flag on.
const FlagPooled uint8 = 0x80

const (
	minPooled = 2 << 10
	maxPooled = 64 << 10
)

// pools holds free buffers by size class (2 KiB to 64 KiB, powers of two).
// Entries are pointers to the first byte, so Get and Put do not allocate.
var pools [6]sync.Pool // 2, 4, 8, 16, 32 and 64 KiB

func poolClass(size int) (int, bool) {
	if size < minPooled || size > maxPooled || size&(size-1) != 0 {
		return 0, false
	}
	return bits.Len(uint(size)) - bits.Len(minPooled), true
}

// NewBuffer returns a buffer of at least size bytes (len and cap rounded
// up to a power of two between 2 KiB and 64 KiB), reused from earlier
// Recycle calls when one is free. Larger sizes are plain allocations.
func NewBuffer(size int) []byte {
	class := minPooled
	for class < size {
		class <<= 1
	}
	i, ok := poolClass(class)
	if !ok {
		return make([]byte, size)
	}
	if p, _ := pools[i].Get().(*byte); p != nil {
		return unsafe.Slice(p, class)
	}
	return make([]byte, class)
}

// Recycle gives a buffer from NewBuffer back for reuse. The caller must be
// its only holder and must not touch it afterwards. Buffers that are not
// whole pool classes are left to the garbage collector.
func Recycle(b []byte) {
	i, ok := poolClass(cap(b))
	if !ok {
		return
	}
	pools[i].Put(unsafe.SliceData(b[:1]))
}
