package hist

import (
	"testing"
	"time"
)

func TestBucketsHoldTheirValues(t *testing.T) {
	for _, us := range []uint64{0, 1, 31, 32, 33, 63, 64, 65, 100, 1000, 12345, 1 << 20, 99_999_999} {
		b := bucket(us)
		if b < 0 || b >= Buckets {
			t.Fatalf("bucket(%d) = %d out of range", us, b)
		}
		up := uint64(Upper(b) / time.Microsecond)
		if up < us {
			t.Errorf("%d µs falls in bucket %d whose upper bound is %d µs", us, b, up)
		}
		if b > 0 {
			if low := uint64(Upper(b-1)/time.Microsecond) + 1; low > us {
				t.Errorf("%d µs falls in bucket %d, which starts at %d µs", us, b, low)
			}
		}
		if us >= 32 && float64(up-us) > 0.04*float64(us) {
			t.Errorf("bucket of %d µs is %d µs wide: more than 3 %%", us, up-us)
		}
	}
}

func TestSummarize(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	s := Summarize(h.Snapshot(true))
	if s.N != 1000 {
		t.Errorf("n %d", s.N)
	}
	near := func(got, want time.Duration) bool { return got >= want && float64(got-want) <= 0.04*float64(want) }
	if !near(s.P50, 500*time.Millisecond) || !near(s.P99, 990*time.Millisecond) || !near(s.Max, time.Second) {
		t.Errorf("p50 %v p99 %v max %v", s.P50, s.P99, s.Max)
	}
	if again := Summarize(h.Snapshot(false)); again.N != 0 {
		t.Errorf("snapshot with reset left %d", again.N)
	}
	merged := make([]int64, Buckets)
	var a, b Histogram
	a.Record(time.Millisecond)
	b.Record(3 * time.Millisecond)
	Merge(merged, a.Snapshot(false))
	Merge(merged, b.Snapshot(false))
	if s := Summarize(merged); s.N != 2 || s.Max < 3*time.Millisecond {
		t.Errorf("merged %+v", s)
	}
}
