package kafka

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bindings/kafka/embedded"
	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

func TestConsumerGroupSharesAndCommits(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 4, nil)
	// Through the cache kinds too: group streams pass through to the client.
	e := startEngine(t, b.addr, cacheYAML)
	group := "group-" + topic

	var recs [][]string
	for i := range 40 {
		recs = append(recs, []string{fmt.Sprintf("k%d", i), fmt.Sprintf("v%02d", i)})
	}
	produceAll(t, e, "kafka0", topic, recs...)

	begin := func() *kafkaspec.BeginEx {
		return &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic, GroupID: group}
	}
	m1 := open(t, e, "cache0", begin(), 1<<20)
	m2 := open(t, e, "cache0", begin(), 1<<20)
	// Between them the members read every record (a rebalance may hand a
	// partition over before anything was committed: at least once).
	distinct := func() ([]fetched, []fetched, int) {
		r1, r2 := records(m1.snapshot()), records(m2.snapshot())
		seen := map[string]bool{}
		for _, r := range append(r1, r2...) {
			seen[string(r.value)] = true
		}
		return r1, r2, len(seen)
	}
	deadline := time.Now().Add(60 * time.Second)
	r1, r2, n := distinct()
	for ; n < 40; r1, r2, n = distinct() {
		if time.Now().After(deadline) {
			t.Fatalf("members read %d distinct records of 40", n)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Commit everything read, leave, and a new member reads only what
	// comes after.
	commit := func(m *merged, rs []fetched) {
		next := map[int32]int64{}
		for _, r := range rs {
			next[r.ex.Partition] = max(next[r.ex.Partition], r.ex.Offset+1)
		}
		var offs []kafkaspec.PartitionOffset
		for p, o := range next {
			offs = append(offs, kafkaspec.PartitionOffset{Partition: p, Offset: o})
		}
		m.do(func(s *engine.Stream) {
			s.Flush(&kafkaspec.CommitEx{Offsets: offs})
			s.End(nil)
		})
	}
	commit(m1, r1)
	commit(m2, r2)
	m1.wait("end", 30*time.Second, hasFrame(engine.EndFrame))
	m2.wait("end", 30*time.Second, hasFrame(engine.EndFrame))

	produceAll(t, e, "kafka0", topic, []string{"late", "after-commit"})
	m3 := open(t, e, "cache0", begin(), 1<<20)
	m3.wait("the record after the commit", 60*time.Second, func(fs []engine.Frame) bool { return len(records(fs)) >= 1 })
	time.Sleep(500 * time.Millisecond) // anything else would arrive now
	if got := values(records(m3.snapshot())); !slices.Equal(got, []string{"after-commit"}) {
		t.Errorf("new member read %v", got)
	}
}

func TestProduceAndFetchOnOneStream(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 1, nil)
	e := startEngine(t, b.addr, cacheYAML)

	for _, binding := range []string{"kafka0", "cache0"} {
		m := open(t, e, binding, &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceAndFetch, Topic: topic, Default: kafkaspec.StartLive}, 1<<20)
		m.wait("reply begin", 10*time.Second, hasFrame(engine.BeginFrame))
		m.waitCredit(1)
		m.produce("echo", "via-"+binding)
		m.wait("ack and record", 10*time.Second, func(fs []engine.Frame) bool {
			return len(acks(fs)) == 1 && len(records(fs)) == 1
		})
		fs := m.snapshot()
		if _, ok := frameOf(fs, engine.BeginFrame).Ext.(*kafkaspec.ReplyBeginEx); !ok {
			t.Errorf("%s: reply begin without partitions", binding)
		}
		if got := records(fs)[0]; string(got.value) != "via-"+binding || acks(fs)[0].Offset != got.ex.Offset {
			t.Errorf("%s: fetched %q at %d, acked at %d", binding, got.value, got.ex.Offset, acks(fs)[0].Offset)
		}
		m.do(func(s *engine.Stream) { s.End(nil) })
		m.wait("end", 10*time.Second, hasFrame(engine.EndFrame))
	}
}

func TestEmbeddedBrokerKeepsData(t *testing.T) {
	dir := t.TempDir()
	addr, stop, err := embedded.Start(dir, embedded.Topics("kept"))
	if err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, addr, clientYAML)
	produceAll(t, e, "kafka0", "kept", []string{"k", "survives"})
	// A topic the broker has never heard of is created on first use.
	produceAll(t, e, "kafka0", "auto-created", []string{"k", "new"})
	e.Close()
	stop()

	addr, stop, err = embedded.Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	e = startEngine(t, addr, clientYAML)
	for topic, want := range map[string]string{"kept": "survives", "auto-created": "new"} {
		got, _ := fetchAll(t, e, "kafka0", &kafkaspec.BeginEx{Topic: topic})
		if len(got) != 1 || string(got[0].value) != want {
			t.Errorf("%s after a restart: %v", topic, values(got))
		}
	}
}
