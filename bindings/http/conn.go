package http

import (
	"log/slog"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/proxy"
)

// Connection buffering. A connection holds at most inWindow bytes of input
// it has not parsed or forwarded (the window it grants its tcp stream), and
// grants its exits reply credit only while its output queue holds less
// than outLimit bytes. An idle connection holds neither buffer.
const (
	minInWindow = 64 << 10
	outLimit    = 64 << 10
	// lingerTimeout bounds how long a closing connection keeps reading
	// (and discarding) what the client still sends, so that the client
	// reads the response before the socket closes.
	lingerTimeout = 2 * time.Second
)

// protocol is the HTTP version running on a server connection.
type protocol interface {
	// received parses what arrived in c.in.
	received()
	// commit writes pending response heads and bodies into c.out before a
	// flush.
	commit()
	// wrote is called when the tcp stream took output: room for more.
	wrote()
	// inputEnded is called when the client half-closed the connection.
	inputEnded()
	// abort terminates every exchange: the connection is gone.
	abort()
	// timeout acts on expired deadlines and returns the next one (zero:
	// none).
	timeout(now time.Time) time.Time
	// drain starts a graceful close.
	drain()
}

// serverConn is one client connection: the tcp stream it arrives on, its
// input and output buffers, its timer and the protocol codec. Everything
// runs on the tcp stream's Executor.
type serverConn struct {
	srv      *server
	net      *engine.Stream
	log      *slog.Logger
	addr     proxy.Address
	secure   bool
	alpn     string
	draining bool

	proto    protocol
	in       []byte
	inCredit int
	inWindow int
	out      outQueue

	flushQueued bool
	flushTask   func()

	closing bool // end the tcp stream once out is flushed
	ended   bool // tcp stream ended (outbound)
	closed  bool

	timer      *time.Timer
	timerArmed bool
	timerAt    time.Time
	onTimer    func()
	lingerAt   time.Time
}

func newServerConn(s *server, st *engine.Stream) *serverConn {
	c := &serverConn{srv: s, net: st, log: s.bc.Log}
	c.inWindow = max(minInWindow, 2*s.cfg.headerLimit+32<<10)
	c.flushTask = c.runFlush
	c.onTimer = c.timerTask
	return c
}

// Receive handles the frames of the tcp stream.
func (c *serverConn) Receive(s *engine.Stream, f *engine.Frame) {
	if c.proto == nil && f.Type != engine.BeginFrame {
		return // refused at Begin: the stream is being terminated
	}
	switch f.Type {
	case engine.BeginFrame:
		s.Begin(&proxy.BeginEx{Address: c.addr})
		c.start()
	case engine.DataFrame:
		c.inCredit -= len(f.Payload)
		if c.ended || c.closed {
			c.grantInput()
			return
		}
		if len(c.in) == 0 {
			c.in = f.Payload
		} else {
			c.in = append(c.in[:len(c.in):len(c.in)], f.Payload...)
		}
		c.proto.received()
		c.grantInput()
	case engine.EndFrame:
		if c.ended {
			c.finish()
			return
		}
		c.proto.inputEnded()
	case engine.AbortFrame:
		c.proto.abort()
		c.finish()
	case engine.WindowFrame:
		c.out.flush(s)
		c.afterFlush()
	case engine.ResetFrame:
		c.proto.abort()
		c.finish()
	}
}

// start picks the protocol: h2 when TLS negotiated it by ALPN, otherwise
// HTTP/1.1, which switches to h2 on a prior-knowledge preface or an
// `Upgrade: h2c` request.
func (c *serverConn) start() {
	cfg := c.srv.cfg
	switch {
	case c.alpn == "h2" && cfg.h2:
		c.proto = newH2Conn(c, nil)
	case c.alpn == "h2":
		c.log.Warn("client negotiated h2, which this binding does not serve", "client", c.addr.SourceAddr())
		c.abortConn()
		return
	default:
		c.proto = newH1Conn(c)
	}
	c.grantInput()
	if c.draining {
		c.proto.drain()
	}
}

// grantInput tops the tcp stream's credit up to the input window.
func (c *serverConn) grantInput() {
	if c.closed {
		return
	}
	want := c.inWindow - len(c.in) - c.inCredit
	if want > 0 && (want >= c.inWindow/4 || c.inCredit == 0) {
		c.inCredit += want
		c.net.Window(want)
	}
}

// consume drops n parsed bytes of input.
func (c *serverConn) consume(n int) {
	c.in = c.in[n:]
	if len(c.in) == 0 {
		c.in = nil
	}
}

// scheduleFlush flushes once the frames already queued on the Executor have
// been handled, so that a response head, its body and its end usually
// leave in one write and a response that ended by then is sent with a
// content-length instead of chunked.
func (c *serverConn) scheduleFlush() {
	if c.flushQueued || c.closed {
		return
	}
	c.flushQueued = true
	c.net.Execute(c.flushTask)
}

func (c *serverConn) runFlush() {
	c.flushQueued = false
	if c.closed {
		return
	}
	c.proto.commit()
	c.out.flush(c.net)
	c.afterFlush()
}

// flushNow sends what is queued without waiting.
func (c *serverConn) flushNow() {
	c.out.flush(c.net)
	c.afterFlush()
}

func (c *serverConn) afterFlush() {
	if c.closed {
		return
	}
	if c.closing && c.out.empty() && !c.ended {
		c.ended = true
		c.net.End(nil)
		if c.net.InClosed() {
			c.finish()
			return
		}
		c.lingerAt = time.Now().Add(lingerTimeout)
		c.armTimer(c.lingerAt)
		return
	}
	c.proto.wrote()
}

// shutdown ends the connection once its output is written.
func (c *serverConn) shutdown() {
	if c.closing || c.closed {
		return
	}
	c.closing = true
	c.scheduleFlush()
}

// abortConn closes the connection at once.
func (c *serverConn) abortConn() {
	if c.closed {
		return
	}
	c.net.Terminate(nil)
	c.finish()
}

// finish releases the connection; the tcp stream is closed or closing.
func (c *serverConn) finish() {
	if c.closed {
		return
	}
	c.closed = true
	c.net.Terminate(nil)
	if c.timer != nil {
		c.timer.Stop()
	}
	c.in, c.out = nil, outQueue{}
	c.srv.forget(c)
}

func (c *serverConn) drain() {
	if c.closed || c.proto == nil {
		c.draining = true
		return
	}
	c.draining = true
	c.proto.drain()
}

// armTimer makes the timer fire no later than at.
func (c *serverConn) armTimer(at time.Time) {
	if c.closed || at.IsZero() {
		return
	}
	if c.timerArmed && !at.Before(c.timerAt) {
		return
	}
	c.timerArmed, c.timerAt = true, at
	d := time.Until(at)
	if c.timer == nil {
		c.timer = time.AfterFunc(d, func() { c.net.Execute(c.onTimer) })
		return
	}
	c.timer.Reset(d)
}

func (c *serverConn) timerTask() {
	c.timerArmed = false
	if c.closed {
		return
	}
	now := time.Now()
	if c.ended {
		if !now.Before(c.lingerAt) {
			c.net.Reset(nil)
			c.finish()
		} else {
			c.armTimer(c.lingerAt)
		}
		return
	}
	if next := c.proto.timeout(now); !next.IsZero() {
		c.armTimer(next)
	}
}

// client names the connection's peer in logs.
func (c *serverConn) client() string { return c.addr.SourceAddr() }

var _ engine.Receiver = (*serverConn)(nil)
