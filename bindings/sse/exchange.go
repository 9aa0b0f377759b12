package sse

import (
	"strconv"
	"time"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	ssespec "github.com/sluicehq/sluice/specs/sse"
)

// Flow control. The server writes more than the payload it is sent (field
// names, ids, `data:` prefixes), and the engine's credit counts payload
// bytes only, so the server grants its application credit in proportion
// to what the client's connection takes: the http credit, less what is
// queued, divided by the ratio of bytes written to payload bytes received
// so far. What an event renders beyond the http credit waits in a queue,
// which the ratio keeps to about one event's fields; a queue beyond
// maxQueued (an application ignoring its credit) closes the stream.
//
// The engine's credit cannot charge a per-event cost (Zilla's window
// padding), so events whose fields are large beside their data can still
// overshoot the estimate; maxOutstanding bounds how far.
const (
	// headerReserve is kept out of the application's credit for the fields
	// of the next event.
	headerReserve = 512
	// maxOutstanding bounds the credit the application holds unused.
	maxOutstanding = 32 << 10
	// minAppWindow is the credit kept open for the application while the
	// client has room for it, whatever the ratio: the specs/sse contract.
	minAppWindow = 4 << 10
	// maxQueued bounds the bytes queued for the http stream.
	maxQueued = 1 << 20
	// ratioWindow bounds the payload bytes the write ratio is averaged
	// over, so that it follows a change in event sizes.
	ratioWindow = 1 << 20
	// priorPayload and priorWritten are the ratio assumed before events
	// arrive (2 bytes written per payload byte), weighted as this much
	// traffic.
	priorPayload = 1 << 10
	priorWritten = 2 << 10
)

// exchange is one event-source request: the http stream it arrived on and
// the sse stream to the application. Both run on the http stream's
// Executor.
type exchange struct {
	srv  *server
	http *engine.Stream // outbound: the response
	app  *engine.Stream // outbound: the sse initial direction
	line string

	timestamps bool
	replied    bool // the response head was sent
	ending     bool // the application ended: end the response once the queue is out
	closed     bool

	// Event rendering.
	inEvent bool // between an event's FlagInit and FlagFin frames
	cr      bool // the last payload byte written was a CR

	queue   [][]byte // bytes waiting for http credit
	queued  int
	granted int // credit the application has not used yet

	// Event bytes written and payload bytes received, for the credit
	// ratio.
	written, payload int

	// challenge holds a challenge event that arrived in the middle of an
	// event.
	challenge []byte

	// Keep-alive.
	lastWrite time.Time
	timer     *time.Timer
	onTimer   func()
}

// Receive handles the frames of the http stream.
func (ex *exchange) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		ex.begin(f)
	case engine.WindowFrame:
		ex.flush()
	case engine.ChallengeFrame:
		ex.challenged(f)
	case engine.AbortFrame, engine.ResetFrame:
		// The client went away, or the http server gave up on the response.
		ex.close()
		if ex.app != nil {
			ex.app.Terminate(nil)
		}
		s.Terminate(nil)
	case engine.EndFrame, engine.DataFrame:
		// The request body: a GET has none, and none is ever granted.
	}
}

// begin examines the request and opens the sse stream, or answers.
func (ex *exchange) begin(f *engine.Frame) {
	srv := ex.srv
	be, _ := f.Ext.(*httpspec.BeginEx)
	if be == nil {
		srv.log.Warn("http stream began without a request head")
		ex.respond(400, nil)
		return
	}
	req := parseRequest(be.Headers)
	ex.line = req.line
	switch {
	case req.method != "GET":
		srv.log.Warn("sse request method not allowed", "request", req.line)
		ex.respond(405, httpspec.Headers{{Name: "allow", Value: "GET"}})
		return
	case !req.acceptable:
		srv.log.Warn("sse request does not accept text/event-stream", "request", req.line, "accept", be.Headers.Value("accept"))
		ex.respond(406, nil)
		return
	case len(req.lastID) > ssespec.MaxLastIDLength:
		srv.log.Warn("sse last event id too long", "request", req.line, "length", len(req.lastID), "limit", ssespec.MaxLastIDLength)
		ex.respond(400, nil)
		return
	}
	r := srv.cfg.resolve(req.path, f.Authorization)
	if r == nil || r.Exit == nil {
		srv.log.Warn("no route for sse request", "request", req.line)
		ex.respond(404, nil)
		return
	}
	ex.timestamps = req.timestamps
	begin := &ssespec.BeginEx{
		Scheme:    be.Headers.Value(httpspec.Scheme),
		Authority: be.Headers.Value(httpspec.Authority),
		Path:      req.path,
		LastID:    req.lastID,
	}
	app, err := r.Exit.Open(ex.http.Executor(), engine.ReceiverFunc(ex.receiveApp),
		engine.Frame{Ext: begin, Affinity: f.Affinity, Authorization: f.Authorization})
	if err != nil {
		srv.log.Warn("sse stream refused by exit", "exit", r.Exit.Name(), "request", req.line, "error", err)
		ex.respond(502, nil)
		return
	}
	ex.app = app
}

