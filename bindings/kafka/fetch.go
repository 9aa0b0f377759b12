package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// fetchSession is the fetch side of a client stream without a consumer
// group: a franz-go client of its own consumes the topic's partitions from
// the requested offsets. Its goroutine polls only once the stream has sent
// everything from the previous poll, so what it holds ahead of a slow
// reader is bounded by one fetch response per broker.
type fetchSession struct {
	st     *clientStream
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{} // executor -> goroutine: the last batch is sent

	// Executor-owned.
	parts     []fetchCursor // by partition id
	compacted bool
	sender    recordSender
	batch     []record
	pos       int
	caughtUp  bool
	stopped   bool
}

// fetchCursor is where a fetch stands on one partition.
type fetchCursor struct {
	id       int32
	earliest int64 // start of the partition when the fetch began
	next     int64 // next offset to read
	latest   int64 // end of the partition when the fetch began
}

func newFetchSession(st *clientStream) *fetchSession {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fetchSession{st: st, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1)}
	f.sender = recordSender{s: st.s, filters: st.begin.Filters, eval: st.begin.Evaluation}
	return f
}

func (f *fetchSession) start() {
	f.st.c.cluster.consumers.Add(1)
	go func() {
		defer f.st.c.cluster.consumers.Done()
		f.run()
	}()
}

// stop ends the goroutine and its franz-go client.
func (f *fetchSession) stop() {
	f.stopped = true
	f.cancel()
}

func (f *fetchSession) done() bool { return f.caughtUp && f.st.begin.EndWhenCaughtUp }

func (f *fetchSession) commit(*kafkaspec.CommitEx) {} // commits need a group

// run resolves the partitions and start offsets, then polls.
func (f *fetchSession) run() {
	s, begin := f.st.s, f.st.begin
	iso := kgo.ReadCommitted()
	if begin.Isolation == kafkaspec.ReadUncommitted {
		iso = kgo.ReadUncommitted()
	}
	kcl, err := f.st.c.cluster.consumer(kgo.FetchIsolationLevel(iso))
	if err != nil {
		s.Execute(func() { f.fail(errorEx(err)) })
		return
	}
	defer kcl.Close()
	adm := kadm.NewClient(kcl)
	parts, err := resolveStart(f.ctx, adm, begin)
	if err == nil {
		ctx, cancel := context.WithTimeout(f.ctx, requestTimeout)
		compacted := f.st.c.cluster.compacted(ctx, adm, begin.Topic)
		cancel()
		s.Execute(func() { f.compacted = compacted })
	}
	if err != nil {
		if f.ctx.Err() == nil {
			ex := errorEx(err)
			f.st.c.log.Warn("kafka fetch failed", "topic", begin.Topic, "error", ex.Message)
			s.Execute(func() { f.fail(ex) })
		}
		return
	}
	offsets := make(map[int32]kgo.Offset, len(parts))
	for _, p := range parts {
		offsets[p.id] = kgo.NewOffset().At(p.next)
	}
	s.Execute(func() { f.begun(parts) })
	kcl.AddConsumePartitions(map[string]map[int32]kgo.Offset{begin.Topic: offsets})
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-f.wake:
		}
		fetches := kcl.PollFetches(f.ctx)
		if f.ctx.Err() != nil {
			return
		}
		var ferr error
		fetches.EachError(func(_ string, _ int32, err error) {
			if ferr == nil && !errors.Is(err, context.Canceled) {
				ferr = err
			}
		})
		if ferr != nil {
			ex := errorEx(ferr)
			f.st.c.log.Warn("kafka fetch failed", "topic", begin.Topic, "error", ex.Message)
			s.Execute(func() { f.fail(ex) })
			return
		}
		records := fromFetches(fetches)
		s.Execute(func() { f.deliver(records) })
	}
}

// resolveStart lists the topic's partitions and turns the requested start
// positions into offsets within what Kafka holds.
func resolveStart(ctx context.Context, adm *kadm.Client, begin *kafkaspec.BeginEx) ([]fetchCursor, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	starts, err := adm.ListStartOffsets(ctx, begin.Topic)
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", begin.Topic, err)
	}
	list := adm.ListEndOffsets
	if begin.Isolation == kafkaspec.ReadCommitted {
		list = adm.ListCommittedOffsets
	}
	ends, err := list(ctx, begin.Topic)
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", begin.Topic, err)
	}
	var parts []fetchCursor
	var perr error
	starts.Each(func(lo kadm.ListedOffset) {
		if lo.Err != nil {
			perr = lo.Err
			return
		}
		end, ok := ends.Lookup(lo.Topic, lo.Partition)
		if !ok || end.Err != nil {
			perr = fmt.Errorf("no end offset for partition %d", lo.Partition)
			return
		}
		next := startOffset(begin, lo.Partition, lo.Offset, end.Offset, kafkaspec.StartHistorical)
		parts = append(parts, fetchCursor{id: lo.Partition, earliest: lo.Offset, next: next, latest: end.Offset})
	})
	if errors.Is(perr, kerr.UnknownTopicOrPartition) || (perr == nil && len(parts) == 0) {
		return nil, topicError(begin.Topic)
	}
	if perr != nil {
		return nil, perr
	}
	slices.SortFunc(parts, func(a, b fetchCursor) int { return int(a.id) - int(b.id) })
	return parts, nil
}

