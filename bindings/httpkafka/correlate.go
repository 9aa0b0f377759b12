package httpkafka

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// replyWindow is the credit first granted to a reply fetch: the head and
// first bytes of a reply. The rest of a reply is granted as the http
// server takes it.
const replyWindow = 64 << 10

// correlatedProduce is a produce with reply-to: the request becomes a
// record carrying a correlation id, and the answer is the reply record a
// responder writes to the reply topic with the same id (synchronous), or
// a 202 with the location where to fetch it (asynchronous).
//
// The correlation id is <idempotency key>-<MD5 of the record>: key,
// headers and value. A retry of the same request with the same
// idempotency key has the same id, so the steps are:
//
//  1. The body streams into the record as it arrives; the record stays
//     open (its last fragment unsent).
//  2. At the end of the request, the reply topic is fetched from its
//     earliest record, filtered on the correlation id.
//  3. A reply found before the fetch has caught up was written for an
//     earlier, identical request: it is the answer, and the open record
//     is dropped, never produced.
//  4. Once caught up, the record is finished, with the correlation id as
//     a trailer header: the responder can only see the request once its
//     reply cannot be missed.
//  5. Synchronous: the first reply is the response. Asynchronous: 202
//     once Kafka acknowledged the record.
type correlatedProduce struct {
	x       *exchange
	p       *produceWith
	async   bool
	w       recordWriter
	replyTo string

	fetch     *engine.Stream
	caughtUp  bool
	committed bool
	relay     replyRelay
	timer     *time.Timer
}

func newCorrelatedProduce(x *exchange, async bool) *correlatedProduce {
	p := x.route.produce
	c := &correlatedProduce{x: x, p: p, async: async, replyTo: p.replyTo.Expand(x)}
	c.w = recordWriter{x: x, topic: p.topic.Expand(x), length: contentLength(x.headers), digest: md5.New(),
		acked: c.acked, failed: c.produceFailed}
	ext := &kafkaspec.DataEx{Key: recordKey(p, x), Tombstone: x.method == "DELETE"}
	ext.Headers = requestHeaders(x.headers, len(p.overrides)+1)
	ext.Headers = append(ext.Headers, kafkaspec.Header{Name: x.p.cfg.replyToHeader, Value: []byte(c.replyTo)})
	ext.Headers = appendOverrides(ext.Headers, p, x)
	c.w.first = ext
	c.w.hashField(ext.Key)
	for _, h := range ext.Headers {
		c.w.hashField([]byte(h.Name))
		c.w.hashField(h.Value)
	}
	return c
}

// requestHeaders copies the request head as Kafka headers, but for
// content-length and prefer; an if-match keeps only the Kafka etag part
// of an http-kafka etag (after its `/`).
func requestHeaders(h httpspec.Headers, extra int) []kafkaspec.Header {
	out := make([]kafkaspec.Header, 0, len(h)+extra)
	for _, f := range h {
		value := f.Value
		switch f.Name {
		case "content-length", "prefer":
			continue
		case "if-match":
			if i := strings.IndexByte(value, '/'); i >= 0 {
				value = value[i+1:]
			}
		}
		out = append(out, kafkaspec.Header{Name: f.Name, Value: []byte(value)})
	}
	return out
}

func (c *correlatedProduce) begin() { c.w.open(c.p.acks) }

func (c *correlatedProduce) data(f *engine.Frame) { c.w.data(f.Payload) }

// end fixes the correlation id and looks for an earlier reply.
func (c *correlatedProduce) end() {
	x := c.x
	c.w.end()
	x.correlationID = x.IdempotencyKey() + "-" + hex.EncodeToString(c.w.digest.Sum(nil))
	c.timer = time.AfterFunc(x.p.cfg.replyTimeout, func() { x.s.Execute(c.timedOut) })
	k, err := x.openKafka(c.receive, replyFetch(c.replyTo, c.p.correlationIDHeader, x.correlationID, false))
	if err != nil {
		x.answer(500)
		return
	}
	c.fetch = k
	c.relay = replyRelay{x: x, fetch: k, cidHeader: c.p.correlationIDHeader}
	k.Window(replyWindow)
}

// replyFetch is the fetch of a reply topic for one correlation id, from
// its earliest record; live, or ending once caught up.
func replyFetch(topic, header, cid string, endWhenCaughtUp bool) *kafkaspec.BeginEx {
	return &kafkaspec.BeginEx{
		Capabilities:    kafkaspec.FetchOnly,
		Topic:           topic,
		Default:         kafkaspec.StartHistorical,
		EndWhenCaughtUp: endWhenCaughtUp,
		Filters:         []kafkaspec.Filter{{Headers: []kafkaspec.Header{{Name: header, Value: []byte(cid)}}}},
	}
}

