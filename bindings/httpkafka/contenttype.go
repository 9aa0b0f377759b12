package httpkafka

import (
	"maps"
	"sync"
	"sync/atomic"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// recordContentType returns a record's content-type header as a response
// header value, when it has a valid one.
func recordContentType(headers []kafkaspec.Header) (string, bool) {
	for _, kh := range headers {
		if kh.Name == "content-type" && validFieldValue(kh.Value) {
			return contentTypes.of(kh.Value), true
		}
	}
	return "", false
}

// contentTypes interns content-type values: a topic's records carry the
// same few, and a cached GET would otherwise make a string of one per
// response.
var contentTypes = interned{max: 256}

// interned keeps up to max distinct short strings; beyond that, or for a
// long value, of makes a new string as string(b) would. Reads take no
// lock: the table is replaced whole, under mu, when a value is added.
type interned struct {
	max   int
	mu    sync.Mutex
	table atomic.Pointer[map[string]string]
}

func (in *interned) of(b []byte) string {
	if len(b) > 128 {
		return string(b)
	}
	if t := in.table.Load(); t != nil {
		if s, ok := (*t)[string(b)]; ok { // the lookup by bytes does not allocate
			return s
		}
	}
	s := string(b)
	in.mu.Lock()
	defer in.mu.Unlock()
	old := in.table.Load()
	if old == nil || len(*old) < in.max {
		next := make(map[string]string, in.size()+1)
		if old != nil {
			maps.Copy(next, *old)
		}
		next[s] = s
		in.table.Store(&next)
	}
	return s
}

// size is how many values the table holds.
func (in *interned) size() int {
	if t := in.table.Load(); t != nil {
		return len(*t)
	}
	return 0
}
