package kafka

import (
	"strconv"
	"time"
)

// Capabilities says what a merged stream does: produce, fetch or both.
type Capabilities uint8

// The capabilities of a merged stream, numbered as Zilla's kafka.idl. The
// zero value means ProduceAndFetch, Zilla's default.
const (
	ProduceOnly     Capabilities = 1
	FetchOnly       Capabilities = 2
	ProduceAndFetch Capabilities = 3
)

// Produces reports whether the stream carries records to Kafka.
func (c Capabilities) Produces() bool { return c != FetchOnly }

// Fetches reports whether the stream carries records from Kafka.
func (c Capabilities) Fetches() bool { return c != ProduceOnly }

// String names the capability as Zilla does.
func (c Capabilities) String() string {
	switch c {
	case ProduceOnly:
		return "PRODUCE_ONLY"
	case FetchOnly:
		return "FETCH_ONLY"
	default:
		return "PRODUCE_AND_FETCH"
	}
}

// Special offsets in PartitionOffset.Offset of a BeginEx.
const (
	// OffsetLive starts at the end of the partition: only records
	// written from now on.
	OffsetLive int64 = -1
	// OffsetHistorical starts at the earliest record Kafka (or the cache)
	// still holds.
	OffsetHistorical int64 = -2
)

// StartPosition is where a fetch starts on partitions that BeginEx does not
// list.
type StartPosition uint8

// The start positions.
const (
	// StartDefault defers to the binding: a cache_server topic's
	// defaultOffset, historical otherwise.
	StartDefault StartPosition = iota
	// StartHistorical starts at the earliest record still held.
	StartHistorical
	// StartLive starts at the end of each partition.
	StartLive
)

// AckMode is how many replicas must have written a produced record before
// it is acknowledged (Kafka's acks).
type AckMode int8

// The ack modes; the zero value is the safest and Zilla's default.
const (
	// AckInSyncReplicas waits for every in-sync replica (acks=all). It is
	// the only mode with idempotent, duplicate-free retries.
	AckInSyncReplicas AckMode = 0
	// AckLeaderOnly waits for the partition leader only (acks=1).
	AckLeaderOnly AckMode = 1
	// AckNone acknowledges once the record is written to the socket
	// (acks=0); the broker's answer is never seen.
	AckNone AckMode = 2
)

// ParseAckMode maps the zilla.yaml spelling (`none`, `leader_only`,
// `in_sync_replicas`, "" for the default) to an AckMode.
func ParseAckMode(s string) (AckMode, bool) {
	switch s {
	case "", "in_sync_replicas":
		return AckInSyncReplicas, true
	case "leader_only":
		return AckLeaderOnly, true
	case "none":
		return AckNone, true
	}
	return 0, false
}

// String returns the zilla.yaml spelling.
func (m AckMode) String() string {
	switch m {
	case AckLeaderOnly:
		return "leader_only"
	case AckNone:
		return "none"
	default:
		return "in_sync_replicas"
	}
}

// Isolation selects which transactional records a fetch sees.
type Isolation uint8

// The isolation levels; Zilla's default is read committed.
const (
	ReadCommitted   Isolation = 0
	ReadUncommitted Isolation = 1
)

// Evaluation says how many filters are evaluated per record.
type Evaluation uint8

// The evaluation modes.
const (
	// Lazy stops at the first filter that matches: DataEx.Filters has one
	// bit set.
	Lazy Evaluation = 0
	// Eager evaluates every filter: DataEx.Filters has a bit per match.
	Eager Evaluation = 1
)

// PartitionOffset is an offset of one partition. In a BeginEx it is where
// the fetch starts (an offset, OffsetLive or OffsetHistorical); in a
// progress it is the next offset to read.
type PartitionOffset struct {
	Partition int32
	Offset    int64
}

// Header is one Kafka record header. A nil Value is a null header value.
type Header struct {
	Name  string
	Value []byte
}

