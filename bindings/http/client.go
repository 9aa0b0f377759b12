package http

import (
	"fmt"
	"sync"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

// maxIdlePerOrigin bounds the idle HTTP/1.1 connections kept per origin.
const maxIdlePerOrigin = 64

// client sends the http streams it accepts to origins, over connections it
// opens as tcp (or tls) streams to the exit of the matching route, and
// keeps them for reuse: HTTP/1.1 connections one exchange at a time,
// HTTP/2 connections shared by many streams.
type client struct {
	bc     *engine.BindingContext
	cfg    *config
	routes []route

	mu    sync.Mutex
	pools map[poolKey]*pool
}

// poolKey identifies an origin: the exit that reaches it and the
// authority and scheme requests name.
type poolKey struct {
	exit      string
	scheme    string
	authority string
}

// pool holds an origin's reusable connections.
type pool struct {
	key   poolKey
	route *route
	idle  []*originConn // HTTP/1.1, idle, most recent last
	h2    []*originConn // HTTP/2 (or expected to be), open or connecting
	isH2  bool          // the origin answered with h2 before
}

func newClient(bc *engine.BindingContext, cfg *config, routes []route) (*client, error) {
	return &client{bc: bc, cfg: cfg, routes: routes, pools: map[poolKey]*pool{}}, nil
}

// Accept takes a request stream, picks or opens a connection to its
// origin, and moves the stream onto that connection's Executor.
func (cl *client) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	be, _ := begin.Ext.(*httpspec.BeginEx)
	if be == nil {
		return nil, fmt.Errorf("%s: request stream without http begin extension", cl.bc.Name())
	}
	r, params := resolveRoute(cl.routes, be.Headers, begin.Authorization)
	if r == nil || r.Exit == nil {
		cl.bc.Log.Warn("no route for request", "method", be.Headers.Value(httpspec.Method),
			"authority", be.Headers.Value(httpspec.Authority), "path", be.Headers.Value(httpspec.Path))
		return nil, fmt.Errorf("%s: no route for request to %s", cl.bc.Name(), be.Headers.Value(httpspec.Authority))
	}
	req := &originReq{s: s}
	headers := be.Headers
	if len(cl.cfg.overrides) > 0 || len(r.overrides) > 0 {
		headers = headers.Clone()
		applyOverrides(&headers, cl.cfg.overrides, r.overrides, params)
		req.overridden = headers
	}
	key := poolKey{exit: r.Exit.Name(), scheme: headers.Value(httpspec.Scheme), authority: headers.Value(httpspec.Authority)}
	conn, fresh := cl.assign(key, r, req)
	req.conn = conn
	s.SetExecutor(conn.exec)
	if fresh {
		// Outside the pool's lock: connecting may fail at once, and the
		// failure takes the lock to forget the connection.
		conn.exec.Execute(conn.connect)
	}
	return req, nil
}

// assign picks a connection for req: an HTTP/2 connection with room, an
// idle HTTP/1.1 one, or a new one (fresh), which the caller connects.
func (cl *client) assign(key poolKey, r *route, req *originReq) (c *originConn, fresh bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	p := cl.pools[key]
	if p == nil {
		p = &pool{key: key, route: r}
		cl.pools[key] = p
	}
	for _, c := range p.h2 {
		if c.reserve() {
			return c, false
		}
	}
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle[len(p.idle)-1] = nil
		p.idle = p.idle[:len(p.idle)-1]
		if c.reserveIdle() {
			return c, false
		}
	}
	c = newOriginConn(cl, p)
	if cl.cfg.h2 && (!cl.cfg.h1 || p.isH2) {
		c.expectH2 = true
		p.h2 = append(p.h2, c)
		c.reserve()
	} else {
		c.reserved = 1
	}
	return c, true
}

// becameH2 records that a connection negotiated h2: later requests share it.
func (cl *client) becameH2(c *originConn) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	c.pool.isH2 = true
	for _, x := range c.pool.h2 {
		if x == c {
			return
		}
	}
	c.pool.h2 = append(c.pool.h2, c)
}

// release puts an idle HTTP/1.1 connection back, or reports false when the
// pool is full and the connection should close.
func (cl *client) release(c *originConn) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if c.dead || len(c.pool.idle) >= maxIdlePerOrigin {
		return false
	}
	c.reserved = 0
	c.pool.idle = append(c.pool.idle, c)
	return true
}

// forget removes a connection that closed from its pool.
func (cl *client) forget(c *originConn) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	c.dead = true
	p := c.pool
	p.idle = removeConn(p.idle, c)
	p.h2 = removeConn(p.h2, c)
	if len(p.idle) == 0 && len(p.h2) == 0 && cl.pools[p.key] == p {
		delete(cl.pools, p.key)
	}
}

// unreserve gives back a stream slot of an HTTP/2 connection.
func (cl *client) unreserve(c *originConn) {
	cl.mu.Lock()
	c.reserved--
	cl.mu.Unlock()
}

func removeConn(list []*originConn, c *originConn) []*originConn {
	for i, x := range list {
		if x == c {
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			return list[:len(list)-1]
		}
	}
	return list
}

var _ engine.Acceptor = (*client)(nil)

// unreserveH1 marks an HTTP/1.1 connection free again.
func (cl *client) unreserveH1(c *originConn) {
	cl.mu.Lock()
	c.reserved = 0
	cl.mu.Unlock()
}

// reservedH1 reports whether a request was assigned to an HTTP/1.1
// connection and has not finished.
func (cl *client) reservedH1(c *originConn) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return c.reserved > 0
}

// setMaxStreams records the concurrency an HTTP/2 origin allows.
func (cl *client) setMaxStreams(c *originConn, n int) {
	cl.mu.Lock()
	c.maxStreams = n
	cl.mu.Unlock()
}

// setGoaway stops new streams on an HTTP/2 connection.
func (cl *client) setGoaway(c *originConn) {
	cl.mu.Lock()
	c.goaway = true
	cl.mu.Unlock()
}
