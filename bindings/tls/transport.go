package tls

import (
	"io"
	"net"
	"sync"
	"time"
)

// transport is the net.Conn that crypto/tls reads ciphertext from and
// writes ciphertext to. It holds no socket: ciphertext that arrives in Data
// frames is queued by the Executor for Read, and what crypto/tls writes is
// queued for the Executor to send as Data frames within the peer's window.
//
// It works in two modes. While the handshake runs on its own goroutine,
// Read blocks until ciphertext arrives, and both Read and Write call
// notify so that the Executor credits and sends what changed. Once the
// handshake is done, the connection is driven from the Executor alone:
// Read never blocks, answering errWouldBlock when nothing is queued, which
// crypto/tls treats as a temporary error and keeps its record state; so an
// idle connection costs no goroutine.
type transport struct {
	mu       sync.Mutex
	in       [][]byte // received ciphertext not yet read, oldest first
	inOff    int      // bytes of in[0] already read
	inLen    int      // bytes queued in in
	read     int      // bytes read since takeRead, to credit the peer
	eof      bool     // the peer ended its direction
	closed   bool
	blocking bool
	ready    chan struct{} // wakes a blocked Read (capacity 1)

	out     [][]byte // ciphertext written, not yet sent
	outLen  int
	written int64 // ciphertext bytes written in all
	notify  func()
	owner   *serverConn // the server connection, for GetConfigForClient
	local   net.Addr
	remote  net.Addr
}

func newTransport(local, remote net.Addr, notify func()) *transport {
	return &transport{blocking: true, ready: make(chan struct{}, 1), notify: notify, local: local, remote: remote}
}

// errWouldBlock is what Read answers when no ciphertext is queued and the
// transport no longer blocks. It is a temporary net.Error, which crypto/tls
// returns to its caller without failing the connection.
var errWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "tls: no ciphertext queued" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// Read copies queued ciphertext into p.
func (t *transport) Read(p []byte) (int, error) {
	t.mu.Lock()
	for t.inLen == 0 {
		switch {
		case t.closed:
			t.mu.Unlock()
			return 0, net.ErrClosed
		case t.eof:
			t.mu.Unlock()
			return 0, io.EOF
		case !t.blocking:
			t.mu.Unlock()
			return 0, errWouldBlock
		}
		t.mu.Unlock()
		<-t.ready
		t.mu.Lock()
	}
	n := 0
	for n < len(p) && t.inLen > 0 {
		head := t.in[0][t.inOff:]
		c := copy(p[n:], head)
		n += c
		t.inLen -= c
		if c == len(head) {
			t.in[0] = nil
			t.in = t.in[1:]
			t.inOff = 0
		} else {
			t.inOff += c
		}
	}
	if len(t.in) == 0 {
		t.in = nil // let the queue's backing array go while idle
	}
	t.read += n
	blocking := t.blocking
	t.mu.Unlock()
	if blocking {
		t.notify()
	}
	return n, nil
}

// Write queues a copy of p (crypto/tls reuses its record buffer).
func (t *transport) Write(p []byte) (int, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return 0, net.ErrClosed
	}
	t.out = append(t.out, append([]byte(nil), p...))
	t.outLen += len(p)
	t.written += int64(len(p))
	blocking := t.blocking
	t.mu.Unlock()
	if blocking {
		t.notify()
	}
	return len(p), nil
}

// Close fails pending and later Reads and Writes.
func (t *transport) Close() error {
	t.mu.Lock()
	t.closed = true
	t.in, t.inLen, t.out, t.outLen = nil, 0, nil, 0
	t.mu.Unlock()
	t.wake()
	return nil
}

func (t *transport) wake() {
	select {
	case t.ready <- struct{}{}:
	default:
	}
}

// push queues ciphertext received from the peer.
func (t *transport) push(b []byte) {
	if len(b) == 0 {
		return
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.in = append(t.in, b)
	t.inLen += len(b)
	t.mu.Unlock()
	t.wake()
}

// end records that the peer will send no more ciphertext.
func (t *transport) end() {
	t.mu.Lock()
	t.eof = true
	t.mu.Unlock()
	t.wake()
}

// nonBlocking switches to the Executor-driven mode.
func (t *transport) nonBlocking() {
	t.mu.Lock()
	t.blocking = false
	t.mu.Unlock()
}

// takeRead returns how many bytes were read since the last call.
func (t *transport) takeRead() int {
	t.mu.Lock()
	n := t.read
	t.read = 0
	t.mu.Unlock()
	return n
}

// writtenBytes returns how many ciphertext bytes were written in all.
func (t *transport) writtenBytes() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.written
}

// coalesceBelow is the size under which queued records are copied together
// into one Data frame.
const coalesceBelow = 4 << 10

// take removes up to max bytes of queued ciphertext, as one slice: small
// records written in a row (a handshake flight) leave in one Data frame,
// a large record in a frame of its own.
func (t *transport) take(max int) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := min(max, t.outLen)
	if n <= 0 {
		return nil
	}
	if head := t.out[0]; len(head) >= n || len(head) >= coalesceBelow {
		// A large record leaves alone, without another copy.
		n = min(n, len(head))
		t.out[0] = head[n:]
		t.popEmpty()
		t.outLen -= n
		return head[:n:n]
	}
	size := 0
	for i := 0; i < len(t.out) && size < n && (i == 0 || len(t.out[i]) < coalesceBelow); i++ {
		size += len(t.out[i])
	}
	n = min(n, size)
	buf := make([]byte, 0, n)
	for len(buf) < n {
		head := t.out[0]
		k := min(len(head), n-len(buf))
		buf = append(buf, head[:k]...)
		t.out[0] = head[k:]
		t.popEmpty()
	}
	t.outLen -= len(buf)
	return buf
}

func (t *transport) popEmpty() {
	if len(t.out[0]) == 0 {
		t.out[0] = nil
		t.out = t.out[1:]
	}
	if len(t.out) == 0 {
		t.out = nil
	}
}

// pending returns how many ciphertext bytes wait to be sent.
func (t *transport) pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.outLen
}

// LocalAddr and RemoteAddr report the connection's addresses from its
// proxy begin extension.
func (t *transport) LocalAddr() net.Addr  { return t.local }
func (t *transport) RemoteAddr() net.Addr { return t.remote }

// Deadlines are not used: the handshake's context bounds it, and after it
// nothing blocks.
func (t *transport) SetDeadline(time.Time) error      { return nil }
func (t *transport) SetReadDeadline(time.Time) error  { return nil }
func (t *transport) SetWriteDeadline(time.Time) error { return nil }

// addr is a net.Addr read from a proxy begin extension.
type addr string

func (a addr) Network() string { return "tcp" }
func (a addr) String() string  { return string(a) }