// respond answers the request without an application.
func (ex *exchange) respond(status int, extra httpspec.Headers) {
	h := make(httpspec.Headers, 0, 2+len(extra))
	h = append(h, httpspec.Header{Name: httpspec.Status, Value: strconv.Itoa(status)})
	h = append(h, extra...)
	h = append(h, httpspec.Header{Name: "content-length", Value: "0"})
	ex.close()
	ex.http.Begin(&httpspec.BeginEx{Headers: h})
	ex.http.End(nil)
	ex.http.Reset(nil)
}

// receiveApp handles the frames the application sends back.
func (ex *exchange) receiveApp(s *engine.Stream, f *engine.Frame) {
	if ex.closed {
		s.Terminate(nil)
		return
	}
	switch f.Type {
	case engine.BeginFrame:
		ex.replyBegun()
	case engine.DataFrame:
		ex.event(f)
	case engine.EndFrame:
		if ee, ok := f.Ext.(*ssespec.EndEx); ok && ee.ID != "" && !ex.inEvent {
			ex.emit(appendField(nil, "id:", ee.ID))
			ex.emit([]byte{'\n'})
		}
		ex.ending = true
		ex.flush()
	case engine.AbortFrame:
		if ex.replied {
			// The application says why when it matters (sse-kafka logs
			// Kafka errors); an engine shutdown aborts every stream.
			ex.srv.log.Debug("sse stream aborted by the application", "request", ex.line)
		} else {
			ex.srv.log.Warn("sse application aborted before replying", "request", ex.line)
		}
		ex.close()
		s.Terminate(nil)
		ex.http.Terminate(nil) // an Abort before the head is answered 502
	case engine.ResetFrame:
		if ex.replied {
			return // the application takes nothing on the initial direction: nothing lost
		}
		status := 404
		if re, ok := f.Ext.(*ssespec.ResetEx); ok && re.Status != 0 {
			status = re.Status
		}
		s.Terminate(nil)
		ex.respond(status, nil)
	}
}

// replyBegun sends the response head and the retry field.
func (ex *exchange) replyBegun() {
	contentType := "text/event-stream"
	if ex.timestamps {
		contentType = "text/event-stream;ext=timestamp"
	}
	ex.replied = true
	ex.http.Begin(&httpspec.BeginEx{Headers: httpspec.Headers{
		{Name: httpspec.Status, Value: "200"},
		{Name: "content-type", Value: contentType},
		{Name: "cache-control", Value: "no-cache"},
	}})
	if r := ex.srv.cfg.retry; r > 0 {
		ex.emit(retryField(r))
	} else {
		ex.lastWrite = time.Now()
	}
	if ka := ex.srv.cfg.keepAlive; ka > 0 {
		ex.onTimer = ex.keepAlive
		ex.timer = time.AfterFunc(ka, ex.timerFired)
	}
	ex.grant()
}

// event renders one Data frame of an event.
func (ex *exchange) event(f *engine.Frame) {
	ex.granted -= len(f.Payload)
	ex.payload += len(f.Payload)
	p := f.Payload
	var head []byte
	if f.Flags&engine.FlagInit != 0 || !ex.inEvent {
		if ex.inEvent {
			head = append(head, '\n', '\n') // the previous event never ended
		}
		dx, _ := f.Ext.(*ssespec.DataEx)
		head = appendHeader(append(make([]byte, 0, 64+min(len(p), zeroCopyMin)), head...), dx, ex.timestamps)
		ex.inEvent, ex.cr = true, false
		if p == nil && f.Flags&engine.FlagFin != 0 {
			// No data field: the client only takes the id (and type).
			ex.inEvent = false
			ex.written += len(head) + 1
			ex.emit(append(head, '\n'))
			ex.eventDone()
			ex.grant()
			return
		}
		head = append(head, "data:"...)
	}
	fin := f.Flags&engine.FlagFin != 0
	if len(p) >= zeroCopyMin && !ex.cr && !hasLineBreak(p) {
		ex.written += len(head) + len(p)
		if len(head) > 0 {
			ex.emit(head)
		}
		ex.emit(p)
		if fin {
			ex.written += 2
			ex.emit([]byte("\n\n"))
		}
	} else {
		b, cr := appendLines(head, p, ex.cr)
		ex.cr = cr
		if fin {
			b = append(b, '\n', '\n')
		}
		ex.written += len(b)
		if len(b) > 0 {
			ex.emit(b)
		}
	}
	if fin {
		ex.inEvent = false
		ex.eventDone()
	}
	ex.grant()
}

