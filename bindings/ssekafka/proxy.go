package ssekafka

import (
	"context"
	"encoding/base64"
	"log/slog"
	"time"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
	ssespec "github.com/sluicehq/sluice/specs/sse"
)

// maxBacklog bounds what events waiting for the client's credit cost: their
// data plus backlogEntryCost each. The fetch is granted credit with a
// padding of backlogEntryCost per frame (plus the sse stream's own), so
// that every record, a tombstone included, pays for an event of its size
// and no more arrive than the client has room for. Only a tombstone whose
// key (its event's data, base64) is longer than the padding covers can
// queue here; a client so far behind that they pile up is dropped.
const (
	maxBacklog       = 1 << 20
	backlogEntryCost = 64
)

// minFetchWindow is the reply window a fetch needs open (specs/kafka): it
// holds a record of up to 4 KiB back until the window covers it whole. The
// sse server keeps at least as much credit open for us while the client
// has room.
const minFetchWindow = 4 << 10

// eventDelete is the event type of a tombstone.
const eventDelete = "delete"

// Accept takes an sse stream; it is routed when its Begin arrives.
func (b *binding) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	return &proxy{b: b, sse: s}, nil
}

// proxy is one event stream: the sse stream from the client and the
// merged fetch it opened. Both run on the sse stream's Executor.
type proxy struct {
	b     *binding
	sse   *engine.Stream // outbound: the events
	kafka *engine.Stream // outbound: the fetch request
	route *route
	path  string
	topic string

	replied bool // the sse reply began
	closed  bool

	// evicted holds, per partition, the earliest offset the cache held when
	// the fetch began, where that is past the offset it starts at: a gap
	// up to there was already there, any other opened behind the client.
	evicted kafkaspec.Progress

	// floors holds, per partition, the offset below which records are not
	// sent: what a resumed client already had, or the end of the
	// partition when a live stream began. Nil once every partition has
	// passed its floor.
	floors   kafkaspec.Progress
	skipping bool // dropping the fragments of a record below its floor
	inRecord bool // forwarding the fragments of a record
	progress kafkaspec.Progress
	longIDs  bool // warned about an id too long to resume from

	readerCredit int // credit granted to the fetch and not used
	fetchPadding int // the padding stated to the fetch
	backlog      []pending
	backlogN     int

	stalledSince time.Time
	stallTimer   *time.Timer
}

// pending is an event fragment waiting for the client's credit.
type pending struct {
	flags   uint8
	payload []byte
	ex      *ssespec.DataEx
}

// Receive handles the frames of the sse stream.
func (p *proxy) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		p.begin(f)
	case engine.WindowFrame:
		p.stalledSince = time.Time{}
		p.drain()
	case engine.DataFrame:
		p.b.log.Warn("sse client sent data on an event stream", "path", p.path)
		p.close()
	case engine.EndFrame, engine.AbortFrame, engine.ResetFrame:
		// The client went away, or the response ended.
		p.close()
	}
}

// begin routes the stream and opens the fetch.
func (p *proxy) begin(f *engine.Frame) {
	be, _ := f.Ext.(*ssespec.BeginEx)
	if be == nil {
		p.b.log.Warn("sse stream began without an sse begin extension")
		p.refuse(400)
		return
	}
	p.path = be.Path
	r, params := resolve(p.b.routes, be.Path, f.Authorization)
	if r == nil || r.Exit == nil {
		p.b.log.Warn("no route for sse path", "path", be.Path)
		p.refuse(404)
		return
	}
	p.route = r
	p.topic = r.topic.expand(params)
	fetch := &kafkaspec.BeginEx{
		Capabilities: kafkaspec.FetchOnly,
		Topic:        p.topic,
		Default:      r.start,
		Filters:      r.expandFilters(params),
	}
	if be.LastID != "" {
		if resume, ok := parseLastID(be.LastID); ok {
			// Resume every partition the id lists where it left off, and
			// any other (added since) from its start.
			fetch.Partitions = resume
			fetch.Default = kafkaspec.StartHistorical
			p.floors = resume
		} else {
			p.b.log.Info("sse last event id is not one of ours: starting afresh", "path", be.Path, "lastId", be.LastID)
		}
	}
	k, err := r.Exit.Open(p.sse.Executor(), engine.ReceiverFunc(p.receiveKafka),
		engine.Frame{Ext: fetch, Affinity: f.Affinity, Authorization: f.Authorization})
	if err != nil {
		p.b.log.Warn("kafka fetch refused by exit", "exit", r.Exit.Name(), "topic", p.topic, "path", be.Path, "error", err)
		p.refuse(502)
		return
	}
	p.kafka = k
}

