package http

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

// Response framing on HTTP/1.1.
type h1Framing uint8

const (
	frameNone    h1Framing = iota // no body (HEAD, 204, 304)
	frameLength                   // content-length
	frameChunked                  // transfer-encoding: chunked
	frameClose                    // until the connection closes (HTTP/1.0)
)

// h1Exchange is one request and its response on an HTTP/1.1 connection,
// and the receiver of its stream to the exit.
type h1Exchange struct {
	h    *h1Conn
	req  *engine.Stream // nil when the server answers by itself
	line string
	// request
	minor          int
	keepAlive      bool
	head           bool
	reqOpen        bool  // body bytes still to read from the client
	discard        bool  // read the body and drop it
	chunked        bool  // chunked request body
	remaining      int64 // content-length bytes left
	chunks         chunkDecoder
	bodyBytes      int64
	expectContinue bool
	continueSent   bool
	corsOrigin     string
	closeAfter     bool
	finished       bool
	// response
	respBegun   bool
	respHeaders httpspec.Headers
	pending     [][]byte // body received before the head was written
	pendingN    int
	respEnded   bool
	trailers    httpspec.Headers
	committed   bool
	framing     h1Framing
	respLeft    int64 // content-length bytes still to write
	respDone    bool  // the whole response is queued for writing
	replyCredit int
	local       bool // answered by the server
}

// Receive handles the exit's frames.
func (ex *h1Exchange) Receive(s *engine.Stream, f *engine.Frame) {
	if ex.finished || ex.local {
		if f.Type != engine.WindowFrame {
			s.Terminate(nil)
		}
		return
	}
	c := ex.h.c
	switch f.Type {
	case engine.WindowFrame:
		if ex.expectContinue && !ex.continueSent && !ex.respBegun {
			ex.continueSent = true
			c.out.writeString("HTTP/1.1 100 Continue\r\n\r\n")
			c.flushNow()
		}
		if ex.reqOpen {
			ex.h.received()
		}
	case engine.ResetFrame:
		if ex.reqOpen {
			ex.discard = true
			if ex.chunked || ex.remaining > discardLimit {
				ex.closeAfter = true
				ex.reqOpen = false
			}
		}
		if !ex.respBegun {
			var headers httpspec.Headers
			if re, ok := f.Ext.(*httpspec.ResetEx); ok && len(re.Headers) > 0 {
				headers = re.Headers
			}
			if headers == nil {
				headers = statusHeaders(404)
			}
			s.Reset(nil)
			ex.respondHeaders(headers)
		}
		ex.h.received()
	case engine.BeginFrame:
		ex.respBegun = true
		if be, ok := f.Ext.(*httpspec.BeginEx); ok {
			ex.respHeaders = be.Headers
		}
		ex.grantReply()
		c.scheduleFlush()
	case engine.DataFrame:
		ex.replyCredit -= len(f.Payload)
		if ex.committed {
			ex.writeBody(f.Payload)
		} else {
			ex.pending = append(ex.pending, f.Payload)
			ex.pendingN += len(f.Payload)
		}
		c.scheduleFlush()
	case engine.EndFrame:
		ex.respEnded = true
		if ee, ok := f.Ext.(*httpspec.EndEx); ok {
			ex.trailers = ee.Trailers
		}
		if ex.committed {
			ex.writeEnd()
		}
		c.scheduleFlush()
	case engine.AbortFrame:
		if ex.committed {
			c.log.Warn("response aborted", "request", ex.line, "client", c.client())
			ex.h.abort()
			c.abortConn()
			return
		}
		c.log.Warn("exit aborted the request before responding", "request", ex.line, "client", c.client())
		if ex.reqOpen {
			ex.reqOpen = false
			ex.closeAfter = true
		}
		s.Terminate(nil)
		ex.respBegun = false
		ex.pending, ex.pendingN = nil, 0
		ex.respond(502, nil)
	}
}

// grantReply lets the exit send as much as the output queue has room for.
func (ex *h1Exchange) grantReply() {
	if ex.req == nil || !ex.respBegun || ex.respEnded || ex.finished {
		return
	}
	want := outLimit - ex.h.c.out.n - ex.pendingN - ex.replyCredit
	if want >= outLimit/4 || (want > 0 && ex.replyCredit == 0) {
		ex.replyCredit += want
		ex.req.Window(want)
	}
}

// respond answers locally with an empty body.
func (ex *h1Exchange) respond(status int, extra httpspec.Headers) {
	ex.respondHeaders(append(statusHeaders(status), extra...))
}

