package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/proxy"
)

var errConnReset = syscall.ECONNRESET

// server accepts connections on its ports and opens a stream per connection.
type server struct {
	bc     *engine.BindingContext
	opts   *Options
	routes []route

	mu        sync.Mutex
	listeners []*net.TCPListener
	draining  bool
	conns     map[*conn]struct{}
	wg        sync.WaitGroup
}

func newServer(bc *engine.BindingContext, opts *Options, routes []route) (*server, error) {
	if opts == nil || len(opts.Port) == 0 {
		return nil, engine.FieldErrorf("options.port", "a tcp server needs at least one port")
	}
	if _, err := netip.ParseAddr(opts.Host); err != nil && opts.Host != "localhost" && opts.Host != "" {
		if _, lerr := net.LookupHost(opts.Host); lerr != nil {
			return nil, engine.FieldErrorf("options.host", "cannot resolve host %q: %v", opts.Host, lerr)
		}
	}
	return &server{bc: bc, opts: opts, routes: routes, conns: map[*conn]struct{}{}}, nil
}

// Start listens on every port; one port in use fails the whole start.
func (s *server) Start(ctx context.Context) error {
	lc := net.ListenConfig{KeepAlive: -1}
	for _, port := range s.opts.Port {
		addr := net.JoinHostPort(s.opts.Host, strconv.Itoa(port))
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			s.Close()
			return fmt.Errorf("cannot listen on %s: %w", addr, err)
		}
		ln := l.(*net.TCPListener)
		if s.opts.Backlog > 0 {
			if err := setBacklog(ln, s.opts.Backlog); err != nil {
				ln.Close()
				s.Close()
				return fmt.Errorf("cannot set backlog on %s: %w", addr, err)
			}
		}
		s.mu.Lock()
		s.listeners = append(s.listeners, ln)
		s.mu.Unlock()
		s.bc.Log.Info("listening", "address", ln.Addr().String())
		s.wg.Add(1)
		go s.acceptLoop(ln, port)
	}
	return nil
}

// setBacklog calls listen(2) again, which on Linux changes the backlog of
// a listening socket.
func setBacklog(ln *net.TCPListener, backlog int) error {
	raw, err := ln.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := raw.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), backlog) }); err != nil {
		return err
	}
	return lerr
}

// Addrs returns the listening addresses, for tests and embedders that
// configured port 0.
func (s *server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr()
	}
	return out
}

func (s *server) acceptLoop(ln *net.TCPListener, port int) {
	defer s.wg.Done()
	delay := 5 * time.Millisecond
	for {
		nc, err := ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off, keep serving.
			s.bc.Log.Warn("accept failed", "error", err, "retry", delay)
			time.Sleep(delay)
			delay = min(2*delay, time.Second)
			continue
		}
		delay = 5 * time.Millisecond
		s.serve(nc, port)
	}
}

func (s *server) serve(nc *net.TCPConn, port int) {
	remote := nc.RemoteAddr().(*net.TCPAddr).AddrPort()
	local := nc.LocalAddr().(*net.TCPAddr).AddrPort()
	// A new connection has no authorization yet: a guarded route is taken
	// only if its guards verify session 0 (an inline guard with no roles).
	r := resolve(s.routes, 0, endpoint{addr: remote.Addr(), port: int(local.Port())})
	if r == nil || r.Exit == nil {
		s.bc.Log.Warn("no route for connection", "client", remote.String(), "port", port)
		nc.SetLinger(0)
		nc.Close()
		return
	}
	c := newConn(s.bc.Log)
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	c.onClosed = func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}
	begin := &proxy.BeginEx{Address: proxy.Address{
		Protocol:    "stream",
		Source:      remote.Addr().Unmap().String(),
		SourcePort:  int(remote.Port()),
		Destination: local.Addr().Unmap().String(), DestinationPort: int(local.Port()),
	}}
	exec := engine.NewExecutor()
	exec.Execute(func() {
		st, err := r.Exit.Open(exec, c, engine.Frame{Ext: begin})
		if err != nil {
			s.bc.Log.Warn("exit refused connection", "exit", r.Exit.Name(), "client", remote.String(), "error", err)
			nc.SetLinger(0)
			nc.Close()
			c.onClosed()
			return
		}
		c.s = st
		c.attach(nc)
	})
}

// Drain stops accepting connections; open ones go on.
func (s *server) Drain() {
	s.mu.Lock()
	s.draining = true
	ls := s.listeners
	s.listeners = nil
	s.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
}

// Close stops accepting and waits for the accept loops to end. Streams of
// open connections are ended by the engine before bindings close.
func (s *server) Close() error {
	s.Drain()
	s.wg.Wait()
	return nil
}

var (
	_ engine.Starter = (*server)(nil)
	_ engine.Drainer = (*server)(nil)
)
