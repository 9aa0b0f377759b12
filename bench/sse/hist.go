package main

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram counts durations in log-linear buckets (16 per power of two,
// so about 4% wide) from 1µs to about 70 s, lock-free.
type histogram struct {
	counts [histBuckets]atomic.Int64
}

const (
	histSub     = 16
	histPowers  = 27 // 2^26 µs = 67 s
	histBuckets = histPowers * histSub
)

func bucketOf(d time.Duration) int {
	us := uint64(max(d.Microseconds(), 1))
	p := bits.Len64(us) - 1 // 2^p <= us
	if p >= histPowers {
		return histBuckets - 1
	}
	sub := 0
	if p >= 4 {
		sub = int((us >> (p - 4)) & (histSub - 1))
	} else {
		sub = int(us<<(4-p)) & (histSub - 1)
	}
	return p*histSub + sub
}

// upper returns a bucket's upper bound.
func upper(b int) time.Duration {
	p, sub := b/histSub, b%histSub
	us := math.Ldexp(1+float64(sub+1)/histSub, p)
	return time.Duration(us * float64(time.Microsecond))
}

func (h *histogram) record(d time.Duration) { h.counts[bucketOf(d)].Add(1) }

// snapshot returns the counts (and clears them when reset).
func (h *histogram) snapshot(reset bool) []int64 {
	out := make([]int64, histBuckets)
	for i := range h.counts {
		if reset {
			out[i] = h.counts[i].Swap(0)
		} else {
			out[i] = h.counts[i].Load()
		}
	}
	return out
}

// latencies summarizes merged counts.
type latencies struct {
	n             int64
	p50, p99, max time.Duration
}

func summarize(counts []int64) latencies {
	var l latencies
	for _, c := range counts {
		l.n += c
	}
	if l.n == 0 {
		return l
	}
	at := func(q float64) time.Duration {
		want := int64(math.Ceil(q * float64(l.n)))
		var seen int64
		for b, c := range counts {
			seen += c
			if seen >= want {
				return upper(b)
			}
		}
		return upper(len(counts) - 1)
	}
	l.p50, l.p99 = at(0.50), at(0.99)
	for b := len(counts) - 1; b >= 0; b-- {
		if counts[b] > 0 {
			l.max = upper(b)
			break
		}
	}
	return l
}

func merge(into, from []int64) {
	for i := range from {
		into[i] += from[i]
	}
}
