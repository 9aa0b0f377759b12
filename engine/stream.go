package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// direction states, seen from one endpoint.
const (
	dirIdle   uint8 = iota // not begun
	dirOpen                // begun
	dirClosed              // ended, aborted or reset
)

// Stream is one endpoint of a stream: the side a binding holds. The binding
// that opened the stream holds the origin endpoint, whose outbound direction
// is the initial one; the binding it was routed to holds the target
// endpoint, whose outbound direction is the reply.
//
// Begin, Data, End, Abort and Flush go out along this endpoint's outbound
// direction. Window, Reset and Challenge go back against the inbound
// direction. Every method must be called on the endpoint's Executor (from
// Receive or from a task given to Execute).
type Stream struct {
	id       uint64
	pair     *streamPair
	peer     *Stream
	exec     *Executor
	recv     Receiver
	binding  *bindingRuntime
	in, out  uint8
	credit   int
	padding  int // credit each Data frame costs beyond its payload
	failed   bool
	released bool
	// A Reset may still travel after its direction ended cleanly: a binding
	// refuses a request it has fully received (Zilla's http answers it from
	// the reset's headers). These record the clean ends and the one Reset.
	inEnded, outEnded, resetSent, resetReceived bool

	// parent is the stream on whose behalf this one was opened (same
	// Executor); children are aborted when the parent fails.
	parent                *Stream
	firstChild, nextChild *Stream
	prevChild             *Stream
}

// streamPair holds both endpoints in one allocation.
type streamPair struct {
	origin, target Stream
	engine         *Engine
	pending        atomic.Int32 // endpoints not yet finished
	prev, next     *streamPair  // live-stream list, guarded by engine.streams.mu
}

// ID returns the stream's identifier, unique within the process.
func (s *Stream) ID() uint64 { return s.id }

// Initial reports whether this is the origin endpoint (outbound = initial).
func (s *Stream) Initial() bool { return s == &s.pair.origin }

// Executor returns the Executor that delivers this endpoint's frames.
func (s *Stream) Executor() *Executor { return s.exec }

// SetExecutor moves the endpoint to another Executor, for a binding that
// serves a new stream from an existing connection's Executor. It may only be
// called from Acceptor.Accept, before any frame has been delivered.
func (s *Stream) SetExecutor(e *Executor) { s.exec = e }

// Credit returns how much credit this endpoint has left for Data: each
// frame costs its payload plus Padding.
func (s *Stream) Credit() int { return s.credit }

// Padding returns the credit each Data frame costs beyond its payload, as
// the peer's latest Window stated.
func (s *Stream) Padding() int { return s.padding }

// Sendable returns the largest payload one Data frame may carry now:
// Credit less Padding, or -1 when not even an empty frame fits.
func (s *Stream) Sendable() int { return s.credit - s.padding }

// Opened reports whether the outbound direction has begun.
func (s *Stream) Opened() bool { return s.out != dirIdle }

// OutClosed reports whether the outbound direction ended, aborted or was reset.
func (s *Stream) OutClosed() bool { return s.out == dirClosed }

// InClosed reports whether the inbound direction ended, aborted or was reset.
func (s *Stream) InClosed() bool { return s.in == dirClosed }

// Closed reports whether both directions are closed.
func (s *Stream) Closed() bool { return s.in == dirClosed && s.out == dirClosed }

// Binding returns the qualified name of the binding holding this endpoint.
func (s *Stream) Binding() string {
	if s.binding == nil {
		return ""
	}
	return s.binding.qname
}

// Peer returns the qualified name of the binding holding the other endpoint.
func (s *Stream) Peer() string { return s.peer.Binding() }

// Execute runs fn on this endpoint's Executor, serially with its frames.
// A panic in fn fails this stream only. It is how a binding's I/O goroutines
// hand results to the stream.
func (s *Stream) Execute(fn func()) { s.exec.submit(item{to: s, task: fn}) }

// Go is Execute without ever running fn on the caller's goroutine.
func (s *Stream) Go(fn func()) { s.exec.post(item{to: s, task: fn}) }

// SendOnExecutor sends f from this endpoint on its Executor, as
// Execute(func() { s.Send(f) }) would, without making a function value per
// frame: a socket reader hands each read over this way.
func (s *Stream) SendOnExecutor(f Frame) { s.exec.submit(item{to: s, frame: f, send: true}) }

// Begin opens the outbound direction with an extension. The origin's Begin
// is sent by Open; a target calls Begin to open the reply.
func (s *Stream) Begin(ext any) { s.Send(Frame{Type: BeginFrame, Ext: ext}) }

