// Command sse measures the sse.kafka.fanout pipeline on real Kafka: the
// memory an idle event-source client costs, the most clients one process
// holds, and the delay from producing a record to a client reading it, with
// ten thousand clients. A plain Go service (net/http and a franz-go
// consumer fanning out to a goroutine per client) is measured in the same
// run as the reference, and so is Kafka's own delay (a franz-go consumer).
// It rewrites the sse section of docs/benchmarks.md.
//
//	scripts/kafka.sh start && eval "$(scripts/kafka.sh env)"
//	go run ./bench/sse [-clients 10000] [-rate 1000] [-duration 20s]
//
// The program plays every role in its own process, started from its own
// binary: the sluice pipeline (the engine as `sluice start` runs it), the
// reference server, and client workers, since a process here may open at
// most 20,000 files (RLIMIT_NOFILE). Clients connect from several 127.0.0.x
// source addresses so that the ephemeral port range does not bound them.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bench/internal/report"
)

const roleEnv = "BENCH_SSE_ROLE"

func main() {
	switch os.Getenv(roleEnv) {
	case "clients":
		runClients(os.Args[1:])
		return
	case "sluice":
		runSluice(os.Args[1:])
		return
	case "reference":
		runReference(os.Args[1:])
		return
	}
	o := options{}
	flag.StringVar(&o.kafka, "kafka", os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), "Kafka bootstrap servers (default $KAFKA_BOOTSTRAP_SERVERS)")
	flag.IntVar(&o.clients, "clients", 10000, "clients for the memory and delivery measures")
	flag.IntVar(&o.rate, "rate", 1000, "records per second, each to one client's key")
	flag.IntVar(&o.broadcastRate, "broadcast-rate", 2, "records per second to every client")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each delivery measure runs")
	flag.IntVar(&o.runs, "runs", 3, "keyed delivery runs (the report shows medians)")
	flag.IntVar(&o.maxClients, "max", 22000, "stop looking for the most clients one process holds here")
	flag.IntVar(&o.profiled, "profiled", 2000, "idle clients for the memory breakdown by package")
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "file whose sse section is rewritten (empty: print only)")
	flag.StringVar(&o.only, "only", "", "run only this measure against sluice, without writing the report: keyed, broadcast or breakdown")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "profile the sluice process of the delivery measures into `file`")
	flag.Parse()
	if o.kafka == "" {
		fail(fmt.Errorf("no Kafka: start one with scripts/kafka.sh start, then eval \"$(scripts/kafka.sh env)\""))
	}
	b := &bench{options: o}
	b.run()
}

type options struct {
	kafka         string
	clients       int
	rate          int
	broadcastRate int
	duration      time.Duration
	runs          int
	maxClients    int
	profiled      int
	out           string
	cpuProfile    string
	only          string
}

