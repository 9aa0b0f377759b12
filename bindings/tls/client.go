package tls

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/proxy"
)

// client originates TLS for the streams it accepts: each becomes a
// connection to the exit of the first matching route, whose octets are
// the TLS records.
type client struct {
	bc     *engine.BindingContext
	opts   *Options
	routes []route
	config *tls.Config
}

func newClient(bc *engine.BindingContext, opts *Options, routes []route) (*client, error) {
	m, err := loadMaterial(bc, opts)
	if err != nil {
		return nil, err
	}
	lo, hi, err := versions(opts.Version)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: m.certs, MinVersion: lo, MaxVersion: hi}
	if m.trust != nil {
		// The vault's trust replaces the system's CA certificates, unless
		// trustcacerts asks for both. Without trust, the system's are used.
		if cfg.RootCAs, err = trustPool(opts, m); err != nil {
			return nil, err
		}
	}
	return &client{bc: bc, opts: opts, routes: routes, config: cfg}, nil
}

// serverName is the name a client sends and verifies the server's
// certificate against: options.sni, else the stream's authority, else the
// destination host (verified, but not sent when it is an address).
func (c *client) serverName(ext *proxy.BeginEx) string {
	name := ""
	switch {
	case len(c.opts.SNI) > 0:
		name = c.opts.SNI[0]
	case ext != nil && ext.Infos.Authority != "":
		name = ext.Infos.Authority
	case ext != nil:
		name = ext.Address.Destination
	}
	return strings.TrimSuffix(name, ".")
}

// protocols are the application protocols a client offers: options.alpn,
// else the stream's ALPN info.
func (c *client) protocols(ext *proxy.BeginEx) []string {
	if len(c.opts.ALPN) > 0 {
		return c.opts.ALPN
	}
	if ext != nil && ext.Infos.ALPN != "" {
		return []string{ext.Infos.ALPN}
	}
	return nil
}

// configFor returns the client config for one connection.
func (c *client) configFor(serverName string, protocols []string) *tls.Config {
	cfg := c.config.Clone()
	cfg.ServerName = serverName
	cfg.NextProtos = protocols
	return cfg
}

// Accept takes a stream that a route allows; the connection opens with its
// Begin.
func (c *client) Accept(st *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	ext, _ := begin.Ext.(*proxy.BeginEx)
	h := hello{}
	if ext != nil {
		h = hello{authority: ext.Infos.Authority, alpn: ext.Infos.ALPN, port: ext.Address.DestinationPort}
	}
	if h.authority == "" {
		h.authority = c.serverName(ext)
	}
	r := resolve(c.routes, begin.Authorization, h)
	if r == nil || r.Exit == nil {
		c.bc.Log.Warn("no route for tls client stream", "authority", h.authority, "alpn", h.alpn, "port", h.port)
		return nil, fmt.Errorf("%s: no route for authority %q, alpn %q, port %d", c.bc.Name(), h.authority, h.alpn, h.port)
	}
	cc := &clientConn{client: c, route: r, authorization: begin.Authorization, affinity: begin.Affinity}
	if ext != nil {
		cc.begin = *ext
	}
	cc.log = c.bc.Log
	cc.timeout = c.opts.handshakeTimeout()
	cc.app = st
	if cc.begin.Address.Destination != "" {
		cc.peer = cc.begin.Address.DestinationAddr()
	}
	cc.onHandshake = cc.handshakeDone
	return cc, nil
}

// clientConn is the Receiver of an accepted stream; clientNet receives the
// stream it opens toward the server.
type clientConn struct {
	conn
	client        *client
	route         *route
	begin         proxy.BeginEx
	netBegin      proxy.BeginEx
	serverName    string
	authorization uint64
	affinity      uint64
}

// Receive handles the accepted (plaintext) stream.
func (cc *clientConn) Receive(st *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		cc.open()
	case engine.EndFrame:
		cc.appEnded = true
		cc.closeWrite()
	case engine.AbortFrame, engine.ResetFrame:
		if cc.net == nil {
			cc.closed = true
			st.Terminate(nil)
			return
		}
		cc.receiveApp(f)
	default:
		cc.receiveApp(f)
	}
}

// open opens the stream to the exit and starts the handshake, whose
// ClientHello leaves as soon as the exit grants a window.
func (cc *clientConn) open() {
	c := cc.client
	ext := cc.begin
	ns, err := cc.route.Exit.Open(cc.app.Executor(), clientNet{cc}, engine.Frame{
		Ext: &ext, Affinity: cc.affinity, Authorization: cc.authorization})
	if err != nil {
		cc.log.Warn("exit refused tls client stream", "exit", cc.route.Exit.Name(), "error", err)
		cc.closed = true
		cc.app.Terminate(nil)
		return
	}
	cc.net = ns
	cc.serverName = c.serverName(&cc.begin)
	cc.tr = newTransport(addr(cc.begin.Address.SourceAddr()), addr(cc.peer), cc.handshakeIO)
	cc.tc = tls.Client(cc.tr, c.configFor(cc.serverName, c.protocols(&cc.begin)))
	cc.startHandshake()
}

func (cc *clientConn) handshakeDone(err error) {
	if err != nil {
		cc.log.Warn("tls handshake failed", "server", cc.peer, "sni", cc.serverName, "reason", reason(err))
		cc.drain()
		return
	}
	st := cc.tc.ConnectionState()
	ext := proxy.BeginEx{Address: cc.netBegin.Address, Infos: cc.begin.Infos}
	ext.Infos.Authority = cc.serverName
	ext.Infos.ALPN = st.NegotiatedProtocol
	ext.Infos.Secure = true
	cc.app.Begin(&ext)
	cc.app.Window(appWindow)
	cc.log.Debug("tls handshake done", "server", cc.peer, "version", versionName(st.Version),
		"sni", cc.serverName, "alpn", st.NegotiatedProtocol)
	if cc.appEnded {
		cc.closeWrite()
	}
	cc.pump()
}

// clientNet receives the frames of the stream toward the server.
type clientNet struct{ cc *clientConn }

// Receive grants the exit a window once its reply begins (the connection
// is up), then hands frames to the connection.
func (n clientNet) Receive(st *engine.Stream, f *engine.Frame) {
	if f.Type == engine.BeginFrame {
		if ext, ok := f.Ext.(*proxy.BeginEx); ok && ext != nil {
			n.cc.netBegin = *ext
			if n.cc.peer == "" {
				n.cc.peer = ext.Address.DestinationAddr()
			}
		}
		st.Window(netWindow)
		return
	}
	n.cc.receiveNet(f)
}

var (
	_ engine.Acceptor = (*client)(nil)
	_ engine.Receiver = (*clientConn)(nil)
	_ net.Conn        = (*transport)(nil)
)
