package kafka

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

func values(rs []fetched) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r.value)
		if r.ex.Tombstone {
			out[i] = "<tombstone " + r.key() + ">"
		}
	}
	return out
}

func TestFiltersByKeyAndHeader(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 2, nil)
	e := startEngine(t, b.addr, cacheYAML)

	produceAll(t, e, "cache0", topic,
		[]string{"a", "a1", "type", "x"},
		[]string{"b", "b1", "type", "y"},
		[]string{"a", "a2", "type", "y"},
		[]string{"c", "c1", "type", "x", "tenant", "t1"},
		[]string{"", "n1", "type", "y", "tenant", "t1"},
	)
	for _, tc := range []struct {
		name    string
		filters []kafkaspec.Filter
		want    []string
		bits    map[string]uint64
	}{
		{"key", []kafkaspec.Filter{{Key: []byte("a")}}, []string{"a1", "a2"}, nil},
		{"header", []kafkaspec.Filter{{Headers: pairs([]string{"type", "x"})}}, []string{"a1", "c1"}, nil},
		{"key and header", []kafkaspec.Filter{{Key: []byte("a"), Headers: pairs([]string{"type", "y"})}}, []string{"a2"}, nil},
		{"two headers", []kafkaspec.Filter{{Headers: pairs([]string{"type", "y", "tenant", "t1"})}}, []string{"n1"}, nil},
		{"or", []kafkaspec.Filter{{Key: []byte("b")}, {Headers: pairs([]string{"tenant", "t1"})}}, []string{"b1", "c1", "n1"},
			map[string]uint64{"b1": 1, "c1": 2, "n1": 2}},
		{"no match", []kafkaspec.Filter{{Key: []byte("zz")}}, nil, nil},
		{"empty filter matches all", []kafkaspec.Filter{{}}, []string{"a1", "a2", "b1", "c1", "n1"}, nil},
	} {
		for _, binding := range []string{"cache0", "kafka0"} {
			t.Run(tc.name+"/"+binding, func(t *testing.T) {
				got, flush := fetchAll(t, e, binding, &kafkaspec.BeginEx{Topic: topic, Filters: tc.filters})
				vs := values(got)
				slices.Sort(vs)
				if !slices.Equal(vs, tc.want) {
					t.Errorf("got %v, want %v", vs, tc.want)
				}
				for _, r := range got {
					if want, ok := tc.bits[string(r.value)]; ok && r.ex.Filters != want {
						t.Errorf("%s: filter bits %b, want %b", r.value, r.ex.Filters, want)
					}
				}
				if flush == nil {
					t.Fatal("no caught-up flush")
				}
				// Progress covers every partition, at the end of each.
				if len(flush.Progress) != 2 {
					t.Errorf("progress %v", flush.Progress)
				}
			})
		}
	}
}

func TestCompactedViewWithTombstones(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	compact := "compact"
	createTopic(t, b.addr, topic, 1, map[string]*string{"cleanup.policy": &compact})
	e := startEngine(t, b.addr, cacheYAML)

	produceAll(t, e, "kafka0", topic,
		[]string{"k1", "v1"}, []string{"k2", "v2"}, []string{"k3", "v3"},
		[]string{"k1", "v1b"}, []string{"k1", "v1c"})
	m := open(t, e, "kafka0", &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: topic}, 0)
	m.waitCredit(1)
	m.do(func(s *engine.Stream) {
		s.Data(engine.FlagsComplete, nil, &kafkaspec.DataEx{Key: []byte("k2"), Tombstone: true})
	})
	m.wait("ack", 10*time.Second, func(fs []engine.Frame) bool { return len(acks(fs)) == 1 })

	// The cache serves the latest value per key, in offset order, and the
	// tombstone of a deleted key.
	got, _ := fetchAll(t, e, "cache0", &kafkaspec.BeginEx{Topic: topic})
	if vs := values(got); !slices.Equal(vs, []string{"v3", "v1c", "<tombstone k2>"}) {
		t.Errorf("compacted view = %v", vs)
	}
	// Kafka itself has not compacted yet: the client reads every record.
	got, _ = fetchAll(t, e, "kafka0", &kafkaspec.BeginEx{Topic: topic})
	if len(got) != 6 {
		t.Errorf("client read %d records, want 6", len(got))
	}
	// A filtered read of the view.
	got, _ = fetchAll(t, e, "cache0", &kafkaspec.BeginEx{Topic: topic, Filters: []kafkaspec.Filter{{Key: []byte("k1")}}})
	if vs := values(got); !slices.Equal(vs, []string{"v1c"}) {
		t.Errorf("k1 in the view = %v", vs)
	}
}

func TestResumeFromProgress(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 3, nil)
	e := startEngine(t, b.addr, cacheYAML)

	var first [][]string
	for i := range 20 {
		first = append(first, []string{fmt.Sprintf("k%d", i), fmt.Sprintf("v%02d", i)})
	}
	produceAll(t, e, "kafka0", topic, first...)

	for _, binding := range []string{"cache0", "kafka0"} {
		t.Run(binding, func(t *testing.T) {
			// A live reader reads 12 records, then goes away: its position
			// is the progress of the 12th.
			r := open(t, e, binding, &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic}, 1<<20)
			r.wait("20 records", 10*time.Second, func(fs []engine.Frame) bool { return len(records(fs)) == 20 })
			seen := records(r.snapshot())[:12]
			token := seen[11].ex.Progress.String()
			r.do(func(s *engine.Stream) { s.End(nil) })

			progress, ok := kafkaspec.DecodeProgress(token)
			if !ok {
				t.Fatalf("progress %q does not decode", token)
			}
			got, _ := fetchAll(t, e, binding, &kafkaspec.BeginEx{Topic: topic, Partitions: progress})
			all := append(values(seen), values(got)...)
			slices.Sort(all)
			want := make([]string, 20)
			for i := range want {
				want[i] = fmt.Sprintf("v%02d", i)
			}
			if !slices.Equal(all, want) {
				t.Errorf("records before and after resuming: %v", all)
			}
		})
	}
}

