package tls

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/sluicehq/sluice/engine"
)

const (
	// netWindow is the ciphertext the binding accepts from the network
	// before crypto/tls has read it: the bound on what it queues per
	// connection in that direction. It holds more than one record of the
	// largest size (16 KiB of plaintext plus overhead), so a record never
	// waits for a window.
	netWindow = 64 << 10
	// appWindow is the plaintext the binding accepts for encryption before
	// its ciphertext has left toward the network.
	appWindow = 64 << 10
	// maxRead is the plaintext one Read asks crypto/tls for: one record.
	maxRead = 16 << 10
)

// readBuffers holds record-sized scratch buffers for decryption, shared by
// every connection so that an idle one holds none.
var readBuffers = sync.Pool{New: func() any {
	b := make([]byte, maxRead)
	return &b
}}

// conn is one TLS connection: the network stream that carries its records,
// the application stream that carries its plaintext, and the crypto/tls
// connection between the two. The handshake runs on a goroutine of its
// own; everything else runs on the streams' Executor, where crypto/tls is
// driven without blocking (see transport).
type conn struct {
	log     *slog.Logger
	net     *engine.Stream // records
	app     *engine.Stream // plaintext; nil until opened (server) or accepted (client)
	tr      *transport
	tc      *tls.Conn
	timeout time.Duration
	peer    string // the network peer's address, for logs

	// onHandshake runs on the Executor when the handshake ends, with its
	// error; it is set by the server or client.
	onHandshake func(err error)

	handshaken bool // the handshake succeeded; crypto/tls is driven here
	closed     bool // terminated or drained: the connection is over
	readEOF    bool // the application direction has ended
	appEnded   bool // the application ended its direction
	endNet     bool // end the network direction once the ciphertext is sent
	writes     []pendingWrite
	sent       int64 // ciphertext bytes sent to the network
}

// pendingWrite is plaintext encrypted but not yet credited back: its
// ciphertext ends at byte end of everything written.
type pendingWrite struct {
	end   int64
	plain int
}

// startHandshake runs the handshake on its own goroutine; its end is
// handed to onHandshake on the Executor.
func (c *conn) startHandshake() {
	go func() {
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if c.timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, c.timeout)
		}
		err := c.tc.HandshakeContext(ctx)
		cancel()
		c.net.Execute(func() {
			if c.closed {
				return
			}
			if err == nil {
				c.handshaken = true
				c.tr.nonBlocking()
			}
			c.onHandshake(err)
		})
	}()
}

// handshakeIO is the transport's notify while the handshake runs: ciphertext
// was written or read, so send it or credit the network on the Executor.
func (c *conn) handshakeIO() { c.net.Execute(c.flush) }

// flush sends queued ciphertext within the network's window, credits the
// application for plaintext whose ciphertext has left, credits the network
// for ciphertext crypto/tls has read, and ends the network direction when
// asked to once everything is sent.
func (c *conn) flush() {
	if c.net == nil {
		return
	}
	for c.net.Opened() && !c.net.OutClosed() && c.net.Credit() > 0 {
		b := c.tr.take(c.net.Credit())
		if b == nil {
			break
		}
		c.net.Data(engine.FlagsComplete, b, nil)
		c.sent += int64(len(b))
	}
	credit := 0
	for len(c.writes) > 0 && c.writes[0].end <= c.sent {
		credit += c.writes[0].plain
		c.writes = c.writes[1:]
	}
	if len(c.writes) == 0 {
		c.writes = nil
	}
	if credit > 0 && c.app != nil && !c.closed {
		c.app.Window(credit)
	}
	if n := c.tr.takeRead(); n > 0 && !c.closed {
		c.net.Window(n)
	}
	if c.endNet && c.tr.pending() == 0 && c.net.Opened() {
		c.net.End(nil)
		c.releaseIfDone()
	}
}

// receiveNet handles frames from the network stream's peer.
func (c *conn) receiveNet(f *engine.Frame) {
	switch f.Type {
	case engine.DataFrame:
		c.tr.push(f.Payload)
		c.pump()
	case engine.EndFrame:
		c.tr.end()
		c.pump()
	case engine.AbortFrame:
		c.log.Debug("connection aborted", "peer", c.peer)
		c.terminate()
	case engine.ResetFrame:
		c.terminate()
	case engine.WindowFrame:
		c.flush()
	}
}

