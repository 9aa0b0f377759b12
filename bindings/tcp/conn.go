package tcp

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/engine"
)

const (
	// writeWindow is how many bytes the binding accepts for writing before
	// the socket has taken them: the bound on what it holds per connection.
	writeWindow = 64 << 10
	// Read buffers start small, because most connections are idle or
	// exchange small messages, and double while reads fill them.
	minReadBuffer = 2 << 10
	maxReadBuffer = 64 << 10
)

// conn pumps bytes between a socket and the binding's stream endpoint.
// Everything but the reader and writer goroutines runs on the endpoint's
// Executor.
type conn struct {
	s   *engine.Stream
	nc  *net.TCPConn
	log *slog.Logger

	// readable mirrors the endpoint's credit for the reader goroutine: it
	// reads no more than the peer accepts. wake is signalled when it grows
	// or the connection stops reading.
	readable    atomic.Int64
	wake        chan struct{}
	stopReading atomic.Bool

	wmu          sync.Mutex
	pending      net.Buffers
	recycle      [][]byte // pooled buffers in pending, to recycle once written
	pendingBytes int
	writing      bool // a writer goroutine is running
	endWrite     bool // half-close once pending is written
	writeFailed  bool

	raw      syscall.RawConn // for non-blocking writes on the Executor
	closed   bool            // socket closed (executor)
	onClosed func()

	// try is tryWrite's scratch, owned by the Executor: the callback that
	// raw.Write runs and what it reads and returns, made once per
	// connection rather than once per write.
	try struct {
		p   []byte
		n   int
		err error
		fn  func(fd uintptr) bool
	}
}

func newConn(log *slog.Logger) *conn {
	return &conn{log: log, wake: make(chan struct{}, 1)}
}

// attach binds an accepted or dialed socket and starts reading.
func (c *conn) attach(nc *net.TCPConn) {
	c.nc = nc
	go c.readLoop()
}

// Receive handles frames from the peer endpoint.
func (c *conn) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		s.Window(writeWindow)
	case engine.DataFrame:
		c.write(f.Payload, f.Flags&engine.FlagPooled != 0)
	case engine.EndFrame:
		c.endWriting()
	case engine.AbortFrame:
		c.abort()
	case engine.WindowFrame:
		c.readable.Add(int64(f.Credit))
		c.signal()
	case engine.ResetFrame:
		c.stopRead()
	}
	c.closeIfDone()
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// readLoop reads within the peer's window and posts each read as Data.
//
// A read that fills most of its buffer hands the buffer itself over as the
// payload (its ownership passes with the frame) and the next read gets a
// fresh one; a small read is copied into an exact-size slice and the buffer
// kept. Bulk transfers so avoid a copy, and idle or chatty connections hold
// one small buffer.
func (c *conn) readLoop() {
	size := minReadBuffer
	var buf []byte
	small := 0
	for {
		avail := c.readable.Load()
		for avail <= 0 {
			<-c.wake
			if c.stopReading.Load() {
				return
			}
			avail = c.readable.Load()
		}
		if c.stopReading.Load() {
			return
		}
		if buf == nil {
			buf = engine.NewBuffer(size)
		}
		n, err := c.nc.Read(buf[:min(int64(len(buf)), avail)])
		if n > 0 {
			c.readable.Add(-int64(n))
			var data []byte
			flags := engine.FlagsComplete
			if n >= len(buf)/4 {
				// the whole pooled buffer goes, for the last holder to recycle
				data, buf, flags = buf[:n], nil, flags|engine.FlagPooled
			} else {
				// append to nil allocates without zeroing what it copies
				data = append([]byte(nil), buf[:n]...)
			}
			c.s.SendOnExecutor(engine.Frame{Type: engine.DataFrame, Flags: flags, Payload: data})
			switch {
			case n == size && size < maxReadBuffer:
				size, small = 2*size, 0
				buf = recycled(buf)
			case n < size/8 && size > minReadBuffer:
				if small++; small > 8 {
					size, small = minReadBuffer, 0
					buf = recycled(buf)
				}
			}
		}
		if err != nil {
			recycled(buf)
			if c.stopReading.Load() {
				return
			}
			if errors.Is(err, io.EOF) {
				c.s.Execute(func() {
					c.s.End(nil)
					c.closeIfDone()
				})
			} else {
				c.s.Execute(func() { c.fail("read", err) })
			}
			return
		}
	}
}

// recycled gives a read buffer back to the pool and returns nil.
func recycled(buf []byte) []byte {
	if buf != nil {
		engine.Recycle(buf)
	}
	return nil
}

