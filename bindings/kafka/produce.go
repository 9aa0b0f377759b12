package kafka

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// produceWindow is the credit a produce stream holds, or the topic's
// largest record and a half when that is more: it is given back as records
// are acknowledged, so a stream never has more than this buffered or in
// flight.
const produceWindow = 2 << 20

// produceSession is the produce side of a client stream: it assembles
// records from Data fragments, hands them to franz-go, and acknowledges
// each with an AckEx Flush, in the order they were sent.
type produceSession struct {
	st    *clientStream
	kcl   *kgo.Client
	err   *kafkaspec.ErrorEx // why there is no producer
	topic string
	// limit is the largest value a record may have: the topic's
	// max.message.bytes less a batch's overhead. The window opens once it
	// is known.
	limit int

	// The record being assembled, from its FlagInit frame to its FlagFin
	// (nil once refused).
	rec       *pendingAck
	recSize   int
	recErr    *kafkaspec.ErrorEx // set when the record is refused early
	tombstone bool
	open      bool

	next    int64         // sequence of the next record
	pending []*pendingAck // records produced and not yet acknowledged, in order
	stopped bool

	// Deadlines: the cluster's sweep watches the session while records
	// are in flight (deadlines.go); watched and the links are guarded by
	// the sweep's lock, oldest is read by it.
	watched              bool
	watchPrev, watchNext *produceSession
	oldest               oldestDeadline

	// Outcomes reported by franz-go, on its goroutine, wait in arrived
	// until the stream's Executor takes them (takeOutcomes), in batches:
	// the promise goroutine never runs the stream, so that acks, and the
	// responses they complete, are written in parallel rather than one
	// after another on it.
	mu       sync.Mutex
	arrived  []*pendingAck
	taken    []*pendingAck // arrived's spare buffer, Executor-owned
	outcomes func()        // takeOutcomes, bound once
}

// pendingAck is a record, from its first fragment to its ack: one
// allocation for the record handed to franz-go and what the stream keeps.
// It is the record's Context, so that the promise finds it without a
// closure per record.
type pendingAck struct {
	context.Context
	rec      kgo.Record
	headers  [2]kgo.RecordHeader // room for the usual few headers
	p        *produceSession
	err      error // the outcome franz-go reported
	size     int   // bytes of credit to give back once acknowledged
	deadline time.Time
	done     bool
	ack      kafkaspec.AckEx
}

// initProduceSession sets up the produce side of a stream in place (it is
// part of the clientStream: one allocation less per stream).
func initProduceSession(p *produceSession, st *clientStream) *produceSession {
	p.st, p.topic = st, st.begin.Topic
	p.outcomes = p.takeOutcomes
	kcl, err := st.c.cluster.producer(st.begin.Acks)
	if err != nil {
		p.err = errorEx(err)
	}
	p.kcl = kcl
	return p
}

// start grants the opener its window, once the topic's record size limit
// is known (cached per topic: at once, but for a topic's first stream).
func (p *produceSession) start() {
	if p.err != nil {
		p.limited(kafkaMessageMaxBytes) // every record fails anyway
		return
	}
	s := p.st.s
	limit, ok := p.st.c.cluster.recordLimit(p.topic, p.kcl, func(n int) {
		s.Execute(func() { p.limited(n) })
	})
	if ok {
		p.limited(limit)
	}
}

// limited opens the window for records up to the topic's limit.
func (p *produceSession) limited(batchLimit int) {
	if p.stopped || p.st.s.InClosed() {
		return
	}
	p.limit = maxValue(batchLimit)
	p.st.s.Window(max(produceWindow, p.limit+p.limit/2))
}

