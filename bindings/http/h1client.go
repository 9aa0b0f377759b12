package http

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

// maxResponseHead bounds a response head from an origin.
const maxResponseHead = 64 << 10

// h1Client runs HTTP/1.1 exchanges on an origin connection, one at a time.
type h1Client struct {
	c      *originConn
	active *originReq

	committed  bool
	reqChunked bool
	reqLeft    int64 // content-length bytes left, -1 when not length-framed

	respStarted bool // status line of a final response parsed
	scanned     int
	framing     h1Framing
	respLeft    int64
	chunks      chunkDecoder
	keepAlive   bool
	headMethod  bool
}

func (h *h1Client) start(r *originReq) {
	c := h.c
	if h.active != nil {
		c.waiting = append(c.waiting, r)
		return
	}
	*h = h1Client{c: c, active: r, reqLeft: -1}
	h.headMethod = r.headers.Value(httpspec.Method) == "HEAD"
	c.scheduleFlush()
}

// commit writes the request head with whatever body has arrived.
func (h *h1Client) commit() {
	r := h.active
	if r == nil || h.committed || !r.begun {
		return
	}
	method := r.headers.Value(httpspec.Method)
	if !r.reqEnded && r.bodyN == 0 && bodyless(method) && !r.headers.Has("content-length") {
		// Its End is on its way: wait for it rather than announce a
		// chunked body that will be empty.
		return
	}
	h.committed = true
	c := h.c
	b := c.out.openTail()
	start := len(b)
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, requestTarget(r.headers)...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, c.pool.key.authority...)
	b = append(b, "\r\n"...)
	contentLength := int64(-1)
	var cookies []string
	for _, f := range r.headers {
		if f.Name == "" || f.Name[0] == ':' || hopByHop(f.Name) || f.Name == "host" {
			continue
		}
		if !validTokenString(f.Name) || !validFieldValueString(f.Value) {
			continue
		}
		switch f.Name {
		case "content-length":
			if n, ok := parseContentLength([]byte(f.Value)); ok {
				contentLength = n
			}
			continue
		case "cookie":
			cookies = append(cookies, f.Value)
			continue
		}
		b = appendCanonical(b, f.Name)
		b = append(b, ": "...)
		b = append(b, f.Value...)
		b = append(b, "\r\n"...)
	}
	if len(cookies) > 0 {
		b = append(b, "Cookie: "...)
		b = append(b, strings.Join(cookies, "; ")...)
		b = append(b, "\r\n"...)
	}
	switch {
	case contentLength >= 0:
		h.reqLeft = contentLength
	case r.reqEnded:
		if r.bodyN > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
			contentLength = int64(r.bodyN)
			h.reqLeft = contentLength
		}
	default:
		h.reqChunked = true
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	if contentLength >= 0 {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, contentLength, 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	c.out.tail = b
	c.out.n += len(b) - start
	h.writeBody()
}

// writeBody moves the request body that arrived into the output queue.
func (h *h1Client) writeBody() {
	r := h.active
	c := h.c
	for _, p := range r.body {
		r.bodySent = true
		switch {
		case h.reqChunked:
			var size [20]byte
			c.out.write(append(strconv.AppendInt(size[:0], int64(len(p)), 16), '\r', '\n'))
			c.out.writeOwned(p)
			c.out.writeString("\r\n")
		case h.reqLeft >= 0:
			if int64(len(p)) > h.reqLeft {
				p = p[:h.reqLeft]
			}
			h.reqLeft -= int64(len(p))
			c.out.writeOwned(p)
		}
	}
	r.body, r.bodyN = nil, 0
	if r.reqEnded && h.reqChunked {
		h.reqChunked = false
		b := []byte("0\r\n")
		for _, t := range r.trailers {
			if t.Name != "" && t.Name[0] != ':' && validTokenString(t.Name) && validFieldValueString(t.Value) {
				b = appendCanonical(b, t.Name)
				b = append(b, ": "...)
				b = append(b, t.Value...)
				b = append(b, "\r\n"...)
			}
		}
		c.out.write(append(b, "\r\n"...))
	}
	r.grantRequest(outLimit - c.out.n)
}

