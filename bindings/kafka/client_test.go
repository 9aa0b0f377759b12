package kafka

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

func TestProduceFetchKeysAndHeaders(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 3, nil)
	e := startEngine(t, b.addr, clientYAML)

	var recs [][]string
	for i := range 30 {
		recs = append(recs, []string{fmt.Sprintf("key-%d", i%7), fmt.Sprintf("value-%d", i), "content-type", "text/plain", "n", fmt.Sprint(i)})
	}
	ackd := produceAll(t, e, "kafka0", topic, recs...)
	for i, a := range ackd {
		if a.Sequence != int64(i) || a.Partition < 0 || a.Offset < 0 {
			t.Errorf("ack %d = %+v", i, a)
		}
	}

	got, flush := fetchAll(t, e, "kafka0", &kafkaspec.BeginEx{Topic: topic})
	if len(got) != len(recs) {
		t.Fatalf("fetched %d records, want %d", len(got), len(recs))
	}
	if flush == nil || len(flush.Progress) != 3 {
		t.Fatalf("caught-up flush = %+v", flush)
	}
	byValue := map[string]fetched{}
	for _, r := range got {
		byValue[string(r.value)] = r
	}
	for i, want := range recs {
		r, ok := byValue[want[1]]
		switch {
		case !ok:
			t.Errorf("record %q missing", want[1])
		case r.key() != want[0] || r.header("content-type") != "text/plain" || r.header("n") != fmt.Sprint(i):
			t.Errorf("record %q: key %q headers %v", want[1], r.key(), r.ex.Headers)
		case r.ex.Partition != ackd[i].Partition || r.ex.Offset != ackd[i].Offset:
			t.Errorf("record %q at %d/%d, acked at %d/%d", want[1], r.ex.Partition, r.ex.Offset, ackd[i].Partition, ackd[i].Offset)
		}
	}
	// The same key always lands on the same partition.
	partOf := map[string]int32{}
	for _, r := range got {
		if p, ok := partOf[r.key()]; ok && p != r.ex.Partition {
			t.Errorf("key %s on partitions %d and %d", r.key(), p, r.ex.Partition)
		}
		partOf[r.key()] = r.ex.Partition
		if off, _ := r.ex.Progress.Offset(r.ex.Partition); off != r.ex.Offset+1 {
			t.Errorf("progress of %d/%d says %d", r.ex.Partition, r.ex.Offset, off)
		}
	}
}

func TestTombstoneAndEmptyValue(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 1, nil)
	e := startEngine(t, b.addr, clientYAML)

	m := open(t, e, "kafka0", &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: topic}, 0)
	m.waitCredit(1)
	m.do(func(s *engine.Stream) {
		s.Data(engine.FlagsComplete, nil, &kafkaspec.DataEx{Key: []byte("gone"), Tombstone: true})
		s.Data(engine.FlagsComplete, nil, &kafkaspec.DataEx{Key: []byte("empty")})
		s.Data(engine.FlagsComplete, []byte{}, &kafkaspec.DataEx{})
	})
	m.wait("3 acks", 10*time.Second, func(fs []engine.Frame) bool { return len(acks(fs)) == 3 })

	got, _ := fetchAll(t, e, "kafka0", &kafkaspec.BeginEx{Topic: topic})
	if len(got) != 3 {
		t.Fatalf("fetched %d records", len(got))
	}
	if !got[0].ex.Tombstone || got[1].ex.Tombstone || got[2].ex.Tombstone {
		t.Errorf("tombstone flags = %v %v %v, want true false false", got[0].ex.Tombstone, got[1].ex.Tombstone, got[2].ex.Tombstone)
	}
	if len(got[1].ex.Key) == 0 || got[2].ex.Key != nil {
		t.Errorf("keys = %q %q, want empty and null", got[1].ex.Key, got[2].ex.Key)
	}
}

func TestLargeValueInFragmentsWithTrailer(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 1, nil)
	e := startEngine(t, b.addr, clientYAML)

	value := bytes.Repeat([]byte("0123456789abcdef"), 40_000) // 640 000 bytes
	m := open(t, e, "kafka0", &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: topic}, 0)
	m.waitCredit(len(value))
	const parts = 10
	n := len(value) / parts
	m.do(func(s *engine.Stream) {
		s.Data(engine.FlagInit, value[:n], &kafkaspec.DataEx{Key: []byte("big"), Deferred: len(value) - n,
			Headers: []kafkaspec.Header{{Name: "content-type", Value: []byte("application/octet-stream")}}})
		for i := 1; i < parts-1; i++ {
			s.Data(0, value[i*n:(i+1)*n], nil)
		}
		s.Data(engine.FlagFin, value[(parts-1)*n:], &kafkaspec.DataEx{Headers: []kafkaspec.Header{{Name: "zilla:correlation-id", Value: []byte("c-1")}}})
	})
	m.wait("ack", 10*time.Second, func(fs []engine.Frame) bool { return len(acks(fs)) == 1 })
	if a := acks(m.snapshot())[0]; a.Error != nil {
		t.Fatalf("ack error: %v", a.Error)
	}

	// Read it back through a 64 KiB window: the value arrives in fragments.
	r := open(t, e, "kafka0", &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic, EndWhenCaughtUp: true}, 64<<10)
	r.wait("end", 10*time.Second, hasFrame(engine.EndFrame))
	fs := r.snapshot()
	got := records(fs)
	if len(got) != 1 || !bytes.Equal(got[0].value, value) {
		t.Fatalf("fetched %d records, first of %d bytes", len(got), len(got[0].value))
	}
	if got[0].ex.Deferred != len(value)-64<<10 {
		t.Errorf("deferred = %d, want %d", got[0].ex.Deferred, len(value)-64<<10)
	}
	if got[0].header("zilla:correlation-id") != "c-1" || got[0].header("content-type") != "application/octet-stream" {
		t.Errorf("headers = %v", got[0].ex.Headers)
	}
	frames := 0
	for _, f := range fs {
		if f.Type == engine.DataFrame {
			frames++
		}
	}
	if frames < 10 {
		t.Errorf("value came in %d frames through a 64 KiB window", frames)
	}
}

