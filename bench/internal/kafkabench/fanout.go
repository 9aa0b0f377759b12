package kafkabench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/report"
	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// Fanout is kafka.fanout.
var Fanout = harness.Scenario{
	Name:    "kafka.fanout",
	About:   "1000 live readers of one topic through the kafka cache against a franz-go consumer per reader, in-process",
	Kafka:   true,
	Default: true,
	Run:     runFanout,
}

func runFanout(env *harness.Env) *report.Scenario {
	e := startEngine(env)
	defer e.Close()
	value := []byte(strings.Repeat("x", Size))
	rate := report.Measure{Key: "deliveries/s", Label: "Records delivered per second, all readers together", Unit: "records/s"}
	streams := report.Measure{Key: "fetch streams", Label: "Fetch streams (franz-go consumers) Kafka serves", Unit: "streams", Lower: true}
	for i := range env.Runs {
		harness.Alternate(i, func() {
			r, n := fanOut(env, e, "kafka0", value)
			rate.Reference, streams.Reference = append(rate.Reference, r), append(streams.Reference, float64(n))
		}, func() {
			r, n := fanOut(env, e, "cache0", value)
			rate.Sluice, streams.Sluice = append(rate.Sluice, r), append(streams.Sluice, float64(n))
		})
		env.Logf("run %d: %d readers through the cache %.0f deliveries/s, a consumer each %.0f deliveries/s",
			i+1, Readers, rate.Sluice[i], rate.Reference[i])
	}
	profiled(env, func() { fanOut(env, e, "cache0", value) })
	return &report.Scenario{
		Name:      "kafka.fanout",
		Title:     "Fan-out through the kafka cache",
		Reference: "a consumer per reader",
		Setup: fmt.Sprintf("%d live readers of one 3-partition topic, every reader receiving all of %d %d-byte records produced as "+
			"fast as franz-go can, timed from the first produce to the last delivery: through cache_client -> cache_server -> "+
			"client (the engine in the bench process), against the same readers fetching through the client alone (a franz-go "+
			"consumer each, as without a cache); a fresh topic each run.", Readers, Records, Size),
		Measures: []report.Measure{rate, streams},
		Notes:    []string{"No target was set for fan-out; the cache's point is the second row: one fetch stream to Kafka whatever the number of readers."},
	}
}

// reader is one live reader counting the records it receives.
type reader struct {
	want  int
	got   int
	begun chan struct{}
	done  chan struct{}
	errs  *harness.Errors
}

func (r *reader) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		close(r.begun)
	case engine.AbortFrame:
		r.errs.Add(fmt.Errorf("a reader was aborted: %v", f.Ext))
	case engine.DataFrame:
		s.Window(len(f.Payload))
		if f.Flags&engine.FlagFin != 0 {
			if r.got++; r.got == r.want {
				close(r.done)
			}
		}
	}
}

// fanOut opens the live readers of a new topic through a binding (cache0:
// the cache; kafka0: the client, a franz-go consumer per reader), produces
// the records into it, and returns the records delivered per second, from
// the first produce until every reader has every record, and how many
// fetch streams the client served for them.
func fanOut(env *harness.Env, e *engine.Engine, binding string, value []byte) (float64, int64) {
	topic := topicName("fanout")
	env.CreateTopics(harness.Topic{Name: topic, Partitions: 3})
	before, _ := e.Metrics().Value("stream.opens.received", "bench:kafka0")
	var errs harness.Errors
	readers := make([]*reader, Readers)
	streams := make([]*engine.Stream, Readers)
	for i := range readers {
		r := &reader{want: Records, begun: make(chan struct{}), done: make(chan struct{}), errs: &errs}
		exec := engine.NewExecutor()
		var err error
		exec.Execute(func() {
			streams[i], err = e.Open(binding, exec, r, engine.Frame{Ext: &kafkaspec.BeginEx{
				Capabilities: kafkaspec.FetchOnly, Topic: topic, Default: kafkaspec.StartLive}})
			if err == nil {
				streams[i].Window(64 << 10)
			}
		})
		harness.Check(err)
		readers[i] = r
	}
	defer func() {
		for i, s := range streams {
			s.Execute(func() { streams[i].End(nil) })
		}
	}()
	for _, r := range readers {
		<-r.begun // every reader waits at the end of the topic
	}
	after, _ := e.Metrics().Value("stream.opens.received", "bench:kafka0")
	cl := env.KafkaClient(kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	defer cl.Close()
	start := time.Now()
	for i := range Records {
		cl.Produce(context.Background(), &kgo.Record{Key: fmt.Append(nil, i), Value: value}, func(_ *kgo.Record, err error) { errs.Add(err) })
	}
	timeout := time.After(5 * time.Minute)
	for _, r := range readers {
		select {
		case <-r.done:
		case <-timeout:
			harness.Failf("a reader did not get its %d records in 5 minutes (%v)", r.want, errs.Err())
		}
	}
	elapsed := time.Since(start)
	harness.Check(errs.Err())
	return float64(Readers*Records) / elapsed.Seconds(), after - before
}
