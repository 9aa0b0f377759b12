// Command httpkafka measures http-kafka on real Kafka against references
// measured in the same run, and writes the figures to docs/benchmarks.md:
//
//   - oneway produce: POST /events through sluice (204 once Kafka has the
//     record) with h2load, against a franz-go producer waiting for each ack
//     at the same concurrency;
//
//   - request-reply: POST /orders through sluice (produce, the responder's
//     reply, the response), against the same round trip done with franz-go
//     (produce with reply-to and a correlation id, consume the reply), both
//     served by one responder;
//
//   - cached GET: GET /items/1 served from sluice's cache, against a plain
//     net/http server answering the same bytes.
//
//     go run ./bench/httpkafka -kafka 127.0.0.1:9092 [-conns 64] [-rrconns 16] [-duration 5s] [-runs 3]
//
// Sluice, the plain server and the responder each run in a process of
// their own (this program started again with an internal flag); the load
// generators (h2load, franz-go) run in this one.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/bench/internal/report"
)

const warmup = time.Second

func main() {
	serveSluiceFlag := flag.String("serve-sluice", "", "internal: run sluice with this configuration")
	servePlainFlag := flag.String("serve-plain", "", "internal: run the plain Go server on this address")
	etag := flag.String("etag", "", "internal: the etag the plain server answers")
	serveResponderFlag := flag.String("serve-responder", "", "internal: answer the requests of these topics")
	brokers := flag.String("kafka", os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), "Kafka bootstrap servers (scripts/kafka.sh start)")
	conns := flag.Int("conns", 64, "concurrent requests for the produce and GET measures")
	rrconns := flag.Int("rrconns", 16, "concurrent requests for the request-reply measure")
	duration := flag.Duration("duration", 5*time.Second, "duration of each measurement")
	runs := flag.Int("runs", 3, "measurements of each, alternating")
	out := flag.String("out", "docs/benchmarks.md", "report file")
	flag.Parse()
	switch {
	case *serveSluiceFlag != "":
		serveSluice(*serveSluiceFlag)
		return
	case *servePlainFlag != "":
		servePlain(*servePlainFlag, *etag)
		return
	case *serveResponderFlag != "":
		serveResponder(*brokers, *serveResponderFlag)
		return
	}
	if *brokers == "" {
		log.Fatal("no Kafka: set KAFKA_BOOTSTRAP_SERVERS or -kafka (scripts/kafka.sh start runs one)")
	}
	h2load, err := exec.LookPath("h2load")
	if err != nil {
		log.Fatal("h2load not found: scripts/deps.sh http installs it")
	}
	tmp, err := os.MkdirTemp("", "sluice-bench-httpkafka")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	prefix := "bench-" + uuid()[:8]
	createTopics(*brokers, prefix)
	produceItem(*brokers, prefix+"-items")
	self, _ := os.Executable()
	responder := startProcess(self, nil, "-kafka", *brokers, "-serve-responder", prefix+"-requests,"+prefix+"-requests-ref")
	defer stop(responder)
	sluiceAddr := freeAddr()
	_, port, _ := net.SplitHostPort(sluiceAddr)
	config, _ := filepath.Abs("bench/httpkafka/zilla.yaml")
	sl := startProcess(self, []string{"HTTP_PORT=" + port, "BENCH_TOPICS=" + prefix, "KAFKA_BOOTSTRAP_SERVERS=" + *brokers},
		"-serve-sluice", config)
	defer stop(sl)
	waitListening(sluiceAddr)
	itemETag := waitItem("http://" + sluiceAddr + "/items/1")
	plainAddr := freeAddr()
	plain := startProcess(self, nil, "-serve-plain", plainAddr, "-etag", itemETag)
	defer stop(plain)
	waitListening(plainAddr)

	event := filepath.Join(tmp, "event.json")
	order := filepath.Join(tmp, "order.json")
	os.WriteFile(event, eventValue, 0o644)
	os.WriteFile(order, orderValue, 0o644)
	h2 := func(c int, args ...string) []string {
		return append([]string{"-c", strconv.Itoa(c), "-t", "1", "-D", strconv.Itoa(int(duration.Seconds())),
			"--warm-up-time", strconv.Itoa(int(warmup.Seconds())), "--h1", "-m", "1", "--log-file", filepath.Join(tmp, "log")}, args...)
	}
	// One request of each kind first, so that caches and connections are up.
	h2loadRun(h2load, h2(1, "-n", "10", "-d", order, "-H", "content-type: application/json", "http://"+sluiceAddr+"/orders"), "", false)

	res := map[string]*figures{}
	for _, k := range []string{"produce sluice", "produce franz-go", "rr sluice", "rr franz-go", "get sluice", "get plain"} {
		res[k] = &figures{}
	}
	record := func(key string) func(rps, p50, p99, cpu float64) {
		return func(rps, p50, p99, cpu float64) {
			f := res[key]
			f.rps, f.p50, f.p99, f.cpu = append(f.rps, rps), append(f.p50, p50), append(f.p99, p99), append(f.cpu, cpu)
			log.Printf("%s: %.0f req/s, p50 %.0fµs, p99 %.0fµs", key, rps, p50, p99)
		}
	}
	// cpuOf measures the CPU a process spends per 10k requests over a run
	// (warm-up included): sluice's, the plain server's, or this process's
	// for the franz-go references, which are their own clients.
	cpuOf := func(pid int, run func() (float64, float64, float64)) (float64, float64, float64, float64) {
		before := cpuSeconds(pid)
		rps, p50, p99 := run()
		cpu := cpuSeconds(pid) - before
		return rps, p50, p99, cpu / (rps * (duration.Seconds() + warmup.Seconds())) * 10000
	}
	sluiceCPU := func(run func() (float64, float64, float64)) (float64, float64, float64, float64) {
		return cpuOf(sl.Process.Pid, run)
	}
	me := os.Getpid()
	for i := 0; i < *runs; i++ {
		log.Printf("run %d", i+1)
		record("produce franz-go")(cpuOf(me, func() (float64, float64, float64) {
			return producerReference(*brokers, prefix+"-events-ref", *conns, warmup, *duration)
		}))
		record("produce sluice")(sluiceCPU(func() (float64, float64, float64) {
			return h2loadRun(h2load, h2(*conns, "-d", event, "-H", "content-type: application/json", "http://"+sluiceAddr+"/events"), filepath.Join(tmp, "log"), true)
		}))
		record("rr franz-go")(cpuOf(me, func() (float64, float64, float64) {
			return roundTripReference(*brokers, prefix+"-requests-ref", prefix+"-replies-ref", *rrconns, warmup, *duration)
		}))
		record("rr sluice")(sluiceCPU(func() (float64, float64, float64) {
			return h2loadRun(h2load, h2(*rrconns, "-d", order, "-H", "content-type: application/json", "http://"+sluiceAddr+"/orders"), filepath.Join(tmp, "log"), true)
		}))
		record("get plain")(cpuOf(plain.Process.Pid, func() (float64, float64, float64) {
			return h2loadRun(h2load, h2(*conns, "http://"+plainAddr+"/items/1"), filepath.Join(tmp, "log"), true)
		}))
		record("get sluice")(sluiceCPU(func() (float64, float64, float64) {
			return h2loadRun(h2load, h2(*conns, "http://"+sluiceAddr+"/items/1"), filepath.Join(tmp, "log"), true)
		}))
	}
	writeReport(*out, res, *conns, *rrconns, *duration, *runs)
}

