package kafka

import (
	"slices"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

const (
	// readerBatch caps the records a reader copies out of the cache per
	// partition at a time, so that partitions take turns.
	readerBatch = 64
	// idleBatch is the batch capacity a reader keeps when it goes idle: a
	// live reader woken record by record reuses it, one that replayed a
	// history lets the rest go (64 records' worth is ~9 KB per reader).
	idleBatch = 4
	// readerSlice is how many records a reader sends before letting the
	// Executor deliver them.
	readerSlice = 3
)

// cacheReader serves one fetch stream from a topicCache. It holds no
// records of its own beyond the handful it is sending: a slow reader just
// stands further back in the cache log, and is told with a Gap flush when
// eviction overtook it.
type cacheReader struct {
	tc     *topicCache
	req    *kafkaspec.BeginEx
	s      *engine.Stream
	sender recordSender

	// How the tail finds the reader when it waits: every record wakes it,
	// or records with one of these key or header hashes (one per filter).
	wakeAll bool
	wakeOn  []uint64
	waiting bool // guarded by tc.mu

	// Executor-owned.
	cursors  []readerCursor // by partition id
	batch    []pendingRecord
	pos      int
	rr       int // partition to collect from first, for fairness
	pad      int // the receiver's padding when collecting
	begun    bool
	caughtUp bool
	stopped  bool
	// starved is set when the reader stopped for want of window: only
	// then does a Window frame need to pump (a reader waiting for records
	// is woken by the tail).
	starved bool
	// yielded is set while a pump that sent a slice of records waits for
	// its turn to go on; other calls to pump leave the sending to it.
	yielded  bool
	resumeFn func()    // r.resume, made once
	pumpFn   func()    // r.pump, made once: readers are woken record after record
	lists    [][]int64 // indexed's result, reused (cleared after each use)
}

// readerCursor is where a reader stands on one partition.
type readerCursor struct {
	id     int32
	next   int64 // next offset to read
	latest int64 // the end to catch up with
	// hint is where in the log's entries the next record was found last
	// time: a reader reading in order finds its place without a search.
	hint int
}

// pendingRecord is a record copied out of the cache, matched, and not yet
// sent; after is the cursor once it is sent (past any records skipped
// behind it).
type pendingRecord struct {
	record
	bits  uint64
	after int64
}

func newCacheReader(tc *topicCache, begin *kafkaspec.BeginEx) *cacheReader {
	r := &cacheReader{tc: tc, req: begin}
	r.resumeFn, r.pumpFn = r.resume, r.pump
	r.sender = recordSender{filters: begin.Filters, eval: begin.Evaluation}
	if len(begin.Filters) == 0 {
		r.wakeAll = true
	}
	for i := range begin.Filters {
		f := &begin.Filters[i]
		switch {
		case f.Key != nil:
			r.wakeOn = append(r.wakeOn, keyHash(f.Key))
		case len(f.Headers) > 0:
			r.wakeOn = append(r.wakeOn, headerHash(f.Headers[0].Name, f.Headers[0].Value))
		default:
			r.wakeAll = true // a filter without conditions matches everything
		}
	}
	if r.wakeAll {
		r.wakeOn = nil
	}
	return r
}

// Receive takes the frames of the reader's stream.
func (r *cacheReader) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		r.s, r.sender.s = s, s
		r.tc.attach(r)
	case engine.WindowFrame:
		if r.starved {
			r.pump()
		}
	case engine.DataFrame:
		r.fail(&kafkaspec.ErrorEx{Code: kafkaspec.CodeInvalidRequest, Message: "data on a fetch-only merged stream"})
	case engine.EndFrame:
		r.stop()
		s.End(nil)
	case engine.AbortFrame, engine.ResetFrame:
		r.stop()
		s.Terminate(nil)
	}
}

// start places the cursors and opens the reply.
func (r *cacheReader) start() {
	if r.stopped || r.begun {
		return
	}
	tc := r.tc
	fallback := kafkaspec.StartHistorical
	tc.mu.Lock()
	if tc.cfg.live {
		fallback = kafkaspec.StartLive
	}
	ex := &kafkaspec.ReplyBeginEx{Topic: tc.topic, Compacted: tc.compacted}
	for _, l := range tc.parts {
		// The end is where the tail will be once it has caught up: a
		// position beyond what it has fetched so far is still valid.
		end := max(l.latest, l.next)
		c := readerCursor{id: l.id, next: startOffset(r.req, l.id, l.floor, end, fallback), latest: end}
		r.cursors = append(r.cursors, c)
		ex.Partitions = append(ex.Partitions, kafkaspec.PartitionState{Partition: l.id, Earliest: l.start, Start: c.next, Latest: c.latest})
	}
	tc.mu.Unlock()
	r.begun = true
	r.s.Begin(ex)
	r.pump()
}

