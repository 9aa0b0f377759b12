package ssekafka_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// These tests run the whole pipeline, tcp -> http -> sse -> sse-kafka ->
// kafka cache_client -> cache_server -> client, against real Kafka when
// KAFKA_BOOTSTRAP_SERVERS is set and the embedded broker otherwise.

// TestResumeOnAnotherInstance: a client reads part of a topic from one
// instance, goes away while more is produced, and reconnects with its last
// event id to another instance, whose cache is cold: it gets every record
// it had not read, once, and none it had.
func TestResumeOnAnotherInstance(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 3)
	cl := kafkaClient(t, addr)
	a := start(t, addr, pipelineYAML("", ""), 1)
	b := start(t, addr, pipelineYAML("", ""), 1)

	produce(t, cl, topic, numbered("v", 0, 60)...)
	first := open(t, a.addr, "/topic/"+topic, "")
	got := first.read(t, 25)
	lastID := first.lastID
	first.conn.Close()
	produce(t, cl, topic, numbered("v", 60, 90)...)

	second := open(t, b.addr, "/topic/"+topic, lastID)
	rest := second.read(t, 65)
	checkExactlyOnce(t, append(values(got), values(rest)...), 90)
	checkKeyOrder(t, append(got, rest...))

	// The same id on the first instance, whose cache is warm, resumes at
	// the same place.
	third := open(t, a.addr, "/topic/"+topic, lastID)
	again := third.read(t, 65)
	if !slices.Equal(sorted(values(again)), sorted(values(rest))) {
		t.Errorf("the warm instance resumed differently:\n%v\n%v", values(again), values(rest))
	}
	// Nothing more arrives than what was produced.
	produce(t, cl, topic, rec("k1", "v90"))
	for _, s := range []*stream{second, third} {
		if ev := s.read(t, 1)[0]; ev.data != "v90" {
			t.Errorf("after the resumed records: %q, want v90", ev.data)
		}
	}
}

// checkExactlyOnce checks that values holds v0..v(n-1), each once.
func checkExactlyOnce(t *testing.T, values []string, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, v := range values {
		seen[v]++
	}
	for i := range n {
		v := "v" + strconv.Itoa(i)
		switch seen[v] {
		case 1:
		case 0:
			t.Errorf("%s never arrived", v)
		default:
			t.Errorf("%s arrived %d times", v, seen[v])
		}
		delete(seen, v)
	}
	for v := range seen {
		t.Errorf("unexpected event %q", v)
	}
}

// checkKeyOrder checks that the events of each key (one partition) came in
// the order they were produced.
func checkKeyOrder(t *testing.T, evs []event) {
	t.Helper()
	last := map[int]int{}
	for _, ev := range evs {
		n, _ := strconv.Atoi(strings.TrimPrefix(ev.data, "v"))
		if prev, ok := last[n%7]; ok && n < prev {
			t.Errorf("key k%d: v%d after v%d", n%7, n, prev)
		}
		last[n%7] = n
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestEventIDs: each id is the progress after the event's record, so it
// decodes to one offset per partition and advances with every event.
func TestEventIDs(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 2)
	cl := kafkaClient(t, addr)
	in := start(t, addr, pipelineYAML("", ""), 1)
	produce(t, cl, topic, numbered("v", 0, 10)...)
	s := open(t, in.addr, "/topic/"+topic, "")
	var total int64
	for _, ev := range s.read(t, 10) {
		p, ok := kafkaspec.DecodeProgress(ev.id)
		if !ok || len(p) != 2 {
			t.Fatalf("id %q is not a progress over 2 partitions", ev.id)
		}
		sum := p[0].Offset + p[1].Offset
		if sum != total+1 {
			t.Errorf("id %q after %d records: offsets sum to %d", ev.id, total, sum)
		}
		total = sum
	}
}

// TestTombstoneAndKeyFilter: a route filtering on a key from the path gets
// only that key's records, and its tombstone as event:delete.
func TestTombstoneAndKeyFilter(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 1)
	cl := kafkaClient(t, addr)
	in := start(t, addr, pipelineYAML("", ""), 1)
	produce(t, cl, topic, rec("a", "a1"), rec("b", "b1"), rec("a", "a2"), record{key: []byte("a")}, rec("b", "b2"))
	s := open(t, in.addr, "/items/"+topic+"/a", "")
	evs := s.read(t, 3)
	want := []event{{data: "a1"}, {data: "a2"}, {typ: "delete", data: base64.URLEncoding.EncodeToString([]byte("a"))}}
	for i := range want {
		if evs[i].data != want[i].data || evs[i].typ != want[i].typ {
			t.Errorf("event %d: %+v, want %+v", i, evs[i], want[i])
		}
	}
	produce(t, cl, topic, rec("b", "b3"), rec("a", "a3"))
	if ev := s.read(t, 1)[0]; ev.data != "a3" {
		t.Errorf("next event %+v, want a3", ev)
	}
}

