package tls

import (
	"errors"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/proxy"
)

// tlsProxy routes TLS connections by the server name and protocols of
// their ClientHello without terminating them: the records pass through
// untouched.
type tlsProxy struct {
	bc      *engine.BindingContext
	routes  []route
	timeout time.Duration
}

func newProxy(bc *engine.BindingContext, opts *Options, routes []route) (*tlsProxy, error) {
	return &tlsProxy{bc: bc, routes: routes, timeout: opts.handshakeTimeout()}, nil
}

// Accept takes a connection's stream; it is routed once its ClientHello
// has arrived.
func (p *tlsProxy) Accept(st *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	pc := &proxyConn{proxy: p, net: st, authorization: begin.Authorization, affinity: begin.Affinity}
	if ext, ok := begin.Ext.(*proxy.BeginEx); ok && ext != nil {
		pc.begin = *ext
	}
	if pc.begin.Address.Source != "" {
		pc.peer = pc.begin.Address.SourceAddr()
	}
	return pc, nil
}

// proxyConn relays one connection: it holds the first bytes until the
// ClientHello is complete, opens the stream to the chosen exit, then
// passes frames both ways within each side's window.
type proxyConn struct {
	proxy         *tlsProxy
	net, app      *engine.Stream
	begin         proxy.BeginEx
	authorization uint64
	affinity      uint64
	peer          string

	hello  []byte   // bytes received before routing
	queue  [][]byte // bytes for the exit, waiting for its window
	queued int
	ended  bool // the client ended: end the exit's stream once queue drains
	timer  *time.Timer
	routed bool
	closed bool
}

// Receive handles the client's stream.
func (pc *proxyConn) Receive(st *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		st.Window(netWindow)
		if pc.proxy.timeout > 0 {
			pc.timer = time.AfterFunc(pc.proxy.timeout, func() { st.Execute(pc.timedOut) })
		}
	case engine.DataFrame:
		if pc.closed {
			return
		}
		if pc.routed {
			pc.queue = append(pc.queue, f.Payload)
			pc.queued += len(f.Payload)
			pc.forward()
			return
		}
		pc.hello = append(pc.hello, f.Payload...)
		pc.route()
	case engine.EndFrame:
		if !pc.routed {
			pc.proxy.bc.Log.Info("tls proxy connection closed before its ClientHello", "client", pc.peer)
			pc.terminate()
			return
		}
		pc.ended = true
		pc.forward()
	case engine.AbortFrame, engine.ResetFrame:
		pc.terminate()
	case engine.WindowFrame:
		if pc.app != nil {
			pc.app.Window(f.Credit)
		}
	}
}

// route reads the ClientHello held so far and, once it is complete, opens
// the stream to the first route matching its server name, one of its
// protocols, and the port.
func (pc *proxyConn) route() {
	log := pc.proxy.bc.Log
	ch, err := parseClientHello(pc.hello)
	if errors.Is(err, errIncomplete) {
		if len(pc.hello) >= netWindow {
			log.Warn("tls proxy connection refused", "client", pc.peer, "reason", "ClientHello larger than the handshake window")
			pc.terminate()
		}
		return
	}
	pc.stopTimer()
	if err != nil {
		log.Warn("tls proxy connection refused", "client", pc.peer, "reason", err.Error())
		pc.terminate()
		return
	}
	h := hello{authority: ch.serverName, port: pc.begin.Address.DestinationPort}
	r, alpn := resolveOffered(pc.proxy.routes, pc.authorization, h, ch.protocols)
	if r == nil || r.Exit == nil {
		log.Warn("no route for tls proxy connection", "client", pc.peer, "sni", ch.serverName,
			"alpn", ch.protocols, "port", h.port)
		pc.terminate()
		return
	}
	ext := pc.begin
	ext.Infos.Authority = ch.serverName
	ext.Infos.ALPN = alpn
	app, err := r.Exit.Open(pc.net.Executor(), proxyApp{pc}, engine.Frame{
		Ext: &ext, Affinity: pc.affinity, Authorization: pc.authorization})
	if err != nil {
		log.Warn("exit refused tls proxy connection", "exit", r.Exit.Name(), "client", pc.peer, "error", err)
		pc.terminate()
		return
	}
	pc.app, pc.routed = app, true
	pc.queue, pc.queued, pc.hello = [][]byte{pc.hello}, len(pc.hello), nil
	pc.forward()
}

// resolveOffered is resolve for a ClientHello: a route's alpn condition
// matches when the client offers that protocol. It returns the route and
// the protocol it matched on ("" when it has no alpn condition).
func resolveOffered(routes []route, authorization uint64, h hello, offered []string) (*route, string) {
	for i := range routes {
		r := &routes[i]
		if !r.Authorized(authorization) {
			continue
		}
		if len(r.conds) == 0 {
			return r, ""
		}
		for _, c := range r.conds {
			if alpn, ok := c.matchAnyALPN(h, offered); ok {
				return r, alpn
			}
		}
	}
	return nil, ""
}

// forward sends queued bytes within the exit's window and credits the
// client for what left.
func (pc *proxyConn) forward() {
	if pc.closed || pc.app == nil {
		return
	}
	sent := 0
	for len(pc.queue) > 0 && pc.app.Credit() > 0 {
		b := pc.queue[0]
		n := min(len(b), pc.app.Credit())
		pc.app.Data(engine.FlagsComplete, b[:n:n], nil)
		if n == len(b) {
			pc.queue[0] = nil
			pc.queue = pc.queue[1:]
		} else {
			pc.queue[0] = b[n:]
		}
		sent += n
	}
	pc.queued -= sent
	if len(pc.queue) == 0 {
		pc.queue = nil
	}
	if sent > 0 {
		pc.net.Window(sent)
	}
	if pc.ended && pc.queued == 0 {
		pc.app.End(nil)
	}
}

func (pc *proxyConn) timedOut() {
	if pc.routed || pc.closed {
		return
	}
	pc.proxy.bc.Log.Warn("tls proxy connection refused", "client", pc.peer, "reason", "handshake timed out")
	pc.terminate()
}

func (pc *proxyConn) stopTimer() {
	if pc.timer != nil {
		pc.timer.Stop()
		pc.timer = nil
	}
}

func (pc *proxyConn) terminate() {
	pc.stopTimer()
	if pc.closed {
		return
	}
	pc.closed = true
	pc.hello, pc.queue = nil, nil
	pc.net.Terminate(nil)
	if pc.app != nil {
		pc.app.Terminate(nil)
	}
}

// proxyApp receives the exit's frames and passes them to the client.
type proxyApp struct{ pc *proxyConn }

func (a proxyApp) Receive(st *engine.Stream, f *engine.Frame) {
	pc := a.pc
	switch f.Type {
	case engine.BeginFrame:
		pc.net.Begin(f.Ext)
	case engine.DataFrame:
		pc.net.Data(f.Flags, f.Payload, nil)
	case engine.EndFrame:
		pc.net.End(nil)
	case engine.FlushFrame:
		pc.net.Flush(f.Ext)
	case engine.AbortFrame, engine.ResetFrame:
		pc.terminate()
	case engine.WindowFrame:
		pc.forward()
	}
}

var (
	_ engine.Acceptor = (*tlsProxy)(nil)
	_ engine.Receiver = (*proxyConn)(nil)
	_ engine.Receiver = proxyApp{}
)
