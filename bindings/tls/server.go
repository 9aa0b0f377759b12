package tls

import (
	"crypto/tls"
	"slices"
	"sync"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/proxy"
)

// server terminates TLS on the streams it accepts and opens a plaintext
// stream per connection to the exit of the first matching route.
type server struct {
	bc     *engine.BindingContext
	opts   *Options
	routes []route
	config *tls.Config
	mutual string

	mu         sync.Mutex
	byProtocol map[string]*tls.Config // config clones that select one protocol
}

// maxProtocolConfigs bounds the cache of per-protocol configs; beyond it a
// handshake clones its own.
const maxProtocolConfigs = 64

// unsupportedProtocol is offered when no protocol the client asked for may
// be selected, so that crypto/tls fails the handshake with the
// no_application_protocol alert (RFC 7301, section 3.2).
const unsupportedProtocol = "sluice-no-common-protocol"

func newServer(bc *engine.BindingContext, opts *Options, routes []route) (*server, error) {
	if bc.Vault() == nil {
		if bc.Config.Vault != "" {
			return nil, engine.FieldErrorf("vault", "vault %s did not load", vaultName(bc))
		}
		return nil, engine.FieldErrorf("vault", "a tls server needs a vault for its keys")
	}
	if len(opts.Keys) > 0 && len(opts.Signers) > 0 {
		return nil, engine.FieldErrorf("options.signers", "a tls server takes keys or signers, not both")
	}
	m, err := loadMaterial(bc, opts)
	if err != nil {
		return nil, err
	}
	if len(m.certs) == 0 {
		return nil, engine.FieldErrorf("vault", "vault %s holds no key for the tls server", vaultName(bc))
	}
	lo, hi, err := versions(opts.Version)
	if err != nil {
		return nil, err
	}
	mutual := mutualMode(opts)
	if mutual != MutualNone && m.trust == nil {
		return nil, engine.FieldErrorf("options.mutual", "mutual %s needs trust: options.trust names none and vault %s holds no trusted certificate", mutual, vaultName(bc))
	}
	clientCAs, err := trustPool(opts, m)
	if err != nil {
		return nil, err
	}
	s := &server{bc: bc, opts: opts, routes: routes, mutual: mutual, byProtocol: map[string]*tls.Config{}}
	s.config = &tls.Config{
		Certificates: m.certs,
		ClientCAs:    clientCAs,
		ClientAuth:   clientAuth(mutual),
		MinVersion:   lo,
		MaxVersion:   hi,
	}
	s.config.GetConfigForClient = s.configForClient
	return s, nil
}

// Accept takes a connection's stream; the handshake starts with its Begin.
func (s *server) Accept(st *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	sc := &serverConn{server: s, authorization: begin.Authorization, affinity: begin.Affinity}
	if ext, ok := begin.Ext.(*proxy.BeginEx); ok && ext != nil {
		sc.begin = *ext
	}
	sc.log = s.bc.Log
	sc.timeout = s.opts.handshakeTimeout()
	sc.net = st
	sc.peer = sc.begin.Address.SourceAddr()
	if sc.begin.Address.Source == "" {
		sc.peer = ""
	}
	sc.onHandshake = sc.handshakeDone
	sc.tr = newTransport(addr(sc.begin.Address.DestinationAddr()), addr(sc.begin.Address.SourceAddr()), sc.handshakeIO)
	sc.tr.owner = sc
	sc.tc = tls.Server(sc.tr, s.config)
	return sc, nil
}

// configForClient selects the application protocol the way Zilla does, in
// the client's order of preference: the first protocol the client offers
// that options.alpn allows (when set) and that a route accepts for this
// server name and port. Without such a protocol the handshake fails.
func (s *server) configForClient(chi *tls.ClientHelloInfo) (*tls.Config, error) {
	sc, _ := chi.Conn.(*transport)
	if len(chi.SupportedProtos) == 0 || sc == nil || sc.owner == nil {
		return nil, nil
	}
	c := sc.owner
	h := hello{authority: chi.ServerName, port: c.begin.Address.DestinationPort}
	for _, p := range chi.SupportedProtos {
		if len(s.opts.ALPN) > 0 && !slices.Contains(s.opts.ALPN, p) {
			continue
		}
		h.alpn = p
		if resolve(s.routes, c.authorization, h) != nil {
			return s.protocolConfig(p), nil
		}
	}
	c.refused = chi.SupportedProtos
	return s.protocolConfig(unsupportedProtocol), nil
}

