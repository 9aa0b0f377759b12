package kafka

import (
	"bytes"
	"slices"
	"testing"
)

func TestProgressEncode(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     Progress
		bytes []byte
		text  string
	}{
		{"reference example", Progress{{0, 2}, {1, 1}}, []byte{1, 4, 0, 4, 2, 2}, "AQQABAIC"},
		{"single partition", Progress{{0, 2}}, []byte{1, 2, 0, 4}, "AQIABA=="},
		{"empty", Progress{}, []byte{1, 0}, "AQA="},
		{"negative partition skipped", Progress{{-1, 5}, {0, 2}}, []byte{1, 2, 0, 4}, "AQIABA=="},
		{"historical sentinel", Progress{{3, OffsetHistorical}}, []byte{1, 2, 6, 3}, "AQIGAw=="},
		{"multi-byte varints", Progress{{200, 1 << 40}}, []byte{1, 2, 0x90, 0x03, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40}, "AQKQA4CAgICAQA=="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.AppendBinary(nil); !bytes.Equal(got, tc.bytes) {
				t.Errorf("binary = % x, want % x", got, tc.bytes)
			}
			if got := tc.p.String(); got != tc.text {
				t.Errorf("text = %q, want %q", got, tc.text)
			}
		})
	}
}

func TestProgressDecode(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		want     Progress
		ok       bool
		unpadded bool // DecodeProgressUnpadded instead
	}{
		{"reference example", "AQQABAIC", Progress{{0, 2}, {1, 1}}, true, false},
		{"kafka etag after slash ignored", "AQQABAIC/v7", Progress{{0, 2}, {1, 1}}, true, false},
		{"padded", "AQIABA==", Progress{{0, 2}}, true, false},
		{"unsorted input sorted", "AQQCAgAE", Progress{{0, 2}, {1, 1}}, true, false},
		{"length not multiple of four", "AQIABA", nil, false, false},
		{"not base64url", "AQ+ABA==", nil, false, false},
		{"empty", "", nil, false, false},
		{"wrong kind", "AgQABAIC", nil, false, false},
		{"truncated", "AQQABAI=", nil, false, false},
		{"trailing bytes", "AQIABAAA", nil, false, false},
		{"negative count", "AQE=", nil, false, false},
		{"negative partition", "AQIBBA==", nil, false, false},
		{"grpc-kafka unpadded", "AQIABA", Progress{{0, 2}}, true, true},
		{"grpc-kafka padded accepted", "AQIABA==", Progress{{0, 2}}, true, true},
		{"grpc-kafka garbage", "%%%", nil, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			decode := DecodeProgress
			if tc.unpadded {
				decode = DecodeProgressUnpadded
			}
			got, ok := decode(tc.text)
			if ok != tc.ok || !slices.Equal(got, tc.want) {
				t.Errorf("decode(%q) = %v, %v; want %v, %v", tc.text, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestProgressRoundTrip(t *testing.T) {
	for _, p := range []Progress{
		{{0, 0}},
		{{0, -1}, {1, -2}, {2, 1<<63 - 1}},
		{{0, 17}, {5, 123456789}, {1<<31 - 1, 9}},
	} {
		got, ok := DecodeProgress(p.String())
		if !ok || !slices.Equal(got, p) {
			t.Errorf("round trip of %v = %v, %v", p, got, ok)
		}
	}
}

func TestProgressOffset(t *testing.T) {
	p := Progress{{0, 2}, {3, 7}}
	if off, ok := p.Offset(3); !ok || off != 7 {
		t.Errorf("Offset(3) = %d, %v", off, ok)
	}
	if _, ok := p.Offset(1); ok {
		t.Error("Offset(1) found a partition that is not listed")
	}
}

func TestMatchFilters(t *testing.T) {
	hdrs := []Header{{"content-type", []byte("application/json")}, {"x", []byte("1")}, {"x", []byte("2")}}
	for _, tc := range []struct {
		name    string
		filters []Filter
		eval    Evaluation
		key     []byte
		bits    uint64
		ok      bool
	}{
		{"no filters", nil, Lazy, nil, 0, true},
		{"key match", []Filter{{Key: []byte("a")}}, Lazy, []byte("a"), 1, true},
		{"key mismatch", []Filter{{Key: []byte("a")}}, Lazy, []byte("b"), 0, false},
		{"null key never matches a key", []Filter{{Key: []byte{}}}, Lazy, nil, 0, false},
		{"empty key matches empty", []Filter{{Key: []byte{}}}, Lazy, []byte{}, 1, true},
		{"header and key", []Filter{{Key: []byte("a"), Headers: []Header{{"x", []byte("2")}}}}, Lazy, []byte("a"), 1, true},
		{"header and key, header wrong", []Filter{{Key: []byte("a"), Headers: []Header{{"x", []byte("3")}}}}, Lazy, []byte("a"), 0, false},
		{"or, lazy", []Filter{{Key: []byte("z")}, {Headers: []Header{{"x", []byte("1")}}}, {}}, Lazy, []byte("a"), 2, true},
		{"or, eager", []Filter{{Key: []byte("z")}, {Headers: []Header{{"x", []byte("1")}}}, {}}, Eager, []byte("a"), 6, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bits, ok := MatchFilters(tc.filters, tc.eval, tc.key, hdrs)
			if bits != tc.bits || ok != tc.ok {
				t.Errorf("got %b, %v; want %b, %v", bits, ok, tc.bits, tc.ok)
			}
		})
	}
}