func (h *h1Client) requestProgress() {
	if h.committed {
		h.writeBody()
		h.c.scheduleFlush()
		return
	}
	h.c.scheduleFlush()
}

func (h *h1Client) wrote() {
	if r := h.active; r != nil && h.committed {
		r.grantRequest(outLimit - h.c.out.n)
	}
}

// received parses the response and forwards its body within the
// requester's window.
func (h *h1Client) received() {
	c := h.c
	defer c.grantInput()
	for r := h.active; r != nil && !c.closed && len(c.in) > 0; r = h.active {
		if !h.respStarted {
			if !h.readHead() {
				return
			}
			continue
		}
		if !h.readBody() {
			return
		}
	}
}

func (h *h1Client) readHead() bool {
	c := h.c
	r := h.active
	end := findHeadEnd(c.in, max(0, h.scanned-4))
	if end < 0 {
		if len(c.in) >= maxResponseHead {
			h.protocolError("response head too large")
		}
		h.scanned = len(c.in)
		return false
	}
	h.scanned = 0
	head := c.in[:end]
	line, n := nextLine(head)
	status, minor, ok := parseStatusLine(line)
	if !ok {
		h.protocolError("malformed status line")
		return false
	}
	headers := make(httpspec.Headers, 1, 16)
	headers[0] = httpspec.Header{Name: httpspec.Status, Value: strconv.Itoa(status)}
	contentLength := int64(-1)
	chunked, closeConn, keepAliveTok := false, false, false
	for rest := head[n:]; len(rest) > 0; {
		line, n := nextLine(rest)
		rest = rest[n:]
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validToken(line[:colon]) {
			h.protocolError("malformed header line")
			return false
		}
		name := lowerName(line[:colon])
		value := string(trimOWS(line[colon+1:]))
		switch name {
		case "content-length":
			cl, ok := parseContentLength([]byte(value))
			if !ok {
				h.protocolError("invalid content-length")
				return false
			}
			contentLength = cl
		case "transfer-encoding":
			chunked = strings.HasSuffix(strings.ToLower(strings.TrimSpace(value)), "chunked")
			continue
		case "connection":
			for _, t := range strings.Split(value, ",") {
				switch strings.ToLower(strings.TrimSpace(t)) {
				case "close":
					closeConn = true
				case "keep-alive":
					keepAliveTok = true
				}
			}
			continue
		}
		if hopByHop(name) {
			continue
		}
		headers = append(headers, httpspec.Header{Name: name, Value: value})
	}
	c.consume(end)
	if status < 200 {
		if status == 101 {
			h.protocolError("unexpected 101 Switching Protocols")
			return false
		}
		return true // informational: the final response follows
	}
	h.respStarted = true
	h.keepAlive = !closeConn && (minor >= 1 || keepAliveTok)
	switch {
	case h.headMethod || status == 204 || status == 304:
		h.framing = frameNone
	case chunked:
		h.framing = frameChunked
		headers.Del("content-length")
	case contentLength >= 0:
		h.framing, h.respLeft = frameLength, contentLength
	default:
		h.framing = frameClose
		h.keepAlive = false
	}
	r.respBegun = true
	r.s.Begin(&httpspec.BeginEx{Headers: headers})
	if h.framing == frameNone || (h.framing == frameLength && h.respLeft == 0) {
		h.endResponse(nil)
	}
	return true
}

