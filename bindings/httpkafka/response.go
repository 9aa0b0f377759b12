package httpkafka

import (
	"strconv"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

// responder writes the response on an http stream's reply direction:
// a head, a body sent within the credit the http server grants (what it
// cannot send yet stays queued, by reference), and an end.
type responder struct {
	s      *engine.Stream
	begun  bool
	ended  bool // End sent, or queued behind the body
	closed bool // End sent, or the response was a Reset
	queue  [][]byte
	queued int
	// sent is told how many body bytes left the queue, so that the
	// source of the body (a Kafka fetch) can be granted as much again.
	sent func(n int)
}

// answered reports whether the response has begun (or been refused).
func (r *responder) answered() bool { return r.begun }

// answer sends a complete response without a body: a Begin and an End.
// It is never a Reset carrying the response, even while the request body
// is still arriving: the http server may have ended the request already,
// and a Reset of a direction its sender has ended is dropped. The exchange
// resets the request afterwards if it is still open, so that the server
// drops the rest of the body.
func (r *responder) answer(headers httpspec.Headers) {
	if r.begun {
		return
	}
	r.begun, r.ended, r.closed = true, true, true
	r.s.Begin(&httpspec.BeginEx{Headers: headers})
	r.s.End(nil)
}

// begin sends the response head.
func (r *responder) begin(headers httpspec.Headers) {
	if r.begun {
		return
	}
	r.begun = true
	r.s.Begin(&httpspec.BeginEx{Headers: headers})
}

// write queues body bytes and sends what the credit allows. The slice is
// kept, not copied: its owner must not change it.
func (r *responder) write(b []byte) {
	if len(b) == 0 || r.s.OutClosed() {
		return
	}
	r.queue = append(r.queue, b)
	r.queued += len(b)
	r.pump()
}

// end ends the response once the body queued so far is sent.
func (r *responder) end() {
	r.ended = true
	r.pump()
}

// done reports whether the response has been sent entirely.
func (r *responder) done() bool { return r.closed }

// pump sends queued body within the credit; it is called again on every
// Window frame.
func (r *responder) pump() {
	if !r.begun || r.closed {
		return
	}
	sent := 0
	for len(r.queue) > 0 {
		if r.s.OutClosed() {
			r.queue, r.queued = nil, 0
			break
		}
		credit := r.s.Credit()
		if credit <= 0 {
			break
		}
		b := r.queue[0]
		n := min(credit, len(b))
		r.s.Data(engine.FlagsComplete, b[:n], nil)
		sent += n
		r.queued -= n
		if n == len(b) {
			r.queue[0] = nil
			r.queue = r.queue[1:]
		} else {
			r.queue[0] = b[n:]
		}
	}
	if len(r.queue) == 0 {
		r.queue = nil
		if r.ended {
			r.closed = true
			r.s.End(nil)
		}
	}
	if sent > 0 && r.sent != nil {
		r.sent(sent)
	}
}

// statusHeaders is a response head with a status and extra fields.
func statusHeaders(status int, extra ...httpspec.Header) httpspec.Headers {
	h := make(httpspec.Headers, 0, 1+len(extra))
	h = append(h, httpspec.Header{Name: httpspec.Status, Value: strconv.Itoa(status)})
	return append(h, extra...)
}
