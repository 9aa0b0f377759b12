package kafka

import (
	"slices"
	"sync"
	"time"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// tailWindow is the credit the cache grants its tail: the cache always
// takes what arrives (eviction bounds it), so the window only has to
// cover a few of the largest records in flight.
const tailWindow = 8 << 20

// topicCache is the cache of one topic: one fetch stream to the exit (the
// tail) fills a partitionLog per partition, and any number of readers
// read them. It is the one place where the cache's concurrency is
// handled: the tail runs on the cache's own Executor, readers on theirs,
// and both take mu only to touch the logs and the waiter sets, never while
// sending a frame. Readers that have read everything wait in a waiter set
// chosen by their filters, and the tail wakes only those a new record may
// concern, with Stream.Go.
type topicCache struct {
	cs    *cacheServer
	topic string
	exit  *engine.Exit
	exec  *engine.Executor

	mu        sync.Mutex
	cfg       topicConfig
	parts     []*partitionLog // by partition id, once the tail has begun
	compacted bool
	ready     bool
	caughtUp  bool // the tail reached the end Kafka had when it began
	failure   *kafkaspec.ErrorEx
	pending   []*cacheReader // waiting for the tail to begin
	readers   int
	closed    bool
	idle      *time.Timer
	ager      *time.Timer

	// Waiters: readers that have read all there is, woken by new records
	// they may want (all of them, or by key/header hash), or by the tail
	// catching up.
	waitAll     map[*cacheReader]struct{}
	waitBy      map[uint64]map[*cacheReader]struct{}
	waitCatchUp map[*cacheReader]struct{}
	toWake      []*cacheReader
	wakeQueued  bool

	// Tail state, owned by exec.
	tail     *engine.Stream
	attempts int
	frag     *record // a record arriving in fragments
}

func newTopicCache(cs *cacheServer, topic string, exit *engine.Exit, cfg topicConfig) *topicCache {
	return &topicCache{cs: cs, topic: topic, exit: exit, cfg: cfg, exec: engine.NewExecutor(),
		waitAll: map[*cacheReader]struct{}{}, waitBy: map[uint64]map[*cacheReader]struct{}{},
		waitCatchUp: map[*cacheReader]struct{}{}}
}

// startTail opens the tail on the cache's Executor, off the caller's
// goroutine.
func (tc *topicCache) startTail() { tc.exec.Go(tc.openTail) }

// openTail opens (or reopens, from where the cache stands) the fetch
// stream that fills the cache.
func (tc *topicCache) openTail() {
	tc.mu.Lock()
	if tc.closed {
		tc.mu.Unlock()
		return
	}
	begin := &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: tc.topic, Default: kafkaspec.StartHistorical}
	if tc.cfg.live {
		begin.Default = kafkaspec.StartLive
	}
	for _, p := range tc.parts {
		begin.Partitions = append(begin.Partitions, kafkaspec.PartitionOffset{Partition: p.id, Offset: p.next})
	}
	tc.mu.Unlock()
	s, err := tc.exit.Open(tc.exec, engine.ReceiverFunc(tc.receive), engine.Frame{Ext: begin})
	if err != nil {
		tc.tailFailed(errorEx(err))
		return
	}
	tc.tail, tc.frag = s, nil
	s.Window(tailWindow)
}

// receive takes the tail's frames.
func (tc *topicCache) receive(s *engine.Stream, f *engine.Frame) {
	if s != tc.tail {
		s.Terminate(nil) // a tail replaced after a failure
		return
	}
	switch f.Type {
	case engine.BeginFrame:
		ex, _ := f.Ext.(*kafkaspec.ReplyBeginEx)
		if ex == nil {
			s.Terminate(nil)
			tc.tailFailed(&kafkaspec.ErrorEx{Code: kafkaspec.CodeUnknown, Message: "cache tail began without partitions"})
			return
		}
		tc.begun(ex)
	case engine.DataFrame:
		tc.data(f)
		s.Window(len(f.Payload))
	case engine.FlushFrame:
		if ex, ok := f.Ext.(*kafkaspec.FlushEx); ok && ex.CaughtUp {
			tc.mu.Lock()
			tc.caughtUp = true
			tc.attempts = 0
			for r := range tc.waitCatchUp {
				tc.wakeLocked(r)
			}
			tc.mu.Unlock()
			tc.queueWakes()
		}
	case engine.EndFrame, engine.AbortFrame, engine.ResetFrame:
		ex, _ := f.Ext.(*kafkaspec.ErrorEx)
		if ex == nil {
			ex = &kafkaspec.ErrorEx{Code: kafkaspec.CodeUnknown, Retriable: true, Message: "cache tail ended"}
		}
		s.Terminate(nil)
		tc.tail = nil
		tc.tailFailed(ex)
	}
}

