package ssekafka_test

import (
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// These tests open fetches on the kafka cache directly. The first two pin
// cache behaviour sse-kafka relies on for exact resumes and live starts
// (it also drops records below the position it asked for, see
// proxy.belowFloor, in case an exit places a reader earlier). The others
// pin what sse-kafka relies on to bound what an idle or slow client costs.

// fetchCollector opens a merged fetch on a binding and keeps the offsets of
// the records it gets.
type fetchCollector struct {
	window  int // granted once; 0: 1 MiB, replenished as data arrives
	padding int // the padding stated with the window granted once
	mu      sync.Mutex
	offsets []int64
}

func (fc *fetchCollector) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		if fc.window > 0 {
			s.WindowPadded(fc.window, fc.padding)
		} else {
			s.Window(1 << 20)
		}
	case engine.DataFrame:
		if ex, ok := f.Ext.(*kafkaspec.DataEx); ok {
			fc.mu.Lock()
			fc.offsets = append(fc.offsets, ex.Offset)
			fc.mu.Unlock()
		}
		if fc.window == 0 {
			s.Window(len(f.Payload))
		}
	}
}

func (fc *fetchCollector) first(t *testing.T) int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fc.mu.Lock()
		if len(fc.offsets) > 0 {
			o := fc.offsets[0]
			fc.mu.Unlock()
			return o
		}
		fc.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("no record fetched")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fetchDirect(t *testing.T, e *engine.Engine, begin *kafkaspec.BeginEx) *fetchCollector {
	t.Helper()
	fc := &fetchCollector{}
	exec := engine.NewExecutor()
	var s *engine.Stream
	var err error
	exec.Execute(func() { s, err = e.Open("test:cache0", exec, fc, engine.Frame{Ext: begin}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Execute(func() { s.Terminate(nil) }) })
	return fc
}

// TestCacheResumeAheadOfTail: a fetch asking to start at offset 30 of a
// topic whose cache is cold (its tail still at the start) gets records
// from offset 30, not from where the tail stands.
func TestCacheResumeAheadOfTail(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 1)
	produce(t, kafkaClient(t, addr), topic, numbered("v", 0, 60)...)
	in := start(t, addr, pipelineYAML("", ""), 1)
	fc := fetchDirect(t, in.e, &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic,
		Partitions: []kafkaspec.PartitionOffset{{Partition: 0, Offset: 30}}})
	if o := fc.first(t); o != 30 {
		t.Errorf("first record at offset %d, want 30", o)
	}
}

// TestCacheLiveOnColdCache: a live fetch on a cold cache gets only what is
// written after it began, not the history the tail is still fetching.
func TestCacheLiveOnColdCache(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 1)
	cl := kafkaClient(t, addr)
	produce(t, cl, topic, numbered("v", 0, 60)...)
	in := start(t, addr, pipelineYAML("", ""), 1)
	fc := fetchDirect(t, in.e, &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic, Default: kafkaspec.StartLive})
	time.Sleep(200 * time.Millisecond)
	produce(t, cl, topic, rec("k", "after"))
	if o := fc.first(t); o != 60 {
		t.Errorf("first record at offset %d, want 60 (the first written after the fetch began)", o)
	}
}

// TestCacheTombstonesFollowCredit: tombstones have no value, so only the
// receiver's padding makes them cost credit (sse-kafka turns each into an
// event:delete carrying the key, which does need the client's credit). A
// reader granted 1000 bytes with a padding of 100 gets 10 of the 2000
// tombstones the cache holds, not all of them.
func TestCacheTombstonesFollowCredit(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 1)
	var recs []record
	for i := range 2000 {
		recs = append(recs, record{key: []byte("k" + strconv.Itoa(i))})
	}
	produce(t, kafkaClient(t, addr), topic, recs...)
	in := start(t, addr, pipelineYAML("", ""), 1)
	fc := &fetchCollector{window: 1000, padding: 100}
	exec := engine.NewExecutor()
	var s *engine.Stream
	var err error
	exec.Execute(func() {
		s, err = in.e.Open("test:cache0", exec, fc, engine.Frame{Ext: &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic}})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Execute(func() { s.Terminate(nil) }) })
	count := func() int {
		time.Sleep(500 * time.Millisecond)
		fc.mu.Lock()
		defer fc.mu.Unlock()
		return len(fc.offsets)
	}
	if n := count(); n != 10 {
		t.Fatalf("a reader with 1000 bytes of credit at a padding of 100 got %d tombstones, want 10", n)
	}
	// The stream goes on when credit comes back (it was not failed for
	// sending beyond its window).
	exec.Execute(func() { s.Window(500) })
	if n := count(); n != 15 {
		t.Fatalf("after 500 bytes more credit the reader has %d tombstones, want 15", n)
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if tail := fc.offsets[len(fc.offsets)-1]; tail != 14 {
		t.Errorf("last tombstone at offset %d, want 14", tail)
	}
}

// TestCacheReaderIdleAfterReplay: a cache reader that read a batch of
// records (64) lets the batch go once idle, rather than keep about 9.7 KB
// per reader, most of what an idle event stream would cost after a replay.
func TestCacheReaderIdleAfterReplay(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 1)
	produce(t, kafkaClient(t, addr), topic, numbered("v", 0, 100)...)
	in := start(t, addr, pipelineYAML("", ""), 1)
	// Warm the cache with one reader, then measure 500 more.
	fetchDirect(t, in.e, &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic}).waitFor(t, 100)
	before := heapInuse()
	const readers = 500
	for range readers {
		fetchDirect(t, in.e, &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic}).waitFor(t, 100)
	}
	per := (heapInuse() - before) / readers
	t.Logf("an idle reader after a replay of 100 records holds %d bytes (test opener included)", per)
	if per > 4096 {
		t.Errorf("an idle cache reader holds %d bytes after a replay", per)
	}
}

func (fc *fetchCollector) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fc.mu.Lock()
		got := len(fc.offsets)
		fc.mu.Unlock()
		if got >= n {
			fc.mu.Lock()
			fc.offsets = nil // what the test holds is not the reader's
			fc.mu.Unlock()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d records fetched", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func heapInuse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}
