package http

import (
	"strconv"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

// originReq is one request the client sends to an origin: the receiver of
// the accepted request stream, whose reply direction carries the response.
type originReq struct {
	conn *originConn
	s    *engine.Stream

	headers    httpspec.Headers
	overridden httpspec.Headers // the head with the client's overrides, set in Accept
	begun      bool             // the request head arrived
	started    bool             // handed to the connection
	reqEnded   bool
	trailers   httpspec.Headers
	body       [][]byte // request body not yet written
	bodyN      int
	credit     int  // window granted to the requester
	bodySent   bool // some body bytes reached the connection: not retryable
	retried    bool

	respBegun bool
	respEnded bool
	done      bool

	// HTTP/2 stream state
	id         uint32
	sendWindow int64
	recvWindow int64
	unacked    int
	respBuf    [][]byte
	respN      int
	respTrail  httpspec.Headers
	endPending bool
	dirty      bool
	headSent   bool
	endSent    bool
}

// Receive handles the frames of the request stream.
func (r *originReq) Receive(s *engine.Stream, f *engine.Frame) {
	c := r.conn
	switch f.Type {
	case engine.BeginFrame:
		if r.overridden != nil {
			r.headers = r.overridden
		} else if be, ok := f.Ext.(*httpspec.BeginEx); ok {
			r.headers = be.Headers
		}
		r.begun = true
		r.started = true
		c.idle = false
		c.start(r)
	case engine.DataFrame:
		r.credit -= len(f.Payload)
		if len(f.Payload) > 0 {
			r.body = append(r.body, f.Payload)
			r.bodyN += len(f.Payload)
		}
		r.requestProgress()
	case engine.EndFrame:
		r.reqEnded = true
		if ee, ok := f.Ext.(*httpspec.EndEx); ok {
			r.trailers = ee.Trailers
		}
		r.requestProgress()
	case engine.AbortFrame:
		r.reqEnded = true
		r.cancel()
	case engine.ResetFrame:
		r.cancel()
	case engine.WindowFrame:
		r.responseProgress()
	}
}

func (r *originReq) requestProgress() {
	c := r.conn
	switch {
	case c.h2 != nil:
		c.h2.requestProgress(r)
	case c.h1 != nil && c.h1.active == r:
		c.h1.requestProgress()
	}
}

func (r *originReq) responseProgress() {
	c := r.conn
	switch {
	case c.h2 != nil:
		c.h2.responseProgress(r)
	case c.h1 != nil && c.h1.active == r:
		c.h1.received()
	}
}

// cancel handles the requester going away.
func (r *originReq) cancel() {
	if r.done {
		return
	}
	c := r.conn
	switch {
	case c.h2 != nil && r.id != 0:
		c.h2.cancel(r)
	case c.h1 != nil && c.h1.active == r:
		c.h1.cancel()
	default:
		r.finish()
		c.abandon(r)
	}
}

// failed answers the requester with a status when the origin could not be
// reached or failed before responding, or aborts the response otherwise.
func (r *originReq) failed(status int) {
	if r.done {
		return
	}
	if !r.respBegun && !r.s.Opened() {
		r.respBegun = true
		r.s.Begin(&httpspec.BeginEx{Headers: httpspec.Headers{{Name: httpspec.Status, Value: strconv.Itoa(status)}}})
		r.s.End(nil)
		r.s.Reset(nil)
	} else {
		r.s.Terminate(nil)
	}
	r.finish()
}

// finish ends the request stream and gives back its slot.
func (r *originReq) finish() {
	if r.done {
		return
	}
	r.done = true
	r.s.Terminate(nil)
	r.body, r.respBuf = nil, nil
}

// grantRequest lets the requester send as much body as there is room for.
func (r *originReq) grantRequest(room int) {
	if r.reqEnded || r.done {
		return
	}
	want := room - r.bodyN - r.credit
	if want >= outLimit/4 || (want > 0 && r.credit == 0) {
		r.credit += want
		r.s.Window(want)
	}
}

var _ engine.Receiver = (*originReq)(nil)