func (ex *h1Exchange) respondHeaders(headers httpspec.Headers) {
	ex.local = ex.req == nil
	ex.respBegun, ex.respEnded = true, true
	ex.respHeaders = headers
	if ex.req != nil {
		ex.req.Terminate(nil)
		ex.local = true
	}
	ex.h.c.scheduleFlush()
}

// readBody forwards (or drops) request body bytes from the input buffer,
// within the exit's window.
func (ex *h1Exchange) readBody() {
	c := ex.h.c
	cfg := c.srv.cfg
	progressed := false
	for ex.reqOpen && len(c.in) > 0 {
		limit := len(c.in)
		if !ex.discard {
			limit = ex.req.Credit()
		}
		var data []byte
		var trailers httpspec.Headers
		consumed, end := 0, false
		if ex.chunked {
			var err error
			consumed, data, end, trailers, err = ex.chunks.step(c.in, limit, cfg.headerLimit)
			if err != nil {
				ex.badBody(err.Error())
				return
			}
		} else {
			consumed = int(min(int64(len(c.in)), ex.remaining, int64(limit)))
			data = c.in[:consumed:consumed]
			ex.remaining -= int64(consumed)
			end = ex.remaining == 0
		}
		if consumed == 0 {
			break
		}
		if len(data) > 0 {
			ex.bodyBytes += int64(len(data))
			if !ex.discard && cfg.bodyLimit > 0 && ex.bodyBytes > cfg.bodyLimit {
				ex.bodyTooLarge()
				return
			}
			if ex.discard && ex.bodyBytes > discardLimit {
				ex.reqOpen = false
				ex.closeAfter = true
				c.in = nil
				return
			}
			if !ex.discard {
				ex.req.Data(engine.FlagsComplete, data, nil)
			}
		}
		c.consume(consumed)
		progressed = true
		if end {
			ex.endRequest(trailers)
		}
	}
	if ex.reqOpen && len(c.in) == 0 && (progressed || ex.h.phase != phaseBody) {
		ex.h.setPhase(phaseBody)
	}
}

// parseTrailers parses a trailer section ending with an empty line.
func parseTrailers(b []byte) (httpspec.Headers, bool) {
	var out httpspec.Headers
	for len(b) > 0 {
		line, n := nextLine(b)
		b = b[n:]
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validToken(line[:colon]) {
			return nil, false
		}
		value := trimOWS(line[colon+1:])
		if !validFieldValue(value) {
			return nil, false
		}
		out = append(out, httpspec.Header{Name: lowerName(line[:colon]), Value: string(value)})
	}
	return out, true
}

func (ex *h1Exchange) endRequest(trailers httpspec.Headers) {
	ex.reqOpen = false
	if ex.discard || ex.req == nil {
		return
	}
	if trailers != nil {
		ex.req.End(&httpspec.EndEx{Trailers: trailers})
	} else {
		ex.req.End(nil)
	}
}

// badBody answers a malformed chunked body with 400 and closes.
func (ex *h1Exchange) badBody(reason string) {
	c := ex.h.c
	c.log.Warn("bad request body", "reason", reason, "request", ex.line, "client", c.client())
	ex.failBody(400)
}

func (ex *h1Exchange) bodyTooLarge() {
	c := ex.h.c
	c.log.Warn("request body too large", "request", ex.line, "limit", c.srv.cfg.bodyLimit, "client", c.client())
	ex.failBody(413)
}

func (ex *h1Exchange) failBody(status int) {
	c := ex.h.c
	ex.reqOpen = false
	ex.closeAfter = true
	c.in = nil
	if ex.req != nil {
		ex.req.Abort(nil)
	}
	if ex.committed {
		ex.h.abort()
		c.abortConn()
		return
	}
	ex.pending, ex.pendingN = nil, 0
	ex.respond(status, nil)
}

