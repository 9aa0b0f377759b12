package kafka

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// record is a fetched Kafka record as fetch streams and the cache hold
// it. Its slices are never modified once made, so that many readers can
// send them.
type record struct {
	partition int32
	offset    int64
	timestamp time.Time
	key       []byte
	value     []byte // nil: a null value (tombstone)
	headers   []kafkaspec.Header
	control   bool // a transaction marker: it moves offsets, never reaches readers
}

// size is what a record costs in memory, for cache accounting: its bytes
// plus a fixed overhead per record and header.
func (r *record) size() int {
	n := recordOverhead + len(r.key) + len(r.value)
	for _, h := range r.headers {
		n += headerOverhead + len(h.Name) + len(h.Value)
	}
	return n
}

const (
	recordOverhead = 96
	headerOverhead = 40
)

// fromFetches converts a poll's records, control records included.
func fromFetches(fs kgo.Fetches) []record {
	out := make([]record, 0, fs.NumRecords())
	fs.EachRecord(func(r *kgo.Record) {
		out = append(out, record{partition: r.Partition, offset: r.Offset, timestamp: r.Timestamp,
			key: r.Key, value: r.Value, headers: toHeaders(r.Headers), control: r.Attrs.IsControl()})
	})
	return out
}

func toHeaders(hs []kgo.RecordHeader) []kafkaspec.Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]kafkaspec.Header, len(hs))
	for i, h := range hs {
		out[i] = kafkaspec.Header{Name: h.Key, Value: h.Value}
	}
	return out
}

// recordSender sends records on a fetch reply within its window,
// splitting a value larger than the window over several Data frames.
type recordSender struct {
	s       *engine.Stream
	filters []kafkaspec.Filter
	eval    kafkaspec.Evaluation
	sent    int // bytes of the current record's value already sent
}

// match applies the stream's filters.
func (rs *recordSender) match(r *record) (uint64, bool) {
	return kafkaspec.MatchFilters(rs.filters, rs.eval, r.key, r.headers)
}

// progressFunc appends a stream's progress once a record of partition is
// consumed (next being that partition's next offset) to dst.
type progressFunc func(dst kafkaspec.Progress, partition int32, next int64) kafkaspec.Progress

// send sends r, or as much of it as the window allows, and reports
// whether r has been sent entirely; a record the filters reject counts as
// sent.
func (rs *recordSender) send(r *record, progress progressFunc) bool {
	if rs.sent > 0 {
		return rs.sendRest(r)
	}
	bits, ok := rs.match(r)
	if !ok {
		return true
	}
	return rs.sendMatched(r, bits, progress)
}

// fragmentAbove is the value size above which a record is split to fit
// the window; a smaller one waits until the window holds it whole, so
// that small records are never fragmented for want of a few bytes. A
// fetching opener must grant at least this much reply window.
const fragmentAbove = 4 << 10

// dataBox holds a DataEx and room for the progress of a few partitions,
// so that sending a record costs one allocation, not two.
type dataBox struct {
	ex       kafkaspec.DataEx
	progress [4]kafkaspec.PartitionOffset
}

// sendMatched sends the first frame of a record known to match. Every
// frame, an empty one (a tombstone) included, must fit the window: its
// payload within Sendable, the credit left once the receiver's padding is
// paid, so that a receiver stating a padding bounds how many records it
// gets, whatever their size.
func (rs *recordSender) sendMatched(r *record, bits uint64, progress progressFunc) bool {
	s := rs.s
	credit := s.Sendable()
	if credit < len(r.value) && (credit <= 0 || len(r.value) <= fragmentAbove) {
		return false
	}
	n := min(credit, len(r.value))
	box := &dataBox{}
	box.ex = kafkaspec.DataEx{Partition: r.partition, Offset: r.offset, Timestamp: r.timestamp, Key: r.key,
		Headers: r.headers, Tombstone: r.value == nil, Deferred: len(r.value) - n, Filters: bits}
	box.ex.Progress = progress(box.progress[:0], r.partition, r.offset+1)
	if n == len(r.value) {
		s.Data(engine.FlagsComplete, r.value, &box.ex)
		return true
	}
	s.Data(engine.FlagInit, r.value[:n], &box.ex)
	rs.sent = n
	return false
}

// sendRest continues a record split over several frames.
func (rs *recordSender) sendRest(r *record) bool {
	s := rs.s
	n := min(s.Sendable(), len(r.value)-rs.sent)
	if n <= 0 {
		return false
	}
	last := rs.sent+n == len(r.value)
	flags := uint8(0)
	if last {
		flags = engine.FlagFin
	}
	s.Data(flags, r.value[rs.sent:rs.sent+n], nil)
	rs.sent += n
	if !last {
		return false
	}
	rs.sent = 0
	return true
}
