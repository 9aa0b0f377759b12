// Package kafka implements the kafka binding: merged streams (the
// contract of specs/kafka) produced to and fetched from Apache Kafka
// through franz-go, and a shared in-memory cache that lets any number of
// readers of a topic cost Kafka one reader.
//
// # Kinds
//
// client produces and fetches against the cluster named in
// options.servers (host:port items, a comma-separated list allowed, so
// that `servers: ["${{env.KAFKA_BOOTSTRAP_SERVERS}}"]` works). SASL comes
// from options.sasl (Zilla 1.x: mechanism plain, scram-sha-256,
// scram-sha-512 or oauthbearer with a token) or options.authorization
// (Zilla 2.x: a guard name and credentials whose values may hold
// {identity} and {credentials}, filled from a guard that implements
// engine.GuardCredentials and engine.GuardIdentity, such as guards/inline). Its exit, optional, is a tcp
// or tls client: franz-go dials every broker through that binding's
// DialContext, so the exit's allow-list and TLS apply. Without an exit it
// dials directly. A client has no routes: `when` is rejected, as in 2.x, and
// so is `guarded` (nothing there could check who produces or fetches).
//
//	kafka_client:
//	  type: kafka
//	  kind: client
//	  options:
//	    servers: ["${{env.KAFKA_BOOTSTRAP_SERVERS}}"]
//	    sasl: {mechanism: scram-sha-256, username: app, password: secret}
//	  exit: tls_client
//
// cache_server keeps a cache of each topic in use: one fetch stream to
// its exit (the tail) fills, per partition, an in-memory log of records
// bounded by options.retention.bytes (64 MiB per partition by default)
// and optionally retention.ms, both overridable per topics[] entry (a
// sluice extension, in Kafka's own terms). It indexes record keys and
// header values, so a filtered reader jumps to the records it wants, and
// on compacted topics (cleanup.policy compact) keeps the latest record per
// key, dropping superseded values at once. options.bootstrap topics are
// cached from start-up and kept; other topics are dropped five minutes
// after their last reader leaves. topics[].defaultOffset: live starts a
// topic's tail at the end rather than the earliest record. The metrics
// kafka.cache.bytes and kafka.cache.entries report what it holds.
//
// cache_client serves fetch streams from the cache of the cache_server it
// routes to: the reader attaches to the cache directly rather than
// opening a stream per reader. Zilla splits reading across the two kinds
// for its worker threads; we need no such split, so both kinds serve
// readers the same way and either can face the proxies.
//
//	cache_client -> cache_server -> client -> tcp client
//
// is Zilla's pipeline, and works unchanged. Both cache kinds pass streams
// they do not serve (produce, produce-and-fetch, consumer groups) through
// to their exit frame for frame, so a record produced through a
// cache_client is acknowledged by the client's broker ack. A cache_client
// passes them straight to the cache_server's exit, and PassExit names that
// exit to openers (http-kafka) that open such streams there themselves: a
// produce through the cache pipeline costs what one through
// proxy -> client does (Zilla's worker threads never need that hop
// either). Routes match
// `when: [{topic: pattern}]` (`*` wildcards); the first match wins.
//
// # Streams
//
// Producing: records are handed to franz-go as their last fragment
// arrives and acknowledged, in order, with an AckEx flush once the broker
// has them (acks in_sync_replicas by default, idempotent). franz-go's
// promise goroutine only queues each outcome; one acker goroutine per core
// runs the streams' acks, so that responses are not written one after
// another on it. Linger is zero
// (franz-go's default is 10 ms): a lone request-reply record leaves at
// once, while records still batch whenever requests are in flight. A
// record waits at most 30 seconds for the cluster (down, leaderless,
// restarting) before it is acknowledged with a retriable error, in flight
// or not. The largest record is the topic's max.message.bytes (described
// once a minute per topic; the broker's message.max.bytes for a topic not
// created yet, Kafka's default 1048588 when the cluster will not say): a
// stream's window opens once it is known, a larger record is refused with
// MessageTooLarge before anything is produced, and batches grow up to it.
//
// Fetching through the client: each stream gets a franz-go client of its
// own, polled only when the previous poll has been sent, so at most one
// fetch response is buffered per broker. Transaction markers are read and
// skipped so the caught-up point is exact.
//
// Fetching through a cache: the reader copies out of the cache only what
// its window can take (each record costing its value plus the opener's
// padding, so a padded window bounds tombstones too) and otherwise waits,
// registered by its filters' key or header so that the tail wakes only
// readers a new record may concern; one waker goroutine per core runs the
// woken readers. An idle reader keeps no records. A reader that falls behind eviction is told with a Gap flush
// and goes on from the oldest record held.
//
// # Errors
//
// A missing topic, an unreachable cluster and a failed authentication end
// a fetch with a retriable ErrorEx (both directions) and fail a produced
// record with one, each logged. Connection failures are logged on the
// first failure, every 30 seconds while they last, and on recovery; franz-go
// reconnects with backoff growing to 5 seconds meanwhile, and a cache
// reopens its tail with the same backoff, from where it stood.
//
// # Differences from Zilla
//
// The cache is in memory and bounded per partition rather than a disk
// segment store: it does not survive a restart (every instance rebuilds
// it from Kafka), and readers behind it are told with a Gap instead of
// being served from disk. The client does not auto-create topics on fetch;
// produce lets the broker decide (auto.create.topics.enable). Models
// (topics[].key/value), transforms and deltaType json_patch are refused at
// load rather than ignored. scram-sha-1 is refused: no Kafka broker
// offers it.
package kafka