// BeginEx is the begin extension of a merged stream, sent by the opener
// (http-kafka, sse-kafka, grpc-kafka, kafka-grpc...) on the initial
// direction. See the package documentation for the whole contract.
type BeginEx struct {
	// Capabilities says whether the stream produces, fetches or both.
	Capabilities Capabilities
	// Topic is the topic name; required.
	Topic string

	// Partitions lists start offsets per partition for a fetch, such as
	// a decoded progress (Last-Event-ID, If-None-Match). Partitions it
	// does not list start at Default. Offsets below what Kafka (or the
	// cache) still holds start at the earliest record held.
	Partitions []PartitionOffset
	// Default is where unlisted partitions start.
	Default StartPosition
	// EndWhenCaughtUp ends the reply (End) right after the caught-up
	// Flush: a historical read. Otherwise the fetch stays live.
	EndWhenCaughtUp bool
	// Filters select the records a fetch delivers: a record is delivered
	// when any filter matches (OR); no filters deliver everything.
	Filters []Filter
	// Evaluation says whether every filter is evaluated per record (for
	// DataEx.Filters) or only up to the first match.
	Evaluation Evaluation
	// Isolation selects committed-only or all transactional records.
	Isolation Isolation

	// GroupID, when set, makes the fetch a consumer-group member: Kafka
	// assigns its partitions, Partitions and Default are ignored (the
	// group's committed offsets apply, historical without), and the
	// opener commits with CommitEx flushes. Group streams are never
	// served from a cache.
	GroupID string

	// Acks is the ack mode for produced records.
	Acks AckMode
}

// PartitionState describes one partition in a ReplyBeginEx.
type PartitionState struct {
	Partition int32
	// Earliest is the earliest offset held (by Kafka, or by the cache for
	// a cache reader) when the stream began.
	Earliest int64
	// Start is the offset the fetch starts at on this partition.
	Start int64
	// Latest is the partition's high watermark when the stream began:
	// the offset the next record written will get. A partition is caught
	// up once the fetch's progress reaches it.
	Latest int64
}

// ReplyBeginEx is the begin extension of the reply of a merged stream that
// fetches. A produce-only stream's reply Begin has no extension.
type ReplyBeginEx struct {
	Topic string
	// Compacted is set when the topic's cleanup.policy includes compact:
	// the latest record per key is its current value, and a tombstone
	// deletes the key.
	Compacted bool
	// Partitions holds every partition of the topic, by partition id,
	// with the start and latest offsets (http-kafka computes a
	// collection ETag from the latest offsets).
	Partitions []PartitionState
}

// DataEx is the extension of the first Data frame of each record
// (FlagInit), in both directions of a merged stream, and optionally of the
// last one (FlagFin) on the initial direction for trailer headers.
//
// The payload is the record value. A value larger than the receiver's
// window is split over several Data frames: FlagInit on the first (with
// this extension), FlagFin on the last, none on those between. A record
// in one frame has both flags (engine.FlagsComplete).
//
// Fetched payloads and the slices in this extension may be shared by many
// readers of a cache: receivers treat them as read-only.
type DataEx struct {
	// Partition is the record's partition (fetch only). On produce the
	// partitioner chooses: murmur2 of the key as the Java client does,
	// spread over the partitions without a key.
	Partition int32
	// Offset is the record's offset (fetch only).
	Offset int64
	// Timestamp is the record's timestamp; zero on produce means now.
	Timestamp time.Time
	// Key is the record key; nil is a null key (an empty non-nil slice is
	// an empty key, which Kafka distinguishes).
	Key []byte
	// Headers are the record headers in order. On a FlagFin frame of a
	// produced record they are trailers, appended after those of the
	// FlagInit frame (http-kafka's correlation id).
	Headers []Header
	// Tombstone marks a null value (a delete on a compacted topic). The
	// payload of a tombstone is empty; an empty payload without Tombstone
	// is an empty, non-null value.
	Tombstone bool
	// Deferred is, on a FlagInit frame, how many more value bytes follow
	// in later fragments of the same record: the value's length is
	// len(payload) + Deferred. Exact on fetch; on produce a hint (0 when
	// unknown) that lets the binding reject an oversized record at once.
	Deferred int
	// Progress is the next offset per partition once this record is
	// consumed, for every partition of the stream (fetch only): what
	// http-kafka ETags, sse-kafka event ids and grpc-kafka message ids
	// encode. Sorted by partition.
	Progress Progress
	// Filters has bit i set when filter i of the BeginEx matched (fetch
	// only; bits beyond 63 are not reported).
	Filters uint64
}