type bench struct {
	options
	keyed, broadcast string
	loadBefore       string
	keyedRuns        []string // p99 of sluice, the reference and Kafka alone, per run
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// child is a process playing a role, answering commands with JSON lines.
type child struct {
	name  string
	port  int
	idle  int // streams open with no client (cache tails)
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	clock sync.Mutex
}

func (b *bench) start(role string, port int, args []string) *child {
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	c := &child{name: role, port: port}
	c.cmd = exec.Command(self, args...)
	c.cmd.Env = append(os.Environ(), roleEnv+"="+role, "KAFKA="+b.kafka, "KEYED="+b.keyed, "BROADCAST="+b.broadcast,
		"PORT="+strconv.Itoa(port))
	c.cmd.Stderr = os.Stderr
	c.in, _ = c.cmd.StdinPipe()
	stdout, _ := c.cmd.StdoutPipe()
	c.out = bufio.NewScanner(stdout)
	c.out.Buffer(make([]byte, 1<<20), 64<<20)
	if err := c.cmd.Start(); err != nil {
		fail(err)
	}
	return c
}

// call sends a command and decodes the JSON line answering it.
func (c *child) call(command string, out any) {
	c.clock.Lock()
	defer c.clock.Unlock()
	if command != "" {
		fmt.Fprintln(c.in, command)
	}
	if !c.out.Scan() {
		fail(fmt.Errorf("%s: no answer to %q: %v", c.name, command, c.out.Err()))
	}
	if out != nil {
		if err := json.Unmarshal(c.out.Bytes(), out); err != nil {
			fail(fmt.Errorf("%s: %q: %v", c.name, c.out.Text(), err))
		}
	}
}

func (c *child) stop() {
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// workers spreads clients of one server over client processes of at most
// perWorker each.
type workers struct {
	b     *bench
	port  int
	procs []*child
	n     int // clients opened so far
	path  string
}

const perWorker = 15000

// replayed is how many records each client of the second memory breakdown
// reads before it is idle: more than a cache reader's batch (64).
const replayed = 100

func (b *bench) newWorkers(s *child, path string) *workers {
	return &workers{b: b, port: s.port, path: path}
}

// sourceBase numbers the 127.0.0.x source addresses of client processes.
var sourceBase atomic.Int32

// open opens n more clients, and returns how many got their response head.
func (w *workers) open(n int) openResult {
	var total openResult
	for n > 0 {
		if len(w.procs) == 0 || w.n >= perWorker*len(w.procs) {
			base := int(sourceBase.Add(8)) % 240
			sources := make([]string, 8)
			for i := range sources {
				sources[i] = fmt.Sprintf("127.0.0.%d", 2+base+i)
			}
			w.procs = append(w.procs, w.b.start("clients", 0, []string{"-addr", "127.0.0.1:" + strconv.Itoa(w.port),
				"-path", w.path, "-sources", strings.Join(sources, ",")}))
		}
		p := w.procs[len(w.procs)-1]
		k := min(n, perWorker*len(w.procs)-w.n)
		var r openResult
		p.call(fmt.Sprintf("open %d %d", w.n, k), &r)
		total.Opened += r.Opened
		total.Failed += r.Failed
		total.Errors = append(total.Errors, r.Errors...)
		w.n += k
		n -= k
	}
	return total
}

// report merges the latency counts of every worker since the last report.
func (w *workers) report() (latencies, int64) {
	counts := make([]int64, histBuckets)
	var lost int64
	for _, p := range w.procs {
		var r struct {
			Counts []int64 `json:"counts"`
			Lost   int64   `json:"lost"`
		}
		p.call("report", &r)
		merge(counts, r.Counts)
		lost += r.Lost
	}
	return summarize(counts), lost
}

func (w *workers) stop() {
	for _, p := range w.procs {
		p.stop()
	}
	w.procs, w.n = nil, 0
}

// results is what the report shows for one server.
type results struct {
	s                 *child
	w                 *workers // its keyed clients
	name              string
	idle              serverStats // with no client
	half, full        serverStats // with half, then all, the clients
	perClient         float64     // resident bytes per idle client
	heapPer, stackPer float64
	keyed, broadcast  latencies
	bcastCPU          float64   // server CPU microseconds per broadcast event delivered
	keyedCores        float64   // server CPU seconds per second of the keyed measure
	kafka             latencies // a franz-go consumer of the keyed topic, meanwhile
}

func (b *bench) run() {
	var suffix [4]byte
	rand.Read(suffix[:])
	id := hex.EncodeToString(suffix[:])
	b.loadBefore = loadAverage()
	b.keyed, b.broadcast = "bench-sse-keyed-"+id, "bench-sse-broadcast-"+id
	admin := b.kafkaClient(kgo.ProducerLinger(0))
	defer admin.Close()
	b.createTopics(admin)
	defer b.deleteTopics(admin)

	var args []string
	if b.cpuProfile != "" {
		args = []string{"-cpuprofile", b.cpuProfile}
	}
	if b.only != "" {
		b.measureOnly(b.only, args, admin)
		return
	}
	logf("sluice: memory, %d idle clients", b.clients)
	sl := b.memory("sluice", args)
	logf("reference: memory, %d idle clients", b.clients)
	ref := b.memory("reference", nil)

	// Delivery to keyed clients, both servers at once: the same records,
	// the same hiccups of Kafka and of the machine; a franz-go consumer of
	// the topic measures Kafka's own delay meanwhile.
	var slRuns, refRuns, kafkaRuns []latencies
	for run := range b.runs {
		direct := b.consume(b.keyed)
		lat, cpu := b.deliver([]*child{sl.s, ref.s}, []*workers{sl.w, ref.w}, admin, b.rate,
			func(rng *mrand.Rand) string { return "k" + strconv.Itoa(rng.IntN(b.clients)) }, b.keyed)
		k := direct()
		slRuns, refRuns, kafkaRuns = append(slRuns, lat[0]), append(refRuns, lat[1]), append(kafkaRuns, k)
		sl.keyedCores += cpu[0] / b.duration.Seconds() / float64(b.runs)
		ref.keyedCores += cpu[1] / b.duration.Seconds() / float64(b.runs)
		logf("keyed run %d: sluice p50 %v p99 %v; reference p50 %v p99 %v; Kafka alone p50 %v p99 %v", run+1,
			lat[0].p50, lat[0].p99, lat[1].p50, lat[1].p99, k.p50, k.p99)
	}
	sl.keyed, ref.keyed, sl.kafka = medianOf(slRuns), medianOf(refRuns), medianOf(kafkaRuns)
	for i := range slRuns {
		b.keyedRuns = append(b.keyedRuns, fmt.Sprintf("%.1f / %.1f / %.1f", msf(slRuns[i].p99), msf(refRuns[i].p99), msf(kafkaRuns[i].p99)))
	}

	// Delivery to every client of one stream, one server at a time.
	for _, r := range []*results{&sl, &ref} {
		r.w.stop()
		r.s.settle()
		bw := b.newWorkers(r.s, "/broadcast?c=%d")
		b.mustOpen(bw, b.clients)
		time.Sleep(time.Second)
		lat, cpu := b.deliver([]*child{r.s}, []*workers{bw}, admin, b.broadcastRate, func(*mrand.Rand) string { return "all" }, b.broadcast)
		r.broadcast = lat[0]
		if lat[0].n > 0 {
			r.bcastCPU = cpu[0] / float64(lat[0].n) * 1e6
		}
		logf("%s: broadcast delivery p50 %v p99 %v max %v (%d events), %.1f µs of CPU per event", r.name,
			r.broadcast.p50, r.broadcast.p99, r.broadcast.max, r.broadcast.n, r.bcastCPU)
		bw.stop()
		r.s.stop()
	}

	logf("sluice: memory by package, %d idle clients", b.profiled)
	breakdown := b.breakdown(0)
	logf("sluice: memory by package, %d idle clients after replaying %d records each", b.profiled, replayed)
	afterReplay := b.breakdown(replayed)
	logf("sluice: most clients one process holds")
	most, mostStats := b.mostClients()

	body := b.render(sl, ref, breakdown, afterReplay, most, mostStats)
	fmt.Println(body)
	if b.out != "" {
		if err := report.WriteSection(b.out, "sse", body); err != nil {
			fail(err)
		}
		logf("wrote the sse section of %s", b.out)
	}
}

// medianOf returns, for each percentile, its median over runs.
func medianOf(runs []latencies) latencies {
	pick := func(f func(latencies) time.Duration) time.Duration {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = float64(f(r))
		}
		return time.Duration(report.Median(xs))
	}
	var n int64
	for _, r := range runs {
		n += r.n
	}
	return latencies{n: n, p50: pick(func(l latencies) time.Duration { return l.p50 }),
		p99: pick(func(l latencies) time.Duration { return l.p99 }), max: pick(func(l latencies) time.Duration { return l.max })}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/sse: "+format+"\n", args...)
}

func (b *bench) kafkaClient(opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(b.kafka, ",")...)}, opts...)...)
	if err != nil {
		fail(err)
	}
	return cl
}