// data takes one Data frame of a record.
func (p *produceSession) data(f *engine.Frame) {
	if f.Flags&engine.FlagInit != 0 {
		if p.open {
			p.st.fail(&kafkaspec.ErrorEx{Code: kafkaspec.CodeInvalidRequest, Message: "record began before the previous one finished"})
			return
		}
		p.begin(f)
	} else if !p.open {
		p.st.fail(&kafkaspec.ErrorEx{Code: kafkaspec.CodeInvalidRequest, Message: "record fragment without a FlagInit frame"})
		return
	} else {
		p.append(f.Payload)
	}
	if f.Flags&engine.FlagFin != 0 {
		if ex, ok := f.Ext.(*kafkaspec.DataEx); ok && f.Flags&engine.FlagInit == 0 && p.rec != nil {
			p.rec.rec.Headers = appendHeaders(p.rec.rec.Headers, ex.Headers)
		}
		p.finish()
	}
}

// begin starts a record from its first frame.
func (p *produceSession) begin(f *engine.Frame) {
	ex, _ := f.Ext.(*kafkaspec.DataEx)
	if ex == nil {
		ex = &kafkaspec.DataEx{}
	}
	p.open, p.recErr, p.recSize, p.tombstone = true, nil, len(f.Payload), ex.Tombstone
	if total := len(f.Payload) + max(ex.Deferred, 0); total > p.limit && !ex.Tombstone {
		p.refuse(0, total)
		return
	}
	pa := &pendingAck{Context: context.Background(), p: p}
	rec := &pa.rec
	rec.Context, rec.Topic, rec.Key, rec.Timestamp = pa, p.topic, ex.Key, ex.Timestamp
	rec.Headers = appendHeaders(pa.headers[:0], ex.Headers)
	switch {
	case ex.Tombstone:
		// A nil Value is a null value, whatever payload came with it (as
		// http-kafka's DELETE): the payload's credit is given back.
		p.st.s.Window(len(f.Payload))
		p.recSize = 0
	case f.Flags&engine.FlagFin != 0:
		rec.Value = f.Payload
		if rec.Value == nil {
			rec.Value = []byte{}
		}
	default:
		rec.Value = make([]byte, 0, len(f.Payload)+max(ex.Deferred, 0))
		rec.Value = append(rec.Value, f.Payload...)
	}
	p.rec = pa
}

// refuse fails the record being assembled at once, giving back the
// credit of what it held and of extra bytes just received; its remaining
// fragments are read and discarded.
func (p *produceSession) refuse(extra, total int) {
	p.rec = nil
	p.recErr = &kafkaspec.ErrorEx{Code: kafkaspec.CodeMessageTooLarge,
		Message: "record of " + itoa(total) + " bytes exceeds the topic's limit of " + itoa(p.limit) + " bytes (max.message.bytes less a batch's overhead)"}
	p.st.s.Window(p.recSize + extra)
	p.recSize = 0
}

// append adds a continuation fragment.
func (p *produceSession) append(b []byte) {
	if p.rec == nil || p.tombstone { // refused or null: discard, give the credit back
		p.st.s.Window(len(b))
		return
	}
	if p.recSize+len(b) > p.limit {
		p.refuse(len(b), p.recSize+len(b))
		return
	}
	p.recSize += len(b)
	p.rec.rec.Value = append(p.rec.rec.Value, b...)
}

// finish produces the assembled record.
func (p *produceSession) finish() {
	p.open = false
	pa := p.rec
	if pa == nil { // refused
		pa = &pendingAck{}
	}
	p.rec = nil
	pa.size, pa.deadline = p.recSize, time.Now().Add(deliveryTimeout+timeoutGrace)
	pa.ack = kafkaspec.AckEx{Sequence: p.next, Partition: -1, Offset: -1}
	p.next++
	p.pending = append(p.pending, pa)
	switch {
	case p.recErr != nil:
		pa.done, pa.ack.Error = true, p.recErr
		p.st.c.log.Warn("kafka produce refused", "topic", p.topic, "error", p.recErr.Message)
		p.deliver()
	case p.err != nil:
		pa.done, pa.ack.Error = true, p.err
		p.deliver()
	default:
		p.kcl.TryProduce(context.Background(), &pa.rec, promised)
		p.arm()
	}
}

// promised is every record's franz-go promise: it hands the outcome to
// the stream's Executor, scheduling it when none was waiting.
func promised(r *kgo.Record, err error) {
	pa := r.Context.(*pendingAck)
	pa.err = err
	p := pa.p
	p.mu.Lock()
	p.arrived = append(p.arrived, pa)
	first := len(p.arrived) == 1
	p.mu.Unlock()
	if first {
		p.st.c.cluster.handOutcomes(p)
	}
}