// TestLiveStart: a live route sends only what is produced once the stream
// has begun, even on a cache that is filling from the start of the topic.
func TestLiveStart(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 2)
	cl := kafkaClient(t, addr)
	in := start(t, addr, pipelineYAML("", ""), 1)
	produce(t, cl, topic, numbered("old", 0, 40)...)
	s := open(t, in.addr, "/live/"+topic, "")
	produce(t, cl, topic, numbered("new", 0, 5)...)
	got := values(s.read(t, 5))
	if !slices.Equal(sorted(got), sorted([]string{"new0", "new1", "new2", "new3", "new4"})) {
		t.Errorf("live stream got %v", got)
	}
}

// TestManyClientsOneKafkaReader: clients of one topic share the cache's one
// fetch from Kafka, and each gets every event.
func TestManyClientsOneKafkaReader(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 2)
	cl := kafkaClient(t, addr)
	in := start(t, addr, pipelineYAML("", ""), 1)
	produce(t, cl, topic, numbered("v", 0, 20)...)
	const clients = 200
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	streams := make([]*stream, clients)
	for i := range streams {
		streams[i] = open(t, in.addr, "/topic/"+topic, "")
	}
	produce(t, cl, topic, numbered("v", 20, 30)...)
	for _, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got []string
			for len(got) < 30 {
				ev, err := s.next()
				if err != nil {
					errs <- err
					return
				}
				got = append(got, ev.data)
			}
			slices.Sort(got)
			if want := sorted(values(numberedEvents(30))); !slices.Equal(got, want) {
				errs <- fmt.Errorf("got %v", got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, _ := in.e.Metrics().Value("stream.opens.received", "test:kafka0"); n != 1 {
		t.Errorf("the kafka client served %d fetches for %d clients, want 1", n, clients)
	}
	for _, s := range streams {
		s.conn.Close()
	}
}

func numberedEvents(n int) []event {
	out := make([]event, n)
	for i := range out {
		out[i].data = "v" + strconv.Itoa(i)
	}
	return out
}

// TestStalledClientDropped: a client that stops reading is bounded by flow
// control, then dropped with a log event after the stall timeout; what it
// held is released.
func TestStalledClientDropped(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 1)
	cl := kafkaClient(t, addr)
	in := start(t, addr, pipelineYAML("stall-timeout: 0.3", ""), 1)
	s := open(t, in.addr, "/topic/"+topic, "")
	big := strings.Repeat("x", 8<<10)
	var recs []record
	for i := range 1500 { // 12 MiB: more than the socket buffers hold
		recs = append(recs, rec("k", fmt.Sprintf("%d:%s", i, big)))
	}
	produce(t, cl, topic, recs...)
	waitFor(t, "the stalled client to be dropped", 20*time.Second, func() bool { return in.logs.has("sse client stalled") })
	waitFor(t, "its streams to close", 5*time.Second, func() bool { return in.e.LiveStreams() <= 1 })
	// What it reads before the reset (which discards what its socket
	// buffered) is whole and in order.
	n := 0
	for {
		ev, err := s.next()
		if err != nil {
			break
		}
		if !strings.HasPrefix(ev.data, strconv.Itoa(n)+":") {
			t.Fatalf("event %d: %.12q", n, ev.data)
		}
		n++
	}
	if n >= 1500 {
		t.Errorf("the dropped client received all %d events", n)
	}
}

