// Package tcp implements the tcp binding: the edge where sockets become
// streams and streams become sockets.
//
// # Kinds
//
// server listens on options.host at each of options.port (one port, a list,
// or "N-M" ranges) and opens one stream per accepted connection to the exit
// of the first matching route. Routes match on `port` (the local port the
// connection arrived on), `cidr` (the client's address; Zilla matches the
// local address here, which makes allow-listing clients impossible, so we
// follow what users ask of a server) and `authority` (the client's address as
// text, with `*` wildcards). Connections that match no route are closed at
// once and logged. A route's `guarded` is honoured as everywhere else: a new
// connection has no credentials, so only guards that verify an empty
// session (an inline guard with no roles) let it through, and a route whose
// guards require roles is never taken. options.backlog sets the listen backlog (default: the
// operating system's).
//
//	tcp_server:
//	  type: tcp
//	  kind: server
//	  options: { host: 0.0.0.0, port: [8080, "9000-9009"] }
//	  routes:
//	    - when: [{ cidr: 10.0.0.0/8 }]
//	      exit: internal
//	  exit: public
//
// client connects for each stream it accepts, to the destination in the
// stream's proxy.BeginEx or, without one, to options.host and the first
// options.port. With routes, the destination must match one of them (an
// allow-list); without routes but with options.host, the destination must be
// that host. A client is terminal: it has no exit.
//
// # Streams
//
// Each connection is one stream whose Begin carries a proxy.BeginEx with the
// connection's addresses. Bytes read from the socket travel as Data frames
// (never more than the peer's window, so a slow pipeline stops the reads
// rather than buffering); Data received is written to the socket and
// credited back with a Window once written, bounding what is held per
// connection to 64 KiB in each direction. A socket EOF is End; End received
// half-closes the socket for writing once everything is written; Abort or a
// socket error closes it at once. The binding holds no lock on the data path:
// a reader goroutine per connection, and a writer goroutine that exists only
// while there is something to write, hand their results to the stream's
// Executor.
package tcp
