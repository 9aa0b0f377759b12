package http

import (
	"bytes"
	"strconv"
	"time"

	httpspec "github.com/sluicehq/sluice/specs/http"
)

// h2Preface is what an HTTP/2 client with prior knowledge sends first.
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// discardLimit is how much of a request body the server reads and drops
// to keep a connection alive after answering without it; a longer body
// closes the connection instead.
const discardLimit = 256 << 10

// h1Phase says which timeout applies to an HTTP/1.1 connection.
type h1Phase uint8

const (
	phaseNone h1Phase = iota // waiting for the exit: no timeout
	phaseIdle                // between requests: keep-alive
	phaseHead                // reading a request head: request-header
	phaseBody                // reading a request body: request-body (no progress)
)

// h1Conn serves HTTP/1.1 (and 1.0) on a connection, one exchange at a time;
// pipelined requests wait in the input buffer until the response before
// them is written.
type h1Conn struct {
	c          *serverConn
	ex         *h1Exchange
	first      bool // no request seen yet: a prior-knowledge preface may come
	inputDone  bool // the client half-closed
	scanned    int  // bytes of c.in already searched for the end of a head
	phase      h1Phase
	phaseStart time.Time
}

func newH1Conn(c *serverConn) *h1Conn {
	h := &h1Conn{c: c, first: true}
	h.setPhase(phaseIdle)
	return h
}

func (h *h1Conn) setPhase(p h1Phase) {
	h.phase = p
	h.phaseStart = time.Now()
	cfg := h.c.srv.cfg
	switch p {
	case phaseIdle:
		if h.first {
			h.c.armTimer(h.phaseStart.Add(cfg.headerTimeout))
		} else {
			h.c.armTimer(h.phaseStart.Add(cfg.keepAlive))
		}
	case phaseHead:
		h.c.armTimer(h.phaseStart.Add(cfg.headerTimeout))
	case phaseBody:
		h.c.armTimer(h.phaseStart.Add(cfg.bodyTimeout))
	}
}

// received runs the connection forward as far as the input allows, and
// tops up the tcp stream's window for what it consumed.
func (h *h1Conn) received() {
	c := h.c
	defer c.grantInput()
	for !c.closed {
		if c.closing || h.inputDone && h.ex == nil {
			c.in = nil
			return
		}
		if ex := h.ex; ex != nil {
			if ex.reqOpen {
				ex.readBody()
				if ex.reqOpen || c.closed {
					return
				}
			}
			if !ex.respDone {
				if h.phase != phaseNone {
					h.setPhase(phaseNone)
				}
				return
			}
			h.finishExchange()
			continue
		}
		if len(c.in) == 0 {
			if h.phase != phaseIdle {
				h.setPhase(phaseIdle)
			}
			return
		}
		if !h.readHead() {
			return
		}
	}
}

// readHead parses the next request head if it is complete, and starts its
// exchange. It returns false when more input is needed.
func (h *h1Conn) readHead() bool {
	c := h.c
	cfg := c.srv.cfg
	if h.first && cfg.h2 {
		n := min(len(c.in), len(h2Preface))
		if string(c.in[:n]) == h2Preface[:n] {
			if n < len(h2Preface) {
				return false
			}
			c.proto = newH2Conn(c, nil)
			c.proto.received()
			return false
		}
	}
	if skip := skipEmptyLines(c.in); skip > 0 {
		c.consume(skip)
		if len(c.in) == 0 {
			return false
		}
	}
	if h.phase != phaseHead {
		h.setPhase(phaseHead)
	}
	if !cfg.h1 {
		h.respondError(505, "this server speaks h2 only (prior knowledge)", "")
		return false
	}
	end := findHeadEnd(c.in, max(0, h.scanned-4))
	if end < 0 || end > cfg.headerLimit {
		if len(c.in) <= cfg.headerLimit && end < 0 {
			h.scanned = len(c.in)
			return false
		}
		if bytes.IndexByte(c.in[:min(len(c.in), cfg.headerLimit)], '\n') < 0 {
			h.respondError(414, "request line too long", "")
		} else {
			h.respondError(431, "request head too large", "")
		}
		return false
	}
	h.scanned = 0
	head, herr := parseHead(c.in[:end], c.secure)
	c.consume(end)
	h.first = false
	if herr != nil {
		h.respondError(herr.status, herr.reason, head.line)
		return false
	}
	if head.headers[2].Value == "" {
		head.headers[2].Value = c.addr.DestinationAddr()
	}
	if head.upgradeH2C && cfg.h2 && !c.secure && head.contentLength <= 0 && !head.chunked {
		if settings, ok := decodeH2Settings(head.http2Settings); ok {
			c.out.writeString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
			h2 := newH2Conn(c, settings)
			c.proto = h2
			h2.upgrade(head.headers)
			c.scheduleFlush()
			h2.received()
			return false
		}
	}
	h.startExchange(head)
	return true
}