// Data sends payload along the outbound direction. len(payload) plus
// Padding must not exceed Credit.
func (s *Stream) Data(flags uint8, payload []byte, ext any) {
	s.Send(Frame{Type: DataFrame, Flags: flags, Payload: payload, Ext: ext})
}

// End closes the outbound direction cleanly.
func (s *Stream) End(ext any) { s.Send(Frame{Type: EndFrame, Ext: ext}) }

// Abort closes the outbound direction abruptly.
func (s *Stream) Abort(ext any) { s.Send(Frame{Type: AbortFrame, Ext: ext}) }

// Flush sends an extension along the outbound direction without payload.
func (s *Stream) Flush(ext any) { s.Send(Frame{Type: FlushFrame, Ext: ext}) }

// Window grants the peer credit more bytes on the inbound direction,
// with no padding.
func (s *Stream) Window(credit int) {
	if credit > 0 {
		s.Send(Frame{Type: WindowFrame, Credit: credit})
	}
}

// WindowPadded grants credit and sets the padding each Data frame costs
// from now on (see Frame.Padding); later plain Windows keep it. A receiver
// using padding credits back payload plus padding for each frame it
// consumed.
func (s *Stream) WindowPadded(credit, padding int) {
	if padding == 0 {
		padding = -1 // on the wire, 0 means "unchanged"
	}
	s.Send(Frame{Type: WindowFrame, Credit: max(credit, 0), Padding: padding})
}

// Reset refuses further frames on the inbound direction.
func (s *Stream) Reset(ext any) { s.Send(Frame{Type: ResetFrame, Ext: ext}) }

// Challenge asks the peer to re-authorize the inbound direction.
func (s *Stream) Challenge(ext any) { s.Send(Frame{Type: ChallengeFrame, Ext: ext}) }

// Terminate aborts the outbound direction and resets the inbound one, each
// only if still open: the usual way out of a stream on an error.
func (s *Stream) Terminate(ext any) {
	s.Abort(ext)
	s.Reset(ext)
}

// Send sends one frame to the peer. Frames on a direction that is already
// closed are dropped: a binding may race a peer's Reset with its own End.
// The exception is one Reset after the inbound direction ended cleanly,
// which still reaches a peer that has not finished with the stream: it
// refuses what was fully received (an http exit declining a request).
// Sending Data beyond Credit, or anything along a direction before Begin,
// is a bug in the binding and panics, which fails this stream only.
func (s *Stream) Send(f Frame) {
	switch f.Type {
	case BeginFrame:
		if s.out != dirIdle {
			panic(s.violation("begin sent twice"))
		}
		s.out = dirOpen
		s.binding.stats.opensSent.Add(1)
		s.binding.stats.activeSent.Add(1)
	case DataFrame:
		switch {
		case s.out == dirClosed:
			return
		case s.out == dirIdle:
			panic(s.violation("data sent before begin"))
		case len(f.Payload)+s.padding > s.credit:
			panic(s.violation(fmt.Sprintf("data of %d bytes (padding %d) exceeds window credit %d", len(f.Payload), s.padding, s.credit)))
		}
		s.credit -= len(f.Payload) + s.padding
		s.binding.stats.dataSent.Add(int64(len(f.Payload)))
	case FlushFrame:
		if s.out == dirClosed {
			return
		}
		if s.out == dirIdle {
			panic(s.violation("flush sent before begin"))
		}
	case EndFrame, AbortFrame:
		if s.out == dirClosed {
			return
		}
		st := &s.binding.stats
		if s.out == dirOpen {
			st.activeSent.Add(-1)
		}
		s.out = dirClosed
		if f.Type == AbortFrame {
			st.errorsSent.Add(1)
		} else {
			s.outEnded = true
			st.closesSent.Add(1)
		}
	case WindowFrame, ChallengeFrame:
		if s.in == dirClosed {
			return
		}
	case ResetFrame:
		if s.resetSent || s.released || (s.in == dirClosed && !s.inEnded) {
			return
		}
		s.resetSent = true
		if s.in == dirOpen {
			s.binding.stats.activeReceived.Add(-1)
		}
		s.in = dirClosed
		s.binding.stats.errorsSent.Add(1)
	default:
		panic(s.violation("unknown frame type " + f.Type.String()))
	}
	peer := s.peer
	peer.exec.submit(item{to: peer, frame: f})
	if s.in == dirClosed && s.out == dirClosed {
		s.finish()
	}
}

