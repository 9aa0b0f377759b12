package kafka

import (
	"fmt"
	"slices"
	"testing"
	"time"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

func rec(offset int64, key, value string, headers ...string) record {
	r := record{offset: offset, value: []byte(value), headers: pairs(headers)}
	if key != "" {
		r.key = []byte(key)
	}
	return r
}

// postingsOf returns the offsets the index lists for a filter.
func postingsOf(l *partitionLog, f kafkaspec.Filter) []int64 {
	offs, _ := l.candidates(&f)
	return offs
}

func liveOffsets(l *partitionLog) []int64 {
	var out []int64
	for _, e := range l.live() {
		out = append(out, e.offset)
	}
	return out
}

func TestLogEvictsByBytes(t *testing.T) {
	l := newPartitionLog(0, 0, 0, 0, false)
	var sizes int64
	for i := range 100 {
		r := rec(int64(i), fmt.Sprintf("k%d", i%10), "0123456789", "h", fmt.Sprint(i%3))
		sizes += int64(r.size())
		l.append(r, 0)
		l.evict(2000, 0, 0)
	}
	if l.bytes > 2000 || l.bytes <= 0 {
		t.Fatalf("log holds %d bytes, bound 2000", l.bytes)
	}
	live := liveOffsets(l)
	if live[len(live)-1] != 99 || l.start != live[0] || l.next != 100 {
		t.Fatalf("live %v, start %d, next %d", live, l.start, l.next)
	}
	// The index forgets evicted records.
	for _, off := range postingsOf(l, kafkaspec.Filter{Key: []byte("k3")}) {
		if off < l.start {
			t.Errorf("key index still lists evicted offset %d", off)
		}
	}
	if got := postingsOf(l, kafkaspec.Filter{Headers: pairs([]string{"h", "0"})}); len(got) == 0 || got[0] < l.start {
		t.Errorf("header index %v, start %d", got, l.start)
	}
	// An index entry whose records are all evicted is dropped.
	if _, ok := l.index[keyHash([]byte("gone"))]; ok {
		t.Error("index has a key never seen")
	}
	total := 0
	for _, p := range l.index {
		total += len(p.offsets) - p.head
	}
	if want := len(live) * 2; total != want { // one key and one header each
		t.Errorf("index holds %d postings for %d records", total, len(live))
	}
}

func TestLogEvictsByAge(t *testing.T) {
	l := newPartitionLog(0, 0, 0, 0, false)
	base := time.Now().UnixNano()
	for i := range 10 {
		l.append(rec(int64(i), "", "v"), base+int64(i)*int64(time.Second))
	}
	l.evict(1<<30, 3*time.Second, base+10*int64(time.Second))
	if got := liveOffsets(l); !slices.Equal(got, []int64{7, 8, 9}) {
		t.Errorf("after age eviction: %v", got)
	}
}

func TestLogSupersedesOnCompactedTopics(t *testing.T) {
	l := newPartitionLog(0, 0, 0, 0, true)
	l.append(rec(0, "a", "a0", "x", "1"), 0)
	l.append(rec(1, "b", "b0"), 0)
	before := l.bytes
	a1 := rec(2, "a", "a1", "x", "2")
	l.append(a1, 0)
	if e := l.at(0); !e.superseded || e.value != nil {
		t.Fatalf("a0 not superseded: %+v", e)
	}
	if l.bytes >= before+int64(a1.size()) {
		t.Errorf("superseding freed nothing: %d -> %d", before, l.bytes)
	}
	// The superseded record's header is no longer indexed.
	if got := postingsOf(l, kafkaspec.Filter{Headers: pairs([]string{"x", "1"})}); len(got) != 0 {
		t.Errorf("header postings of a superseded record: %v", got)
	}
	// A tombstone supersedes too and stays as the latest for its key.
	l.append(record{offset: 3, key: []byte("b")}, 0)
	if !l.at(1).superseded || l.at(3).superseded {
		t.Error("tombstone handling")
	}
	// Compacting drops the superseded slots and their key postings.
	for i := int64(4); i < 3000; i++ {
		l.append(rec(i, "hot", "v"), 0)
	}
	l.evict(1<<30, 0, 0)
	// What stays: a1, the tombstone of b, the latest hot.
	if got := liveOffsets(l); l.superseded != 0 || !slices.Equal(got, []int64{2, 3, 2999}) {
		t.Fatalf("after compaction: %d superseded, live %v", l.superseded, got)
	}
	if got := postingsOf(l, kafkaspec.Filter{Key: []byte("hot")}); !slices.Equal(got, []int64{2999}) {
		t.Errorf("hot postings after compaction: %v", got)
	}
	var sum int64
	for _, e := range l.live() {
		sum += int64(e.size)
	}
	if sum != l.bytes {
		t.Errorf("accounted %d bytes, entries hold %d", l.bytes, sum)
	}
}

func TestLogIgnoresReplayAndControl(t *testing.T) {
	l := newPartitionLog(0, 5, 5, 10, false)
	l.append(rec(5, "", "x"), 0)
	l.append(rec(5, "", "again"), 0) // a reopened tail replays: ignored
	l.append(record{offset: 6, control: true}, 0)
	if got := liveOffsets(l); !slices.Equal(got, []int64{5}) || l.next != 7 {
		t.Errorf("live %v next %d", got, l.next)
	}
}
