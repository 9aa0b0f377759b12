package kafkabench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/report"
	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// Produce is kafka.produce.
var Produce = harness.Scenario{
	Name:    "kafka.produce",
	About:   "the kafka client binding producing (64 producers waiting for acks) against franz-go alone, in-process",
	Kafka:   true,
	Default: true,
	Run:     runProduce,
}

// round is how long each produce measurement lasts: the sides alternate in
// short rounds so that both see the same machine (Kafka and other work
// share its cores).
const round = time.Second

func runProduce(env *harness.Env) *report.Scenario {
	topic := topicName("produce")
	env.CreateTopics(harness.Topic{Name: topic, Partitions: 6})
	e := startEngine(env)
	defer e.Close()
	value := []byte(strings.Repeat("x", Size))

	rate := report.Measure{Key: "records/s", Label: "Records acknowledged per second, linger 0 on both", Unit: "records/s"}
	cpu := report.Measure{Key: "CPU per record", Label: "CPU per record in this process (producers and client)", Unit: "µs", Lower: true}
	lingered := report.Measure{Key: "vs 10 ms linger", Label: "Records per second against franz-go with its default 10 ms linger", Unit: "records/s"}
	produceBinding(env, e, topic, value, round) // warm-up
	produceDirect(env, topic, value, round, 0)
	rounds := max(1, int(env.Duration/round))
	for i := range env.Runs * rounds {
		harness.Alternate(i, func() {
			d, cd := produceDirect(env, topic, value, round, 0)
			rate.Reference, cpu.Reference = append(rate.Reference, d), append(cpu.Reference, cd)
		}, func() {
			b, cb := produceBinding(env, e, topic, value, round)
			rate.Sluice, cpu.Sluice = append(rate.Sluice, b), append(cpu.Sluice, cb)
		})
		if i%rounds == 0 {
			dd, _ := produceDirect(env, topic, value, round, -1)
			lingered.Reference = append(lingered.Reference, dd)
		}
		env.Logf("round %d: binding %.0f/s, franz-go %.0f/s", i+1, rate.Sluice[i], rate.Reference[i])
	}
	lingered.Sluice = rate.Sluice
	profiled(env, func() { produceBinding(env, e, topic, value, env.Duration) })
	return &report.Scenario{
		Name:      "kafka.produce",
		Title:     "Produce through the kafka binding",
		Reference: "franz-go",
		Setup: fmt.Sprintf("%d producers, each producing a %d-byte record with its own key and waiting for the broker's ack "+
			"(acks=all, idempotent) before the next, through the kafka client binding (a merged produce stream per producer, "+
			"the engine in the bench process) against franz-go alone with the same concurrency and settings, into a 6-partition "+
			"topic. The sides alternate in rounds of %v (%d rounds per run), each round's ratio counts.", Producers, Size, round, rounds),
		Measures: []report.Measure{rate, cpu, lingered},
		Targets:  []report.Target{{Measure: "records/s", Kind: report.RatioAtLeast, Value: 0.8, Text: "at least 0.8 of the direct producer's records per second"}},
		Notes: []string{"Kafka, the producers and the client share the machine's cores, so absolute figures move with its load. " +
			"With -profile, the profile comes from one more binding round of its own after the measured ones."},
	}
}

// producer is one merged produce stream, used one record at a time.
type producer struct {
	exec *engine.Executor
	s    *engine.Stream
	acks chan *kafkaspec.AckEx
}

func (p *producer) Receive(s *engine.Stream, f *engine.Frame) {
	if a, ok := f.Ext.(*kafkaspec.AckEx); ok && f.Type == engine.FlushFrame {
		p.acks <- a
	}
}

// produceBinding returns the records per second acknowledged through the
// binding by the producers during d, and the CPU per record (µs).
func produceBinding(env *harness.Env, e *engine.Engine, topic string, value []byte, d time.Duration) (float64, float64) {
	ps := make([]*producer, Producers)
	for i := range ps {
		p := &producer{exec: engine.NewExecutor(), acks: make(chan *kafkaspec.AckEx, 1)}
		var err error
		p.exec.Execute(func() {
			p.s, err = e.Open("kafka0", p.exec, p, engine.Frame{Ext: &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: topic}})
		})
		harness.Check(err)
		for credit := 0; credit < len(value); { // the binding grants its window once the stream began
			p.exec.Execute(func() { credit = p.s.Credit() })
			time.Sleep(time.Millisecond)
		}
		ps[i] = p
	}
	var count, failed atomic.Int64
	deadline := time.Now().Add(d)
	start, cpu := time.Now(), harness.SelfCPUSeconds()
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			for j := 0; time.Now().Before(deadline); j++ {
				key := fmt.Appendf(nil, "p%d-%d", i, j)
				p.exec.Execute(func() { p.s.Data(engine.FlagsComplete, value, &kafkaspec.DataEx{Key: key}) })
				if a := <-p.acks; a.Error != nil {
					failed.Add(1)
					continue
				}
				count.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed, used := time.Since(start), harness.SelfCPUSeconds()-cpu
	for _, p := range ps {
		p.exec.Execute(func() { p.s.End(nil) })
	}
	if f := failed.Load(); f > 0 {
		env.Logf("%d records failed through the binding", f)
	}
	return float64(count.Load()) / elapsed.Seconds(), used / float64(max(count.Load(), 1)) * 1e6
}

// produceDirect is produceBinding with franz-go alone: one client, as many
// goroutines each producing and waiting for its ack. linger 0 is what the
// binding uses; -1 keeps franz-go's default (10 ms).
func produceDirect(env *harness.Env, topic string, value []byte, d time.Duration, linger time.Duration) (float64, float64) {
	opts := []kgo.Opt{kgo.DefaultProduceTopic(topic)}
	if linger >= 0 {
		opts = append(opts, kgo.ProducerLinger(linger))
	}
	cl := env.KafkaClient(opts...)
	defer cl.Close()
	harness.Check(cl.ProduceSync(context.Background(), &kgo.Record{Value: value}).FirstErr())
	var count atomic.Int64
	deadline := time.Now().Add(d)
	start, cpu := time.Now(), harness.SelfCPUSeconds()
	var wg sync.WaitGroup
	for i := range Producers {
		wg.Go(func() {
			for j := 0; time.Now().Before(deadline); j++ {
				r := &kgo.Record{Key: fmt.Appendf(nil, "p%d-%d", i, j), Value: value}
				if err := cl.ProduceSync(context.Background(), r).FirstErr(); err == nil {
					count.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed, used := time.Since(start), harness.SelfCPUSeconds()-cpu
	return float64(count.Load()) / elapsed.Seconds(), used / float64(max(count.Load(), 1)) * 1e6
}