// refuse answers the stream with a status before any reply.
func (p *proxy) refuse(status int) {
	p.closed = true
	p.sse.Reset(&ssespec.ResetEx{Status: status})
	p.sse.Abort(nil)
}

// receiveKafka handles the frames of the fetch.
func (p *proxy) receiveKafka(s *engine.Stream, f *engine.Frame) {
	if p.closed {
		s.Terminate(nil)
		return
	}
	switch f.Type {
	case engine.BeginFrame:
		p.fetchBegun(f)
	case engine.DataFrame:
		p.record(f)
	case engine.FlushFrame:
		if ex, ok := f.Ext.(*kafkaspec.FlushEx); ok {
			p.flushed(ex)
		}
	case engine.EndFrame:
		p.b.log.Info("kafka fetch ended: ending the event stream", "topic", p.topic, "path", p.path)
		p.end()
	case engine.AbortFrame, engine.ResetFrame:
		p.fetchFailed(f)
	}
}

// fetchBegun opens the event stream once the fetch is placed.
func (p *proxy) fetchBegun(f *engine.Frame) {
	ex, _ := f.Ext.(*kafkaspec.ReplyBeginEx)
	if ex != nil {
		p.placeFloors(ex)
		for _, ps := range ex.Partitions {
			if ps.Start < ps.Earliest {
				p.evicted = append(p.evicted, kafkaspec.PartitionOffset{Partition: ps.Partition, Offset: ps.Earliest})
			}
		}
	}
	p.replied = true
	p.sse.Begin(nil)
	p.grant()
}

// placeFloors sets where records start counting: a live stream skips what
// the partition held when it began, a resumed one what the client already
// had, whatever an exit delivers.
func (p *proxy) placeFloors(ex *kafkaspec.ReplyBeginEx) {
	if p.floors != nil {
		for _, ps := range ex.Partitions {
			if want, ok := p.floors.Offset(ps.Partition); ok && ps.Start > want {
				p.b.log.Info("sse client resumes from records no longer held: they are skipped",
					"topic", p.topic, "partition", ps.Partition, "from", want, "to", ps.Start)
			}
		}
		return
	}
	if p.route.start != kafkaspec.StartLive {
		return
	}
	for _, ps := range ex.Partitions {
		if ps.Start < ps.Latest {
			p.floors = append(p.floors, kafkaspec.PartitionOffset{Partition: ps.Partition, Offset: ps.Latest})
		}
	}
}

// record forwards one Data frame of a fetched record as an event fragment.
func (p *proxy) record(f *engine.Frame) {
	p.readerCredit -= len(f.Payload) + p.fetchPadding
	if f.Flags&engine.FlagInit != 0 {
		p.skipping = false
		ex, _ := f.Ext.(*kafkaspec.DataEx)
		if ex == nil {
			p.b.log.Warn("kafka record without its data extension: skipped", "topic", p.topic)
			p.skipping = f.Flags&engine.FlagFin == 0
			p.grant()
			return
		}
		if p.belowFloor(ex) {
			p.skipping = f.Flags&engine.FlagFin == 0
			p.grant()
			return
		}
		p.progress = p.withFloors(ex.Progress)
		event := &ssespec.DataEx{ID: eventID(p.progress, ex.Key, ex.Headers, p.route.keyID), Timestamp: ex.Timestamp}
		if len(event.ID) > ssespec.MaxLastIDLength && !p.longIDs {
			p.longIDs = true
			p.b.log.Warn("sse event id longer than a client may send back: it cannot resume from it",
				"topic", p.topic, "path", p.path, "length", len(event.ID), "limit", ssespec.MaxLastIDLength)
		}
		payload := f.Payload
		if ex.Tombstone {
			event.Type = eventDelete
			payload = nil
			if ex.Key != nil {
				payload = []byte(base64.URLEncoding.EncodeToString(ex.Key))
			}
		}
		p.inRecord = f.Flags&engine.FlagFin == 0
		p.forward(f.Flags&(engine.FlagInit|engine.FlagFin), payload, event)
	} else {
		if p.skipping || !p.inRecord {
			p.skipping = p.skipping && f.Flags&engine.FlagFin == 0
			p.grant()
			return
		}
		p.inRecord = f.Flags&engine.FlagFin == 0
		p.forward(f.Flags&engine.FlagFin, f.Payload, nil)
	}
	p.grant()
}

