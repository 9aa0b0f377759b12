// Package kafka defines the merged stream: how a binding asks the kafka
// binding (client, cache_client or cache_server) to produce records to a
// topic and to fetch them, and how the answers come back. http-kafka,
// sse-kafka, grpc-kafka and kafka-grpc speak it; this page is the whole
// contract, so that none of them needs to read the kafka binding's code.
// It also holds the progress codec (progress.go) that ETags, SSE event ids
// and gRPC message ids share, and the binding's schema fragment.
//
// # Opening
//
// The opener sends Begin with a *BeginEx on the initial direction:
// Capabilities (ProduceOnly, FetchOnly or ProduceAndFetch; zero means
// ProduceAndFetch), Topic, and for a fetch the start positions
// (Partitions and Default), EndWhenCaughtUp, Filters, Evaluation,
// Isolation, or GroupID for a consumer-group member; Acks for a produce.
// A stream may be refused at once (Exit.Open returns an error: no route
// for the topic, a malformed BeginEx). Later failures end the stream as
// described under Errors.
//
// The kafka kinds route by topic; a cache_client or cache_server serves
// FetchOnly streams without GroupID from its cache and passes every other
// stream through to its exit unchanged, so one pipeline
// (proxy -> cache_client -> cache_server -> client) serves both, and a
// produce-only pipeline (proxy -> client) needs no cache at all. The cache
// kinds have a method PassExit(*BeginEx, authorization uint64)
// *engine.Exit naming the exit they would pass a stream on to (nil when
// they serve it); an opener may open the stream there directly, sparing a
// relay per cache kind (http-kafka does).
//
// # Fetching
//
// Reply Begin carries a *ReplyBeginEx: every partition of the topic with
// Earliest (what is held), Start (where this fetch starts) and Latest
// (the end when the fetch began; http-kafka's collection ETag encodes the
// Latest offsets as a Progress). A GroupID fetch lists no partitions.
//
// Start positions: a partition listed in Partitions starts at its Offset
// (an offset from a decoded Progress, OffsetLive or OffsetHistorical); a
// Partitions entry with partition -1 is the default for all (Zilla's
// form); others start at Default (StartDefault defers to the binding: a
// cache_server topic's defaultOffset, historical otherwise). An offset
// beyond the end starts at the end; one below what is held starts at the
// earliest record held (a cache reader is told with a Gap, see below).
//
// Each record is one Data frame, or several when its value is larger than
// the reply window (FlagInit on the first, with the *DataEx, FlagFin on
// the last, nothing between; DataEx.Deferred says how many bytes follow
// the first). The payload is the value; DataEx.Tombstone marks a null
// value, distinct from an empty one. DataEx.Progress is the next offset
// of every partition once this record is consumed: resuming a fetch from
// it (Partitions: the decoded Progress) delivers exactly the records after
// it, without gap or duplicate. Only records matching a filter are sent
// (any filter, each an AND of a key and headers); DataEx.Filters says
// which filters matched. Records within a partition come in offset order;
// partitions are interleaved.
//
// Flow control: records are sent only within the window the opener grants
// on the reply. A record of up to 4 KiB waits until the window holds it
// whole; a larger one is split to fit. An opener must therefore keep at
// least 4 KiB of reply window open. A fetch never buffers for a slow
// opener: the client holds at most one fetch response, and a cache reader
// only stands further back in the cache log.
//
// Caught up: once every partition has reached its ReplyBeginEx Latest, one
// Flush with *FlushEx{CaughtUp: true, Progress} is sent ("live now";
// http-kafka commits a correlated request on it, http-kafka and sse-kafka
// forward it). With EndWhenCaughtUp the reply then Ends (a historical
// read, http-kafka's GET); otherwise the fetch stays live.
//
// Gaps (cache readers only): a cache holds a bounded window of each
// partition. A reader whose position is older than what the cache still
// holds (it fell behind eviction, or asked for history older than the
// cache was filled from) gets a Flush with *FlushEx{Gaps, Progress} naming
// the skipped offsets, then goes on from the oldest record held. An opener
// that must not skip (none of ours today) ends the stream on a Gap.
//
// Compacted topics (ReplyBeginEx.Compacted): a cache serves the latest
// record per key; a record superseded by a newer one with the same key is
// skipped, and a tombstone is delivered as the latest record of its key.
//
// Ending: the opener Ends its initial direction to stop a fetch; the reply
// then Ends. Abort or Reset from the opener ends everything at once.
// Fetched payloads and the slices of a DataEx may be shared by many cache
// readers: receivers treat them as read-only.
//
// Consumer groups (GroupID): Kafka assigns partitions; the group's
// committed offsets apply (the earliest without one). The opener commits
// with a Flush carrying *CommitEx on the initial direction (the next offset
// to read per partition, that is the last processed offset + 1). No
// caught-up Flush is sent.
//
// # Producing
//
// Data frames on the initial direction are records, sent within the
// window the binding grants (it grants room for one record of the largest
// size, once it knows the topic's largest (max.message.bytes), which may
// be after the reply began, and gives credit back as records are
// acknowledged). A record is a
// FlagInit frame carrying the *DataEx (Key, Headers, Timestamp, Tombstone,
// Deferred as a size hint), any middle frames, and a FlagFin frame (the
// same frame when complete); a *DataEx on a separate FlagFin frame carries
// trailer headers appended to the record's (http-kafka's correlation id).
// The record is produced only once its FlagFin arrives. The partition is
// chosen as the Java client does: murmur2 of the key, spread without one.
//
// Acknowledgement: each record gets exactly one reply Flush with *AckEx,
// in the order the records were sent: Sequence (0, 1, ... in send order),
// Partition and Offset when written, or Error (an *ErrorEx) when not. With
// AckNone the record is acknowledged once written to the socket and
// Offset is -1. The reply Begins at once for a ProduceOnly stream (no
// extension); acks come only after it. A record whose Ack has not arrived
// when the reply is aborted, or the initial direction reset, must be
// taken as failed: http-kafka answers 2xx only on an AckEx without Error.
// A record acknowledged with an Error was not known to be written (a
// timed-out record may still have reached the broker, as with any Kafka
// client): retrying may duplicate it. After the opener Ends the initial
// direction, the binding sends the remaining acks, then Ends the reply.
//
// # Errors
//
// A Kafka failure that ends a stream (missing topic, unreachable cluster,
// failed authentication, a broker error during a fetch) comes as Reset of
// the initial direction and Abort of the reply, each with an *ErrorEx: the
// Kafka error Code, a Message, and Retriable, set for failures that may
// pass without any change to the request (http-kafka answers 503 for
// those, 500 or 400 otherwise). The reply may be aborted without having
// begun. A record that fails alone (too large, timed out, rejected) is an
// AckEx with Error; the stream goes on. The kafka binding logs every such
// failure; the opener need not log it again.
//
// # Spec scripts
//
// Extensions names these types for scripts (`kafka:begin {"Topic":
// "items"}`). The JSON field names are the Go field names; []byte fields
// (keys, header values) are base64, as encoding/json writes them. The
// scenarios under streams/application specify the merged stream from both
// sides.
package kafka
