package http

import (
	"sync"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/proxy"
)

// server turns the connections of tcp (or tls) streams into http streams.
type server struct {
	bc     *engine.BindingContext
	cfg    *config
	routes []route

	mu       sync.Mutex
	conns    map[*serverConn]struct{}
	draining bool
}

func newServer(bc *engine.BindingContext, cfg *config, routes []route) (*server, error) {
	return &server{bc: bc, cfg: cfg, routes: routes, conns: map[*serverConn]struct{}{}}, nil
}

// Accept takes a connection stream.
func (s *server) Accept(st *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	c := newServerConn(s, st)
	if pb, ok := begin.Ext.(*proxy.BeginEx); ok {
		c.addr = pb.Address
		c.secure = pb.Infos.Secure
		c.alpn = pb.Infos.ALPN
	}
	s.mu.Lock()
	draining := s.draining
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	c.draining = draining
	return c, nil
}

func (s *server) forget(c *serverConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Drain asks every connection to finish: HTTP/2 connections send GOAWAY,
// HTTP/1.1 connections close after the exchange in progress, idle ones at
// once.
func (s *server) Drain() {
	s.mu.Lock()
	s.draining = true
	conns := make([]*serverConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.net.Execute(c.drain)
	}
}

var (
	_ engine.Acceptor = (*server)(nil)
	_ engine.Drainer  = (*server)(nil)
)
