// Package http implements the http binding: HTTP/1.1 and HTTP/2 servers
// that turn connections into one http stream per request, and clients that
// send http streams to origins over pooled connections. The stream shape is
// defined in specs/http; the sse, http-kafka and grpc bindings sit on it.
//
// # Kinds
//
// server accepts "tcp" streams (from a tcp or tls server) and opens "http"
// streams. client accepts "http" streams and opens "tcp" streams (to a tls
// or tcp client).
//
//	north_http_server:
//	  type: http
//	  kind: server
//	  options:
//	    versions: [h2, http/1.1]
//	    access-control:
//	      policy: cross-origin
//	      allow: { origins: ["https://example.com"], credentials: true }
//	      max-age: 3600
//	    overrides: { x-forwarded-proto: https }
//	  routes:
//	    - when:
//	        - headers: { ":method": GET, ":path": /items/{id} }
//	      with:
//	        headers:
//	          overrides: { x-item-id: "${params.id}" }
//	      exit: items
//	  exit: fallback
//
// # Server
//
// Protocol selection: over TLS, the ALPN protocol the tls binding
// negotiated (its proxy.BeginEx Infos.ALPN) picks h2 or HTTP/1.1. In clear
// text a connection starts as HTTP/1.1; when h2 is among `versions` it
// switches on the prior-knowledge preface (`PRI * HTTP/2.0`) and on an
// `Upgrade: h2c` request (answered `101 Switching Protocols`, the request
// then being stream 1 of the HTTP/2 connection; the upgrade is honoured for
// requests without a body, others are served over HTTP/1.1 as RFC 9113
// allows). Zilla does not implement the h2c upgrade; Sluice does. With
// `versions: [h2]` alone, a clear-text HTTP/1.1 request is answered 505.
//
// Each request is one stream to the exit of the first route whose `when`
// conditions match: every header named must be present and match its
// pattern (`*` any run of characters, `{name}` a parameter of at least one
// character). A `:path` pattern that neither ends in `*` nor contains `?`
// is matched against the path without its query string, so the query is
// optional and stays out of the parameters. The binding's `overrides` and
// the route's `with.headers.overrides` (which may use `${params.name}`) are
// set on the forwarded head, the route's winning. No matching route: 404,
// and a log event naming the binding, the request line, the authority and
// the client. An exit that refuses the stream: 502.
//
// Access control: with `policy: same-origin` (the default) a request whose
// Origin is not the request's own scheme://authority is answered 403; with
// `cross-origin`, preflights (OPTIONS with Origin and
// Access-Control-Request-Method) are answered 204 by the server, and
// allowed requests get access-control-allow-origin (`*`, or the origin
// when origins are listed or credentials allowed, then with `vary:
// origin`), access-control-allow-credentials and
// access-control-expose-headers (the configured list, or every response
// header outside the CORS safelist). A disallowed origin, method or header
// is answered 403.
//
// Responses: a reply without `:status` is answered 200; pseudo-headers and
// hop-by-hop fields of the reply are never written, so an echo exit gives
// back the request's regular headers and body. A reset of the request
// before any reply is answered with the headers of its *ResetEx, or 404. An
// abort of the reply before its head was written is answered 502; after
// it, the HTTP/1.1 connection is aborted, or the HTTP/2 stream reset with
// INTERNAL_ERROR. A reply head the wire cannot carry (an invalid status,
// header name or value) is answered 502.
//
// HTTP/1.1: keep-alive (HTTP/1.0 with `Connection: keep-alive`),
// pipelined requests answered in order, chunked request and response
// bodies with trailers, `Expect: 100-continue` (the 100 goes out when the
// exit first grants credit for the body, so an exit that answers at once
// saves the upload), response header names in canonical case (Content-Type),
// and response framing chosen when the head is written: the exit's
// content-length, else the exact length when the whole reply has already
// arrived (usually the case for small replies), else chunked (HTTP/1.0:
// until the connection closes). The request parser is written here rather
// than taken from net/http, whose reader blocks and whose header map loses
// the order the stream model promises; it works on whatever bytes have
// arrived, on the connection's Executor, and is strict as RFC 9112 asks of
// a server: no obs-fold, no whitespace before a colon, one Host (required
// on HTTP/1.1: 400 without), no Content-Length beside Transfer-Encoding
// (400), transfer codings other than chunked (501), CONNECT (501), a
// version other than 1.0 and 1.1 (505), a request line longer than the
// header limit (414), a longer head (431), expectations other than
// 100-continue (417). A request the server answers itself whose body it
// has not read closes the connection after the answer, unless the body is
// small enough (256 KiB) to read and drop.
//
// HTTP/2: frames are parsed once a whole frame (or a whole header block of
// HEADERS and CONTINUATION frames) is buffered. DATA frames are parsed here
// so their payload reaches the exit without a copy; every other frame,
// HPACK and header validation go through golang.org/x/net/http2's Framer.
// The server advertises 100 concurrent streams (beyond: RST_STREAM
// REFUSED_STREAM), a 64 KiB stream window and a 1 MiB connection window,
// and returns window to the client as exits take the body, so a slow exit
// slows its client rather than filling memory. A stream error sends
// RST_STREAM; a connection error sends GOAWAY with its code and closes; a
// client RST_STREAM aborts the request stream and resets its reply. PING
// is answered, PRIORITY ignored, server push never used. A client that
// resets more than 200 streams before their responses end, when that is
// most of the streams it opened, gets GOAWAY ENHANCE_YOUR_CALM (the "rapid
// reset" attack). Drain (the
// engine's graceful shutdown) sends GOAWAY and lets streams in progress
// finish; HTTP/1.1 connections close after their current exchange.
//
// # Limits and timeouts (Sluice extensions)
//
// Zilla sets these with engine properties; Sluice takes them from two
// option blocks Zilla does not have (a Zilla configuration never needs
// them; one that uses them will not load in Zilla):
//
//	options:
//	  limits:
//	    request-header-bytes: 16384   # 431 beyond (HTTP/2: MAX_HEADER_LIST_SIZE)
//	    request-body-bytes: 0         # 413 beyond; 0 means unbounded
//	    concurrent-streams: 100       # HTTP/2 MAX_CONCURRENT_STREAMS
//	  timeouts:                       # seconds, or durations such as 500ms
//	    request-header: 10            # from a request's first byte (or the connection's start) to the end of its head: 408 and close
//	    request-body: 30              # a body making no progress while its exit waits: 408 (or abort once the response started)
//	    keep-alive: 75                # an idle connection between requests (HTTP/2: with no stream) closes
//
// The values shown are the defaults. No timeout applies to a response in
// progress: a reply stream (an SSE stream) may stay open for hours. A
// client keeps `timeouts.keep-alive` for its idle pooled connections; the
// request timeouts are the server's, and refused on a client.
//
// An HTTP/1.1 client that closes its side of the connection (a FIN) while
// its response is still being produced has gone away, as net/http and
// nginx (its 499) take it: the exit's stream is reset and the connection
// closed, so an event stream or a long poll does not run on for nobody. A
// FIN after the response is complete on the wire (its head written and no
// body bytes left by its framing: a 204, a 304, a HEAD, a full
// content-length) is a plain half-close, even if the exit has not ended
// its stream yet: the connection closes cleanly once its output is out.
//
// # Client
//
// The client routes each request stream by its headers to a tls or tcp
// client exit, applies its `overrides` (`:scheme` and `:authority` among
// them: the authority is the Host the origin sees and the TLS server name),
// and sends it over a connection to that exit, reused for later requests
// to the same exit and authority: an idle HTTP/1.1 connection (up to 64
// kept per origin, closed after the keep-alive timeout), or a shared HTTP/2
// connection (up to the origin's MAX_CONCURRENT_STREAMS; beyond, requests
// wait for a stream to finish). `versions: [h2]` speaks HTTP/2 with prior
// knowledge; with both versions (the default), HTTP/2 is used when the tls
// client's ALPN negotiated it, HTTP/1.1 otherwise. HTTP/2 streams open
// once the origin's SETTINGS have arrived, within its concurrency. A
// request is sent again once, when no body byte of it was sent, if its
// reused HTTP/1.1 connection turns out closed by the origin before any
// response, or if an HTTP/2 origin refuses its stream (REFUSED_STREAM). An origin
// that cannot be reached, closes or resets before responding is answered
// 502 by the client itself. The exit decides where connections go (for
// example a tcp client's host and port): the client does not take the
// destination from the request.
//
// # Streams and memory
//
// Each connection's state lives on the Executor of its tcp stream: the
// binding runs no goroutine of its own per connection, never blocks, and
// takes no lock on the data path (the client's connection pool is the one
// shared structure). An idle connection holds no buffer: input buffers
// exist while bytes are unparsed, output queues while bytes are unsent,
// and timers are one time.Timer per connection re-armed lazily. Flow
// control runs end to end: the server grants its tcp stream at most 64 KiB
// (more when the header limit needs it) beyond what it parsed, forwards
// request bodies only within the exit's credit, and grants exits reply
// credit only while its output queue holds less than 64 KiB; so a 1 GB
// upload or download never sits in memory.
//
// # Where Sluice differs from Zilla, and why
//
//   - `Upgrade: h2c` is served (Zilla leaves it as a TODO); users ask for it
//     and curl --http2 uses it.
//   - An exit that aborts before the response head gets the client a 502
//     rather than an aborted connection: invariant 4 of the stream model
//     promises a clean 5xx.
//   - With `allow.credentials`, access-control-allow-origin echoes the
//     origin even when origins are not listed: browsers refuse `*` with
//     credentials.
//   - Limits and timeouts are options (`limits`, `timeouts`) rather than
//     engine properties; they are Sluice extensions.
//   - No `Date` or `Server` response header is added: the exit's response
//     passes as it is.
//
// # Not yet
//
// `authorization` (credentials extraction, guards, challenge) and
// `requests` (typed validation with models) are checked against the schema
// and then refused at start-up with an error naming the option: they
// arrive with the JWT guard and the models, and until then a configuration
// that relies on them must not run with them quietly ignored. HTTP/2 server push and HTTP/1.1 upgrades other than h2c
// (WebSocket) are not supported.
package http
