package httpkafka

import (
	"sync"

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
var contentTypes = interned{max: 256, m: map[string]string{}}

// interned keeps up to max distinct short strings; beyond that, or for a
// long value, of makes a new string as string(b) would.
type interned struct {
	mu  sync.RWMutex
	max int
	m   map[string]string
}

func (in *interned) of(b []byte) string {
	if len(b) > 128 {
		return string(b)
	}
	in.mu.RLock()
	s, ok := in.m[string(b)] // no allocation: the compiler looks up by the bytes
	in.mu.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	in.mu.Lock()
	if len(in.m) < in.max {
		in.m[s] = s
	}
	in.mu.Unlock()
	return s
}