// protocolConfig returns the server's config offering only protocol.
func (s *server) protocolConfig(protocol string) *tls.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cfg, ok := s.byProtocol[protocol]; ok {
		return cfg
	}
	cfg := s.config.Clone()
	cfg.GetConfigForClient = nil
	cfg.NextProtos = []string{protocol}
	if len(s.byProtocol) < maxProtocolConfigs {
		s.byProtocol[protocol] = cfg
	}
	return cfg
}

// serverConn is the Receiver of a connection's stream and of the
// plaintext stream it opens.
type serverConn struct {
	conn
	server        *server
	begin         proxy.BeginEx
	authorization uint64
	affinity      uint64
	refused       []string // protocols offered when none could be selected
}

// Receive handles the network stream.
func (sc *serverConn) Receive(st *engine.Stream, f *engine.Frame) {
	if f.Type == engine.BeginFrame {
		st.Begin(nil)
		st.Window(netWindow)
		sc.startHandshake()
		return
	}
	sc.receiveNet(f)
}

func (sc *serverConn) handshakeDone(err error) {
	log := sc.log
	if err != nil {
		switch {
		case sc.refused != nil:
			log.Warn("tls handshake failed", "client", sc.peer,
				"reason", "no application protocol in common", "offered", sc.refused, "accepted", sc.accepted())
		case closedEarly(err):
			log.Info("tls handshake failed", "client", sc.peer, "reason", reason(err))
		default:
			log.Warn("tls handshake failed", "client", sc.peer, "reason", reason(err))
		}
		sc.drain()
		return
	}
	st := sc.tc.ConnectionState()
	h := hello{authority: st.ServerName, alpn: st.NegotiatedProtocol, port: sc.begin.Address.DestinationPort}
	if len(sc.server.opts.SNI) > 0 && st.ServerName != "" && !containsFold(sc.server.opts.SNI, st.ServerName) {
		log.Debug("server name outside options.sni", "client", sc.peer, "sni", st.ServerName)
	}
	r := resolve(sc.server.routes, sc.authorization, h)
	if r == nil || r.Exit == nil {
		log.Warn("no route for tls connection", "client", sc.peer, "sni", st.ServerName,
			"alpn", st.NegotiatedProtocol, "port", h.port)
		sc.tc.CloseWrite()
		sc.drain()
		return
	}
	ext := sc.begin
	ext.Infos.Authority = st.ServerName
	ext.Infos.ALPN = st.NegotiatedProtocol
	ext.Infos.Secure = true
	ext.Infos.Identity = identity(st)
	app, err := r.Exit.Open(sc.net.Executor(), appReceiver{&sc.conn}, engine.Frame{
		Ext: &ext, Affinity: sc.affinity, Authorization: sc.authorization})
	if err != nil {
		log.Warn("exit refused tls connection", "exit", r.Exit.Name(), "client", sc.peer, "error", err)
		sc.tc.CloseWrite()
		sc.drain()
		return
	}
	sc.app = app
	log.Debug("tls handshake done", "client", sc.peer, "version", versionName(st.Version),
		"sni", st.ServerName, "alpn", st.NegotiatedProtocol, "identity", ext.Infos.Identity)
	sc.flush()
}

// accepted lists the protocols the server accepts, for logs.
func (sc *serverConn) accepted() []string {
	if len(sc.server.opts.ALPN) > 0 {
		return sc.server.opts.ALPN
	}
	var out []string
	for _, r := range sc.server.routes {
		for _, c := range r.conds {
			if c.alpn != "" && !slices.Contains(out, c.alpn) {
				out = append(out, c.alpn)
			}
		}
	}
	return out
}

// appReceiver receives the plaintext stream's frames.
type appReceiver struct{ c *conn }

// Receive grants the exit a window once it begins its reply, then hands
// frames to the connection.
func (a appReceiver) Receive(st *engine.Stream, f *engine.Frame) {
	if f.Type == engine.BeginFrame {
		st.Window(appWindow)
		return
	}
	a.c.receiveApp(f)
}

var (
	_ engine.Acceptor = (*server)(nil)
	_ engine.Receiver = (*serverConn)(nil)
)