// write sends payload to the socket. When nothing is queued it first tries
// a non-blocking write on the Executor, which succeeds whenever the socket
// buffer has room: no goroutine handoff, and the peer is credited at once.
// What the socket does not take is queued for the writer goroutine.
//
// A payload marked engine.FlagPooled is recycled once written.
func (c *conn) write(payload []byte, pooled bool) {
	orig := payload
	c.wmu.Lock()
	if c.writeFailed || c.endWrite {
		c.wmu.Unlock()
		return
	}
	if !c.writing {
		c.wmu.Unlock()
		n, err := c.tryWrite(payload)
		if err != nil {
			c.wmu.Lock()
			c.writeFailed = true
			c.wmu.Unlock()
			c.fail("write", err)
			return
		}
		if n > 0 {
			c.s.Window(n)
		}
		if n == len(payload) {
			if pooled {
				engine.Recycle(orig)
			}
			return
		}
		payload = payload[n:]
		c.wmu.Lock()
	}
	c.pending = append(c.pending, payload)
	if pooled {
		c.recycle = append(c.recycle, orig)
	}
	c.pendingBytes += len(payload)
	start := !c.writing
	c.writing = true
	c.wmu.Unlock()
	if start {
		go c.writeLoop()
	}
}

// tryWrite makes one non-blocking write attempt; a full socket buffer is
// not an error.
func (c *conn) tryWrite(p []byte) (int, error) {
	if c.raw == nil {
		raw, err := c.nc.SyscallConn()
		if err != nil {
			return 0, err
		}
		c.raw = raw
	}
	t := &c.try
	if t.fn == nil {
		t.fn = func(fd uintptr) bool {
			for {
				t.n, t.err = syscall.Write(int(fd), t.p)
				if t.err != syscall.EINTR {
					return true
				}
			}
		}
	}
	t.p, t.n, t.err = p, 0, nil
	err := c.raw.Write(t.fn)
	n, werr := t.n, t.err
	t.p, t.err = nil, nil
	switch {
	case err != nil:
		return 0, err
	case werr == syscall.EAGAIN:
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return n, nil
}

func (c *conn) endWriting() {
	c.wmu.Lock()
	c.endWrite = true
	start := !c.writing && !c.writeFailed
	c.writing = c.writing || start
	c.wmu.Unlock()
	if start {
		go c.writeLoop()
	}
}

// writeLoop writes everything queued with writev, credits the peer for
// what was written, and exits when the queue is empty.
func (c *conn) writeLoop() {
	for {
		c.wmu.Lock()
		bufs, n, done := c.pending, c.pendingBytes, c.recycle
		c.pending, c.pendingBytes, c.recycle = nil, 0, nil
		if len(bufs) == 0 {
			c.writing = false
			half := c.endWrite
			c.wmu.Unlock()
			if half {
				err := c.nc.CloseWrite()
				c.s.Execute(func() {
					if err != nil && !c.closed {
						c.log.Debug("half-close failed", "error", err)
					}
					c.closeIfDone()
				})
			}
			return
		}
		c.wmu.Unlock()
		if _, err := bufs.WriteTo(c.nc); err != nil {
			c.wmu.Lock()
			c.writeFailed, c.writing, c.pending, c.recycle = true, false, nil, nil
			c.wmu.Unlock()
			c.s.Execute(func() { c.fail("write", err) })
			return
		}
		for _, b := range done {
			engine.Recycle(b)
		}
		c.s.Execute(func() { c.s.Window(n) })
	}
}

func (c *conn) writerIdle() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return !c.writing
}

func (c *conn) stopRead() {
	if c.stopReading.Swap(true) {
		return
	}
	c.signal()
	if c.nc != nil {
		c.nc.SetReadDeadline(time.Now()) // unblock a pending Read
	}
}

// fail ends the stream after a socket error.
func (c *conn) fail(op string, err error) {
	if c.closed {
		return
	}
	if !isClosedError(err) {
		c.log.Debug("connection "+op+" failed", "error", err)
	}
	c.s.Terminate(nil)
	c.abort()
}

// abort closes the socket at once, with a TCP reset.
func (c *conn) abort() {
	c.stopRead()
	if c.nc != nil && !c.closed {
		c.nc.SetLinger(0)
	}
	c.close()
}

// closeIfDone closes the socket once both directions of the stream are
// closed and nothing is left to write.
func (c *conn) closeIfDone() {
	if !c.closed && c.s != nil && c.s.Closed() && c.writerIdle() {
		c.stopRead()
		c.close()
	}
}

func (c *conn) close() {
	if c.closed {
		return
	}
	c.closed = true
	c.s.Terminate(nil)
	if c.nc != nil {
		c.nc.Close()
	}
	if c.onClosed != nil {
		c.onClosed()
	}
}

func isClosedError(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, errConnReset)
}