// belowFloor reports whether a record is one the client must not get
// (again), and retires the floors once every partition is past them.
func (p *proxy) belowFloor(ex *kafkaspec.DataEx) bool {
	if p.floors == nil {
		return false
	}
	if floor, ok := p.floors.Offset(ex.Partition); ok && ex.Offset < floor {
		return true
	}
	passed := true
	for _, fl := range p.floors {
		if next, ok := ex.Progress.Offset(fl.Partition); ok && next < fl.Offset {
			passed = false
			break
		}
	}
	if passed {
		p.floors = nil
	}
	return false
}

// withFloors returns a progress no partition of which is behind its
// floor: what the client already had counts as read.
func (p *proxy) withFloors(progress kafkaspec.Progress) kafkaspec.Progress {
	if p.floors == nil {
		return progress
	}
	out := make(kafkaspec.Progress, 0, len(progress)+len(p.floors))
	out = append(out, progress...)
	for _, fl := range p.floors {
		found := false
		for i := range out {
			if out[i].Partition == fl.Partition {
				out[i].Offset = max(out[i].Offset, fl.Offset)
				found = true
			}
		}
		if !found {
			out = append(out, fl)
		}
	}
	return kafkaspec.Progress(normalize(out))
}

func normalize(p []kafkaspec.PartitionOffset) []kafkaspec.PartitionOffset {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].Partition < p[j-1].Partition; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	return p
}

// forward sends an event fragment, or queues it behind others waiting for
// the client's credit.
func (p *proxy) forward(flags uint8, payload []byte, ex *ssespec.DataEx) {
	if len(p.backlog) == 0 && len(payload) <= p.sse.Sendable() {
		p.send(flags, payload, ex)
		return
	}
	p.backlog = append(p.backlog, pending{flags: flags, payload: payload, ex: ex})
	p.backlogN += len(payload)
	p.stalled()
	if cost := p.backlogN + backlogEntryCost*len(p.backlog); cost > maxBacklog {
		p.drop("sse client too far behind: events waiting beyond the limit", "events", len(p.backlog), "bytes", p.backlogN, "limit", maxBacklog)
	}
}

func (p *proxy) send(flags uint8, payload []byte, ex *ssespec.DataEx) {
	var ext any
	if ex != nil {
		ext = ex
	}
	p.sse.Data(flags, payload, ext)
	if p.sse.Sendable() <= 0 {
		p.stalled()
	}
}

// drain sends what waits, within the client's new credit, then grants the
// fetch more.
func (p *proxy) drain() {
	if p.closed {
		return
	}
	for len(p.backlog) > 0 {
		e := p.backlog[0]
		if len(e.payload) > p.sse.Sendable() {
			break
		}
		p.backlog[0] = pending{}
		p.backlog = p.backlog[1:]
		p.backlogN -= len(e.payload)
		p.send(e.flags, e.payload, e.ex)
	}
	if len(p.backlog) == 0 {
		p.backlog = nil
	}
	p.grant()
}

// grant tops the fetch's credit up to what the client has room for: the
// fetch sends record values as they are, each frame paying the padding
// besides, so the fetch's credit is the client's room plus one padding
// (a record as large as the room fits), and every frame the fetch sends
// costs the client's credit as much as the event it becomes.
func (p *proxy) grant() {
	if p.closed || !p.replied || p.kafka == nil {
		return
	}
	room := p.sse.Credit() - p.backlogN - backlogEntryCost*len(p.backlog)
	pad := backlogEntryCost + p.sse.Padding()
	p.fetchPadding = pad
	target := room + pad
	want := target - p.readerCredit
	if room <= 0 || want <= 0 || (want < target/4 && p.readerCredit >= min(target, minFetchWindow+pad)) {
		return
	}
	p.readerCredit += want
	p.kafka.WindowPadded(want, pad)
}

// flushed takes the fetch's progress, and its gaps: records the cache no
// longer held when the client reached them.
func (p *proxy) flushed(ex *kafkaspec.FlushEx) {
	if len(ex.Progress) > 0 && !p.inRecord {
		p.progress = p.withFloors(ex.Progress)
	}
	if len(ex.Gaps) == 0 {
		return
	}
	gaps := make([]any, 0, len(ex.Gaps))
	skipped, behind := int64(0), false
	for _, g := range ex.Gaps {
		skipped += g.To - g.From
		gaps = append(gaps, g)
		if held, ok := p.evicted.Offset(g.Partition); !ok || g.To > held {
			behind = true
		}
	}
	p.evicted = nil // later gaps opened behind the client
	if !behind {
		// The position asked for was older than what the cache held when
		// the stream began: start from what it has.
		p.b.log.Info("sse stream starts after records the cache no longer holds", "topic", p.topic, "path", p.path, "skipped", skipped, "gaps", gaps)
		return
	}
	p.drop("sse client fell behind the cache: records it had not read were evicted", "skipped", skipped, "gaps", gaps)
}