// begun sets up the partitions (new ones only, on a reopened tail) and
// starts the readers waiting for them.
func (tc *topicCache) begun(ex *kafkaspec.ReplyBeginEx) {
	tc.mu.Lock()
	tc.compacted = ex.Compacted
	for _, ps := range ex.Partitions {
		if tc.part(ps.Partition) == nil {
			tc.parts = append(tc.parts, newPartitionLog(ps.Partition, ps.Start, ps.Earliest, ps.Latest, ex.Compacted))
		}
	}
	slices.SortFunc(tc.parts, func(a, b *partitionLog) int { return int(a.id) - int(b.id) })
	tc.ready, tc.failure = true, nil
	pending := tc.pending
	tc.pending = nil
	if tc.cfg.maxAge > 0 && tc.ager == nil {
		tc.ager = time.AfterFunc(ageCheckInterval(tc.cfg.maxAge), tc.age)
	}
	tc.mu.Unlock()
	for _, r := range pending {
		r.s.Go(r.start)
	}
}

// part returns a partition's log; mu held.
func (tc *topicCache) part(id int32) *partitionLog {
	if int(id) < len(tc.parts) && id >= 0 && tc.parts[id].id == id {
		return tc.parts[id] // partitions 0..n-1, the usual case
	}
	i, ok := slices.BinarySearchFunc(tc.parts, id, func(p *partitionLog, id int32) int { return int(p.id) - int(id) })
	if !ok {
		return nil
	}
	return tc.parts[i]
}

// data appends a record from the tail, assembling fragments.
func (tc *topicCache) data(f *engine.Frame) {
	if f.Flags&engine.FlagInit != 0 {
		ex, _ := f.Ext.(*kafkaspec.DataEx)
		if ex == nil {
			return
		}
		r := record{partition: ex.Partition, offset: ex.Offset, timestamp: ex.Timestamp, key: ex.Key, headers: ex.Headers}
		if !ex.Tombstone {
			r.value = f.Payload
			if r.value == nil {
				r.value = []byte{}
			}
		}
		if f.Flags&engine.FlagFin == 0 {
			r.value = append(make([]byte, 0, len(f.Payload)+ex.Deferred), f.Payload...)
			tc.frag = &r
			return
		}
		tc.append(r)
		return
	}
	if tc.frag == nil {
		return
	}
	tc.frag.value = append(tc.frag.value, f.Payload...)
	if f.Flags&engine.FlagFin != 0 {
		r := *tc.frag
		tc.frag = nil
		tc.append(r)
	}
}

// append adds a record, enforces the bounds and wakes the readers it
// concerns.
func (tc *topicCache) append(r record) {
	now := time.Now().UnixNano()
	tc.mu.Lock()
	l := tc.part(r.partition)
	if l == nil {
		tc.mu.Unlock()
		return
	}
	bytes, entries := l.bytes, len(l.live())
	l.append(r, now)
	l.evict(tc.cfg.maxBytes, tc.cfg.maxAge, now)
	tc.cs.bytes.Add(l.bytes - bytes)
	tc.cs.entries.Add(int64(len(l.live()) - entries))
	for w := range tc.waitAll {
		tc.wakeLocked(w)
	}
	if len(tc.waitBy) > 0 {
		if r.key != nil {
			tc.wakeHash(keyHash(r.key))
		}
		for _, h := range r.headers {
			tc.wakeHash(headerHash(h.Name, h.Value))
		}
	}
	tc.mu.Unlock()
	tc.queueWakes()
}

func (tc *topicCache) wakeHash(h uint64) {
	for w := range tc.waitBy[h] {
		tc.wakeLocked(w)
	}
}

// unwait removes a reader from the waiter sets; mu held.
func (tc *topicCache) unwait(r *cacheReader) {
	if !r.waiting {
		return
	}
	r.waiting = false
	delete(tc.waitAll, r)
	delete(tc.waitCatchUp, r)
	for _, h := range r.wakeOn {
		if set := tc.waitBy[h]; set != nil {
			delete(set, r)
			if len(set) == 0 {
				delete(tc.waitBy, h)
			}
		}
	}
}

// wakeLocked moves a waiter to the wake list; mu held.
func (tc *topicCache) wakeLocked(r *cacheReader) {
	tc.unwait(r)
	tc.toWake = append(tc.toWake, r)
}