// pump sends what the window allows, collecting more from the cache as
// the batch empties, until the window is spent or the reader has read
// everything (it then waits to be woken).
func (r *cacheReader) pump() {
	if r.stopped || !r.begun || r.yielded {
		return
	}
	r.starved = false
	sent := 0
	for {
		for r.pos < len(r.batch) {
			if sent == readerSlice {
				// Let the frames sent so far through before more: a
				// replay queues a slice at a time on the Executor, whose
				// queue keeps the capacity a burst made it grow to.
				r.yielded = true
				r.s.Execute(r.resumeFn)
				return
			}
			sent++
			p := &r.batch[r.pos]
			var sent bool
			if r.sender.sent > 0 {
				sent = r.sender.sendRest(&p.record)
			} else {
				sent = r.sender.sendMatched(&p.record, p.bits, r.progress)
			}
			if !sent {
				r.starved = true
				return
			}
			r.cursor(p.partition).next = p.after
			r.batch[r.pos] = pendingRecord{}
			r.pos++
		}
		r.batch, r.pos = r.batch[:0], 0
		gaps := r.collect()
		if len(gaps) > 0 {
			r.s.Flush(&kafkaspec.FlushEx{Progress: r.progress(nil, -1, 0), Gaps: gaps})
		}
		if len(r.batch) == 0 {
			if cap(r.batch) > idleBatch {
				r.batch = nil // idle: a reader that replayed a history keeps none of it
			}
			r.checkCaughtUp()
			return
		}
	}
}

// resume goes on with a pump that yielded.
func (r *cacheReader) resume() {
	r.yielded = false
	r.pump()
}

// collect copies the next records the reader wants out of the cache,
// within its window, and reports the gaps eviction left behind it. A
// reader that has read everything there is registers as a waiter; one
// whose window is spent waits for a Window frame instead.
func (r *cacheReader) collect() []kafkaspec.Gap {
	tc := r.tc
	// Each record costs its value plus the receiver's padding: with a
	// padding, empty records (tombstones) are bounded by the window too.
	budget := r.s.Credit()
	r.pad = r.s.Padding()
	var gaps []kafkaspec.Gap
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.closed {
		return nil
	}
	n := len(r.cursors)
	atEnd := true
	for i := range n {
		c := &r.cursors[(r.rr+i)%n]
		l := tc.part(c.id)
		if l == nil {
			continue
		}
		if c.next < l.start {
			if from := max(c.next, l.floor); from < l.start {
				gaps = append(gaps, kafkaspec.Gap{Partition: c.id, From: from, To: l.start})
			}
			c.next = l.start
		}
		var end bool
		budget, end = r.collectFrom(l, c, budget)
		atEnd = atEnd && end
	}
	r.rr++
	if !atEnd && len(r.batch) == 0 {
		r.starved = true // records wait, the window is spent
	}
	if atEnd && len(r.batch) == 0 && len(gaps) == 0 {
		caughtUp := true
		for _, c := range r.cursors {
			caughtUp = caughtUp && c.next >= c.latest
		}
		if !caughtUp || !r.req.EndWhenCaughtUp {
			r.waitLocked(caughtUp)
		}
	}
	return gaps
}

// waitLocked registers the reader as a waiter; tc.mu held.
func (r *cacheReader) waitLocked(caughtUp bool) {
	tc := r.tc
	if r.waiting {
		return
	}
	r.waiting = true
	if r.wakeAll {
		tc.waitAll[r] = struct{}{}
	}
	for _, h := range r.wakeOn {
		set := tc.waitBy[h]
		if set == nil {
			set = map[*cacheReader]struct{}{}
			tc.waitBy[h] = set
		}
		set[r] = struct{}{}
	}
	if !caughtUp {
		tc.waitCatchUp[r] = struct{}{}
	}
}

// collectFrom collects from one partition; tc.mu held. It returns the
// budget left and whether the reader has read all the partition holds.
func (r *cacheReader) collectFrom(l *partitionLog, c *readerCursor, budget int) (int, bool) {
	if c.next >= l.next {
		// Nothing new, or the reader starts beyond what the tail has
		// fetched yet (a resumed position): it waits where it is.
		return budget, true
	}
	start := len(r.batch)
	var next int64
	if lists, ok := r.indexed(l); ok {
		next, budget = r.collectIndexed(l, c.next, lists, budget)
		clear(lists) // the postings belong to the log: keep none of them
	} else {
		next, budget = r.collectScan(l, c, budget)
	}
	if len(r.batch) > start {
		r.batch[len(r.batch)-1].after = next
	} else {
		c.next = next
	}
	return budget, next >= l.next
}

