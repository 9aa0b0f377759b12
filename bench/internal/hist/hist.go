// Package hist is a latency histogram in the manner of HdrHistogram:
// buckets exact below 32 µs, then 32 per power of two (each about 3 %
// wide) up to about 2 minutes, recorded lock-free, mergeable across
// processes as a slice of counts.
//
// A fixed-rate load generator avoids coordinated omission by timing each
// operation from when it was due, not from when it was sent: a generator
// that falls behind then reports the wait it caused instead of hiding it
// (bench/internal/sse stamps each record with its due time for that).
package hist

import (
	"math/bits"
	"sync/atomic"
	"time"
)

const (
	subBits = 5
	sub     = 1 << subBits // buckets per power of two
	powers  = 27           // 2^27 µs, about 134 s
	// Buckets is the length of a histogram's counts.
	Buckets = (powers - subBits + 2) * sub
)

// Histogram counts durations with microsecond resolution.
type Histogram struct {
	counts [Buckets]atomic.Int64
}

// bucket returns the bucket of a duration in microseconds.
func bucket(us uint64) int {
	if us < sub {
		return int(us)
	}
	p := bits.Len64(us) - 1 // 2^p <= us
	if p >= powers {
		return Buckets - 1
	}
	mantissa := us >> (p - subBits) // in [sub, 2*sub)
	return (p-subBits+1)*sub + int(mantissa) - sub
}

// Upper returns the highest duration bucket b holds.
func Upper(b int) time.Duration {
	if b < sub {
		return time.Duration(b) * time.Microsecond
	}
	k := b / sub // >= 1
	m := uint64(b%sub + sub)
	return time.Duration((m+1)<<(k-1)-1) * time.Microsecond
}

// Record counts one duration.
func (h *Histogram) Record(d time.Duration) {
	h.counts[bucket(uint64(max(d.Microseconds(), 0)))].Add(1)
}

// Snapshot returns the counts, and clears them when reset is set.
func (h *Histogram) Snapshot(reset bool) []int64 {
	out := make([]int64, Buckets)
	for i := range h.counts {
		if reset {
			out[i] = h.counts[i].Swap(0)
		} else {
			out[i] = h.counts[i].Load()
		}
	}
	return out
}

// Merge adds the counts from into into.
func Merge(into, from []int64) {
	for i := range from {
		into[i] += from[i]
	}
}

// Summary is what a histogram's counts say.
type Summary struct {
	N             int64
	P50, P99, Max time.Duration
}

// Quantile returns the duration at quantile q (0..1) of counts.
func Quantile(counts []int64, q float64) time.Duration {
	var n int64
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return 0
	}
	want := max(int64(q*float64(n)+0.999999), 1)
	var seen int64
	for b, c := range counts {
		if seen += c; seen >= want {
			return Upper(b)
		}
	}
	return Upper(len(counts) - 1)
}

// Summarize returns the count, median, 99th percentile and maximum.
func Summarize(counts []int64) Summary {
	s := Summary{P50: Quantile(counts, 0.50), P99: Quantile(counts, 0.99)}
	for b := len(counts) - 1; b >= 0; b-- {
		if counts[b] > 0 && s.Max == 0 {
			s.Max = Upper(b)
		}
		s.N += counts[b]
	}
	return s
}