// eventDone writes a challenge event that waited for the event to end.
func (ex *exchange) eventDone() {
	if ex.challenge != nil {
		ex.emit(ex.challenge)
		ex.challenge = nil
	}
	ex.flush()
	if ex.queued > maxQueued {
		ex.srv.log.Warn("sse client too slow: event backlog exceeds the limit, closing",
			"request", ex.line, "queued", ex.queued, "limit", maxQueued)
		ex.close()
		ex.app.Terminate(nil)
		ex.http.Terminate(nil)
	}
}

// challenged writes the event for a challenge from the http server.
func (ex *exchange) challenged(f *engine.Frame) {
	if !ex.replied || ex.closed {
		return
	}
	var headers httpspec.Headers
	if ce, ok := f.Ext.(*httpspec.ChallengeEx); ok {
		headers = ce.Headers
	}
	b := appendField(nil, "event:", ssespec.ChallengeEventType)
	b = append(b, "data:"...)
	b, _ = appendLines(b, ssespec.ChallengeData(headers), false)
	b = append(b, '\n', '\n')
	if ex.inEvent {
		ex.challenge = b
		return
	}
	ex.emit(b)
	ex.flush()
}

// emit writes bytes to the client: at once when nothing waits and the
// credit allows, queued otherwise.
func (ex *exchange) emit(b []byte) {
	if ex.queued == 0 {
		if n := min(len(b), ex.http.Credit()); n > 0 {
			ex.http.Data(engine.FlagsComplete, b[:n:n], nil)
			ex.lastWrite = time.Now()
			b = b[n:]
		}
		if len(b) == 0 {
			return
		}
	}
	ex.queue = append(ex.queue, b)
	ex.queued += len(b)
}

// flush writes what is queued within the http credit, ends the response
// when the application has ended and everything is out, and grants the
// application more.
func (ex *exchange) flush() {
	if ex.closed {
		return
	}
	for len(ex.queue) > 0 {
		credit := ex.http.Credit()
		if credit <= 0 {
			break
		}
		b := ex.queue[0]
		n := min(len(b), credit)
		ex.http.Data(engine.FlagsComplete, b[:n:n], nil)
		ex.lastWrite = time.Now()
		ex.queued -= n
		if n == len(b) {
			ex.queue[0] = nil
			ex.queue = ex.queue[1:]
		} else {
			ex.queue[0] = b[n:]
		}
	}
	if len(ex.queue) == 0 {
		ex.queue = nil
	}
	if ex.ending {
		if ex.queued == 0 {
			ex.close()
			ex.http.End(nil)
			ex.app.End(nil)
		}
		return
	}
	ex.grant()
}

// grant tops the application's credit up to what the client's connection
// has room for, in payload bytes.
func (ex *exchange) grant() {
	if ex.closed || !ex.replied || ex.ending || ex.app == nil {
		return
	}
	room := ex.http.Credit() - ex.queued - headerReserve
	if room <= 0 {
		return
	}
	// payload bytes = room * payload/written, the ratio seen so far, never
	// more than room, and never less than minAppWindow while room allows:
	// an application may hold a record back until its credit covers it
	// whole (a kafka fetch does, up to 4 KiB).
	p, w := int64(ex.payload+priorPayload), int64(ex.written+priorWritten)
	target := room
	if w > p {
		target = int(int64(room) * p / w)
	}
	target = min(max(target, min(room, minAppWindow)), maxOutstanding)
	want := target - ex.granted
	if want <= 0 || (want < target/4 && ex.granted >= min(target, minAppWindow)) {
		return
	}
	ex.granted += want
	ex.app.Window(want)
	if ex.payload > ratioWindow {
		ex.payload, ex.written = ex.payload/2, ex.written/2
	}
}

// timerFired runs on the timer's goroutine: the keep-alive check moves to
// the Executor.
func (ex *exchange) timerFired() { ex.http.Execute(ex.onTimer) }

// keepAlive writes a comment line if nothing was written for the
// keep-alive time, and rearms the timer for the next check.
func (ex *exchange) keepAlive() {
	if ex.closed {
		return
	}
	ka := ex.srv.cfg.keepAlive
	idle := time.Since(ex.lastWrite)
	if idle >= ka && !ex.inEvent && ex.queued == 0 && ex.http.Credit() >= len(keepAliveComment) {
		ex.written += len(keepAliveComment)
		ex.http.Data(engine.FlagsComplete, keepAliveComment, nil)
		ex.lastWrite = time.Now()
		idle = 0
	}
	ex.timer.Reset(max(ka-idle, ka/8))
}

// close releases what the exchange holds; it stops writing.
func (ex *exchange) close() {
	if ex.closed {
		return
	}
	ex.closed = true
	if ex.timer != nil {
		ex.timer.Stop()
	}
	ex.queue, ex.queued, ex.challenge = nil, 0, nil
}

var _ engine.Receiver = (*exchange)(nil)