// collectScan reads the log in order from the cursor.
func (r *cacheReader) collectScan(l *partitionLog, c *readerCursor, budget int) (int64, int) {
	live := l.live()
	taken := 0
	i := c.hint - l.head
	if i < 0 || i >= len(live) || live[i].offset != c.next {
		i = l.find(c.next)
	}
	for ; i < len(live); i++ {
		if r.spent(budget) || taken == readerBatch {
			c.hint = l.head + i
			return live[i].offset, budget
		}
		e := &live[i]
		if e.superseded {
			continue
		}
		bits, ok := r.sender.match(&e.record)
		if !ok {
			continue
		}
		r.batch = append(r.batch, pendingRecord{record: e.record, bits: bits, after: e.offset + 1})
		budget -= len(e.value) + r.pad
		taken++
	}
	c.hint = l.head + len(live)
	return l.next, budget
}

// spent reports whether a budget of credit has no room for one more
// record, not even an empty one.
func (r *cacheReader) spent(budget int) bool { return budget <= 0 || budget < r.pad }

// indexed returns, per filter, the postings of its most selective
// condition; false when some filter matches too widely for the index.
func (r *cacheReader) indexed(l *partitionLog) ([][]int64, bool) {
	if r.wakeAll {
		return nil, false
	}
	lists := r.lists[:0]
	for i := range r.req.Filters {
		offs, ok := l.candidates(&r.req.Filters[i])
		if !ok {
			clear(lists)
			return nil, false
		}
		lists = append(lists, offs)
	}
	r.lists = lists
	return lists, true
}

// collectIndexed reads only the records the index lists for the filters,
// from offset.
func (r *cacheReader) collectIndexed(l *partitionLog, offset int64, lists [][]int64, budget int) (int64, int) {
	taken := 0
	for {
		candidate, found := int64(0), false
		for _, offs := range lists {
			i, _ := slices.BinarySearch(offs, offset)
			if i < len(offs) && (!found || offs[i] < candidate) {
				candidate, found = offs[i], true
			}
		}
		if !found {
			return l.next, budget
		}
		if r.spent(budget) || taken == readerBatch {
			return candidate, budget
		}
		offset = candidate + 1
		e := l.at(candidate)
		if e == nil || e.superseded {
			continue
		}
		bits, ok := r.sender.match(&e.record)
		if !ok {
			continue
		}
		r.batch = append(r.batch, pendingRecord{record: e.record, bits: bits, after: e.offset + 1})
		budget -= len(e.value) + r.pad
		taken++
	}
}

// checkCaughtUp sends the caught-up Flush once, and ends a historical
// read after it.
func (r *cacheReader) checkCaughtUp() {
	if r.caughtUp {
		return
	}
	for _, c := range r.cursors {
		if c.next < c.latest {
			return
		}
	}
	r.caughtUp = true
	r.s.Flush(&kafkaspec.FlushEx{Progress: r.progress(nil, -1, 0), CaughtUp: true})
	if r.req.EndWhenCaughtUp {
		r.stop()
		r.s.End(nil)
	}
}

func (r *cacheReader) cursor(id int32) *readerCursor {
	if int(id) < len(r.cursors) && id >= 0 && r.cursors[id].id == id {
		return &r.cursors[id] // partitions 0..n-1, the usual case
	}
	i, _ := slices.BinarySearchFunc(r.cursors, id, func(c readerCursor, id int32) int { return int(c.id) - int(id) })
	return &r.cursors[i]
}

// progress appends the reader's next offsets to dst, with one
// partition's moved past the record being sent (partition -1: none).
func (r *cacheReader) progress(dst kafkaspec.Progress, partition int32, next int64) kafkaspec.Progress {
	for _, c := range r.cursors {
		off := c.next
		if c.id == partition {
			off = next
		}
		dst = append(dst, kafkaspec.PartitionOffset{Partition: c.id, Offset: off})
	}
	return dst
}

// fail ends the stream on an error.
func (r *cacheReader) fail(ex *kafkaspec.ErrorEx) {
	if r.stopped {
		return
	}
	r.stop()
	r.s.Reset(ex)
	r.s.Abort(ex)
}

// stop detaches the reader from the cache, once.
func (r *cacheReader) stop() {
	if r.stopped {
		return
	}
	r.stopped = true
	r.batch, r.pos = nil, 0
	r.tc.detach(r)
}

var _ engine.Receiver = (*cacheReader)(nil)