// TestFellBehindTheCacheDropped: a client whose unread records the cache
// evicted (a burst larger than the cache, while it was not reading) is
// dropped when it reads on, rather than silently skip them; reconnecting
// from its last event id resumes at what the cache still holds.
func TestFellBehindTheCacheDropped(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 1)
	cl := kafkaClient(t, addr)
	in := start(t, addr, pipelineYAML("stall-timeout: 0", "retention: { bytes: 65536 }"), 1)
	produce(t, cl, topic, rec("k", "0:first"))
	s := open(t, in.addr, "/topic/"+topic, "")
	if ev := s.read(t, 1)[0]; ev.data != "0:first" {
		t.Fatalf("first event %q", ev.data)
	}
	s.conn.(interface{ SetReadBuffer(int) error }).SetReadBuffer(4096)
	big := strings.Repeat("x", 8<<10)
	var recs []record
	for i := 1; i <= 1500; i++ {
		recs = append(recs, rec("k", fmt.Sprintf("%d:%s", i, big)))
	}
	produce(t, cl, topic, recs...)
	time.Sleep(200 * time.Millisecond) // let the cache tail take them and evict
	n := 1
	for {
		ev, err := s.next()
		if err != nil {
			break
		}
		if !strings.HasPrefix(ev.data, strconv.Itoa(n)+":") {
			t.Fatalf("event %d: %.12q: records were skipped without dropping the client", n, ev.data)
		}
		n++
	}
	if !in.logs.has("sse client fell behind the cache") {
		t.Errorf("no log event for the client that fell behind (it read %d events)", n)
	}
	if n > 1500 {
		t.Fatalf("the client read all %d events through a 64 KiB cache", n)
	}
	// Reconnecting resumes at what the cache holds, past what was lost.
	again := open(t, in.addr, "/topic/"+topic, s.lastID)
	ev := again.read(t, 1)[0]
	i, _ := strconv.Atoi(ev.data[:strings.IndexByte(ev.data, ':')])
	if i <= n {
		t.Errorf("resumed at event %d, after reading up to %d", i, n-1)
	}
	if !in.logs.has("sse stream starts after records the cache no longer holds") {
		t.Error("no log event for the resumed client's gap")
	}
	again.conn.Close()
}

// TestSmallEventsThenARecordOfFourKiB: after many tiny events (whose ids
// make them several times longer than their data, so the sse server grants
// little credit per byte), a 4 KiB record, which a cache sends only when
// the window holds it whole, still goes through.
func TestSmallEventsThenARecordOfFourKiB(t *testing.T) {
	addr := broker(t)
	topic := newTopic(t, addr, 1)
	cl := kafkaClient(t, addr)
	in := start(t, addr, pipelineYAML("", ""), 1)
	const tiny = 50000
	var recs []record
	for range tiny {
		recs = append(recs, rec("k", "x"))
	}
	big := strings.Repeat("y", 4096)
	recs = append(recs, rec("k", big), rec("k", "z"))
	produce(t, cl, topic, recs...)
	s := open(t, in.addr, "/topic/"+topic, "")
	evs := s.read(t, tiny+2)
	if evs[tiny].data != big || evs[tiny+1].data != "z" {
		t.Errorf("last events %.10q, %q", evs[tiny].data, evs[tiny+1].data)
	}
}
