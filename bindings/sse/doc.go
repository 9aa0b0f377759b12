// Package sse implements the sse binding: a server that turns HTTP
// requests for an event stream into sse streams, and the events its
// application sends back into the text/event-stream format that browsers'
// EventSource reads.
//
// # Kinds, routes and exits
//
// One kind, `server`. It accepts "http" streams from an http server binding
// (HTTP/1.1 or HTTP/2, where many event streams share one connection) and
// opens "sse" streams (specs/sse) to the exit of the first route whose
// `when[].path` pattern (`*` wildcards) matches the request path without
// its query string. Routes take no `with`.
//
//	sse_server:
//	  type: sse
//	  kind: server
//	  options:
//	    retry: 2000          # ms, written as `retry:` when a stream starts
//	    keep-alive: 30s      # comment line after this much silence (Sluice)
//	  routes:
//	    - when:
//	        - path: /events/*
//	      exit: sse_kafka_proxy
//
// # Behaviour
//
//   - Only GET is served: other methods are answered 405 with `allow: GET`.
//     A request whose accept header excludes text/event-stream (and
//     text/*, */*) is answered 406; a request without accept is served.
//   - The last event id comes from the Last-Event-ID header, else from a
//     lastEventId query parameter (URL-decoded, for clients that cannot set
//     headers); one longer than 254 bytes is answered 400. It reaches the
//     application in the sse begin extension.
//   - No route: 404. An exit that refuses the stream: 502. An application
//     that resets the stream before replying: its sse.ResetEx status, or
//     404.
//   - When the application begins its reply, the response is `200` with
//     `content-type: text/event-stream` (`;ext=timestamp` when the accept
//     header asked for it, and then a `timestamp:` field on each event
//     that has one) and `cache-control: no-cache`.
//   - Events are written `timestamp:`, `id:`, `event:`, then one `data:`
//     line per line of the data, then a blank line. Line breaks in ids and
//     types are dropped, so an id cannot inject fields.
//   - A Challenge frame from the http server (a guard asking for fresh
//     credentials) is written as `event:challenge` with a JSON data object
//     {"method":...,"headers":{...}}; an event in progress finishes first.
//   - A client that goes away aborts the sse stream: the application
//     releases what it holds. An HTTP/1.1 client that closes its connection
//     with a FIN while a response is in progress is noticed by the http
//     server only when a write fails, so for an idle stream the keep-alive
//     comments bound how long a departed client's streams stay (about two
//     keep-alive periods); with `keep-alive: 0` they stay until the next
//     event.
//
// # Flow control and slow clients
//
// The binding holds nothing for an idle stream but its state and a timer.
// It grants its application credit for what the client's connection can
// take, scaled by the ratio of bytes written to payload received (ids and
// `data:` prefixes make an event longer than its data), so a client that
// stops reading stops its application within about one window. The few
// bytes an event renders beyond the credit wait in a queue; a queue beyond
// 1 MiB, which only an application ignoring its credit or events with ids
// far longer than their data can build, closes the stream with a log
// event. Deciding that a client is too far behind belongs to the
// application (sse-kafka drops stalled clients).
//
// # Where we differ from Zilla, and why
//
//   - We write `retry:` (options.retry, default 2000 ms) when a stream
//     starts. Zilla parses the option but does not write it; clients then
//     reconnect after their own default (3 s in Chromium, 5 s in Firefox).
//     `retry: 0` writes none.
//   - We write a `:` comment line after keep-alive seconds of silence
//     (default 30 s, `keep-alive: 0` for none). Zilla has no equivalent
//     option; load balancers and proxies that drop idle connections after
//     60 seconds otherwise cut quiet streams.
//   - We answer 406 to a request whose accept header rules out
//     text/event-stream; Zilla ignores accept. Browsers always send it.
//   - We add `cache-control: no-cache` to the response, which keeps
//     caching proxies from holding the stream back.
//   - `options.requests` (event validation with models) is refused with a
//     configuration error until models exist, rather than ignored.
//   - The query string is not part of the path routes match, as in Zilla;
//     the Last-Event-ID length limit (254 bytes) is Zilla's.
package sse