// Gap is a range of offsets of one partition that a cache reader skipped
// because the cache no longer held it (the reader fell behind eviction, or
// asked for history older than the cache holds).
type Gap struct {
	Partition int32
	// From is the first skipped offset and To the first offset delivered
	// again.
	From, To int64
}

// FlushEx is the extension of a Flush on the reply of a fetching merged
// stream.
type FlushEx struct {
	// Progress is the next offset per partition, sorted by partition.
	Progress Progress
	// CaughtUp is set on the first Flush after every partition has
	// reached the end of what Kafka held when the fetch began (its
	// ReplyBeginEx Latest): "live now". Exactly one such Flush is sent
	// per stream.
	CaughtUp bool
	// Gaps, when set, says which records were skipped (cache readers
	// only): the stream goes on after the gap.
	Gaps []Gap
}

// AckEx is the extension of a Flush on the reply of a producing merged
// stream: the outcome of one record. Every record whose FlagFin frame was
// received gets exactly one AckEx, in the order the records were sent,
// unless the stream is aborted first: a record without an AckEx when the
// reply is aborted or the initial direction reset was not written as far
// as the opener can know, and must be reported as failed.
type AckEx struct {
	// Sequence numbers the records of the stream from 0 in the order
	// their FlagInit frames were sent.
	Sequence int64
	// Partition and Offset locate the written record (Offset is -1 with
	// AckNone, where the broker does not say).
	Partition int32
	Offset    int64
	// Error is nil when the record was written, else why it was not.
	Error *ErrorEx
}

// CommitEx is the extension of a Flush on the initial direction of a
// consumer-group fetch (BeginEx.GroupID): commit these offsets for the
// group, each the next offset to consume (last processed offset + 1).
type CommitEx struct {
	Offsets []PartitionOffset
}

// ErrorEx is the extension of an Abort or Reset that ends a merged stream
// on a Kafka error, and of a failed AckEx.
type ErrorEx struct {
	// Code is the Kafka protocol error code (for example 3
	// UNKNOWN_TOPIC_OR_PARTITION, 7 REQUEST_TIMED_OUT, 8
	// BROKER_NOT_AVAILABLE when the cluster cannot be reached, 10
	// MESSAGE_TOO_LARGE, 58 SASL_AUTHENTICATION_FAILED), -1 when Kafka
	// gave none.
	Code int16
	// Message says what happened, for logs and error bodies.
	Message string
	// Retriable is set when trying again later may succeed (a missing
	// topic, an unreachable cluster, a failed authentication, a timeout):
	// http-kafka answers 503 rather than 4xx/500.
	Retriable bool
}

// Error makes an ErrorEx usable as a Go error.
func (e *ErrorEx) Error() string {
	if e.Message == "" {
		return "kafka error code " + strconv.Itoa(int(e.Code))
	}
	return e.Message
}

// Kafka protocol error codes that the bindings report in ErrorEx.
const (
	CodeUnknown            int16 = -1
	CodeOffsetOutOfRange   int16 = 1
	CodeCorruptMessage     int16 = 2
	CodeUnknownTopic       int16 = 3
	CodeRequestTimedOut    int16 = 7
	CodeBrokerNotAvailable int16 = 8
	CodeMessageTooLarge    int16 = 10
	CodeNetworkException   int16 = 13
	CodeTopicAuthFailed    int16 = 29
	CodeGroupAuthFailed    int16 = 30
	CodeInvalidRequest     int16 = 42
	CodeSaslAuthFailed     int16 = 58
)