func (b *bench) createTopics(cl *kgo.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	for topic, parts := range map[string]int32{b.keyed: 6, b.broadcast: 1} {
		resp, err := adm.CreateTopic(ctx, parts, 1, nil, topic)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			fail(fmt.Errorf("create topic %s: %w", topic, err))
		}
	}
}

func (b *bench) deleteTopics(cl *kgo.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kadm.NewClient(cl).DeleteTopics(ctx, b.keyed, b.broadcast)
}

// startServer starts a server role on a fresh port and waits until it is
// ready and has its caches warm.
func (b *bench) startServer(role string, args []string) *child {
	s := b.start(role, freePort(), args)
	s.call("", nil) // {"ready": true}
	time.Sleep(2 * time.Second)
	s.call("streams", &struct{ Streams *int }{Streams: &s.idle})
	return s
}

// settle waits until the server is back to the streams it had with no
// client, so that one measure's clients do not weigh on the next.
func (s *child) settle() {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var n struct{ Streams int }
		s.call("streams", &n)
		if n.Streams <= s.idle {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	logf("%s: streams of closed clients still open after a minute", s.name)
}

// memory starts a server and opens its keyed clients, idle, measuring its
// memory with none, half and all of them.
func (b *bench) memory(role string, args []string) results {
	r := results{name: role}
	r.s = b.startServer(role, args)
	r.s.call("stats", &r.idle)
	r.w = b.newWorkers(r.s, "/keyed/k%d")
	half := b.clients / 2
	b.mustOpen(r.w, half)
	time.Sleep(time.Second)
	r.s.call("stats", &r.half)
	b.mustOpen(r.w, b.clients-half)
	time.Sleep(time.Second)
	r.s.call("stats", &r.full)
	n := float64(b.clients - half)
	r.perClient = float64(r.full.RSS-r.half.RSS) / n
	r.heapPer = float64(r.full.HeapInuse-r.half.HeapInuse) / n
	r.stackPer = float64(r.full.StackInuse-r.half.StackInuse) / n
	logf("%s: %.0f bytes resident per idle client (heap %.0f, stacks %.0f)", role, r.perClient, r.heapPer, r.stackPer)
	return r
}

// measureOnly runs one delivery measure against sluice, for profiling.
func (b *bench) measureOnly(which string, args []string, producer *kgo.Client) {
	if which == "breakdown" {
		for pkg, v := range b.breakdown(replayed) {
			fmt.Printf("%10.0f  %s\n", v, pkg)
		}
		return
	}
	s := b.startServer("sluice", args)
	defer s.stop()
	var l latencies
	switch which {
	case "keyed":
		w := b.newWorkers(s, "/keyed/k%d")
		b.mustOpen(w, b.clients)
		lat, _ := b.deliver([]*child{s}, []*workers{w}, producer, b.rate, func(rng *mrand.Rand) string { return "k" + strconv.Itoa(rng.IntN(b.clients)) }, b.keyed)
		l = lat[0]
		w.stop()
	case "broadcast":
		w := b.newWorkers(s, "/broadcast?c=%d")
		b.mustOpen(w, b.clients)
		lat, _ := b.deliver([]*child{s}, []*workers{w}, producer, b.broadcastRate, func(*mrand.Rand) string { return "all" }, b.broadcast)
		l = lat[0]
		w.stop()
	default:
		fail(fmt.Errorf("-only %q: keyed or broadcast", which))
	}
	logf("sluice %s: p50 %v p99 %v max %v (%d events)", which, l.p50, l.p99, l.max, l.n)
	_ = l
}

func (b *bench) mustOpen(w *workers, n int) {
	r := w.open(n)
	if r.Failed > 0 {
		fail(fmt.Errorf("%d of %d clients failed: %v", r.Failed, n, r.Errors))
	}
}

// deliver produces rate records a second, stamped with the time, for a
// warm-up second then the measure's duration, and returns, per server,
// what its clients saw during the latter and the CPU seconds it used.
func (b *bench) deliver(servers []*child, ws []*workers, cl *kgo.Client, rate int, key func(*mrand.Rand) string, topic string) ([]latencies, []float64) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var errs atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := mrand.New(mrand.NewPCG(1, 2))
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		start, sent := time.Now(), 0
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				due := int(float64(rate) * now.Sub(start).Seconds())
				for ; sent < due; sent++ {
					rec := &kgo.Record{Topic: topic, Key: []byte(key(rng)), Value: strconv.AppendInt(nil, time.Now().UnixNano(), 10)}
					cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
						if err != nil && ctx.Err() == nil {
							errs.Add(1)
						}
					})
				}
			}
		}
	}()
	time.Sleep(time.Second)
	for _, w := range ws {
		w.report() // discard the warm-up
	}
	cpu := make([]float64, len(servers))
	for i, s := range servers {
		var c struct{ CPU float64 }
		s.call("cpu", &c)
		cpu[i] = -c.CPU
	}
	time.Sleep(b.duration)
	for i, s := range servers {
		var c struct{ CPU float64 }
		s.call("cpu", &c)
		cpu[i] += c.CPU
	}
	lat := make([]latencies, len(ws))
	for i, w := range ws {
		lat[i], _ = w.report()
	}
	cancel()
	wg.Wait()
	if n := errs.Load(); n > 0 {
		logf("%d records failed to produce", n)
	}
	return lat, cpu
}