// stalled notes that the client has no room for more events, and makes
// sure that the stall is looked at after the timeout.
func (p *proxy) stalled() {
	timeout := p.b.stallTimeout
	if timeout <= 0 || p.closed {
		return
	}
	if p.stalledSince.IsZero() {
		p.stalledSince = time.Now()
	}
	if p.stallTimer == nil {
		p.stallTimer = time.AfterFunc(timeout, func() { p.sse.Execute(p.checkStall) })
	}
}

// checkStall drops a client that took no event for the stall timeout.
func (p *proxy) checkStall() {
	if p.closed {
		return
	}
	timeout := p.b.stallTimeout
	if p.stalledSince.IsZero() || (p.sse.Sendable() > 0 && len(p.backlog) == 0) {
		p.stalledSince = time.Time{}
		p.stallTimer = nil
		return
	}
	if d := time.Since(p.stalledSince); d < timeout {
		p.stallTimer.Reset(timeout - d)
		return
	}
	p.drop("sse client stalled: it took no event while its window was full", "stalled", time.Since(p.stalledSince).Round(time.Millisecond), "timeout", timeout)
}

// drop closes a client that fell too far behind, so that it reconnects
// from its last event id rather than hold what it cannot take.
func (p *proxy) drop(msg string, args ...any) {
	p.b.log.Warn(msg, append([]any{"topic", p.topic, "path", p.path}, args...)...)
	p.close()
}

// end ends the event stream cleanly, with the progress as a last id so
// that the client resumes past records filtered out since its last event.
func (p *proxy) end() {
	if p.closed {
		return
	}
	var ex *ssespec.EndEx
	if p.progress != nil && !p.inRecord {
		ex = &ssespec.EndEx{ID: eventID(p.progress, nil, nil, false)}
		if p.route.keyID {
			ex.ID = eventID(p.progress, nil, nil, true)
		}
	}
	if len(p.backlog) > 0 {
		ex = nil // the last events never went out: the client resumes before them
	}
	p.release()
	p.sse.End(ex)
	p.sse.Reset(nil)
	if p.kafka != nil {
		p.kafka.Terminate(nil)
	}
}

// fetchFailed handles the fetch ending on an error.
func (p *proxy) fetchFailed(f *engine.Frame) {
	ex, _ := f.Ext.(*kafkaspec.ErrorEx)
	msg, retriable := "kafka fetch closed", true
	if ex != nil {
		msg, retriable = ex.Message, ex.Retriable
	}
	switch {
	case p.replied:
		// The client reconnects with its last event id. A fetch closed
		// without an error is the cache (or the process) shutting down.
		level := slog.LevelWarn
		if ex == nil {
			level = slog.LevelDebug
		}
		p.b.log.Log(context.Background(), level, "kafka fetch failed: ending the event stream", "topic", p.topic, "path", p.path, "error", msg)
		p.end()
	case retriable:
		// Answer 200 and end at once: an EventSource retries after its
		// retry time, where an error status would stop it for good.
		p.b.log.Warn("kafka fetch failed before it began: the client will retry", "topic", p.topic, "path", p.path, "error", msg)
		p.replied = true
		p.sse.Begin(nil)
		p.end()
	default:
		p.b.log.Warn("kafka fetch refused", "topic", p.topic, "path", p.path, "error", msg)
		p.release()
		p.refuse(statusFor(ex))
		p.kafka.Terminate(nil)
	}
}

// statusFor maps a Kafka error that will not go away to an HTTP status.
func statusFor(ex *kafkaspec.ErrorEx) int {
	if ex != nil {
		switch ex.Code {
		case kafkaspec.CodeTopicAuthFailed, kafkaspec.CodeSaslAuthFailed:
			return 403
		case kafkaspec.CodeUnknownTopic:
			return 404
		}
	}
	return 502
}

// release stops the timer and drops what waits.
func (p *proxy) release() {
	p.closed = true
	if p.stallTimer != nil {
		p.stallTimer.Stop()
		p.stallTimer = nil
	}
	p.backlog, p.backlogN, p.floors = nil, 0, nil
}

// close ends both streams abruptly.
func (p *proxy) close() {
	p.release()
	p.sse.Terminate(nil)
	if p.kafka != nil {
		p.kafka.Terminate(nil)
	}
}

var (
	_ engine.Acceptor = (*binding)(nil)
	_ engine.Receiver = (*proxy)(nil)
)