// startOffset is where a fetch starts on a partition holding offsets
// [first, end): the offset requested for it, or the stream's default, or
// the binding's fallback, kept within what the partition holds.
func startOffset(begin *kafkaspec.BeginEx, partition int32, first, end int64, fallback kafkaspec.StartPosition) int64 {
	want := kafkaspec.OffsetHistorical
	pos := begin.Default
	if pos == kafkaspec.StartDefault {
		pos = fallback
	}
	if pos == kafkaspec.StartLive {
		want = kafkaspec.OffsetLive
	}
	explicit := false
	for _, po := range begin.Partitions {
		switch {
		case po.Partition == partition:
			want, explicit = po.Offset, true
		case po.Partition < 0 && !explicit: // Zilla's "-1": the default for every partition
			want = po.Offset
		}
	}
	switch {
	case want == kafkaspec.OffsetLive:
		return end
	case want < first: // historical, or older than the partition holds
		return first
	case want > end:
		return end
	}
	return want
}

// begun opens the reply with the partitions and offsets.
func (f *fetchSession) begun(parts []fetchCursor) {
	if f.stopped {
		return
	}
	f.parts = parts
	ex := &kafkaspec.ReplyBeginEx{Topic: f.st.begin.Topic, Compacted: f.compacted, Partitions: make([]kafkaspec.PartitionState, len(parts))}
	for i, p := range parts {
		ex.Partitions[i] = kafkaspec.PartitionState{Partition: p.id, Earliest: p.earliest, Start: p.next, Latest: p.latest}
	}
	f.st.replyBegin(ex)
	f.checkCaughtUp()
	if !f.stopped {
		f.poll()
	}
}

// deliver takes a poll's records and sends what the window allows.
func (f *fetchSession) deliver(records []record) {
	if f.stopped {
		return
	}
	f.batch, f.pos = records, 0
	f.pump()
}

func (f *fetchSession) window() { f.pump() }

// pump sends records while the reply's window allows, then asks for more.
func (f *fetchSession) pump() {
	if f.stopped || f.parts == nil {
		return
	}
	for f.pos < len(f.batch) {
		r := &f.batch[f.pos]
		c := f.cursor(r.partition)
		if c == nil || r.offset < c.next {
			f.pos++
			continue
		}
		if !r.control && !f.sender.send(r, f.progress) {
			return // window exhausted
		}
		c.next = r.offset + 1
		f.batch[f.pos] = record{}
		f.pos++
	}
	f.batch, f.pos = nil, 0
	f.checkCaughtUp()
	if !f.stopped {
		f.poll()
	}
}

// poll lets the goroutine fetch again.
func (f *fetchSession) poll() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fetchSession) cursor(id int32) *fetchCursor {
	i, ok := slices.BinarySearchFunc(f.parts, id, func(c fetchCursor, id int32) int { return int(c.id) - int(id) })
	if !ok {
		return nil
	}
	return &f.parts[i]
}

// progress appends the next offsets to dst, with one partition's moved
// past the record being sent (partition -1: none).
func (f *fetchSession) progress(dst kafkaspec.Progress, partition int32, next int64) kafkaspec.Progress {
	for _, c := range f.parts {
		off := c.next
		if c.id == partition {
			off = next
		}
		dst = append(dst, kafkaspec.PartitionOffset{Partition: c.id, Offset: off})
	}
	return dst
}

// checkCaughtUp sends the caught-up Flush once every partition has reached
// the end it had when the fetch began, and ends a historical fetch.
func (f *fetchSession) checkCaughtUp() {
	if f.caughtUp {
		return
	}
	for _, c := range f.parts {
		if c.next < c.latest {
			return
		}
	}
	f.caughtUp = true
	f.st.s.Flush(&kafkaspec.FlushEx{Progress: f.progress(nil, -1, 0), CaughtUp: true})
	if f.st.begin.EndWhenCaughtUp {
		f.stop()
		f.st.maybeEnd()
	}
}

// fail ends the stream on a Kafka error.
func (f *fetchSession) fail(ex *kafkaspec.ErrorEx) {
	if f.stopped {
		return
	}
	f.st.fail(ex)
}

var _ fetcher = (*fetchSession)(nil)