// receive takes the reply fetch's frames.
func (c *correlatedProduce) receive(k *engine.Stream, f *engine.Frame) {
	x := c.x
	if x.done || k != c.fetch {
		return
	}
	switch f.Type {
	case engine.DataFrame:
		if f.Flags&engine.FlagInit != 0 && !c.relay.started {
			if !c.caughtUp {
				// A reply to an identical earlier request: answer it
				// and drop the record, which was never finished.
				x.p.log.Info("reply found for a repeated request; not produced again", "request", x.request(),
					"topic", c.w.topic, "correlation-id", x.correlationID)
				c.w.abandon()
				c.committed = true
				if c.async {
					c.accepted()
					return
				}
			} else if c.async {
				k.Window(len(f.Payload)) // the 202 goes out on the ack
				return
			}
		}
		c.relay.data(f)
	case engine.FlushFrame:
		if ex, ok := f.Ext.(*kafkaspec.FlushEx); ok && ex.CaughtUp && !c.caughtUp {
			c.caughtUp = true
			if !c.committed && !c.relay.started {
				c.committed = true
				c.w.commit([]kafkaspec.Header{{Name: c.p.correlationIDHeader, Value: []byte(x.correlationID)}})
			}
		}
	case engine.EndFrame, engine.AbortFrame, engine.ResetFrame:
		c.fetch = nil
		if !x.resp.answered() || !c.relay.ended {
			x.fail("kafka reply fetch failed", c.replyTo, errorOf(f), 500)
		}
	}
}

// acked is told Kafka wrote the request.
func (c *correlatedProduce) acked(*kafkaspec.AckEx) {
	if c.async && !c.x.resp.answered() {
		c.accepted()
	}
}

// accepted answers an asynchronous request: 202 with the async headers.
func (c *correlatedProduce) accepted() {
	x := c.x
	h := statusHeaders(202, httpspec.Header{Name: "content-length", Value: "0"})
	for _, a := range c.p.async {
		h = append(h, httpspec.Header{Name: a.name, Value: a.value.Expand(x)})
	}
	x.resp.answer(h)
	x.checkDone()
}

func (c *correlatedProduce) produceFailed(ex *kafkaspec.ErrorEx) {
	if c.x.resp.answered() {
		return // answered from a reply already
	}
	c.x.fail("kafka produce failed", c.w.topic, ex, 500)
}

// timedOut answers 504 when no reply came within the reply timeout. A
// record not yet finished is dropped; one finished may still be answered,
// and a retry with the same idempotency key finds that answer.
func (c *correlatedProduce) timedOut() {
	x := c.x
	if x.done || x.resp.answered() {
		return
	}
	x.p.log.Warn("no reply within the timeout", "request", x.request(), "topic", c.w.topic, "reply-to", c.replyTo,
		"correlation-id", x.correlationID, "timeout", x.p.cfg.replyTimeout, "produced", c.committed)
	x.answer(504)
}

func (c *correlatedProduce) stop() {
	if c.timer != nil {
		c.timer.Stop()
	}
	if !c.committed {
		c.w.abandon()
	}
	closeKafka(c.fetch)
	c.fetch = nil
}

// asyncGet is a GET of an async location: it answers with the reply to
// the request whose correlation id the path holds, as soon as it is on the
// reply topic, or 202 with the location again after the wait. It reads
// nothing but Kafka, so any instance can answer it.
type asyncGet struct {
	x     *exchange
	p     *produceWith
	wait  time.Duration
	fetch *engine.Stream
	relay replyRelay
	timer *time.Timer
	topic string
}

func newAsyncGet(x *exchange, cid string, params []param) *asyncGet {
	x.correlationID = cid
	x.params = append(x.params, params...)
	g := &asyncGet{x: x, p: x.route.produce, wait: x.p.cfg.wait}
	if _, secs := preferences(x.headers); secs >= 0 {
		g.wait = time.Duration(secs) * time.Second
	}
	g.topic = g.p.replyTo.Expand(x)
	return g
}

func (g *asyncGet) begin()               {}
func (g *asyncGet) data(f *engine.Frame) { g.x.s.Window(len(f.Payload)) }