// takeOutcomes applies the outcomes that arrived, then sends the acks due.
func (p *produceSession) takeOutcomes() {
	p.mu.Lock()
	arrived := p.arrived
	p.arrived = p.taken[:0]
	p.mu.Unlock()
	for _, pa := range arrived {
		p.acked(pa)
	}
	clear(arrived)
	p.taken = arrived
	p.deliver()
}

// timeoutGrace lets franz-go report a record it never sent (with the
// cause: unreachable, refused credentials) before the stream's own
// deadline reports it as merely timed out.
const timeoutGrace = time.Second

// arm has the cluster watch the session while it has records in flight,
// and tells it the oldest one's deadline (deadlines.go).
func (p *produceSession) arm() {
	if p.stopped || len(p.pending) == 0 {
		p.disarm()
		return
	}
	p.oldest.Store(p.pending[0].deadline.UnixNano())
	if !p.watched {
		p.st.c.cluster.deadlines.watch(p)
	}
}

// disarm stops watching the session.
func (p *produceSession) disarm() {
	p.oldest.Store(0)
	if p.watched {
		p.st.c.cluster.deadlines.unwatch(p)
	}
}

// expire fails the records past their deadline.
func (p *produceSession) expire() {
	if p.stopped {
		return
	}
	now := time.Now()
	for _, pa := range p.pending {
		if !pa.done && !pa.deadline.After(now) {
			pa.done = true
			pa.ack.Error = &kafkaspec.ErrorEx{Code: kafkaspec.CodeRequestTimedOut, Retriable: true,
				Message: "record not acknowledged within " + deliveryTimeout.String() + "; it may still be written"}
			p.st.c.log.Warn("kafka produce timed out", "topic", p.topic, "timeout", deliveryTimeout)
		}
	}
	p.deliver()
}

// stop stops watching deadlines; outcomes arriving later are not
// delivered.
func (p *produceSession) stop() {
	p.stopped = true
	p.disarm()
}

// acked records a record's outcome, on the stream's Executor.
func (p *produceSession) acked(pa *pendingAck) {
	if pa.done {
		return // reported failed at its deadline already
	}
	pa.done = true
	if err := pa.err; err != nil {
		pa.ack.Error = errorEx(err)
		p.st.c.log.Warn("kafka produce failed", "topic", p.topic, "error", err)
	} else {
		pa.ack.Partition = pa.rec.Partition
		if p.st.begin.Acks != kafkaspec.AckNone {
			pa.ack.Offset = pa.rec.Offset
		}
	}
	// The record's bytes are no longer needed; the ack itself goes out as
	// the Flush's extension. (The Context stays: franz-go may still read
	// it from a goroutine that waited for the topic.)
	pa.rec.Key, pa.rec.Value, pa.rec.Headers, pa.headers, pa.err = nil, nil, nil, [2]kgo.RecordHeader{}, nil
}

// deliver sends the acks that are due, in record order, and gives back
// their credit.
func (p *produceSession) deliver() {
	if !p.st.replied {
		return
	}
	s := p.st.s
	n := 0
	for _, pa := range p.pending {
		if !pa.done {
			break
		}
		n++
		s.Flush(&pa.ack) // the ack passes to the opener; nothing else holds pa
		s.Window(pa.size)
	}
	if n > 0 {
		clear(p.pending[:n])
		p.pending = p.pending[n:]
		p.arm()
		p.st.maybeEnd()
	}
}

// idle reports whether every record sent has been acknowledged.
func (p *produceSession) idle() bool { return len(p.pending) == 0 && !p.open }

func appendHeaders(dst []kgo.RecordHeader, hs []kafkaspec.Header) []kgo.RecordHeader {
	for _, h := range hs {
		dst = append(dst, kgo.RecordHeader{Key: h.Name, Value: h.Value})
	}
	return dst
}

func itoa(n int) string { return strconv.Itoa(n) }
