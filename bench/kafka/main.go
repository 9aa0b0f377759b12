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
//     cache_server, all receiving every record, against the same readers
//     fetching through the client alone (a franz-go consumer each).
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
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measures to this file")
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

	// The produce measures alternate in short rounds, so that both see the
	// same machine load (Kafka and other work share its cores); each
	// round's ratio counts, and the figures are medians over the rounds.
	var viaBinding, direct, directDefault, ratios, cpuBinding, cpuDirect []float64
	warm := time.Second
	produceBinding(e, produceTopic, *producers, value, warm)
	produceDirect(seeds, produceTopic, *producers, value, warm, 0)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
	}
	rounds := max(1, int(*duration/time.Second))
	for i := range *runs * rounds {
		b, cb := produceBinding(e, produceTopic, *producers, value, time.Second)
		d, cd := produceDirect(seeds, produceTopic, *producers, value, time.Second, 0)
		viaBinding, direct, ratios = append(viaBinding, b), append(direct, d), append(ratios, b/d)
		cpuBinding, cpuDirect = append(cpuBinding, float64(cb.Microseconds())), append(cpuDirect, float64(cd.Microseconds()))
		if i%rounds == 0 {
			dd, _ := produceDirect(seeds, produceTopic, *producers, value, time.Second, -1)
			directDefault = append(directDefault, dd)
		}
		log.Printf("produce round %d: binding %.0f/s, franz-go %.0f/s", i+1, b, d)
	}
	var fanout, direct1 []float64
	var cacheStreams, directStreams int64
	for i := range *runs {
		var rate float64
		rate, cacheStreams = fanOut(e, seeds, fmt.Sprintf("%s-c%d", fanoutTopic, i), "cache0", *readers, *records, value)
		fanout = append(fanout, rate)
		rate, directStreams = fanOut(e, seeds, fmt.Sprintf("%s-d%d", fanoutTopic, i), "kafka0", *readers, *records, value)
		direct1 = append(direct1, rate)
		log.Printf("fan-out run %d: %d readers through the cache %.0f deliveries/s (%d fetch streams to Kafka), each with its own consumer %.0f deliveries/s (%d)",
			i+1, *readers, fanout[i], cacheStreams, direct1[i], directStreams)
	}

	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	body := render(*producers, *readers, *records, *size, *runs*rounds, viaBinding, direct, directDefault, ratios, cpuBinding, cpuDirect, fanout, direct1, cacheStreams, directStreams, *runs)
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
func produceBinding(e *engine.Engine, topic string, n int, value []byte, d time.Duration) (float64, time.Duration) {
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
	start, cpu := time.Now(), cpuTime()
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
	elapsed, used := time.Since(start), cpuTime()-cpu
	for _, p := range ps {
		p.exec.Execute(func() { p.s.End(nil) })
	}
	if f := failed.Load(); f > 0 {
		log.Printf("%d records failed through the binding", f)
	}
	return float64(count.Load()) / elapsed.Seconds(), used / time.Duration(max(count.Load(), 1))
}

// produceDirect is produceBinding with franz-go alone: one client, n
// goroutines each producing and waiting for its ack. linger 0 is what
// the binding uses; -1 keeps franz-go's default (10 ms).
func produceDirect(seeds []string, topic string, n int, value []byte, d time.Duration, linger time.Duration) (float64, time.Duration) {
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
	start, cpu := time.Now(), cpuTime()
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
	elapsed, used := time.Since(start), cpuTime()-cpu
	return float64(count.Load()) / elapsed.Seconds(), used / time.Duration(max(count.Load(), 1))
}

// cpuTime returns this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reader is one live reader counting the records it receives.
type reader struct {
	want  int
	got   int
	begun chan struct{}
	done  chan struct{}
}

func (r *reader) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		close(r.begun)
	case engine.AbortFrame:
		log.Fatalf("a reader was aborted: %v", f.Ext)
	case engine.DataFrame:
		s.Window(len(f.Payload))
		if f.Flags&engine.FlagFin != 0 {
			if r.got++; r.got == r.want {
				close(r.done)
			}
		}
	}
}

