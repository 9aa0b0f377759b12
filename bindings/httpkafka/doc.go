// Package httpkafka implements the http-kafka binding: a REST front end on
// Kafka topics. Requests are produced as records (answered when Kafka has
// them, or with the reply a responder wrote to a reply topic), and GETs
// are answered from records, one item or a whole collection, with ETags
// and long-polling.
//
// # Kinds, routes and exits
//
// One kind, proxy. It accepts "http" streams (one HTTP exchange each, from
// an http server) and opens "kafka" merged streams (specs/kafka) to the
// exit of the route a request takes, normally a kafka cache_client:
//
//	tcp server -> http server -> http-kafka proxy -> kafka cache_client -> cache_server -> client
//
// Routes are required, each with an exit and a `with` block; a binding
// level exit is refused. A route's `when` items match `method` (a
// wildcard pattern) and `path` (a pattern whose {name} segments are
// captured as ${params.name}); the first route that matches, and whose
// `guarded` roles the request's session holds, takes it. A request no
// route takes is answered 404, with a log event.
//
//	routes:
//	  - when: [{ method: POST, path: /items }]
//	    exit: kafka_cache_client
//	    with:
//	      capability: produce
//	      topic: items-requests
//	      key: ${idempotencyKey}
//	      reply-to: items-replies
//	      async:
//	        location: /items/;cid=${correlationId}
//	  - when: [{ method: GET, path: /items/{id} }]
//	    exit: kafka_cache_client
//	    with:
//	      capability: fetch
//	      topic: items-snapshots
//	      filters: [{ key: ${params.id} }]
//
// Options: `idempotency.header` (idempotency-key), `correlation.headers`
// `reply-to` (zilla:reply-to) and `correlation-id` (zilla:correlation-id),
// and, a Sluice addition, `timeouts.reply` and `timeouts.wait` (30s each).
//
// # Expressions
//
// `with` values may hold expressions, compiled once when the binding is
// built (expr.go) and expanded per request: ${params.NAME},
// ${idempotencyKey} (the idempotency header, or a random UUID),
// ${correlationId} (async values only), ${guarded['GUARD'].identity} and
// ${guarded['GUARD'].attributes.NAME} (from guards that supply them), and
// ${headers.NAME}, the first value of the request header NAME (a Sluice addition, asked for by
// Zilla users). An unknown expression, a ${params.x} that no `when.path` of
// the route captures, or a guard that is not configured is an error at
// load, with its position.
//
// # Produce (capability: produce)
//
// POST, PUT and PATCH produce the request body as the record value; DELETE
// produces a tombstone (a null value, the body ignored). The record has
// the route's key (or none) and, as headers, the request's content-type
// and the route's `overrides`; `acks` sets Kafka's ack mode. The body is
// streamed into the record as it arrives, without copies: the kafka
// binding assembles it once, up to the largest message the topic allows,
// and refuses a larger one before anything is produced, which is answered
// 413. The answer is 204 once Kafka acknowledged the record; 503 when Kafka
// cannot be reached or the topic is missing (trying again may succeed; a
// record Kafka did not acknowledge is never answered 2xx); 400 when Kafka
// rejected the record.
//
// # Request-reply (reply-to)
//
// With `reply-to`, every request header but content-length and prefer is
// copied to the record, then the reply-to header naming the reply topic,
// then the overrides; an if-match keeps the part after its `/`. The
// correlation id is <idempotency key>-<MD5 of the record's key, headers
// and value>, so an identical retry with the same idempotency key has the
// same id; it is written as a trailer header on the record's last
// fragment. The record stays open while the reply topic is fetched from
// its earliest record filtered on that id, and is only finished once the
// fetch has caught up, so the reply cannot be missed (correlate.go).
//
//   - Synchronous: the first reply is the response: its `:status` header
//     the status (200 when absent), its other headers (but the correlation
//     id, and those that are not valid HTTP fields) the response headers,
//     its value the body, with its content-length.
//   - Asynchronous, when the route has `async` and the request says
//     `prefer: respond-async`: 202, content-length 0 and the `async`
//     headers (the location) once Kafka acknowledged the record. A GET of
//     that location (which a `when` of the same route must match) fetches
//     the reply topic for the correlation id in the path: the reply as soon
//     as it is there, else after `prefer: wait=N` seconds 202 with the
//     location again. It reads only Kafka: any instance answers it.
//   - Idempotency: a reply found on the reply topic before the fetch has
//     caught up answers a repeated request without producing it again (its
//     open record is dropped), for as long as the cache (or Kafka, without
//     a cache) still holds that reply. A repeat that arrives while the
//     first is still unanswered is produced again: responders see
//     duplicate correlation ids and should answer each once.
//
// Kafka errors answer 503 when retriable, 413 for a record too large, 500
// otherwise.
//
// # Fetch (capability: fetch)
//
// A route without `merge` answers with one item: the latest record its
// filters select (OR of the `filters` items, AND inside one), read from the
// earliest record until caught up: 200 with the value, its content-length,
// the record's content-type header and an etag; 204 for an empty value; 404
// for a tombstone or none. With `merge: {content-type: application/json}`
// it answers the collection: 200, content-type application/json and an
// etag, with the JSON array of the latest value of every key (`[]` when
// empty), tombstones and empty values left out.
//
// ETags are Zilla's progress encoding (etag.go, specs/kafka progress.go).
// If-None-Match with an etag of the current state answers 304 with that
// etag; with `prefer: wait=N` the request waits up to N seconds for a newer
// record and is answered 200 the moment one arrives, 304 otherwise.
//
// # Where Sluice differs from Zilla, and why
//
//   - Reply timeout: a synchronous request waits at most timeouts.reply
//     (30s) and is answered 504 with a log event; Zilla waits for ever,
//     which holds streams of clients long gone. A record not yet finished
//     is dropped; one already produced may still be answered, and a retry
//     with the same idempotency key finds that answer.
//   - An async GET without `prefer: wait` waits timeouts.wait (30s), then
//     answers 202 with the location; Zilla waits without bound.
//   - ${headers.NAME} is a Sluice addition.
//   - 413 before producing: a body over the topic's limit is refused by the
//     kafka binding before the record is written, and answered 413 rather
//     than Zilla's 400 or abort, so clients can tell "too large" from
//     "invalid".
//   - A collection with If-None-Match and `prefer: wait` long-polls, as
//     Zilla's documentation says; Zilla answers 304 at once.
//   - A single item is the latest record of its key, not the first one read:
//     on a topic that is not compacted (or not yet), Zilla would answer the
//     oldest value. A collection likewise holds one value per key.
//   - Path matching leaves the query string out unless the pattern has a
//     `?`: /items/{id} matches /items/1?x=y with id 1, where Zilla matches
//     the whole :path and captures "1?x=y".
//   - Prefer preferences are read comma-separated, as RFC 7240 writes
//     them, as well as semicolon-separated, as Zilla reads them.
//   - If-None-Match may be quoted or weak (W/"..."); etags are sent
//     unquoted, as Zilla sends them.
//   - A route's `correlation-id` names the header on the request and on the
//     reply; Zilla filters replies on the options-level name.
//   - A reply's headers that are not valid HTTP fields (names with a colon
//     such as zilla:reply-to, control characters) are not copied to the
//     response, and content-length is always the value's length.
//   - Errors: a Kafka outage is 503 in every mode (Zilla answers 500 or
//     aborts); a record rejected by Kafka is 400 without reply-to and 500
//     with it, as in Zilla.
package httpkafka
