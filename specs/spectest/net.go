package spectest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// netConn is a network-level connection: a socket or an in-memory pipe.
type netConn interface {
	io.ReadWriter
	CloseWrite() error
	Close() error
	// Abort closes at once; a socket sends a TCP reset.
	Abort() error
}

// netReader reads a connection on its own goroutine so that script reads
// can time out without disturbing the connection.
type netReader struct {
	mu     sync.Mutex
	buf    []byte
	err    error
	notify chan struct{}
}

func newNetReader(c netConn) *netReader {
	r := &netReader{notify: make(chan struct{}, 1)}
	go func() {
		chunk := make([]byte, 32<<10)
		for {
			n, err := c.Read(chunk)
			r.mu.Lock()
			r.buf = append(r.buf, chunk[:n]...)
			if err != nil {
				r.err = err
			}
			r.mu.Unlock()
			select {
			case r.notify <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return r
}

// wait returns the buffered bytes and error after fn says it has enough,
// or when the deadline passes.
func (r *netReader) wait(ctx context.Context, enough func(buf []byte, err error) bool) ([]byte, error, bool) {
	for {
		r.mu.Lock()
		buf, err := r.buf, r.err
		done := enough(buf, err)
		r.mu.Unlock()
		if done {
			return buf, err, true
		}
		select {
		case <-r.notify:
		case <-ctx.Done():
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.buf, r.err, false
		}
	}
}

func (r *netReader) consume(n int) {
	r.mu.Lock()
	r.buf = r.buf[n:]
	r.mu.Unlock()
}

func (r *blockRun) netCommand(ctx context.Context, c *Command) error {
	if c.Write {
		var err error
		switch c.Op {
		case "close":
			err = r.netConn.CloseWrite()
		case "abort":
			err = r.netConn.Abort()
		default:
			_, err = r.netConn.Write(c.Value.Bytes)
		}
		if err != nil {
			return r.fail(c, "%v", err)
		}
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, r.opts.timeout())
	defer cancel()
	switch c.Op {
	case "closed", "aborted":
		buf, err, ok := r.net.wait(rctx, func(buf []byte, err error) bool { return len(buf) > 0 || err != nil })
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case !ok:
			return r.fail(c, "connection still open after %v", r.opts.timeout())
		case len(buf) > 0:
			return r.fail(c, "expected the connection %s, got %q", c.Op, preview(buf))
		case c.Op == "closed" && !errors.Is(err, io.EOF):
			return r.fail(c, "expected a clean close, got %v", err)
		case c.Op == "aborted" && errors.Is(err, io.EOF):
			return r.fail(c, "expected the connection aborted, but it closed cleanly")
		}
		return nil
	}
	v := c.Value
	var matched int
	buf, err, ok := r.net.wait(rctx, func(buf []byte, err error) bool {
		if v.Pattern != nil {
			if loc := v.Pattern.FindIndex(buf); loc != nil {
				matched = loc[1]
				return true
			}
			return err != nil
		}
		if len(buf) >= len(v.Bytes) || !bytes.HasPrefix(v.Bytes, buf) {
			return true
		}
		return err != nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if v.Pattern != nil {
		if matched == 0 && (!ok || err != nil) {
			return r.fail(c, "%q does not match %s (%v)", preview(buf), expectation(v), waitError(ok, err, r.opts.timeout()))
		}
		r.net.consume(matched)
		return nil
	}
	if len(buf) < len(v.Bytes) || !bytes.Equal(buf[:len(v.Bytes)], v.Bytes) {
		got := buf
		if len(got) > len(v.Bytes) {
			got = got[:len(v.Bytes)]
		}
		if bytes.HasPrefix(v.Bytes, got) {
			return r.fail(c, "expected %q, got only %q (%v)", preview(v.Bytes), preview(got), waitError(ok, err, r.opts.timeout()))
		}
		return r.fail(c, "expected %q, got %q", preview(v.Bytes), preview(got))
	}
	r.net.consume(len(v.Bytes))
	return nil
}

func waitError(ok bool, err error, d time.Duration) string {
	if !ok {
		return fmt.Sprintf("nothing more within %v", d)
	}
	if errors.Is(err, io.EOF) {
		return "then the connection closed"
	}
	return fmt.Sprintf("then %v", err)
}

// socket is a TCP connection.
type socket struct{ *net.TCPConn }

func (s socket) Abort() error {
	s.SetLinger(0)
	return s.TCPConn.Close()
}

// pipe is one end of an in-memory, buffered, half-closable byte pipe.
type pipe struct {
	in, out *pipeBuffer
}

type pipeBuffer struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    bytes.Buffer
	closed bool
	abort  bool
}

func newPipeBuffer() *pipeBuffer {
	p := &pipeBuffer{}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func newPipe() (*pipe, *pipe) {
	a, b := newPipeBuffer(), newPipeBuffer()
	return &pipe{in: a, out: b}, &pipe{in: b, out: a}
}

func (p *pipe) Read(b []byte) (int, error) {
	in := p.in
	in.mu.Lock()
	defer in.mu.Unlock()
	for in.buf.Len() == 0 && !in.closed {
		in.cond.Wait()
	}
	if in.buf.Len() == 0 {
		if in.abort {
			return 0, syscall.ECONNRESET
		}
		return 0, io.EOF
	}
	return in.buf.Read(b)
}

func (p *pipe) Write(b []byte) (int, error) {
	out := p.out
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.closed {
		return 0, io.ErrClosedPipe
	}
	out.buf.Write(b)
	out.cond.Broadcast()
	return len(b), nil
}

func (p *pipe) CloseWrite() error {
	p.out.close(false)
	return nil
}

func (p *pipe) Close() error {
	p.out.close(false)
	p.in.close(false)
	return nil
}

func (p *pipe) Abort() error {
	p.out.close(true)
	p.in.close(true)
	return nil
}

func (b *pipeBuffer) close(abort bool) {
	b.mu.Lock()
	if !b.closed {
		b.closed, b.abort = true, abort
		if abort {
			b.buf.Reset()
		}
	}
	b.cond.Broadcast()
	b.mu.Unlock()
}