// fanOut opens n live readers of a new topic through a binding (cache0:
// the cache; kafka0: the client, a franz-go consumer per reader), produces
// records into it, and returns the records delivered per second, from
// the first produce until every reader has every record, and how many
// fetch streams the client served for them.
func fanOut(e *engine.Engine, seeds []string, topic, binding string, n, records int, value []byte) (float64, int64) {
	createTopic(seeds, topic, 3)
	before, _ := e.Metrics().Value("stream.opens.received", "bench:kafka0")
	readers := make([]*reader, n)
	streams := make([]*engine.Stream, n)
	for i := range readers {
		r := &reader{want: records, begun: make(chan struct{}), done: make(chan struct{})}
		exec := engine.NewExecutor()
		var err error
		exec.Execute(func() {
			streams[i], err = e.Open(binding, exec, r, engine.Frame{Ext: &kafkaspec.BeginEx{
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
	for _, r := range readers {
		<-r.begun // every reader waits at the end of the topic
	}
	after, _ := e.Metrics().Value("stream.opens.received", "bench:kafka0")
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
		case <-time.After(5 * time.Minute):
			log.Fatalf("a reader got %d of %d records", r.got, r.want)
		}
	}
	elapsed := time.Since(start)
	for i, s := range streams {
		s.Execute(func() { streams[i].End(nil) })
	}
	return float64(n*records) / elapsed.Seconds(), after - before
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

func render(producers, readers, records, size, rounds int,
	viaBinding, direct, directDefault, ratios, cpuBinding, cpuDirect, fanout, direct1 []float64, cacheStreams, directStreams int64, runs int) string {
	mb, md, mdd, mr := report.Median(viaBinding), report.Median(direct), report.Median(directDefault), report.Median(ratios)
	mf, m1 := report.Median(fanout), report.Median(direct1)
	var b strings.Builder
	fmt.Fprintf(&b, "## kafka\n\n")
	fmt.Fprintf(&b, "Produce: %d producers, each producing a %d-byte record with its own key and waiting for the broker's ack (acks=all, idempotent) before the next, "+
		"through the kafka client binding (a merged produce stream per producer, in-process engine) against franz-go alone with the same concurrency; "+
		"%d alternating rounds of 1 s each; medians (spread = (max-min)/median), the ratio being the median of the rounds' ratios.\n\n", producers, size, rounds)
	b.WriteString("| measure | sluice | franz-go | ratio |\n| --- | --- | --- | --- |\n")
	fmt.Fprintf(&b, "| records/s acknowledged (linger 0 on both) | %.0f (%.0f%%) | %.0f (%.0f%%) | **%.2f** |\n",
		mb, 100*report.Spread(viaBinding), md, 100*report.Spread(direct), mr)
	fmt.Fprintf(&b, "| franz-go with its default 10 ms linger | | %.0f (%.0f%%) | %.2f |\n", mdd, 100*report.Spread(directDefault), mb/mdd)
	fmt.Fprintf(&b, "| CPU µs per record in this process (producers and client; lower is better) | %.0f | %.0f | %.2f |\n\n",
		report.Median(cpuBinding), report.Median(cpuDirect), report.Median(cpuBinding)/report.Median(cpuDirect))
	verdict := "meets"
	if mr < 0.8 {
		verdict = "misses"
	}
	fmt.Fprintf(&b, "Target: produce through the binding at least 0.8 of the direct producer's records per second: %s (%.2f).\n\n", verdict, mr)
	fmt.Fprintf(&b, "Fan-out: %d live readers of one 3-partition topic, every reader receiving all of %d %d-byte records produced as fast as franz-go can, "+
		"timed from the first produce to the last delivery: through cache_client -> cache_server -> client, against the same readers fetching through the client alone "+
		"(a franz-go consumer each, as without a cache); %d alternating runs, a fresh topic each; median.\n\n", readers, records, size, runs)
	b.WriteString("| measure | through the cache | a consumer per reader | ratio |\n| --- | --- | --- | --- |\n")
	fmt.Fprintf(&b, "| records delivered per second, all readers together | %.0f (%.0f%%) | %.0f (%.0f%%) | **%.2f** |\n",
		mf, 100*report.Spread(fanout), m1, 100*report.Spread(direct1), mf/m1)
	fmt.Fprintf(&b, "| fetch streams (franz-go consumers) Kafka serves | %d | %d | |\n\n", cacheStreams, directStreams)
	fmt.Fprintf(&b, "Kafka, the load generators and sluice share the machine's cores, so absolute figures move with its load; the ratios are the steadier figures.\n\n")
	fmt.Fprintf(&b, "Machine: %s. Date: %s. Command: `go run ./bench/kafka -kafka $KAFKA_BOOTSTRAP_SERVERS -producers %d -readers %d -records %d -duration %v -runs %d` (real Apache Kafka 4.3.1 from scripts/kafka.sh).\n",
		report.Machine(), report.Date(), producers, readers, records, time.Duration(rounds/runs)*time.Second, runs)
	return b.String()
}
