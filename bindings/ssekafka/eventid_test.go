package ssekafka

import (
	"testing"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

func TestEventIDForms(t *testing.T) {
	p := kafkaspec.Progress{{Partition: 0, Offset: 2}, {Partition: 1, Offset: 1}}
	etag := []kafkaspec.Header{{Name: "x", Value: []byte("1")}, {Name: "etag", Value: []byte("v7")}}
	for _, c := range []struct {
		key     []byte
		headers []kafkaspec.Header
		keyForm bool
		want    string
	}{
		{nil, nil, false, "AQQABAIC"},
		{[]byte("key"), etag, false, "AQQABAIC/v7"},
		{[]byte("key"), nil, true, `["a2V5","AQQABAIC"]`},
		{nil, etag, true, `[null,"AQQABAIC/v7"]`},
		{[]byte{0xfb, 0xff}, nil, true, `["-_8=","AQQABAIC"]`},
	} {
		id := eventID(p, c.key, c.headers, c.keyForm)
		if id != c.want {
			t.Errorf("eventID(%q, key form %v) = %s, want %s", c.key, c.keyForm, id, c.want)
		}
		got, ok := parseLastID(id)
		if !ok || len(got) != 2 || got[0] != p[0] || got[1] != p[1] {
			t.Errorf("parseLastID(%s) = %v %v", id, got, ok)
		}
	}
	for _, bad := range []string{"", "AQQABAI", "[]", `["a2V5"]`, `["a2V5",null]`, "[1,2]", "not base64!", `{"a":1}`} {
		if p, ok := parseLastID(bad); ok {
			t.Errorf("parseLastID(%q) = %v, want no position", bad, p)
		}
	}
}

func TestWithFloors(t *testing.T) {
	px := &proxy{floors: kafkaspec.Progress{{Partition: 0, Offset: 10}, {Partition: 2, Offset: 5}}}
	got := px.withFloors(kafkaspec.Progress{{Partition: 0, Offset: 3}, {Partition: 1, Offset: 7}, {Partition: 2, Offset: 9}})
	want := kafkaspec.Progress{{Partition: 0, Offset: 10}, {Partition: 1, Offset: 7}, {Partition: 2, Offset: 9}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}