// figures are one measure's results, a value per run.
type figures struct{ rps, p50, p99, cpu []float64 }

// waitItem GETs the cached item until sluice has it, and returns its etag.
func waitItem(url string) string {
	for range 200 {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return resp.Header.Get("Etag")
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatalf("GET %s never answered 200", url)
	return ""
}

var (
	finished = regexp.MustCompile(`finished in [0-9.]+m?s, ([0-9.]+) req/s`)
	statuses = regexp.MustCompile(`status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx`)
)

// h2loadRun runs h2load and returns requests per second and the p50 and
// p99 latencies in microseconds from its per-request log. Any request
// failed or answered other than 2xx stops the benchmark.
func h2loadRun(h2load string, args []string, logFile string, measured bool) (rps, p50, p99 float64) {
	out, err := exec.Command(h2load, args...).CombinedOutput()
	if err != nil {
		log.Fatalf("h2load %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if !strings.Contains(string(out), " 0 failed, 0 errored") {
		log.Fatalf("h2load saw failed requests:\n%s", out)
	}
	if m := statuses.FindSubmatch(out); m == nil || string(m[2]) != "0" || string(m[3]) != "0" || string(m[4]) != "0" {
		log.Fatalf("h2load saw answers other than 2xx:\n%s", out)
	}
	if !measured {
		return 0, 0, 0
	}
	m := finished.FindSubmatch(out)
	if m == nil {
		log.Fatalf("h2load output without a rate:\n%s", out)
	}
	rps, _ = strconv.ParseFloat(string(m[1]), 64)
	f, err := os.Open(logFile)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var lat []time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 {
			continue
		}
		if us, err := strconv.ParseInt(cols[2], 10, 64); err == nil {
			lat = append(lat, time.Duration(us)*time.Microsecond)
		}
	}
	slices.Sort(lat)
	return rps, float64(report.Percentile(lat, 50).Microseconds()), float64(report.Percentile(lat, 99).Microseconds())
}

func itoa(n int) string { return strconv.Itoa(n) }

// cpuSeconds reads a process's user+system CPU time from /proc.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startProcess(bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatalf("%s: %v", bin, err)
	}
	return cmd
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
	}
}

func waitListening(addr string) {
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatalf("nothing listens on %s", addr)
}
