package http

import (
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Stream is one HTTP/2 stream: a request, its response, and the stream
// to the exit it travels on.
type h2Stream struct {
	h          *h2Conn
	id         uint32
	req        *engine.Stream // nil when the server answers by itself
	line       string
	head       bool
	corsOrigin string

	// request body, client -> exit
	reqOpen      bool // END_STREAM not yet received
	reqEnded     bool // End (or Abort) sent to the exit
	discard      bool // drop the body (answered without it)
	inBuf        [][]byte
	inN          int
	trailers     httpspec.Headers
	recvWindow   int64
	unacked      int
	declared     int64 // content-length, -1 if none
	received     int64
	lastProgress time.Time

	// response, exit -> client
	respBegun   bool
	respHeaders httpspec.Headers
	headersSent bool
	respEnded   bool
	respTrail   httpspec.Headers
	endSent     bool
	outBuf      [][]byte
	outN        int
	sendWindow  int64
	replyCredit int
	local       bool

	dirty  bool
	closed bool
}

// onHeaders starts a stream, or takes the trailers of one.
func (h *h2Conn) onHeaders(f *http2.MetaHeadersFrame) {
	id := f.StreamID
	if id%2 == 0 {
		h.connError(http2.ErrCodeProtocol, "even stream id from a client")
		return
	}
	if st := h.streams[id]; st != nil {
		if !st.reqOpen {
			st.resetStream(http2.ErrCodeStreamClosed)
			return
		}
		if !f.StreamEnded() || len(f.PseudoFields()) > 0 {
			st.resetStream(http2.ErrCodeProtocol)
			return
		}
		trailers := make(httpspec.Headers, 0, len(f.Fields))
		for _, hf := range f.Fields {
			trailers = append(trailers, httpspec.Header{Name: hf.Name, Value: hf.Value})
		}
		st.trailers = trailers
		st.onData(0, nil, true)
		return
	}
	if id <= h.maxClientID {
		h.connError(http2.ErrCodeStreamClosed, "HEADERS on a closed stream")
		return
	}
	h.maxClientID = id
	if h.goaway {
		return
	}
	h.opened++
	cfg := h.c.srv.cfg
	if len(h.streams) >= cfg.maxStreams {
		h.writeRSTStream(id, http2.ErrCodeRefusedStream)
		h.c.scheduleFlush()
		return
	}
	st := &h2Stream{h: h, id: id, reqOpen: !f.StreamEnded(), recvWindow: streamWindow,
		sendWindow: h.peerInitialWindow, declared: -1, lastProgress: time.Now()}
	h.streams[id] = st
	if f.Truncated || headerListSize(f.Fields) > cfg.headerLimit {
		h.c.log.Warn("request head too large", "client", h.c.client())
		st.respond(statusHeaders(431))
		return
	}
	headers, problem := requestHeaders(f, h.c.secure)
	st.line = headers.Value(httpspec.Method) + " " + headers.Value(httpspec.Path) + " HTTP/2"
	st.head = headers.Value(httpspec.Method) == "HEAD"
	if problem != "" {
		h.c.log.Warn("bad request", "reason", problem, "request", st.line, "client", h.c.client())
		if problem == "CONNECT is not supported" {
			st.respond(statusHeaders(501))
			return
		}
		st.resetStream(http2.ErrCodeProtocol)
		return
	}
	if v, ok := headers.Get("content-length"); ok {
		n, ok := parseContentLength([]byte(v))
		if !ok {
			st.resetStream(http2.ErrCodeProtocol)
			return
		}
		st.declared = n
	}
	st.open(headers)
}

// headerListSize is the size of a header list as SETTINGS_MAX_HEADER_LIST_SIZE
// counts it.
func headerListSize(fields []hpack.HeaderField) int {
	n := 0
	for _, f := range fields {
		n += int(f.Size())
	}
	return n
}

// upgrade starts stream 1 with the request that asked for `Upgrade: h2c`;
// its body, if any, was complete.
func (h *h2Conn) upgrade(headers httpspec.Headers) {
	h.maxClientID = 1
	st := &h2Stream{h: h, id: 1, recvWindow: streamWindow, sendWindow: h.peerInitialWindow,
		declared: -1, lastProgress: time.Now()}
	h.streams[1] = st
	st.line = headers.Value(httpspec.Method) + " " + headers.Value(httpspec.Path) + " HTTP/1.1 (h2c upgrade)"
	st.head = headers.Value(httpspec.Method) == "HEAD"
	st.open(headers)
}

// requestHeaders orders a request head as the stream model promises and
// checks what HTTP/2 forbids in it.
func requestHeaders(f *http2.MetaHeadersFrame, secure bool) (httpspec.Headers, string) {
	out := make(httpspec.Headers, 4, len(f.Fields)+4)
	out[0].Name, out[1].Name, out[2].Name, out[3].Name = httpspec.Method, httpspec.Scheme, httpspec.Authority, httpspec.Path
	var host string
	for _, hf := range f.Fields {
		switch hf.Name {
		case httpspec.Method:
			out[0].Value = hf.Value
		case httpspec.Scheme:
			out[1].Value = hf.Value
		case httpspec.Authority:
			out[2].Value = hf.Value
		case httpspec.Path:
			out[3].Value = hf.Value
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			return out, "connection-specific header " + hf.Name
		case "te":
			if hf.Value != "trailers" {
				return out, "te other than trailers"
			}
			out = append(out, httpspec.Header{Name: hf.Name, Value: hf.Value})
		case "host":
			host = hf.Value
		default:
			if strings.HasPrefix(hf.Name, ":") {
				return out, "unknown pseudo-header " + hf.Name
			}
			out = append(out, httpspec.Header{Name: hf.Name, Value: hf.Value})
		}
	}
	if out[0].Value == "CONNECT" {
		return out, "CONNECT is not supported"
	}
	if out[0].Value == "" || out[1].Value == "" || out[3].Value == "" {
		return out, "missing pseudo-header"
	}
	if out[2].Value == "" {
		out[2].Value = host
	}
	_ = secure
	return out, ""
}

// open dispatches the request.
func (st *h2Stream) open(headers httpspec.Headers) {
	c := st.h.c
	req, answer, origin := c.dispatch(headers, st.declared, st.line, st)
	if answer != nil {
		st.respond(answer)
		return
	}
	st.req, st.corsOrigin = req, origin
	if !st.reqOpen {
		st.reqEnded = true
		req.End(nil)
		return
	}
	c.armTimer(st.lastProgress.Add(c.srv.cfg.bodyTimeout))
}

// respond answers the stream without an exit; the body, if any, is
// dropped.
func (st *h2Stream) respond(headers httpspec.Headers) {
	if st.req != nil {
		st.req.Terminate(nil)
	}
	st.local = true
	st.discard = true
	st.reqEnded = true
	st.dropInput()
	st.respBegun, st.respEnded = true, true
	st.respHeaders = headers
	st.outBuf, st.outN = nil, 0
	st.h.markDirty(st)
}

// Receive handles the exit's frames.
func (st *h2Stream) Receive(s *engine.Stream, f *engine.Frame) {
	if st.closed || st.local {
		if f.Type != engine.WindowFrame {
			s.Terminate(nil)
		}
		return
	}
	h := st.h
	switch f.Type {
	case engine.WindowFrame:
		st.forward()
	case engine.ResetFrame:
		if st.reqOpen || st.inN > 0 {
			st.discard = true
			st.dropInput()
		}
		st.reqEnded = true
		if !st.respBegun {
			headers := statusHeaders(404)
			if re, ok := f.Ext.(*httpspec.ResetEx); ok && len(re.Headers) > 0 {
				headers = re.Headers
			}
			st.respond(headers)
		}
	case engine.BeginFrame:
		st.respBegun = true
		if be, ok := f.Ext.(*httpspec.BeginEx); ok {
			st.respHeaders = be.Headers
		}
		st.grantReply()
		h.markDirty(st)
	case engine.DataFrame:
		st.replyCredit -= len(f.Payload)
		if !st.head && len(f.Payload) > 0 {
			st.outBuf = append(st.outBuf, f.Payload)
			st.outN += len(f.Payload)
		}
		h.markDirty(st)
	case engine.EndFrame:
		st.respEnded = true
		if ee, ok := f.Ext.(*httpspec.EndEx); ok {
			st.respTrail = ee.Trailers
		}
		h.markDirty(st)
	case engine.AbortFrame:
		if !st.headersSent {
			h.c.log.Warn("exit aborted the request before responding", "request", st.line, "client", h.c.client())
			st.respond(statusHeaders(502))
			return
		}
		h.c.log.Warn("response aborted", "request", st.line, "client", h.c.client())
		st.resetStream(http2.ErrCodeInternal)
	}
}

// onData takes body bytes (n counts padding too) and END_STREAM.
func (st *h2Stream) onData(n int, data []byte, end bool) {
	h := st.h
	if !st.reqOpen {
		h.ackConn(n)
		st.resetStream(http2.ErrCodeStreamClosed)
		return
	}
	if int64(n) > st.recvWindow {
		h.ackConn(n)
		st.resetStream(http2.ErrCodeFlowControl)
		return
	}
	st.recvWindow -= int64(n)
	st.received += int64(len(data))
	st.lastProgress = time.Now()
	if pad := n - len(data); pad > 0 {
		st.ack(pad)
	}
	if st.declared >= 0 && (st.received > st.declared || end && st.received != st.declared) {
		st.ack(len(data))
		st.resetStream(http2.ErrCodeProtocol)
		return
	}
	cfg := h.c.srv.cfg
	if cfg.bodyLimit > 0 && st.received > cfg.bodyLimit && !st.discard {
		h.c.log.Warn("request body too large", "request", st.line, "limit", cfg.bodyLimit, "client", h.c.client())
		st.ack(len(data))
		if st.req != nil {
			st.req.Abort(nil)
		}
		if st.headersSent {
			st.resetStream(http2.ErrCodeCancel)
			return
		}
		st.respond(statusHeaders(413))
		return
	}
	if end {
		st.reqOpen = false
	}
	if st.discard {
		st.ack(len(data))
		st.maybeClose()
		return
	}
	if len(data) > 0 {
		st.inBuf = append(st.inBuf, data)
		st.inN += len(data)
	}
	st.forward()
	if st.reqOpen && st.inN == 0 {
		h.c.armTimer(st.lastProgress.Add(cfg.bodyTimeout))
	}
}

// forward passes buffered body bytes to the exit within its window, and
// the end once they are all through.
func (st *h2Stream) forward() {
	if st.req == nil || st.reqEnded {
		return
	}
	for st.inN > 0 {
		credit := st.req.Credit()
		if credit <= 0 {
			break
		}
		p := st.inBuf[0]
		if len(p) > credit {
			st.req.Data(engine.FlagsComplete, p[:credit:credit], nil)
			st.inBuf[0] = p[credit:]
			st.inN -= credit
			st.ack(credit)
			continue
		}
		st.inBuf[0] = nil
		st.inBuf = st.inBuf[1:]
		st.inN -= len(p)
		st.req.Data(engine.FlagsComplete, p, nil)
		st.ack(len(p))
	}
	if st.inN == 0 {
		st.inBuf = nil
		if !st.reqOpen {
			st.reqEnded = true
			if st.trailers != nil {
				st.req.End(&httpspec.EndEx{Trailers: st.trailers})
			} else {
				st.req.End(nil)
			}
			st.maybeClose()
		}
	}
}

// ack returns n consumed bytes of stream and connection window.
func (st *h2Stream) ack(n int) {
	if n == 0 {
		return
	}
	h := st.h
	h.ackConn(n)
	if !st.reqOpen {
		return
	}
	st.unacked += n
	if st.unacked >= streamWindow/2 {
		h.writeWindowUpdate(st.id, uint32(st.unacked))
		st.recvWindow += int64(st.unacked)
		st.unacked = 0
		h.c.scheduleFlush()
	}
}

func (st *h2Stream) dropInput() {
	if st.inN > 0 {
		st.ack(st.inN)
	}
	st.inBuf, st.inN = nil, 0
}

// grantReply lets the exit send what the client's windows and the output
// queue have room for.
func (st *h2Stream) grantReply() {
	if st.req == nil || st.local || !st.respBegun || st.respEnded || st.closed {
		return
	}
	avail := min(st.sendWindow, streamOutCap) - int64(st.outN) - int64(st.replyCredit)
	room := int64(outLimit - st.h.c.out.n)
	want := int(min(avail, room))
	if want >= 16<<10 || (want > 0 && st.replyCredit == 0) {
		st.replyCredit += want
		st.req.Window(want)
	}
}

// pump writes the response head, the body within the windows, and the end.
func (st *h2Stream) pump() {
	h := st.h
	if st.respBegun && !st.headersSent {
		if !st.writeHead() {
			return
		}
	}
	for st.outN > 0 && st.sendWindow > 0 && h.sendWindow > 0 {
		p := st.outBuf[0]
		n := min(len(p), int(st.sendWindow), int(h.sendWindow), h.peerMaxFrame)
		st.outN -= n
		// END_STREAM always travels on its own frame after the body, so
		// that the frames of a response do not depend on how its end was
		// batched with its last data (one 9-byte frame per response).
		h.writeFrameHeader(n, http2.FrameData, 0, st.id)
		h.c.out.writeOwned(p[:n:n])
		if n == len(p) {
			st.outBuf[0] = nil
			st.outBuf = st.outBuf[1:]
		} else {
			st.outBuf[0] = p[n:]
		}
		st.sendWindow -= int64(n)
		h.sendWindow -= int64(n)
	}
	if st.outN == 0 {
		st.outBuf = nil
		if st.respEnded && !st.endSent {
			st.endSent = true
			if len(st.respTrail) > 0 {
				st.writeTrailers()
			} else {
				h.writeFrame(http2.FrameData, http2.FlagDataEndStream, st.id, nil)
			}
		}
	}
	if st.endSent {
		if st.reqOpen {
			// The response is complete before the request: stop the upload.
			st.discard = true
			st.dropInput()
			if st.req != nil {
				st.req.Abort(nil)
			}
			h.writeRSTStream(st.id, http2.ErrCodeNo)
			st.reqOpen = false
		}
		st.maybeClose()
	}
}

// writeHead writes the response HEADERS; it returns false when the head is
// invalid and was replaced by a 502.
func (st *h2Stream) writeHead() bool {
	h := st.h
	headers := st.respHeaders
	status := "200"
	if v, ok := headers.Get(httpspec.Status); ok {
		if n, err := strconv.Atoi(v); err != nil || n < 200 || n > 999 {
			return st.invalidResponse("invalid :status " + strconv.Quote(v))
		}
		status = v
	}
	if st.corsOrigin != "" {
		headers = h.c.srv.cfg.cors.decorate(headers, st.corsOrigin)
	}
	fields := make([]hpack.HeaderField, 1, len(headers)+1)
	fields[0] = hpack.HeaderField{Name: httpspec.Status, Value: status}
	for _, f := range headers {
		if f.Name[0] == ':' || hopByHop(f.Name) {
			continue
		}
		if !validTokenString(f.Name) || !validFieldValueString(f.Value) {
			return st.invalidResponse("invalid response header " + strconv.Quote(f.Name))
		}
		fields = append(fields, hpack.HeaderField{Name: strings.ToLower(f.Name), Value: f.Value})
	}
	if st.head {
		st.outBuf, st.outN = nil, 0
	}
	end := st.respEnded && st.outN == 0 && len(st.respTrail) == 0
	h.writeHeaders(st.id, fields, end)
	st.headersSent = true
	if end {
		st.endSent = true
	}
	return true
}

func (st *h2Stream) invalidResponse(reason string) bool {
	st.h.c.log.Warn("invalid response from exit", "reason", reason, "request", st.line)
	st.respond(statusHeaders(502))
	st.pump()
	return false
}

func (st *h2Stream) writeTrailers() {
	fields := make([]hpack.HeaderField, 0, len(st.respTrail))
	for _, t := range st.respTrail {
		if t.Name == "" || t.Name[0] == ':' || hopByHop(t.Name) || !validFieldValueString(t.Value) {
			continue
		}
		fields = append(fields, hpack.HeaderField{Name: strings.ToLower(t.Name), Value: t.Value})
	}
	st.h.writeHeaders(st.id, fields, true)
}

// waitingForClient reports a stream whose exit waits for body bytes the
// client does not send.
func (st *h2Stream) waitingForClient() bool {
	return st.reqOpen && !st.discard && st.inN == 0 && st.req != nil
}

// stalled ends a stream whose body made no progress for the body timeout.
func (st *h2Stream) stalled() {
	c := st.h.c
	c.log.Warn("request body stalled", "request", st.line, "client", c.client())
	if st.req != nil {
		st.req.Abort(nil)
	}
	if st.headersSent {
		st.resetStream(http2.ErrCodeCancel)
		return
	}
	st.respond(statusHeaders(408))
}

// resetStream sends RST_STREAM and ends the exit stream.
func (st *h2Stream) resetStream(code http2.ErrCode) {
	if st.closed {
		return
	}
	st.h.writeRSTStream(st.id, code)
	st.h.c.scheduleFlush()
	st.terminate()
	st.h.removeStream(st)
}

// resetFlood is how many streams a client may reset before their response
// ended, when that is most of the streams it opened, before the connection
// is closed: opening and resetting streams in a loop costs the server work
// the client does not pay for (CVE-2023-44487, "rapid reset").
const resetFlood = 200

// clientReset handles RST_STREAM from the client.
func (st *h2Stream) clientReset(code http2.ErrCode) {
	h := st.h
	if !st.endSent {
		h.cancelled++
	}
	st.terminate()
	h.removeStream(st)
	if h.cancelled > resetFlood && 2*h.cancelled > h.opened {
		h.connError(http2.ErrCodeEnhanceYourCalm, "too many streams reset by the client")
	}
}

// terminate ends the exit stream and drops what the stream holds.
func (st *h2Stream) terminate() {
	if st.closed {
		return
	}
	st.closed = true
	st.dropInput()
	if st.req != nil {
		st.req.Terminate(nil)
	}
	st.outBuf, st.outN = nil, 0
}

// maybeClose forgets the stream once both its directions are over.
func (st *h2Stream) maybeClose() {
	if st.closed || st.reqOpen || !st.endSent {
		return
	}
	if st.req != nil && !st.reqEnded {
		return
	}
	st.closed = true
	if st.req != nil {
		st.req.Terminate(nil)
	}
	st.h.removeStream(st)
}

var _ engine.Receiver = (*h2Stream)(nil)
