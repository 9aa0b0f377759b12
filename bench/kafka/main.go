// Command kafka measures the kafka binding on real Kafka against
// references measured in the same run, and writes the figures to
// docs/benchmarks.md (section kafka):
//
//   - produce: N producers, each producing one record and waiting for its
//     ack before the next, through the kafka client binding (a merged
//     produce stream per producer) against franz-go producing directly
//     with the same concurrency and settings;
//
//   - fan-out: R live readers of one topic served by a cache_client and
//     cache_server, all receiving every record, against one franz-go
//     consumer reading the same records directly.
//
//     go run ./bench/kafka -kafka 127.0.0.1:9092 [-producers 64] [-readers 1000] [-duration 5s] [-runs 3]
//
// The engine runs in this process, as an embedding program would run it;
// so do the references.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bench/internal/report"
	_ "github.com/sluicehq/sluice/bindings/kafka"
	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

const pipeline = `
name: bench
bindings:
  cache0:
    type: kafka
    kind: cache_client
    exit: server0
  server0:
    type: kafka
    kind: cache_server
    exit: kafka0
  kafka0:
    type: kafka
    kind: client
    options:
      servers: ["${{env.KAFKA_BOOTSTRAP_SERVERS}}"]
`

func main() {
	brokers := flag.String("kafka", os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), "Kafka bootstrap servers (scripts/kafka.sh start)")
	producers := flag.Int("producers", 64, "concurrent producers, each waiting for its ack")
	readers := flag.Int("readers", 1000, "live cache readers of one topic")
	records := flag.Int("records", 2000, "records the fan-out measure delivers to every reader")
	size := flag.Int("size", 100, "value bytes per record")
	duration := flag.Duration("duration", 5*time.Second, "duration of each produce measurement")
	runs := flag.Int("runs", 3, "measurements of each, alternating")
	out := flag.String("out", "docs/benchmarks.md", "report file")
	flag.Parse()
	if *brokers == "" {
		log.Fatal("no Kafka: set KAFKA_BOOTSTRAP_SERVERS or -kafka (scripts/kafka.sh start runs one)")
	}
	os.Setenv("KAFKA_BOOTSTRAP_SERVERS", *brokers)
	seeds := strings.Split(*brokers, ",")
	prefix := "bench-kafka-" + randomHex(4)
	produceTopic, fanoutTopic := prefix+"-produce", prefix+"-fanout"
	createTopic(seeds, produceTopic, 6)
	createTopic(seeds, fanoutTopic, 3)
	defer deleteTopics(seeds, produceTopic, fanoutTopic)

	e := startEngine()
	defer e.Close()
	value := []byte(strings.Repeat("x", *size))

	var viaBinding, direct, directDefault []float64
	warm := time.Second
	produceBinding(e, produceTopic, *producers, value, warm)
	produceDirect(seeds, produceTopic, *producers, value, warm, 0)
	for i := range *runs {
		viaBinding = append(viaBinding, produceBinding(e, produceTopic, *producers, value, *duration))
		direct = append(direct, produceDirect(seeds, produceTopic, *producers, value, *duration, 0))
		directDefault = append(directDefault, produceDirect(seeds, produceTopic, *producers, value, *duration, -1))
		log.Printf("produce run %d: binding %.0f/s, franz-go %.0f/s, franz-go default linger %.0f/s", i+1, viaBinding[i], direct[i], directDefault[i])
	}

	var fanout, single []float64
	var fetchStreams int64
	for i := range *runs {
		before, _ := e.Metrics().Value("stream.opens.received", "bench:kafka0")
		rate := fanOut(e, seeds, fmt.Sprintf("%s-%d", fanoutTopic, i), *readers, *records, value)
		after, _ := e.Metrics().Value("stream.opens.received", "bench:kafka0")
		fetchStreams = after - before
		fanout = append(fanout, rate)
		single = append(single, consumeDirect(seeds, fmt.Sprintf("%s-%d", fanoutTopic, i), *records))
		log.Printf("fan-out run %d: %.0f deliveries/s to %d readers (%d fetch streams to Kafka), one franz-go consumer %.0f records/s",
			i+1, fanout[i], *readers, fetchStreams, single[i])
	}

	body := render(*producers, *readers, *records, *size, *duration, *runs, viaBinding, direct, directDefault, fanout, single, fetchStreams)
	if err := report.WriteSection(*out, "kafka", body); err != nil {
		log.Fatal(err)
	}
	fmt.Println(body)
}

