package httpkafka

import (
	"strings"

	httpspec "github.com/sluicehq/sluice/specs/http"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// ETags are Zilla's: the text form of a progress (kafka.Progress, padded
// base64url of partition -> next offset), unquoted. A single item's etag
// is the progress just past its record, followed by `/` and the record's
// own `etag` header when it has one; a collection's is the latest offset
// of every partition when the fetch began. If-None-Match resumes a fetch
// from the offsets its etag holds, so that only a newer record counts.

// ifNoneMatch returns the position the request's If-None-Match holds, and
// the etag as the client wrote it. Etags that are not http-kafka's are
// ignored, as Zilla does; quotes and a weak W/ prefix are tolerated, so
// that a client quoting the etag as RFC 9110 writes them is understood.
func ifNoneMatch(h httpspec.Headers) (kafkaspec.Progress, string, bool) {
	for _, f := range h {
		if f.Name != "if-none-match" {
			continue
		}
		for _, tag := range strings.Split(f.Value, ",") {
			tag = strings.TrimSpace(tag)
			bare := strings.TrimPrefix(tag, "W/")
			if len(bare) >= 2 && bare[0] == '"' && bare[len(bare)-1] == '"' {
				bare = bare[1 : len(bare)-1]
			}
			if p, ok := kafkaspec.DecodeProgress(bare); ok {
				return p, tag, true
			}
		}
	}
	return nil, "", false
}

// itemETag is the etag of a fetched record.
func itemETag(ex *kafkaspec.DataEx) string {
	etag := ex.Progress.String()
	for _, h := range ex.Headers {
		if h.Name == "etag" {
			return etag + "/" + string(h.Value)
		}
	}
	return etag
}

// latestProgress is a collection's position: the latest offset of every
// partition when its fetch began.
func latestProgress(ex *kafkaspec.ReplyBeginEx) kafkaspec.Progress {
	if ex == nil {
		return nil
	}
	p := make(kafkaspec.Progress, 0, len(ex.Partitions))
	for _, ps := range ex.Partitions {
		p = append(p, kafkaspec.PartitionOffset{Partition: ps.Partition, Offset: ps.Latest})
	}
	return p
}

// sameProgress reports whether two positions list the same offsets.
func sameProgress(a, b kafkaspec.Progress) bool {
	var na, nb int
	for _, po := range a {
		if po.Partition >= 0 {
			na++
			if off, ok := b.Offset(po.Partition); !ok || off != po.Offset {
				return false
			}
		}
	}
	for _, po := range b {
		if po.Partition >= 0 {
			nb++
		}
	}
	return na == nb
}

// fetchBegin is the merged fetch of a fetch route: its topic and filters
// expanded for the request, from start when given.
func fetchBegin(f *fetchWith, x *exchange, start kafkaspec.Progress, endWhenCaughtUp bool) *kafkaspec.BeginEx {
	b := &kafkaspec.BeginEx{
		Capabilities:    kafkaspec.FetchOnly,
		Topic:           f.topic.Expand(x),
		Default:         kafkaspec.StartHistorical,
		EndWhenCaughtUp: endWhenCaughtUp,
		Partitions:      start,
	}
	for _, ft := range f.filters {
		var kf kafkaspec.Filter
		if ft.key != nil {
			kf.Key = ft.key.AppendTo(make([]byte, 0, 32), x)
		}
		for _, h := range ft.headers {
			kf.Headers = append(kf.Headers, kafkaspec.Header{Name: h.name, Value: h.value.AppendTo(nil, x)})
		}
		b.Filters = append(b.Filters, kf)
	}
	return b
}