// commit writes the status line and head, choosing the body framing, then
// whatever body and end have arrived.
func (ex *h1Exchange) commit() {
	c := ex.h.c
	ex.committed = true
	headers := ex.respHeaders
	status := 200
	if v, ok := headers.Get(httpspec.Status); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 200 || n > 999 {
			ex.invalidResponse("invalid :status " + strconv.Quote(v))
			return
		}
		status = n
	}
	for _, f := range headers {
		if f.Name[0] != ':' && (!validTokenString(f.Name) || !validFieldValueString(f.Value)) {
			ex.invalidResponse("invalid response header " + strconv.Quote(f.Name))
			return
		}
	}
	if ex.corsOrigin != "" {
		headers = c.srv.cfg.cors.decorate(headers, ex.corsOrigin)
	}
	contentLength := int64(-1)
	if v, ok := headers.Get("content-length"); ok {
		if n, ok := parseContentLength([]byte(v)); ok {
			contentLength = n
		}
	}
	switch {
	case ex.head || status == 204 || status == 304 || status < 200:
		ex.framing = frameNone
	case contentLength >= 0:
		ex.framing, ex.respLeft = frameLength, contentLength
	case ex.respEnded && (len(ex.trailers) == 0 || ex.minor == 0):
		ex.framing, ex.respLeft = frameLength, int64(ex.pendingN)
		contentLength = ex.respLeft
	case ex.minor >= 1:
		ex.framing = frameChunked
	default:
		ex.framing = frameClose
		ex.keepAlive = false
	}
	if c.draining || ex.h.inputDone {
		ex.closeAfter = true
	}
	keepAlive := ex.keepAlive && !ex.closeAfter

	b := c.out.openTail()
	start := len(b)
	if ex.minor >= 1 {
		b = append(b, "HTTP/1.1 "...)
	} else {
		b = append(b, "HTTP/1.0 "...)
	}
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	for _, f := range headers {
		if f.Name[0] == ':' || hopByHop(f.Name) || f.Name == "content-length" {
			continue
		}
		b = appendCanonical(b, f.Name)
		b = append(b, ": "...)
		b = append(b, f.Value...)
		b = append(b, "\r\n"...)
	}
	switch {
	case ex.framing == frameLength || (ex.framing == frameNone && contentLength >= 0 && status != 204 && status != 304):
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, contentLength, 10)
		b = append(b, "\r\n"...)
	case ex.framing == frameChunked:
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	if !keepAlive {
		b = append(b, "Connection: close\r\n"...)
	} else if ex.minor == 0 {
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	b = append(b, "\r\n"...)
	c.out.tail = b
	c.out.n += len(b) - start
	if !keepAlive {
		ex.closeAfter = true
	}
	for _, p := range ex.pending {
		ex.writeBody(p)
	}
	ex.pending, ex.pendingN = nil, 0
	if ex.respEnded {
		ex.writeEnd()
	}
}

// wireComplete reports whether the response head is written and its framing
// leaves no body bytes to come, although the exit has not ended yet.
func (ex *h1Exchange) wireComplete() bool {
	if !ex.committed {
		return false
	}
	switch ex.framing {
	case frameNone:
		return true
	case frameLength:
		return ex.respLeft == 0
	}
	return false
}

// invalidResponse replaces a response the wire cannot carry with a 502.
func (ex *h1Exchange) invalidResponse(reason string) {
	c := ex.h.c
	c.log.Warn("invalid response from exit", "reason", reason, "request", ex.line)
	ex.committed = false
	ex.pending, ex.pendingN = nil, 0
	if ex.req != nil {
		ex.req.Terminate(nil)
	}
	if ex.reqOpen {
		ex.reqOpen = false
		ex.closeAfter = true
	}
	ex.respHeaders = statusHeaders(502)
	ex.respEnded = true
	ex.local = true
	ex.commit()
}

func (ex *h1Exchange) writeBody(p []byte) {
	c := ex.h.c
	switch ex.framing {
	case frameNone:
	case frameLength:
		if int64(len(p)) > ex.respLeft {
			c.log.Warn("response body longer than its content-length", "request", ex.line)
			ex.h.abort()
			c.abortConn()
			return
		}
		ex.respLeft -= int64(len(p))
		c.out.writeOwned(p)
	case frameChunked:
		if len(p) == 0 {
			return
		}
		var size [20]byte
		c.out.write(append(strconv.AppendInt(size[:0], int64(len(p)), 16), '\r', '\n'))
		c.out.writeOwned(p)
		c.out.writeString("\r\n")
	case frameClose:
		c.out.writeOwned(p)
	}
}

func (ex *h1Exchange) writeEnd() {
	c := ex.h.c
	switch ex.framing {
	case frameLength:
		if ex.respLeft > 0 {
			c.log.Warn("response body shorter than its content-length", "request", ex.line, "missing", ex.respLeft)
			ex.closeAfter = true
		}
	case frameChunked:
		if len(ex.trailers) == 0 {
			c.out.writeString("0\r\n\r\n")
			break
		}
		b := []byte("0\r\n")
		for _, t := range ex.trailers {
			if !validTokenString(t.Name) || !validFieldValueString(t.Value) || t.Name[0] == ':' {
				continue
			}
			b = appendCanonical(b, t.Name)
			b = append(b, ": "...)
			b = append(b, t.Value...)
			b = append(b, "\r\n"...)
		}
		c.out.write(append(b, "\r\n"...))
	case frameClose:
		ex.closeAfter = true
	}
	ex.respDone = true
	if ex.req != nil && !ex.reqOpen {
		ex.req.Terminate(nil)
	}
}

var _ engine.Receiver = (*h1Exchange)(nil)