func TestOversizedRecordRefused(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 1, nil)
	e := startEngine(t, b.addr, clientYAML)

	m := open(t, e, "kafka0", &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: topic}, 0)
	m.waitCredit(1)
	m.do(func(s *engine.Stream) {
		s.Data(engine.FlagInit, []byte("x"), &kafkaspec.DataEx{Deferred: 5 << 20})
		s.Data(engine.FlagFin, []byte("y"), nil)
		s.Data(engine.FlagsComplete, []byte("small"), &kafkaspec.DataEx{})
	})
	m.wait("2 acks", 10*time.Second, func(fs []engine.Frame) bool { return len(acks(fs)) == 2 })
	a := acks(m.snapshot())
	if a[0].Error == nil || a[0].Error.Code != kafkaspec.CodeMessageTooLarge || a[0].Error.Retriable {
		t.Errorf("oversized ack = %+v", a[0])
	}
	if a[1].Error != nil {
		t.Errorf("small record failed: %v", a[1].Error)
	}
}

// TestRecordUpToTopicLimit: the largest record is the topic's own
// max.message.bytes, not a fixed 1000012 bytes: a topic allowing 2 MB
// takes a 1.5 MB record and refuses a 2.1 MB one before it is produced,
// and a topic with Kafka's default (1048588) takes a 1.04 MB record.
func TestRecordUpToTopicLimit(t *testing.T) {
	b := broker(t)
	large, plain := topicName(t)+"-large", topicName(t)+"-plain"
	limit := "2000000"
	createTopic(t, b.addr, large, 1, map[string]*string{"max.message.bytes": &limit})
	createTopic(t, b.addr, plain, 1, nil)
	e := startEngine(t, b.addr, clientYAML)

	for _, tc := range []struct {
		topic string
		size  int
		ok    bool
	}{
		{large, 1_500_000, true},
		{large, 2_100_000, false},
		{plain, 1_040_000, true},
		{plain, 1_100_000, false},
	} {
		m := open(t, e, "kafka0", &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: tc.topic}, 0)
		m.waitCredit(tc.size / 2)
		value := bytes.Repeat([]byte("v"), tc.size)
		m.do(func(s *engine.Stream) {
			half := tc.size / 2
			s.Data(engine.FlagInit, value[:half], &kafkaspec.DataEx{Deferred: tc.size - half})
			s.Data(engine.FlagFin, value[half:], nil)
		})
		m.wait("ack", 20*time.Second, func(fs []engine.Frame) bool { return len(acks(fs)) == 1 })
		a := acks(m.snapshot())[0]
		switch {
		case tc.ok && a.Error != nil:
			t.Errorf("%d bytes to %s: %v", tc.size, tc.topic, a.Error)
		case !tc.ok && (a.Error == nil || a.Error.Code != kafkaspec.CodeMessageTooLarge):
			t.Errorf("%d bytes to %s acked with %+v, want message too large", tc.size, tc.topic, a)
		}
	}
}

// TestPassExit: a cache_client names the client as the exit of the
// streams it would only pass on (produce, consumer groups), through the
// cache_server's routes, and none for the fetches its cache serves; a
// record produced there directly is acked.
func TestPassExit(t *testing.T) {
	b := broker(t)
	yaml := strings.Replace(cacheYAML, "    kind: cache_server\n    exit: kafka0\n",
		"    kind: cache_server\n    routes:\n      - when: [{topic: \"ev*\"}]\n        exit: kafka0\n", 1)
	e := startEngine(t, b.addr, yaml)
	bc, _ := e.Binding("test:cache0")
	cc := bc.(*cacheClient)
	for _, tc := range []struct {
		begin kafkaspec.BeginEx
		want  string
	}{
		{kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: "events"}, "test:kafka0"},
		{kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: "events", GroupID: "g"}, "test:kafka0"},
		{kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: "events"}, ""},
		// The cache_server takes no such topic: the stream goes to it, to
		// be refused (and logged) there as it would have been.
		{kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: "items"}, "test:server0"},
	} {
		got := ""
		if x := cc.PassExit(&tc.begin, 0); x != nil {
			got = x.Name()
		}
		if got != tc.want {
			t.Errorf("PassExit(%+v) = %q, want %q", tc.begin, got, tc.want)
		}
	}
	topic := "ev-" + topicName(t)
	createTopic(t, b.addr, topic, 1, nil)
	begin := &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: topic}
	x := cc.PassExit(begin, 0)
	m := &merged{t: t, exec: engine.NewExecutor(), changed: make(chan struct{}, 1)}
	var err error
	m.exec.Execute(func() { m.s, err = x.Open(m.exec, m, engine.Frame{Ext: begin}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.do(func(s *engine.Stream) { s.Terminate(nil) }) })
	m.waitCredit(1)
	m.produce("k", "v")
	m.wait("ack", 20*time.Second, func(fs []engine.Frame) bool { return len(acks(fs)) == 1 })
	if a := acks(m.snapshot())[0]; a.Error != nil {
		t.Errorf("record produced through the passed exit: %v", a.Error)
	}
}