// readBody forwards response body bytes; it returns false when it needs
// more input or credit.
func (h *h1Client) readBody() bool {
	c := h.c
	r := h.active
	switch h.framing {
	case frameChunked:
		consumed, data, end, trailers, err := h.chunks.step(c.in, r.s.Credit(), maxResponseHead)
		if err != nil {
			h.protocolError(err.Error())
			return false
		}
		if consumed == 0 {
			return false
		}
		if len(data) > 0 {
			r.s.Data(engine.FlagsComplete, data, nil)
		}
		c.consume(consumed)
		if end {
			h.endResponse(trailers)
		}
		return true
	case frameLength, frameClose:
		n := min(len(c.in), r.s.Credit())
		if h.framing == frameLength {
			n = int(min(int64(n), h.respLeft))
		}
		if n == 0 {
			return false
		}
		r.s.Data(engine.FlagsComplete, c.in[:n:n], nil)
		c.consume(n)
		if h.framing == frameLength {
			h.respLeft -= int64(n)
			if h.respLeft == 0 {
				h.endResponse(nil)
			}
		}
		return true
	}
	return false
}

func (h *h1Client) endResponse(trailers httpspec.Headers) {
	r := h.active
	r.respEnded = true
	if len(trailers) > 0 {
		r.s.End(&httpspec.EndEx{Trailers: trailers})
	} else {
		r.s.End(nil)
	}
	h.finishExchange()
}

// finishExchange frees the connection once the response ended: back to
// the pool when it can carry another request, closed otherwise.
func (h *h1Client) finishExchange() {
	c := h.c
	r := h.active
	reusable := h.keepAlive && r.reqEnded && h.committed && !h.reqChunked && (h.reqLeft <= 0)
	h.active = nil
	r.finish()
	c.cl.unreserveH1(c)
	if len(c.waiting) > 0 {
		next := c.waiting[0]
		c.waiting = c.waiting[1:]
		if reusable {
			h.start(next)
			return
		}
		next.failed(502)
	}
	if reusable && !c.closed {
		c.goIdle()
		return
	}
	c.closeGracefully()
}

// protocolError fails the exchange on a malformed response.
func (h *h1Client) protocolError(reason string) {
	c := h.c
	c.cl.bc.Log.Warn("invalid response from origin", "reason", reason, "authority", c.pool.key.authority)
	if r := h.active; r != nil {
		h.active = nil
		r.failed(502)
	}
	c.fail()
}

// cancel handles a requester that went away: the connection cannot carry
// another exchange, so it closes.
func (h *h1Client) cancel() {
	if r := h.active; r != nil {
		h.active = nil
		r.finish()
	}
	h.c.fail()
}

// closed handles the origin closing the connection. It reports true when
// the request in progress is being sent again on a new connection.
func (h *h1Client) closed() bool {
	c := h.c
	r := h.active
	if r == nil {
		return false
	}
	switch {
	case h.respStarted && h.framing == frameClose:
		h.endResponse(nil)
	case !h.respStarted && !r.bodySent && !r.retried && r.reqEnded:
		// A reused connection the origin had closed: send again on a new one.
		h.active = nil
		c.retry(r)
		return true
	default:
		h.active = nil
		c.cl.bc.Log.Warn("origin closed the connection before the response ended", "authority", c.pool.key.authority,
			"response started", h.respStarted, "retried", r.retried, "request ended", r.reqEnded, "body sent", r.bodySent)
		r.failed(502)
	}
	return false
}

// bodyless reports the methods whose requests carry no body in practice.
func bodyless(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "DELETE", "TRACE":
		return true
	}
	return false
}

// parseStatusLine parses "HTTP/1.x NNN reason".
func parseStatusLine(line []byte) (status, minor int, ok bool) {
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, 0, false
	}
	minor = int(line[7] - '0')
	if minor < 0 || minor > 9 {
		return 0, 0, false
	}
	for _, ch := range line[9:12] {
		if !isDigit(ch) {
			return 0, 0, false
		}
		status = status*10 + int(ch-'0')
	}
	if len(line) > 12 && line[12] != ' ' {
		return 0, 0, false
	}
	return status, minor, true
}
