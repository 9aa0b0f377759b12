package httpkafka

import (
	"fmt"
	"testing"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

func TestRecordContentType(t *testing.T) {
	for _, tc := range []struct {
		headers []kafkaspec.Header
		want    string
		ok      bool
	}{
		{nil, "", false},
		{[]kafkaspec.Header{{Name: "x", Value: []byte("y")}, {Name: "content-type", Value: []byte("application/json")}}, "application/json", true},
		{[]kafkaspec.Header{{Name: "content-type", Value: []byte("text/plain\r\nx: y")}}, "", false},
	} {
		got, ok := recordContentType(tc.headers)
		if got != tc.want || ok != tc.ok {
			t.Errorf("recordContentType(%v) = %q, %v; want %q, %v", tc.headers, got, ok, tc.want, tc.ok)
		}
	}
	// A value seen before costs no allocation.
	h := []kafkaspec.Header{{Name: "content-type", Value: []byte("application/json")}}
	if allocs := testing.AllocsPerRun(100, func() { recordContentType(h) }); allocs != 0 {
		t.Errorf("a known content type allocates %.1f times", allocs)
	}
	// The table stays bounded, and values beyond it are still right.
	in := interned{max: 4}
	for i := range 10 {
		v := fmt.Sprintf("type/%d", i)
		if got := in.of([]byte(v)); got != v {
			t.Fatalf("of(%q) = %q", v, got)
		}
	}
	if in.size() != 4 {
		t.Errorf("table holds %d values, bound 4", in.size())
	}
}
