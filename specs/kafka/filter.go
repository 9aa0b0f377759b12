package kafka

import "bytes"

// Filter selects records by key and headers: every condition it holds must
// match (AND). A BeginEx delivers a record when any of its filters matches
// (OR), as http-kafka and sse-kafka `filters` do.
type Filter struct {
	// Key, when non-nil, must equal the record's key; a null key never
	// matches a key condition.
	Key []byte
	// Headers must each be present on the record with exactly that value
	// (a record may carry a header name more than once; one equal value
	// is enough).
	Headers []Header
}

// Match reports whether a record with this key and these headers passes
// the filter.
func (f *Filter) Match(key []byte, headers []Header) bool {
	if f.Key != nil && (key == nil || !bytes.Equal(f.Key, key)) {
		return false
	}
	for _, want := range f.Headers {
		if !hasHeader(headers, want) {
			return false
		}
	}
	return true
}

func hasHeader(headers []Header, want Header) bool {
	for _, h := range headers {
		if h.Name == want.Name && bytes.Equal(h.Value, want.Value) && (h.Value == nil) == (want.Value == nil) {
			return true
		}
	}
	return false
}

// MatchFilters evaluates filters against a record. It returns the bit set
// of the filters that matched (bit i for filters[i], up to 64 filters; a
// 65th or later filter that matches sets no bit but still counts) and
// whether the record is delivered. With no filters every record is
// delivered with no bit set. Lazy evaluation stops at the first match.
func MatchFilters(filters []Filter, eval Evaluation, key []byte, headers []Header) (uint64, bool) {
	if len(filters) == 0 {
		return 0, true
	}
	var bits uint64
	matched := false
	for i := range filters {
		if !filters[i].Match(key, headers) {
			continue
		}
		matched = true
		if i < 64 {
			bits |= 1 << i
		}
		if eval == Lazy {
			break
		}
	}
	return bits, matched
}