// receiveApp handles frames from the application stream's peer, other
// than Begin.
func (c *conn) receiveApp(f *engine.Frame) {
	switch f.Type {
	case engine.DataFrame:
		c.encrypt(f.Payload)
	case engine.EndFrame:
		c.appEnded = true
		c.closeWrite()
	case engine.AbortFrame, engine.ResetFrame:
		c.terminate()
	case engine.WindowFrame:
		c.pump()
	}
}

// pump decrypts queued records into Data frames within the application's
// window, then flushes what reading produced (credit, alerts, key updates).
func (c *conn) pump() {
	if !c.handshaken || c.closed {
		return
	}
	for !c.readEOF && c.app != nil && c.app.Opened() && c.app.Credit() > 0 {
		bp := readBuffers.Get().(*[]byte)
		buf := *bp
		n, err := c.tc.Read(buf[:min(len(buf), c.app.Credit())])
		switch {
		case n >= len(buf)/2:
			// A large read keeps the buffer: it leaves with the frame.
			c.app.Data(engine.FlagsComplete, buf[:n:n], nil)
		case n > 0:
			c.app.Data(engine.FlagsComplete, append([]byte(nil), buf[:n]...), nil)
			readBuffers.Put(bp)
		default:
			readBuffers.Put(bp)
		}
		if err == nil {
			continue
		}
		if errors.Is(err, errWouldBlock) {
			break
		}
		if errors.Is(err, io.EOF) {
			c.readEOF = true
			c.app.End(nil)
			break
		}
		c.log.Warn("tls connection failed", "peer", c.peer, "reason", reason(err))
		c.terminate()
		return
	}
	c.flush()
	c.releaseIfDone()
}

// encrypt writes plaintext to crypto/tls and sends the records it makes.
func (c *conn) encrypt(p []byte) {
	if !c.handshaken || c.closed || len(p) == 0 {
		return
	}
	if _, err := c.tc.Write(p); err != nil {
		c.log.Warn("tls connection failed", "peer", c.peer, "reason", reason(err))
		c.terminate()
		return
	}
	c.writes = append(c.writes, pendingWrite{end: c.tr.writtenBytes(), plain: len(p)})
	c.flush()
}

// closeWrite sends close_notify after the plaintext already written, then
// ends the network direction.
func (c *conn) closeWrite() {
	if !c.handshaken || c.closed {
		return
	}
	if err := c.tc.CloseWrite(); err != nil {
		c.log.Debug("close_notify failed", "peer", c.peer, "error", err)
	}
	c.endNet = true
	c.flush()
}

// drain ends the connection cleanly after a failed handshake or a route
// miss: whatever crypto/tls queued (an alert, close_notify) is sent, then
// the network direction ends; nothing more is read.
func (c *conn) drain() {
	if c.closed {
		return
	}
	c.endNet = true
	c.net.Reset(nil)
	if c.app != nil {
		c.app.Terminate(nil)
	}
	c.flush()
	c.closed = true
}

// terminate ends both streams at once.
func (c *conn) terminate() {
	if !c.closed {
		c.closed = true
		if c.net != nil {
			c.net.Terminate(nil)
		}
		if c.app != nil {
			c.app.Terminate(nil)
		}
	}
	if c.tr != nil {
		c.tr.Close()
	}
}

// releaseIfDone lets go of the queued ciphertext once both streams are
// over. Not before: the network may have ended while records it sent still
// wait for the application's window.
func (c *conn) releaseIfDone() {
	if c.net != nil && c.net.Closed() && (c.app == nil || c.app.Closed()) {
		c.closed = true
		c.tr.Close()
	}
}

// closedEarly reports whether a handshake failed because the peer went
// away, which health checks and port scanners do all the time.
func closedEarly(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// reason renders a TLS error for logs.
func reason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "handshake timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by peer"
	case errors.Is(err, net.ErrClosed):
		return "connection closed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	}
	return err.Error()
}
