package httpkafka

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// proxy is the http-kafka proxy binding.
type proxy struct {
	bc     *engine.BindingContext
	log    *slog.Logger
	cfg    config
	routes []*route
}

func newProxy(bc *engine.BindingContext) (engine.Binding, error) {
	opts, _ := bc.Options().(*Options)
	cfg := newConfig(opts)
	routes, err := compileRoutes(bc, cfg)
	if err != nil {
		return nil, err
	}
	return &proxy{bc: bc, log: bc.Log, cfg: cfg, routes: routes}, nil
}

// Accept takes an http request stream and chooses what it becomes from
// its route: a produce (without reply, synchronous or asynchronous), a
// GET of an async location, or a fetch of an item or a collection.
func (p *proxy) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	ex, ok := begin.Ext.(*httpspec.BeginEx)
	if !ok {
		return nil, errors.New("http-kafka: an http stream begins with an *http.BeginEx")
	}
	x := &exchange{p: p, s: s, headers: ex.Headers, authorization: begin.Authorization}
	x.resp.s = s
	x.method, x.path = ex.Headers.Value(httpspec.Method), ex.Headers.Value(httpspec.Path)
	r, params := resolveRoute(p.routes, x.method, x.path, begin.Authorization)
	x.route, x.params = r, params
	switch {
	case r == nil:
		x.mode = &unrouted{x}
	case r.fetch != nil && r.fetch.merge:
		x.mode = newCollectionFetch(x)
	case r.fetch != nil:
		x.mode = newItemFetch(x)
	case r.produce.replyTo == nil:
		x.mode = newOnewayProduce(x)
	default:
		if r.produce.location != nil && x.method == "GET" {
			if cid, lp, ok := r.produce.location.match(x.path); ok {
				x.mode = newAsyncGet(x, cid, lp)
				break
			}
		}
		async := r.produce.location != nil && preferRespondAsync(ex.Headers)
		x.mode = newCorrelatedProduce(x, async)
	}
	return x, nil
}

// mode is what an exchange does, by route and request.
type mode interface {
	// begin starts the exchange when the request head arrives.
	begin()
	// data takes a frame of the request body.
	data(f *engine.Frame)
	// end is told the request body is complete.
	end()
	// stop releases what the mode holds (Kafka streams, timers): the
	// exchange is over, or the client went away.
	stop()
}

// exchange is one HTTP request and its response, and the Vars its route's
// templates read.
type exchange struct {
	p             *proxy
	s             *engine.Stream
	headers       httpspec.Headers
	method, path  string
	authorization uint64
	route         *route
	params        []param
	mode          mode
	resp          responder

	idempotencyKey string
	correlationID  string
	done           bool
}

// Receive takes the frames of the http stream.
func (x *exchange) Receive(s *engine.Stream, f *engine.Frame) {
	if x.done {
		if f.Type == engine.DataFrame && !s.InClosed() {
			s.Window(len(f.Payload))
		}
		return
	}
	switch f.Type {
	case engine.BeginFrame:
		x.mode.begin()
	case engine.DataFrame:
		x.mode.data(f)
	case engine.EndFrame:
		x.mode.end()
	case engine.WindowFrame:
		x.resp.pump()
		x.checkDone()
	case engine.AbortFrame:
		x.abandon("the client aborted the request")
	case engine.ResetFrame:
		x.abandon("the client went away before the response ended")
	}
}

// abandon ends an exchange the client left.
func (x *exchange) abandon(why string) {
	x.p.log.Debug("request abandoned", "request", x.request(), "reason", why)
	x.done = true
	x.mode.stop()
	x.s.Terminate(nil)
}

// checkDone ends the exchange once its response is sent.
func (x *exchange) checkDone() {
	if x.done || !x.resp.done() {
		return
	}
	x.done = true
	x.mode.stop()
	if !x.s.InClosed() {
		x.s.Reset(nil) // the body, if any is still coming, is not wanted
	}
}

// answer sends a response without a body and ends the exchange.
func (x *exchange) answer(status int, extra ...httpspec.Header) {
	x.resp.answer(statusHeaders(status, extra...))
	x.checkDone()
}

// fail answers a Kafka error with the status it maps to and logs it.
func (x *exchange) fail(what, topic string, ex *kafkaspec.ErrorEx, rejected int) {
	status := kafkaStatus(ex, rejected)
	args := []any{"request", x.request(), "topic", topic, "status", status}
	if ex != nil {
		args = append(args, "code", ex.Code, "retriable", ex.Retriable, "error", ex.Message)
	}
	x.p.log.Warn(what, args...)
	if x.resp.answered() {
		x.done = true
		x.mode.stop()
		x.s.Terminate(nil)
		return
	}
	x.answer(status)
}