// consume reads topic from its end with a franz-go consumer, timing each
// record from its produce stamp; the returned function stops it and says
// what it saw after the first second (the deliveries' warm-up).
func (b *bench) consume(topic string) func() latencies {
	cl := b.kafkaClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()), kgo.FetchMaxWait(time.Second))
	var h histogram
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			now := time.Now()
			fs.EachRecord(func(r *kgo.Record) {
				if ts, err := strconv.ParseInt(string(r.Value), 10, 64); err == nil && now.Sub(start) > time.Second {
					h.record(time.Duration(now.UnixNano() - ts))
				}
			})
		}
	}()
	return func() latencies {
		cancel()
		<-done
		cl.Close()
		return summarize(h.snapshot(false))
	}
}

// breakdown measures, with every allocation recorded, what idle clients
// hold by package.
func (b *bench) breakdown(history int) map[string]float64 {
	s := b.startServer("sluice", []string{"-profile"})
	defer s.stop()
	prefix := "p" + strconv.Itoa(history) + "-"
	if history > 0 {
		cl := b.kafkaClient(kgo.ProducerLinger(5 * time.Millisecond))
		var recs []*kgo.Record
		for i := range b.profiled {
			for range history {
				recs = append(recs, &kgo.Record{Topic: b.keyed, Key: []byte(prefix + strconv.Itoa(i)), Value: []byte("0")})
			}
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			fail(err)
		}
		cl.Close()
		time.Sleep(5 * time.Second) // the cache takes them, and its buffers drain
	}
	var before, after serverStats
	s.call("stats", &before)
	s.call("stats", &before) // what the first collection left to finalize
	w := b.newWorkers(s, "/keyed/"+prefix+"%d")
	b.mustOpen(w, b.profiled)
	time.Sleep(time.Second)
	s.call("stats", &after)
	defer w.stop()
	out := map[string]float64{}
	for pkg, v := range after.ByPackage {
		if d := float64(v-before.ByPackage[pkg]) / float64(b.profiled); math.Abs(d) >= 1 {
			out[pkg] = d
		}
	}
	out["goroutine stacks"] = float64(after.StackInuse-before.StackInuse) / float64(b.profiled)
	out["goroutines (count)"] = float64(after.Goroutines-before.Goroutines) / float64(b.profiled)
	return out
}

