package kafka

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// groupFetch is the fetch side of a client stream that joined a consumer
// group (BeginEx.GroupID): Kafka assigns the partitions, consumption starts
// at the group's committed offsets (the earliest without), and the opener
// commits with CommitEx flushes. This is how kafka-grpc instances share
// the work of a topic.
//
// The reply Begin carries the topic but no partitions (the assignment
// comes later and changes), and no caught-up Flush is sent: a group
// member has no fixed end to catch up with.
type groupFetch struct {
	st     *clientStream
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}

	commitMu  sync.Mutex
	toCommit  map[int32]int64
	commitNow chan struct{}

	// Executor-owned.
	sender  recordSender
	batch   []record
	pos     int
	next    map[int32]int64 // next offset per partition seen
	stopped bool
}

func newGroupFetch(st *clientStream) *groupFetch {
	ctx, cancel := context.WithCancel(context.Background())
	return &groupFetch{st: st, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1),
		toCommit: map[int32]int64{}, commitNow: make(chan struct{}, 1), next: map[int32]int64{},
		sender: recordSender{s: st.s, filters: st.begin.Filters, eval: st.begin.Evaluation}}
}

func (g *groupFetch) start() {
	g.st.replyBegin(&kafkaspec.ReplyBeginEx{Topic: g.st.begin.Topic})
	g.wake <- struct{}{}
	g.st.c.cluster.consumers.Add(1)
	go func() {
		defer g.st.c.cluster.consumers.Done()
		g.run()
	}()
}

func (g *groupFetch) stop() {
	g.stopped = true
	g.cancel()
}

func (g *groupFetch) done() bool { return false }

// commit queues offsets for the committer goroutine, newest per partition.
func (g *groupFetch) commit(c *kafkaspec.CommitEx) {
	g.commitMu.Lock()
	for _, po := range c.Offsets {
		g.toCommit[po.Partition] = po.Offset
	}
	g.commitMu.Unlock()
	select {
	case g.commitNow <- struct{}{}:
	default:
	}
}

func (g *groupFetch) run() {
	s, begin := g.st.s, g.st.begin
	iso := kgo.ReadCommitted()
	if begin.Isolation == kafkaspec.ReadUncommitted {
		iso = kgo.ReadUncommitted()
	}
	kcl, err := g.st.c.cluster.consumer(kgo.FetchIsolationLevel(iso), kgo.ConsumerGroup(begin.GroupID),
		kgo.ConsumeTopics(begin.Topic), kgo.DisableAutoCommit())
	if err != nil {
		s.Execute(func() { g.fail(errorEx(err)) })
		return
	}
	committed := make(chan struct{})
	go g.committer(kcl, committed)
	defer func() {
		g.cancel()
		<-committed
		kcl.Close() // leaves the group
	}()
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-g.wake:
		}
		fetches := kcl.PollFetches(g.ctx)
		if g.ctx.Err() != nil {
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
			g.st.c.log.Warn("kafka group fetch failed", "topic", begin.Topic, "group", begin.GroupID, "error", ex.Message)
			s.Execute(func() { g.fail(ex) })
			return
		}
		records := fromFetches(fetches)
		s.Execute(func() { g.deliver(records) })
	}
}

// committer commits what the opener asked, in order, until the fetch
// stops; then once more for anything still queued.
func (g *groupFetch) committer(kcl *kgo.Client, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-g.ctx.Done():
			g.flushCommits(kcl)
			return
		case <-g.commitNow:
			g.flushCommits(kcl)
		}
	}
}

func (g *groupFetch) flushCommits(kcl *kgo.Client) {
	g.commitMu.Lock()
	offsets := g.toCommit
	g.toCommit = map[int32]int64{}
	g.commitMu.Unlock()
	if len(offsets) == 0 {
		return
	}
	eo := make(map[int32]kgo.EpochOffset, len(offsets))
	for p, o := range offsets {
		eo[p] = kgo.EpochOffset{Epoch: -1, Offset: o}
	}
	topic, log := g.st.begin.Topic, g.st.c.log
	kcl.CommitOffsetsSync(context.Background(), map[string]map[int32]kgo.EpochOffset{topic: eo},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err == nil && resp != nil {
				for _, t := range resp.Topics {
					for _, p := range t.Partitions {
						if err == nil {
							err = kerr.ErrorForCode(p.ErrorCode)
						}
					}
				}
			}
			if err != nil {
				log.Warn("kafka offset commit failed", "topic", topic, "group", g.st.begin.GroupID, "error", err)
			}
		})
}

func (g *groupFetch) deliver(records []record) {
	if g.stopped {
		return
	}
	g.batch, g.pos = records, 0
	g.pump()
}

func (g *groupFetch) window() { g.pump() }

func (g *groupFetch) pump() {
	if g.stopped {
		return
	}
	for g.pos < len(g.batch) {
		r := &g.batch[g.pos]
		if !r.control && !g.sender.send(r, g.progress) {
			return
		}
		g.next[r.partition] = r.offset + 1
		g.batch[g.pos] = record{}
		g.pos++
	}
	g.batch, g.pos = nil, 0
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// progress appends the next offset of every partition this member has
// read from to dst, with one moved past the record being sent.
func (g *groupFetch) progress(dst kafkaspec.Progress, partition int32, next int64) kafkaspec.Progress {
	ids := slices.Sorted(maps.Keys(g.next))
	if _, ok := g.next[partition]; !ok {
		ids = append(ids, partition)
		slices.Sort(ids)
	}
	for _, id := range ids {
		off := g.next[id]
		if id == partition {
			off = next
		}
		dst = append(dst, kafkaspec.PartitionOffset{Partition: id, Offset: off})
	}
	return dst
}

func (g *groupFetch) fail(ex *kafkaspec.ErrorEx) {
	if !g.stopped {
		g.st.fail(ex)
	}
}

var _ fetcher = (*groupFetch)(nil)