// deliver runs on s.exec: it updates the endpoint's view of both directions
// and hands the frame to the receiver.
func (s *Stream) deliver(f *Frame) {
	if s.failed {
		return
	}
	switch f.Type {
	case BeginFrame:
		if s.in != dirIdle {
			return
		}
		s.in = dirOpen
		s.binding.stats.opensReceived.Add(1)
		s.binding.stats.activeReceived.Add(1)
	case DataFrame, FlushFrame:
		if s.in != dirOpen {
			return
		}
		if f.Type == DataFrame {
			s.binding.stats.dataReceived.Add(int64(len(f.Payload)))
		}
	case EndFrame, AbortFrame:
		if s.in == dirClosed {
			return
		}
		st := &s.binding.stats
		if s.in == dirOpen {
			st.activeReceived.Add(-1)
		}
		s.in = dirClosed
		s.inEnded = f.Type == EndFrame
		if s.inEnded {
			st.closesReceived.Add(1)
		} else {
			st.errorsReceived.Add(1)
		}
	case WindowFrame:
		if s.out == dirClosed {
			return
		}
		s.credit += f.Credit
		if f.Padding != 0 {
			s.padding = max(f.Padding, 0)
		}
	case ResetFrame:
		if s.resetReceived || s.released || (s.out == dirClosed && !s.outEnded) {
			return
		}
		s.resetReceived = true
		if s.out == dirOpen {
			s.binding.stats.activeSent.Add(-1)
		}
		s.out = dirClosed
		s.binding.stats.errorsReceived.Add(1)
	case ChallengeFrame:
		if s.out == dirClosed {
			return
		}
	}
	s.recv.Receive(s, f)
	if s.in == dirClosed && s.out == dirClosed {
		s.finish()
	}
}

// closeByEngine delivers to the endpoint an Abort and a Reset for the
// directions still open, on the engine's behalf.
func (s *Stream) closeByEngine() {
	if s.in != dirClosed {
		s.deliver(&Frame{Type: AbortFrame})
	}
	if s.out != dirClosed {
		s.deliver(&Frame{Type: ResetFrame})
	}
}

// finish releases the endpoint once both of its directions are closed.
func (s *Stream) finish() {
	if s.released {
		return
	}
	s.released = true
	if p := s.parent; p != nil {
		p.unlinkChild(s)
	}
	if s.pair.pending.Add(-1) == 0 {
		s.pair.engine.streams.remove(s.pair)
		s.pair.origin.binding.stats.originLive.Add(-1)
		if log := s.pair.engine.log; log.Enabled(context.Background(), slog.LevelDebug) {
			log.Debug("stream closed", "stream", s.pair.origin.id,
				"origin", s.pair.origin.Binding(), "target", s.pair.target.Binding())
		}
	}
}

// fail contains a panic raised while serving this endpoint: the stream and
// every stream opened on its behalf are terminated, nothing else.
func (s *Stream) fail(r any, stack []byte) {
	if s.failed {
		return
	}
	s.binding.stats.errorsSent.Add(1)
	s.pair.engine.log.Error("stream failed", "binding", s.Binding(), "stream", s.id,
		"panic", fmt.Sprint(r), "stack", string(stack))
	for c := s.firstChild; c != nil; {
		next := c.nextChild
		if c.exec == s.exec {
			c.Terminate(nil)
		} else {
			child := c
			c.Execute(func() { child.Terminate(nil) })
		}
		c = next
	}
	s.Terminate(nil)
	s.failed = true
	s.finish()
}

func (s *Stream) linkChild(c *Stream) {
	c.parent = s
	c.nextChild = s.firstChild
	if s.firstChild != nil {
		s.firstChild.prevChild = c
	}
	s.firstChild = c
}

func (s *Stream) unlinkChild(c *Stream) {
	if c.prevChild != nil {
		c.prevChild.nextChild = c.nextChild
	} else if s.firstChild == c {
		s.firstChild = c.nextChild
	}
	if c.nextChild != nil {
		c.nextChild.prevChild = c.prevChild
	}
	c.parent, c.prevChild, c.nextChild = nil, nil, nil
}

func (s *Stream) violation(what string) error {
	return fmt.Errorf("engine: binding %s broke the stream contract on stream %d: %s", s.Binding(), s.id, what)
}

// String identifies the endpoint in logs.
func (s *Stream) String() string {
	side := "reply"
	if s.Initial() {
		side = "initial"
	}
	return fmt.Sprintf("stream %d (%s, %s -> %s)", s.id, side, s.Binding(), s.Peer())
}
