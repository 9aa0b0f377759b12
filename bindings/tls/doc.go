// Package tls implements the tls binding: TLS 1.2 and 1.3 on the streams
// of connections, with Go's crypto/tls, keys and certificates from a vault.
//
// Every kind accepts "tcp" streams (octets with a proxy.BeginEx, as the tcp
// binding opens) and opens "tcp" streams toward its exits.
//
// # Kinds
//
// server terminates TLS. It needs a binding-level vault. Each connection is
// handshaken with the vault keys named by options.keys (or, instead,
// options.signers: every key of the vault whose chain holds one of those
// signer certificates or a certificate they signed). With several keys the
// one whose certificate covers the client's server name is presented, else
// the first. After the handshake it opens one stream to the exit of the
// first matching route; that stream's Data is the plaintext, and its Begin
// carries a copy of the incoming proxy.BeginEx with Infos set: Authority is
// the server name (SNI) the client sent, ALPN the negotiated protocol,
// Secure true, and Identity the subject of the client certificate when one
// was verified.
//
//	tls_server:
//	  type: tls
//	  kind: server
//	  vault: server
//	  options:
//	    keys: [localhost]
//	    sni: [localhost]
//	    alpn: [h2, http/1.1]
//	    trust: [clientca]
//	    mutual: requested
//	  routes:
//	    - when: [{ alpn: h2 }]
//	      exit: http_server
//	  exit: http_server
//
// client originates TLS. For each stream it accepts it opens a stream to the
// exit of the first matching route (normally a tcp client) with a copy of
// the stream's proxy.BeginEx, runs the handshake over it, and begins the
// reply to its origin once the handshake is done, with Infos.ALPN set to
// the negotiated protocol (so an http client can choose HTTP/2),
// Infos.Authority to the server name and Secure set. The server name is
// options.sni (its first entry; TLS sends one), else the stream's
// Infos.Authority, else its destination host; it is sent as SNI (not for an
// IP address) and the server's certificate must cover it. The protocols
// offered are options.alpn, else the stream's Infos.ALPN. options.trust
// names the certificates that verify the server; without trust the system's
// CA certificates are used, and trustcacerts: true uses both. options.keys
// are client certificates, presented when the server asks for one it
// accepts. A failed handshake is logged with the reason; the origin's
// stream is aborted and reset, and the connection ends after whatever alert
// crypto/tls sent.
//
// proxy routes TLS connections without terminating them: it reads the
// ClientHello (which may span several records), chooses the first route
// whose authority matches its server name and whose alpn is one of the
// protocols it offers, and passes the records through untouched both ways.
// The stream to the exit carries a copy of the incoming proxy.BeginEx with
// Infos.Authority set to the server name and Infos.ALPN to the protocol the
// route matched on. A proxy takes no vault; its only option is
// handshakeTimeout.
//
// # Options
//
// keys, trust and signers name vault entries (see the filesystem vault).
// When none of them is given, every key and every trusted certificate of
// the vault is used, as in Zilla. A name the vault does not hold is a
// start-up error naming the vault and the alias.
//
// version is the highest version: TLS (the default: TLS 1.2 or 1.3),
// TLSv1.2 or TLSv1.3. TLS 1.0 and 1.1 are not offered (RFC 8996).
//
// mutual (server) asks for client certificates verified against trust:
// required (the default when trust is given) fails the handshake without a
// valid one, requested accepts a client without one but verifies any it
// sends, none (the default without trust) asks for none. trustcacerts:
// true adds the system's CA certificates to trust for client certificates
// too. mutual is a server option and refused on a client.
//
// handshakeTimeout (a Sluice extension; seconds, or a duration such as
// "500ms") bounds the handshake, and for the proxy the wait for the
// ClientHello; 0 disables it. The default is 10 s, Zilla's
// zilla.binding.tls.handshake.timeout.
//
// # Routes
//
// Routes match, first match wins, on authority (the server name, with *
// wildcards, case-insensitive), alpn (the protocol) and port (the
// connection's local port from the proxy.BeginEx for server and proxy, the
// destination port for client). A server resolves the route after the
// handshake; a connection that matches none is closed with close_notify and
// logged.
//
// # Application protocol negotiation
//
// The server selects, in the client's order of preference, the first
// protocol the client offers that options.alpn allows (any, when alpn is
// not set) and that a route accepts for this server name and port, as
// Zilla does; so a server without alpn behind which routes accept any
// protocol negotiates the client's first choice. A client that offers no
// protocol is served without one. Where we differ: when the client offers
// protocols and none can be selected, Zilla completes the handshake without
// ALPN (and the route lookup then usually fails); we fail the handshake
// with the no_application_protocol alert, as RFC 7301 section 3.2 requires,
// and log what was offered and what is accepted. (crypto/tls makes one
// exception: a client offering only http/1.1 to a server accepting h2 is
// served without ALPN.)
//
// # Server names
//
// A client's server name outside options.sni does not fail the handshake:
// as in Zilla it completes with the configured key, and routes see the
// name the client sent (logged at debug level). A client without SNI is
// served with the first key.
//
// # Failures
//
// A handshake that fails (a plain-text client, an unknown certificate, no
// common protocol or version, a client that stalls past the timeout) is
// logged with its reason and closes that connection only: whatever alert
// crypto/tls produced is sent, then the connection ends. A client that
// goes away during the handshake is logged at info level, the rest at
// warn.
//
// # Streams and flow control
//
// The handshake runs on a goroutine of its own over an in-memory transport:
// ciphertext that arrives in Data frames is queued for crypto/tls, and what
// crypto/tls writes is sent as Data frames within the network's window.
// Once the handshake is done, crypto/tls is driven from the streams'
// Executor: its reads never block (the transport answers "would block",
// which crypto/tls treats as temporary), so an idle connection holds no
// goroutine and no buffer of ours; decryption uses a shared record-sized
// buffer. TestMemoryPerIdleConnection measures what an idle connection
// costs on top of plain tcp: about 7 KiB (crypto/tls's state and ours) and
// no goroutine. Decrypted Data never exceeds the application's window, and the
// network is credited for ciphertext only as crypto/tls takes it, so at
// most 64 KiB of ciphertext (plus one record inside crypto/tls) waits per
// connection. Plaintext from the application is credited back once its
// records have left toward the network, bounding what is held in that
// direction to 64 KiB as well. End becomes close_notify and close_notify
// becomes End; Abort and Reset end both streams at once.
//
// # Dialing
//
// A tls client also implements DialContext(ctx, network, address)
// (net.Conn, error), the optional dialer capability that bindings which
// manage their own connections (the kafka client) look for on their exit
// through Exit.Target: it picks the route for address's host and port,
// dials through that route's exit (which must itself be a dialer: a tcp
// client), and returns a *tls.Conn handshaken with the binding's keys,
// trust, sni and alpn, within ctx and the handshake timeout.
//
// # Differences from Zilla
//
// Besides the ALPN failure above: route conditions on trust and mutual
// (Zilla 2.x), the client's with.certificate and the server's authorization
// (x509 guard) are not supported and rejected by the schema; a client sends
// one server name, not the whole sni list; version names the highest
// version rather than a JSSE context; and handshakeTimeout is an option of
// the binding rather than an engine property.
package tls