func (g *asyncGet) end() {
	x := g.x
	k, err := x.openKafka(g.receive, replyFetch(g.topic, g.p.correlationIDHeader, x.correlationID, g.wait == 0))
	if err != nil {
		x.answer(500)
		return
	}
	g.fetch = k
	g.relay = replyRelay{x: x, fetch: k, cidHeader: g.p.correlationIDHeader}
	k.Window(replyWindow)
	if g.wait > 0 {
		g.timer = time.AfterFunc(g.wait, func() { x.s.Execute(g.pending) })
	}
}

func (g *asyncGet) receive(k *engine.Stream, f *engine.Frame) {
	x := g.x
	if x.done || k != g.fetch {
		return
	}
	switch f.Type {
	case engine.DataFrame:
		g.relay.data(f)
	case engine.FlushFrame:
		if ex, ok := f.Ext.(*kafkaspec.FlushEx); ok && ex.CaughtUp && g.wait == 0 && !g.relay.started {
			g.pending()
		}
	case engine.EndFrame:
		g.fetch = nil
		if !g.relay.started {
			g.pending()
		}
	case engine.AbortFrame, engine.ResetFrame:
		g.fetch = nil
		x.fail("kafka reply fetch failed", g.topic, errorOf(f), 500)
	}
}

// pending answers that the reply is not there yet: 202 and the location.
func (g *asyncGet) pending() {
	x := g.x
	if x.done || x.resp.answered() {
		return
	}
	h := statusHeaders(202, httpspec.Header{Name: "content-length", Value: "0"})
	for _, a := range g.p.async {
		h = append(h, httpspec.Header{Name: a.name, Value: a.value.Expand(x)})
	}
	x.resp.answer(h)
	x.checkDone()
}

func (g *asyncGet) stop() {
	if g.timer != nil {
		g.timer.Stop()
	}
	closeKafka(g.fetch)
	g.fetch = nil
}

// replyRelay turns the first record of a reply fetch into the response:
// its headers (but the correlation id) become the response head, `:status`
// the status, and its value the body, sent as the http server takes it.
type replyRelay struct {
	x         *exchange
	fetch     *engine.Stream
	cidHeader string
	started   bool
	ended     bool
}

func (r *replyRelay) data(f *engine.Frame) {
	x := r.x
	if f.Flags&engine.FlagInit != 0 {
		if r.started {
			r.fetch.Window(len(f.Payload)) // a second reply: only the first counts
			return
		}
		r.started = true
		ex, _ := f.Ext.(*kafkaspec.DataEx)
		if ex == nil {
			ex = &kafkaspec.DataEx{}
		}
		fetch := r.fetch
		x.resp.sent = func(n int) { fetch.Window(n) }
		x.resp.begin(replyHead(ex, len(f.Payload)+ex.Deferred, r.cidHeader))
	} else if !r.started || r.ended {
		return
	}
	x.resp.write(f.Payload)
	if f.Flags&engine.FlagFin != 0 {
		r.ended = true
		x.resp.end()
		x.checkDone()
	}
}

// replyHead maps a reply record's headers to a response head: `:status`
// (200 when absent or invalid), then every header that is a valid HTTP
// field, names lower-cased, but for the correlation id, pseudo-headers,
// hop-by-hop fields and content-length, which is the value's length
// (none for 204 and 304).
func replyHead(ex *kafkaspec.DataEx, length int, cidHeader string) httpspec.Headers {
	status := "200"
	for _, h := range ex.Headers {
		if h.Name == httpspec.Status && validStatus(h.Value) {
			status = string(h.Value)
			break
		}
	}
	out := make(httpspec.Headers, 0, len(ex.Headers)+2)
	out = append(out, httpspec.Header{Name: httpspec.Status, Value: status})
	for _, h := range ex.Headers {
		if h.Name == cidHeader || h.Name == "content-length" || !validFieldName(h.Name) || hopByHop(h.Name) || !validFieldValue(h.Value) {
			continue
		}
		out = append(out, httpspec.Header{Name: strings.ToLower(h.Name), Value: string(h.Value)})
	}
	if status != "204" && status != "304" && status[0] != '1' {
		out = append(out, httpspec.Header{Name: "content-length", Value: strconv.Itoa(length)})
	}
	return out
}

func validStatus(v []byte) bool {
	return len(v) == 3 && v[0] >= '1' && v[0] <= '5' && v[1] >= '0' && v[1] <= '9' && v[2] >= '0' && v[2] <= '9'
}

// validFieldName reports whether name is an HTTP field name token.
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validFieldValue reports whether v may be sent as an HTTP field value:
// no control characters but horizontal tab.
func validFieldValue(v []byte) bool {
	for _, c := range v {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func hopByHop(name string) bool {
	switch strings.ToLower(name) {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer":
		return true
	}
	return false
}