// kafkaStatus maps a Kafka error to an HTTP status: 503 when trying again
// may succeed (an outage, a missing topic), 413 for a record too large,
// else rejected (400 or 500, by mode). A stream that ended without saying
// why is an outage: the record's fate is unknown, so never a 2xx.
func kafkaStatus(ex *kafkaspec.ErrorEx, rejected int) int {
	switch {
	case ex == nil || ex.Retriable:
		return 503
	case ex.Code == kafkaspec.CodeMessageTooLarge:
		return 413
	}
	return rejected
}

// errorOf returns the Kafka error a frame carries, or nil.
func errorOf(f *engine.Frame) *kafkaspec.ErrorEx {
	ex, _ := f.Ext.(*kafkaspec.ErrorEx)
	return ex
}

// request names the request in logs.
func (x *exchange) request() string { return x.method + " " + x.path }

// openKafka opens a merged stream to the route's exit, on the http
// stream's Executor.
func (x *exchange) openKafka(recv engine.ReceiverFunc, begin *kafkaspec.BeginEx) (*engine.Stream, error) {
	exit := x.route.Exit
	if p, ok := exit.Target().(kafkaPasser); ok {
		if direct := p.PassExit(begin, x.authorization); direct != nil {
			exit = direct
		}
	}
	k, err := exit.Open(x.s.Executor(), recv, engine.Frame{Ext: begin, Authorization: x.authorization})
	if err != nil {
		x.p.log.Warn("kafka stream refused", "request", x.request(), "topic", begin.Topic, "exit", exit.Name(), "error", err)
	}
	return k, err
}

// kafkaPasser is implemented by kafka bindings that pass some merged
// streams on unchanged (a cache_client's produce streams): such a stream
// is opened where they would pass it (specs/kafka, Opening).
type kafkaPasser interface {
	PassExit(begin *kafkaspec.BeginEx, authorization uint64) *engine.Exit
}

// closeKafka ends a merged stream in both directions, if still open.
func closeKafka(k *engine.Stream) {
	if k != nil {
		k.End(nil)
		k.Reset(nil)
	}
}

// Param returns a path parameter.
func (x *exchange) Param(name string) string {
	for _, p := range x.params {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

// IdempotencyKey returns the request's idempotency key: its header, or a
// random UUID made once.
func (x *exchange) IdempotencyKey() string {
	if x.idempotencyKey == "" {
		x.idempotencyKey = x.headers.Value(x.p.cfg.idempotencyHeader)
		if x.idempotencyKey == "" {
			x.idempotencyKey = newUUID()
		}
	}
	return x.idempotencyKey
}

// CorrelationID returns the request's correlation id, once known.
func (x *exchange) CorrelationID() string { return x.correlationID }

// Guarded returns the identity, or an attribute, of the request's session
// with a guard.
func (x *exchange) Guarded(guard, attribute string) string {
	g := x.p.bc.Guard(guard)
	if attribute == "" {
		if id, ok := g.(engine.GuardIdentity); ok {
			return id.Identity(x.authorization)
		}
		return ""
	}
	if a, ok := g.(engine.GuardAttributes); ok {
		return a.Attribute(x.authorization, attribute)
	}
	return ""
}

// Header returns the first value of a request header.
func (x *exchange) Header(name string) string { return x.headers.Value(name) }

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// unrouted answers a request no route takes: 404.
type unrouted struct{ x *exchange }

func (u *unrouted) begin() {
	u.x.p.log.Warn("no route for request", "request", u.x.request())
	u.x.answer(404)
}
func (u *unrouted) data(*engine.Frame) {}
func (u *unrouted) end()               {}
func (u *unrouted) stop()              {}

// preferences reads the request's Prefer header fields (RFC 7240):
// whether it asks for respond-async, and its wait in seconds (-1 when it
// gives none). Preferences are separated by commas, as the RFC writes
// them, or by semicolons, as Zilla reads them.
func preferences(h httpspec.Headers) (async bool, wait int) {
	wait = -1
	for _, f := range h {
		if f.Name != "prefer" {
			continue
		}
		for _, pref := range strings.FieldsFunc(f.Value, func(r rune) bool { return r == ',' || r == ';' }) {
			name, value, _ := strings.Cut(strings.TrimSpace(pref), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "respond-async":
				async = true
			case "wait":
				if n, ok := seconds(strings.Trim(strings.TrimSpace(value), `"`)); ok {
					wait = n
				}
			}
		}
	}
	return async, wait
}

func preferRespondAsync(h httpspec.Headers) bool {
	async, _ := preferences(h)
	return async
}

// maxWait caps prefer: wait, so that a client cannot hold a stream for
// ever with wait=999999999.
const maxWaitSeconds = 3600

func seconds(s string) (int, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return min(n, maxWaitSeconds), true
}

var _ engine.Acceptor = (*proxy)(nil)