// queueWakes wakes the readers collected, once the tail's Executor has
// run what is queued on it: a burst of records wakes each reader once.
func (tc *topicCache) queueWakes() {
	tc.mu.Lock()
	if tc.wakeQueued || len(tc.toWake) == 0 {
		tc.mu.Unlock()
		return
	}
	tc.wakeQueued = true
	tc.mu.Unlock()
	tc.exec.Execute(tc.wake)
}

func (tc *topicCache) wake() {
	tc.mu.Lock()
	readers := tc.toWake
	tc.toWake, tc.wakeQueued = nil, false
	tc.mu.Unlock()
	tc.cs.wakers.wake(readers)
}

// tailFailed handles the end of the tail: readers waiting for a first
// begin get the error, and the tail is reopened after a backoff.
func (tc *topicCache) tailFailed(ex *kafkaspec.ErrorEx) {
	tc.mu.Lock()
	tc.attempts++
	attempts, ready, closed := tc.attempts, tc.ready, tc.closed
	var pending []*cacheReader
	if !ready {
		tc.failure = ex
		pending, tc.pending = tc.pending, nil
	}
	tc.mu.Unlock()
	if closed {
		return
	}
	tc.cs.log.Warn("kafka cache fetch failed", "topic", tc.topic, "error", ex.Message, "attempt", attempts)
	for _, r := range pending {
		r.s.Go(func() { r.fail(ex) })
	}
	if !ready && !tc.keep() {
		tc.cs.forget(tc) // the next reader tries afresh
		tc.close()
		return
	}
	time.AfterFunc(backoff(attempts), func() { tc.exec.Execute(tc.openTail) })
}

// keep reports whether the cache stays without readers.
func (tc *topicCache) keep() bool {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.cfg.bootstrap || tc.readers > 0
}

// attach counts a reader in; it begins at once when the tail is ready,
// fails when the tail could not begin, or waits.
func (tc *topicCache) attach(r *cacheReader) {
	tc.mu.Lock()
	tc.readers++
	if tc.idle != nil {
		tc.idle.Stop()
		tc.idle = nil
	}
	ready, failure := tc.ready, tc.failure
	if !ready && failure == nil {
		tc.pending = append(tc.pending, r)
	}
	tc.mu.Unlock()
	switch {
	case ready:
		r.start()
	case failure != nil:
		r.fail(failure)
	}
}

// detach counts a reader out; a topic without readers is dropped after a
// while unless it is a bootstrap topic.
func (tc *topicCache) detach(r *cacheReader) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.unwait(r)
	tc.pending = slices.DeleteFunc(tc.pending, func(p *cacheReader) bool { return p == r })
	tc.readers--
	if tc.readers == 0 && !tc.cfg.bootstrap && !tc.closed {
		tc.idle = time.AfterFunc(idleTopicTimeout, tc.expire)
	}
}

// expire drops a topic that stayed unread.
func (tc *topicCache) expire() {
	tc.mu.Lock()
	unread := tc.readers == 0 && !tc.cfg.bootstrap
	tc.mu.Unlock()
	if unread {
		tc.cs.forget(tc)
		tc.close()
	}
}

// age evicts entries older than the topic's maxAge, periodically.
func (tc *topicCache) age() {
	now := time.Now().UnixNano()
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.closed {
		return
	}
	for _, l := range tc.parts {
		bytes, entries := l.bytes, len(l.live())
		l.evict(tc.cfg.maxBytes, tc.cfg.maxAge, now)
		tc.cs.bytes.Add(l.bytes - bytes)
		tc.cs.entries.Add(int64(len(l.live()) - entries))
	}
	tc.ager = time.AfterFunc(ageCheckInterval(tc.cfg.maxAge), tc.age)
}

func ageCheckInterval(maxAge time.Duration) time.Duration {
	return min(max(maxAge/10, 100*time.Millisecond), 10*time.Second)
}

// close stops the tail and releases the memory.
func (tc *topicCache) close() {
	tc.mu.Lock()
	if tc.closed {
		tc.mu.Unlock()
		return
	}
	tc.closed = true
	for _, l := range tc.parts {
		tc.cs.bytes.Add(-l.bytes)
		tc.cs.entries.Add(-int64(len(l.live())))
	}
	tc.parts = nil
	if tc.ager != nil {
		tc.ager.Stop()
	}
	if tc.idle != nil {
		tc.idle.Stop()
	}
	tc.mu.Unlock()
	tc.exec.Execute(func() {
		if tc.tail != nil {
			tc.tail.Terminate(nil)
			tc.tail = nil
		}
	})
}