// mostClients opens clients in steps until some fail or max is reached,
// and returns how many one sluice process held at once.
func (b *bench) mostClients() (int, serverStats) {
	s := b.startServer("sluice", nil)
	defer s.stop()
	w := b.newWorkers(s, "/keyed/m%d")
	defer w.stop()
	held := 0
	for held < b.maxClients {
		step := min(2500, b.maxClients-held)
		r := w.open(step)
		held += r.Opened
		if r.Failed > 0 {
			logf("%d clients held; %d more failed: %v", held, r.Failed, r.Errors)
			break
		}
		logf("%d clients held", held)
	}
	var st serverStats
	s.call("stats", &st)
	return held, st
}

// loadAverage returns the one-minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// render writes the report section.
func (b *bench) render(sl, ref results, breakdown, afterReplay map[string]float64, most int, mostStats serverStats) string {
	var sb strings.Builder
	kib := func(v float64) string { return fmt.Sprintf("%.1f KiB", v/1024) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintf(&sb, "## sse: Kafka to EventSource clients (bench/sse)\n\n")
	fmt.Fprintf(&sb, "`go run ./bench/sse` (%s), %s, real Apache Kafka on loopback "+
		"(scripts/kafka.sh). Pipeline: tcp -> http -> sse -> sse-kafka -> kafka cache_client -> cache_server -> "+
		"client, as in examples/sse.kafka.fanout. Reference, measured in the same run: a plain Go service, "+
		"net/http with a goroutine and a buffered channel per client, fed by one franz-go consumer. Clients are "+
		"HTTP/1.1 connections from 127.0.0.2-127.0.0.x, in their own processes. The machine is shared: load average %s "+
		"at the start, %s at the end; latency percentiles move with it, CPU per event much less.\n\n",
		report.Date(), report.Machine(), b.loadBefore, loadAverage())
	fmt.Fprintf(&sb, "| measure | sluice | reference | ratio |\n| --- | --- | --- | --- |\n")
	fmt.Fprintf(&sb, "| resident memory per idle client (slope from %d to %d clients) | %s | %s | %.2f |\n",
		b.clients/2, b.clients, kib(sl.perClient), kib(ref.perClient), sl.perClient/ref.perClient)
	fmt.Fprintf(&sb, "| of which Go heap / goroutine stacks | %s / %s | %s / %s | |\n",
		kib(sl.heapPer), kib(sl.stackPer), kib(ref.heapPer), kib(ref.stackPer))
	fmt.Fprintf(&sb, "| resident memory with %d idle clients | %.0f MiB | %.0f MiB | %.2f |\n",
		b.clients, float64(sl.full.RSS)/(1<<20), float64(ref.full.RSS)/(1<<20), float64(sl.full.RSS)/float64(ref.full.RSS))
	fmt.Fprintf(&sb, "| produce to client, %d clients each on its own key, %d records/s, both servers at once: p50 / p99 / max | %s / %s / %s | %s / %s / %s | %.2f (p99) |\n",
		b.clients, b.rate, ms(sl.keyed.p50), ms(sl.keyed.p99), ms(sl.keyed.max), ms(ref.keyed.p50), ms(ref.keyed.p99), ms(ref.keyed.max),
		float64(sl.keyed.p99)/float64(ref.keyed.p99))
	fmt.Fprintf(&sb, "| events delivered in %d keyed runs of %v (medians above) | %d | %d | |\n", b.runs, b.duration, sl.keyed.n, ref.keyed.n)
	fmt.Fprintf(&sb, "| server CPU during the keyed measure (cores) | %.3f | %.3f | %.2f |\n", sl.keyedCores, ref.keyedCores, sl.keyedCores/ref.keyedCores)
	fmt.Fprintf(&sb, "| Kafka's own delay for the same records (a franz-go consumer of the topic): p50 / p99 | %s / %s | | |\n",
		ms(sl.kafka.p50), ms(sl.kafka.p99))
	fmt.Fprintf(&sb, "| produce to client, %d clients all on one stream, %d records/s (%d deliveries/s): p50 / p99 / max | %s / %s / %s | %s / %s / %s | %.2f (p99) |\n",
		b.clients, b.broadcastRate, b.clients*b.broadcastRate, ms(sl.broadcast.p50), ms(sl.broadcast.p99), ms(sl.broadcast.max),
		ms(ref.broadcast.p50), ms(ref.broadcast.p99), ms(ref.broadcast.max), float64(sl.broadcast.p99)/float64(ref.broadcast.p99))
	fmt.Fprintf(&sb, "| events delivered in %v (broadcast, of %d) | %d | %d | |\n", b.duration,
		int(b.duration.Seconds())*b.broadcastRate*b.clients, sl.broadcast.n, ref.broadcast.n)
	fmt.Fprintf(&sb, "| server CPU per event delivered (broadcast) | %.1f µs | %.1f µs | %.2f |\n", sl.bcastCPU, ref.bcastCPU, sl.bcastCPU/ref.bcastCPU)
	fmt.Fprintf(&sb, "| most clients one process held | %d (%.0f MiB resident) | | |\n\n", most, float64(mostStats.RSS)/(1<<20))
	if most < b.maxClients {
		fmt.Fprintf(&sb, "The most clients is the container's limit on open files (RLIMIT_NOFILE, 20,000 for every process, which "+
			"cannot be raised here), not sluice's: at the memory per client above, %d clients would take %.1f GiB.\n\n",
			100000, 100000*sl.perClient/(1<<30))
	}
	fmt.Fprintf(&sb, "Memory an idle sluice client holds, by package (%d idle clients, every allocation recorded; "+
		"the heap a package allocated, or runtime/net allocated on its behalf), when it connected to a quiet key, and "+
		"after it replayed %d records of its key:\n\n| package | bytes per client | after a replay |\n| --- | --- | --- |\n", b.profiled, replayed)
	keys := make([]string, 0, len(breakdown))
	for k := range breakdown {
		keys = append(keys, k)
	}
	for k := range afterReplay {
		if _, ok := breakdown[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return breakdown[keys[i]] > breakdown[keys[j]] })
	for _, k := range keys {
		if k == "goroutines (count)" {
			fmt.Fprintf(&sb, "| %s | %.2f | %.2f |\n", k, breakdown[k], afterReplay[k])
			continue
		}
		fmt.Fprintf(&sb, "| %s | %.0f | %.0f |\n", k, breakdown[k], afterReplay[k])
	}
	total := func(m map[string]float64) float64 {
		t := 0.0
		for k, v := range m {
			if k != "goroutines (count)" {
				t += v
			}
		}
		return t
	}
	fmt.Fprintf(&sb, "| total | %.0f | %.0f |\n\n", total(breakdown), total(afterReplay))
	meets := func(ok bool) string {
		if ok {
			return "meets"
		}
		return "misses"
	}
	fmt.Fprintf(&sb, "Keyed delivery p99 per run, sluice / reference / Kafka alone (ms): %s.\n\n", strings.Join(b.keyedRuns, "; "))
	fmt.Fprintf(&sb, "Targets: under 20 KB per idle client: %s (%s; %.1f KiB after a replay, of which %.1f KiB is the kafka cache "+
		"reader's last batch, kept while idle). %d clients with p99 under 100 ms (keyed, median of %d runs): %s "+
		"(%s; Kafka alone %s: the p99 is Kafka's and the machine's, sluice's p50 adds %.1f ms to Kafka's).\n\n"+
		"Command: `go run ./bench/sse -kafka $KAFKA_BOOTSTRAP_SERVERS -clients %d -rate %d -broadcast-rate %d -duration %v -runs %d`.\n",
		meets(sl.perClient < 20000), kib(sl.perClient), total(afterReplay)/1024, (afterReplay["bindings/kafka"]-breakdown["bindings/kafka"])/1024,
		b.clients, b.runs, meets(sl.keyed.p99 < 100*time.Millisecond), ms(sl.keyed.p99), ms(sl.kafka.p99), msf(sl.keyed.p50-sl.kafka.p50),
		b.clients, b.rate, b.broadcastRate, b.duration, b.runs)
	return sb.String()
}