// respondError answers a request the server cannot parse or accept, and
// closes the connection after the answer.
func (h *h1Conn) respondError(status int, reason, line string) {
	c := h.c
	c.log.Warn("bad request", "status", status, "reason", reason, "request", line, "client", c.client())
	ex := &h1Exchange{h: h, minor: 1, closeAfter: true}
	h.ex = ex
	h.setPhase(phaseNone)
	ex.respond(status, nil)
	c.in = nil
}

func (h *h1Conn) startExchange(head *requestHead) {
	c := h.c
	ex := &h1Exchange{h: h, minor: head.minor, keepAlive: head.keepAlive,
		head: head.method == "HEAD", line: head.line}
	h.ex = ex
	switch {
	case head.chunked:
		ex.reqOpen, ex.chunked = true, true
	case head.contentLength > 0:
		ex.reqOpen, ex.remaining = true, head.contentLength
	}
	ex.expectContinue = head.expectContinue && ex.reqOpen
	st, answer, origin := c.dispatch(head.headers, head.contentLength, head.line, ex)
	if answer != nil {
		ex.expectContinue = false
		if ex.reqOpen {
			ex.discard = true
			if head.contentLength > discardLimit {
				ex.closeAfter = true
				ex.reqOpen = false
			}
		}
		ex.respondHeaders(answer)
		return
	}
	ex.corsOrigin = origin
	ex.req = st
	if !ex.reqOpen {
		st.End(nil)
	}
}

// finishExchange forgets a completed exchange; the connection goes on with
// the next request or closes.
func (h *h1Conn) finishExchange() {
	ex := h.ex
	h.ex = nil
	ex.finished = true
	if ex.req != nil {
		ex.req.Terminate(nil)
	}
	if ex.closeAfter || !ex.keepAlive || h.inputDone {
		h.c.shutdown()
		return
	}
	h.setPhase(phaseIdle)
}

func (h *h1Conn) commit() {
	if ex := h.ex; ex != nil && ex.respBegun && !ex.committed {
		ex.commit()
	}
}

func (h *h1Conn) wrote() {
	if ex := h.ex; ex != nil {
		ex.grantReply()
		if ex.respDone {
			h.received()
		}
	}
}

func (h *h1Conn) inputEnded() {
	h.inputDone = true
	ex := h.ex
	switch {
	case ex == nil:
		h.c.shutdown()
	case ex.reqOpen:
		ex.reqOpen = false
		ex.closeAfter = true
		if ex.req != nil {
			ex.req.Abort(nil)
		}
		if !ex.respBegun {
			ex.respond(400, nil)
		}
	case ex.respEnded || ex.local:
		// the response is complete: write it, then close
		ex.closeAfter = true
	case ex.wireComplete():
		// Every byte the response can carry is written (a 204, a 304, a
		// HEAD or a full content-length) and only the exit's end is still
		// to come: the client has its answer, so this is a plain
		// half-close. Release the exit and close once the output is out.
		h.finishExchange()
	default:
		// The client closed its side while the response is still being
		// produced: it went away (nginx logs this as 499). An event stream
		// would otherwise stay open until a write failed, and a long poll
		// would run for nobody. Stop the exit and close the connection.
		h.c.log.Debug("client closed the connection before the response completed", "request", ex.line)
		h.abort()
		h.c.abortConn()
	}
}

func (h *h1Conn) abort() {
	if ex := h.ex; ex != nil {
		ex.finished = true
		if ex.req != nil {
			ex.req.Terminate(nil)
		}
	}
}

func (h *h1Conn) drain() {
	if h.ex == nil {
		h.c.shutdown()
		return
	}
	h.ex.closeAfter = true
}

func (h *h1Conn) timeout(now time.Time) time.Time {
	c := h.c
	cfg := c.srv.cfg
	switch h.phase {
	case phaseIdle:
		limit := cfg.keepAlive
		if h.first {
			limit = cfg.headerTimeout
		}
		if at := h.phaseStart.Add(limit); now.Before(at) {
			return at
		}
		c.log.Debug("idle connection closed", "client", c.client())
		c.shutdown()
	case phaseHead:
		if at := h.phaseStart.Add(cfg.headerTimeout); now.Before(at) {
			return at
		}
		h.respondError(408, "request head not received in time", "")
	case phaseBody:
		ex := h.ex
		if ex == nil || !ex.reqOpen || len(c.in) > 0 || (ex.expectContinue && !ex.continueSent) {
			return time.Time{}
		}
		if at := h.phaseStart.Add(cfg.bodyTimeout); now.Before(at) {
			return at
		}
		c.log.Warn("request body stalled", "request", ex.line, "client", c.client())
		ex.reqOpen = false
		ex.closeAfter = true
		if ex.req != nil {
			ex.req.Abort(nil)
		}
		if ex.committed {
			c.abortConn()
			h.abort()
			return time.Time{}
		}
		ex.respond(408, nil)
	}
	return time.Time{}
}

// statusHeaders is a response head with only a status.
func statusHeaders(status int) httpspec.Headers {
	return httpspec.Headers{{Name: httpspec.Status, Value: strconv.Itoa(status)}}
}