func startEngine() *engine.Engine {
	cfg, err := engine.Global().Parse("bench/kafka/zilla.yaml", []byte(pipeline))
	if err != nil {
		log.Fatal(err)
	}
	e, err := engine.New(cfg, engine.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		log.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		log.Fatal(err)
	}
	return e
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
// binding by n producers during d.
func produceBinding(e *engine.Engine, topic string, n int, value []byte, d time.Duration) float64 {
	ps := make([]*producer, n)
	for i := range ps {
		p := &producer{exec: engine.NewExecutor(), acks: make(chan *kafkaspec.AckEx, 1)}
		var err error
		p.exec.Execute(func() {
			p.s, err = e.Open("kafka0", p.exec, p, engine.Frame{Ext: &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: topic}})
		})
		if err != nil {
			log.Fatal(err)
		}
		for credit := 0; credit < len(value); { // the binding grants its window once the stream began
			p.exec.Execute(func() { credit = p.s.Credit() })
			time.Sleep(time.Millisecond)
		}
		ps[i] = p
	}
	var count, failed atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; time.Now().Before(deadline); j++ {
				key := []byte(fmt.Sprintf("p%d-%d", i, j))
				p.exec.Execute(func() { p.s.Data(engine.FlagsComplete, value, &kafkaspec.DataEx{Key: key}) })
				a := <-p.acks
				if a.Error != nil {
					failed.Add(1)
					continue
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, p := range ps {
		p.exec.Execute(func() { p.s.End(nil) })
	}
	if f := failed.Load(); f > 0 {
		log.Printf("%d records failed through the binding", f)
	}
	return float64(count.Load()) / elapsed.Seconds()
}

// produceDirect is produceBinding with franz-go alone: one client, n
// goroutines each producing and waiting for its ack. linger 0 is what
// the binding uses; -1 keeps franz-go's default (10 ms).
func produceDirect(seeds []string, topic string, n int, value []byte, d time.Duration, linger time.Duration) float64 {
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic)}
	if linger >= 0 {
		opts = append(opts, kgo.ProducerLinger(linger))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: value}).FirstErr(); err != nil {
		log.Fatal(err)
	}
	var count atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; time.Now().Before(deadline); j++ {
				r := &kgo.Record{Key: []byte(fmt.Sprintf("p%d-%d", i, j)), Value: value}
				if err := cl.ProduceSync(context.Background(), r).FirstErr(); err == nil {
					count.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(count.Load()) / time.Since(start).Seconds()
}

// reader is one live cache reader counting the records it receives.
type reader struct {
	want int
	got  int
	done chan struct{}
}

func (r *reader) Receive(s *engine.Stream, f *engine.Frame) {
	if f.Type != engine.DataFrame {
		return
	}
	s.Window(len(f.Payload))
	if f.Flags&engine.FlagFin != 0 {
		if r.got++; r.got == r.want {
			close(r.done)
		}
	}
}

// fanOut opens n live readers of a new topic through the cache, produces
// records into it, and returns the records delivered per second, from the
// first produce until every reader has every record.
func fanOut(e *engine.Engine, seeds []string, topic string, n, records int, value []byte) float64 {
	createTopic(seeds, topic, 3)
	readers := make([]*reader, n)
	streams := make([]*engine.Stream, n)
	for i := range readers {
		r := &reader{want: records, done: make(chan struct{})}
		exec := engine.NewExecutor()
		var err error
		exec.Execute(func() {
			streams[i], err = e.Open("cache0", exec, r, engine.Frame{Ext: &kafkaspec.BeginEx{
				Capabilities: kafkaspec.FetchOnly, Topic: topic, Default: kafkaspec.StartLive}})
			if err == nil {
				streams[i].Window(64 << 10)
			}
		})
		if err != nil {
			log.Fatal(err)
		}
		readers[i] = r
	}
	time.Sleep(time.Second) // every reader has begun and waits at the end
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	start := time.Now()
	for i := range records {
		cl.Produce(context.Background(), &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				log.Fatal(err)
			}
		})
	}
	for _, r := range readers {
		select {
		case <-r.done:
		case <-time.After(2 * time.Minute):
			log.Fatalf("a reader got %d of %d records", r.got, r.want)
		}
	}
	elapsed := time.Since(start)
	for i, s := range streams {
		s.Execute(func() { streams[i].End(nil) })
	}
	return float64(n*records) / elapsed.Seconds()
}