func TestThousandFilteredReaders(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 2, nil)
	e := startEngine(t, b.addr, cacheYAML)

	const readers, keys, perKey = 1000, 100, 5
	var (
		mu   sync.Mutex
		got  = make([][]string, readers)
		done atomic.Int32
	)
	all := make(chan struct{})
	streams := make([]*merged, readers)
	for i := range readers {
		filter := kafkaspec.Filter{Key: []byte(fmt.Sprintf("key-%d", i%keys))}
		if i%2 == 1 { // half filter on a header instead
			filter = kafkaspec.Filter{Headers: pairs([]string{"k", fmt.Sprintf("key-%d", i%keys)})}
		}
		m := open(t, e, "cache0", &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic,
			Default: kafkaspec.StartLive, Filters: []kafkaspec.Filter{filter}}, 1<<16)
		streams[i] = m
		go func(i int, m *merged) {
			if err := m.waitErr("records", 60*time.Second, func(fs []engine.Frame) bool { return len(records(fs)) >= perKey }); err != nil {
				return // reported by the deadline below
			}
			mu.Lock()
			got[i] = values(records(m.snapshot()))
			mu.Unlock()
			if done.Add(1) == readers {
				close(all)
			}
		}(i, m)
	}
	for _, m := range streams {
		m.wait("begin", 30*time.Second, hasFrame(engine.BeginFrame))
	}
	var recs [][]string
	for n := range perKey {
		for k := range keys {
			recs = append(recs, []string{fmt.Sprintf("key-%d", k), fmt.Sprintf("key-%d/%d", k, n), "k", fmt.Sprintf("key-%d", k)})
		}
	}
	produceAll(t, e, "kafka0", topic, recs...)
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		t.Fatalf("%d of %d readers got their records", done.Load(), readers)
	}
	for i, vs := range got {
		want := make([]string, perKey)
		for n := range want {
			want[n] = fmt.Sprintf("key-%d/%d", i%keys, n)
		}
		if !slices.Equal(vs, want) {
			t.Fatalf("reader %d got %v, want %v", i, vs, want)
		}
	}
	// Kafka saw one reader: the cache's tail is the only fetch stream the
	// client served (the produce streams are the others).
	opens, _ := e.Metrics().Value("stream.opens.received", "test:kafka0")
	if fetches := opens - 1; fetches != 1 {
		t.Errorf("the client served %d fetch streams for %d readers, want 1", fetches, readers)
	}
}

func TestEvictionReportsGap(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 1, nil)
	e := startEngine(t, b.addr, strings.Replace(cacheYAML, "    kind: cache_server\n",
		"    kind: cache_server\n    options:\n      retention:\n        bytes: 65536\n", 1))

	// A reader that reads nothing holds its place at the start.
	slow := open(t, e, "cache0", &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic}, 0)
	slow.wait("begin", 10*time.Second, hasFrame(engine.BeginFrame))

	var recs [][]string
	for i := range 300 {
		recs = append(recs, []string{"", fmt.Sprintf("%04d%s", i, strings.Repeat("x", 996))})
	}
	produceAll(t, e, "kafka0", topic, recs...)
	// Wait until the cache holds the last record.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := fetchAll(t, e, "cache0", &kafkaspec.BeginEx{Topic: topic, Partitions: []kafkaspec.PartitionOffset{{Partition: 0, Offset: 299}}})
		if len(got) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	used, _ := e.Metrics().Value("kafka.cache.bytes", "test:server0")
	entries, _ := e.Metrics().Value("kafka.cache.entries", "test:server0")
	if used > 65536 || used <= 0 || entries >= 300 || entries <= 0 {
		t.Errorf("cache holds %d bytes in %d entries, bound 65536", used, entries)
	}

	slow.do(func(s *engine.Stream) { s.Window(1 << 20) })
	slow.wait("the last record", 10*time.Second, func(fs []engine.Frame) bool {
		rs := records(fs)
		return len(rs) > 0 && strings.HasPrefix(string(rs[len(rs)-1].value), "0299")
	})
	// The reader is told of every offset it skipped (in one gap or in
	// several, as eviction overtook it while it waited for window), and
	// gets every record from the end of the last gap on.
	fs := slow.snapshot()
	next := int64(0)
	for _, f := range fs {
		if fx, ok := f.Ext.(*kafkaspec.FlushEx); ok {
			for _, g := range fx.Gaps {
				if g.From != next || g.To <= g.From {
					t.Fatalf("gap %+v after position %d", g, next)
				}
				next = g.To
			}
		}
	}
	rs := records(fs)
	if next == 0 {
		t.Fatal("no gap reported")
	}
	for i, r := range rs {
		if r.ex.Offset != next+int64(i) {
			t.Fatalf("record %d at offset %d after gaps up to %d", i, r.ex.Offset, next)
		}
	}
}
