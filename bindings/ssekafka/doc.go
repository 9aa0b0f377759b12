// Package ssekafka implements the sse-kafka binding: it serves event
// streams from Kafka topics, one merged fetch per stream, usually from a
// kafka cache_client so that any number of clients cost Kafka one reader
// per topic.
//
// # Kinds, routes and exits
//
// One kind, `proxy`. It accepts "sse" streams (from an sse server) and
// opens "kafka" merged fetch streams (specs/kafka) to the exit of the first
// route whose `when[].path` matches the whole path (`*` wildcards, `{name}`
// captures for ${params.name}). Every route has an exit and a `with`:
//
//	sse_kafka_proxy:
//	  type: sse-kafka
//	  kind: proxy
//	  routes:
//	    - when:
//	        - path: /items/{id}
//	      exit: kafka_cache_client
//	      with:
//	        topic: items
//	        filters:
//	          - key: ${params.id}
//	            headers: { tenant: acme }
//	        event:
//	          id: '["${base64(key)}","${etag}"]'   # or "${etag}", the default
//	        defaultOffset: live                   # Sluice: or historical
//
// No route: the client is answered 404.
//
// # Events
//
// Each record becomes one event: its value is the data, its id the fetch's
// progress after it (specs/kafka Progress, base64url: the next offset of
// every partition), followed by `/` and the record's `etag` header when it
// has one; in the key form the id is ["<base64url key>","<progress>"]. A
// tombstone becomes `event:delete` whose data is the base64url key. A record
// larger than the window travels as one event in several fragments.
//
// # Resuming
//
// A Last-Event-ID in any of those forms resumes every partition it lists at
// its offset, and partitions it does not list (added since) from their
// start. Since the id is a position in Kafka, not in this process, a client
// reconnecting to any instance resumes with no gap and no duplicate, even on
// an instance whose cache is still filling. Should an exit deliver records
// below the resumed position anyway, the binding drops them, and ids never
// go back behind it. An id that does not decode starts the stream afresh. Ids longer than 254 bytes (many partitions, long keys in
// the key form) cannot be sent back by a client; the first is logged.
//
// Without a Last-Event-ID the stream starts at `with.defaultOffset`:
// `historical` (every record still held), `live` (only records written from
// now on), or, when unset, wherever the cache decides (its topic's
// defaultOffset, historical by default). A live stream gets nothing below
// the end each partition had when it began (the fetch's ReplyBeginEx
// Latest), even from an exit that places it earlier.
//
// # Failures
//
// A fetch that fails before it began on an error that may pass (Kafka
// unreachable, a topic not yet created) is answered 200 and ended at once:
// an EventSource reconnects after its retry time, where an error status
// would stop it for good. Errors that will not pass are answered with a
// status (403 not authorized, 404 unknown topic, 502 otherwise). A fetch
// that ends or fails after it began ends the stream with the progress as a
// last id. The client going away ends the fetch.
//
// # Slow clients
//
// Credit flows from the client to the cache: the binding grants the fetch
// what the client's connection has room for, with a padding of 64 bytes
// per frame (plus the sse server's own), so that every record, a
// tombstone included, costs credit and no more records arrive than the
// client has room for; the cache reader stops, holding nothing, when the
// client stops reading. A client is dropped, with
// a log event, and reconnects from its last event id when:
//
//   - it took no event for options.stall-timeout (default 30s) while its
//     window was full: a client that vanished, or cannot keep up at all;
//   - the cache evicted records it had not read yet (a gap): it cannot be
//     served without loss, and dropping it tells it so. A gap the cache
//     already had when the stream began (a resumed position older than
//     what it holds) is only logged, and the stream starts at what the
//     cache has: dropping would bring the client back to the same place;
//   - events waiting for its credit exceed 1 MiB (only delete events whose
//     key is longer than the padding covers can queue).
//
// # Where we differ from Zilla, and why
//
//   - `with.defaultOffset: live | historical` picks the start of streams
//     without a last event id per route. Zilla users ask for live streams
//     and get them only by making the whole cached topic live.
//   - `options.stall-timeout` (Zilla takes no options) bounds how long a
//     stalled client holds its connection.
//   - A Last-Event-ID in the key form without an etag is decoded in full;
//     Zilla drops its last character and replays from the start.
//   - Ids are checked against the 254 bytes a client may send back.
//   - ${guarded['name'].identity} in `with` values is refused at load until
//     guards expose identities, rather than sent to Kafka as text.
//   - A fetch failing before it began is answered 200 and ended (retriable)
//     or with a 4xx/5xx status, rather than reset.
package ssekafka