// consumeDirect returns the records per second one franz-go consumer
// reads the topic from the start.
func consumeDirect(seeds []string, topic string, records int) float64 {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	start := time.Now()
	for got := 0; got < records; {
		fs := cl.PollFetches(context.Background())
		got += fs.NumRecords()
	}
	return float64(records) / time.Since(start).Seconds()
}

func createTopic(seeds []string, topic string, partitions int32) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic); err != nil {
		log.Fatal(err)
	}
	for ctx.Err() == nil { // until every partition has a leader
		ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
		n := 0
		ends.Each(func(lo kadm.ListedOffset) {
			if lo.Err == nil && lo.Partition >= 0 {
				n++
			}
		})
		if err == nil && n == int(partitions) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatalf("topic %s not ready", topic)
}

func deleteTopics(seeds []string, prefixes ...string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		return
	}
	var doomed []string
	for _, t := range topics.Names() {
		for _, p := range prefixes {
			if strings.HasPrefix(t, p) {
				doomed = append(doomed, t)
			}
		}
	}
	adm.DeleteTopics(ctx, doomed...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func render(producers, readers, records, size int, d time.Duration, runs int,
	viaBinding, direct, directDefault, fanout, single []float64, fetchStreams int64) string {
	mb, md, mdd := report.Median(viaBinding), report.Median(direct), report.Median(directDefault)
	mf, ms := report.Median(fanout), report.Median(single)
	var b strings.Builder
	fmt.Fprintf(&b, "## kafka\n\n")
	fmt.Fprintf(&b, "Produce: %d producers, each producing a %d-byte record with its own key and waiting for the broker's ack (acks=all, idempotent) before the next, "+
		"through the kafka client binding (a merged produce stream per producer, in-process engine) against franz-go alone with the same concurrency; "+
		"%d alternating runs of %v; median (spread = (max-min)/median).\n\n", producers, size, runs, d)
	b.WriteString("| measure | sluice | franz-go | ratio |\n| --- | --- | --- | --- |\n")
	fmt.Fprintf(&b, "| records/s acknowledged (linger 0 on both) | %.0f (%.0f%%) | %.0f (%.0f%%) | **%.2f** |\n",
		mb, 100*report.Spread(viaBinding), md, 100*report.Spread(direct), mb/md)
	fmt.Fprintf(&b, "| franz-go with its default 10 ms linger | | %.0f (%.0f%%) | %.2f |\n\n", mdd, 100*report.Spread(directDefault), mb/mdd)
	verdict := "meets"
	if mb/md < 0.8 {
		verdict = "misses"
	}
	fmt.Fprintf(&b, "Target: produce through the binding at least 0.8 of the direct producer's records per second: %s (%.2f).\n\n", verdict, mb/md)
	fmt.Fprintf(&b, "Fan-out: %d live readers of one 3-partition topic through cache_client -> cache_server -> client, every reader receiving all of %d records "+
		"produced as fast as franz-go can, timed from the first produce to the last delivery; against one franz-go consumer reading the same records from the start. "+
		"%d runs; median.\n\n", readers, records, runs)
	b.WriteString("| measure | value |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| records delivered per second, all readers together | %.0f (%.0f%%) |\n", mf, 100*report.Spread(fanout))
	fmt.Fprintf(&b, "| one franz-go consumer, records per second | %.0f (%.0f%%) |\n", ms, 100*report.Spread(single))
	fmt.Fprintf(&b, "| ratio (deliveries per record a single consumer reads) | **%.1f** |\n", mf/ms)
	fmt.Fprintf(&b, "| fetch streams Kafka served for the %d readers | %d |\n\n", readers, fetchStreams)
	fmt.Fprintf(&b, "Kafka, the load generators and sluice share the machine's cores, so absolute figures move with its load; the ratios are the steadier figures.\n\n")
	fmt.Fprintf(&b, "Machine: %s. Date: %s. Command: `go run ./bench/kafka -kafka $KAFKA_BOOTSTRAP_SERVERS -producers %d -readers %d -records %d -duration %v -runs %d` (real Apache Kafka from scripts/kafka.sh).\n",
		report.Machine(), report.Date(), producers, readers, records, d, runs)
	return b.String()
}
