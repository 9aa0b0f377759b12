package sse

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/kafka"
	_ "github.com/sluicehq/sluice/bindings/sse"
	_ "github.com/sluicehq/sluice/bindings/ssekafka"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine"
)

// sluiceYAML is the pipeline measured: the sse.kafka.fanout example's,
// with a keyed route (one key per client) and a broadcast route.
const sluiceYAML = `
name: bench
bindings:
  tcp0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: ${{env.PORT}} }
    exit: http0
  http0:
    type: http
    kind: server
    exit: sse0
  sse0:
    type: sse
    kind: server
    exit: ssekafka0
  ssekafka0:
    type: sse-kafka
    kind: proxy
    routes:
      - when:
          - path: /keyed/{key}
        exit: cache0
        with:
          topic: ${{env.KEYED}}
          filters:
            - key: ${params.key}
      - when:
          - path: /broadcast
        exit: cache0
        with:
          topic: ${{env.BROADCAST}}
          defaultOffset: live
  cache0:
    type: kafka
    kind: cache_client
    exit: server0
  server0:
    type: kafka
    kind: cache_server
    options:
      bootstrap: [ ${{env.KEYED}}, ${{env.BROADCAST}} ]
    exit: kafka0
  kafka0:
    type: kafka
    kind: client
    options:
      servers: [ "${{env.KAFKA}}" ]
    exit: tcp1
  tcp1:
    type: tcp
    kind: client
`

// serverStats is what a server role reports about its process.
type serverStats struct {
	RSS        int64            `json:"rss"`
	HeapInuse  int64            `json:"heapInuse"`
	StackInuse int64            `json:"stackInuse"`
	Goroutines int              `json:"goroutines"`
	Streams    int              `json:"streams"`
	ByPackage  map[string]int64 `json:"byPackage,omitempty"`
}

// runSluice runs the pipeline in this process (the engine as `sluice
// start` runs it, which lets it report its heap and streams) and answers
// commands on stdin with a JSON line each until stdin closes.
func runSluice(args []string) error {
	fs := flag.NewFlagSet("sluice", flag.ContinueOnError)
	byPackage := fs.Bool("by-package", false, "record every allocation, to attribute memory to packages")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to `file` until stdin closes")
	memProfile := fs.String("memprofile", "", "write an allocation profile to `file` when stdin closes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *byPackage {
		runtime.MemProfileRate = 1
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	cfg, err := engine.Global().Parse("bench.yaml", []byte(sluiceYAML))
	if err != nil {
		return err
	}
	e, err := engine.New(cfg, engine.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		return err
	}
	if err := e.Start(context.Background()); err != nil {
		return err
	}
	serveCommands(func() serverStats {
		st := processStats(*byPackage)
		st.Streams = e.LiveStreams()
		return st
	}, e.LiveStreams)
	e.Close()
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		return pprof.Lookup("allocs").WriteTo(f, 0)
	}
	return nil
}

// serveCommands answers `stats` (memory, after a collection) and
// `streams` (the streams open) with a JSON line each until stdin closes.
func serveCommands(stats func() serverStats, streams func() int) {
	fmt.Println(`{"ready": true}`)
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		switch in.Text() {
		case "stats":
			out.Encode(stats())
		case "streams":
			out.Encode(map[string]int{"streams": streams()})
		case "cpu":
			out.Encode(map[string]float64{"cpu": cpuSeconds()})
		}
	}
}

// processStats collects garbage, returns freed memory to the system, and
// reads the process's resident memory and the runtime's figures.
func processStats(byPackage bool) serverStats {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := serverStats{RSS: rss(), HeapInuse: int64(ms.HeapInuse), StackInuse: int64(ms.StackInuse), Goroutines: runtime.NumGoroutine()}
	if byPackage {
		st.ByPackage = inuseByPackage()
	}
	return st
}

// status is /proc/self/status, opened at start: a process at its limit of
// open files could not open it when asked for its memory.
var status, _ = os.Open("/proc/self/status")

// stat is /proc/self/stat, opened at start.
var stat, _ = os.Open("/proc/self/stat")

// cpuSeconds returns the CPU time the process used, user and system.
func cpuSeconds() float64 {
	if stat == nil {
		return 0
	}
	b := make([]byte, 4096)
	n, _ := stat.ReadAt(b, 0)
	text := string(b[:n])
	// Fields after the command name (which may hold spaces), from field 3.
	f := strings.Fields(text[strings.LastIndexByte(text, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// rss reads VmRSS from /proc/self/status, in bytes.
func rss() int64 {
	if status == nil {
		return 0
	}
	b := make([]byte, 8<<10)
	n, _ := status.ReadAt(b, 0)
	for _, line := range strings.Split(string(b[:n]), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// inuseByPackage attributes the heap in use to the innermost sluice package
// on each allocation's stack (the runtime's memory profile, with every
// allocation recorded).
func inuseByPackage() map[string]int64 {
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		n, ok = runtime.MemProfile(recs, true)
		if ok {
			recs = recs[:n]
			break
		}
	}
	out := map[string]int64{}
	for _, r := range recs {
		bytes := r.InUseBytes()
		if bytes == 0 {
			continue
		}
		pkg := "other (runtime, net, franz-go)"
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			// A pooled buffer belongs to the binding that asked for it.
			if p, ok := sluicePackage(f.Function); ok && !strings.HasSuffix(f.Function, "engine.NewBuffer") {
				pkg = p
				if os.Getenv("BENCH_SSE_FUNCTIONS") != "" {
					pkg = strings.TrimPrefix(f.Function, "github.com/sluicehq/sluice/")
				}
				break
			}
			if !more {
				break
			}
		}
		out[pkg] += bytes
	}
	return out
}

// sluicePackage returns the sluice package of a function, without the
// module path.
func sluicePackage(fn string) (string, bool) {
	const module = "github.com/sluicehq/sluice/"
	if !strings.HasPrefix(fn, module) {
		return "", false
	}
	rest := fn[len(module):]
	if strings.HasPrefix(rest, "bench/") {
		return "", false
	}
	slash := strings.LastIndexByte(rest, '/')
	dot := strings.IndexByte(rest[slash+1:], '.')
	if dot < 0 {
		return rest, true
	}
	return rest[:slash+1+dot], true
}

// runReference runs the reference: a plain net/http SSE server fanning a
// franz-go consumer out to its clients, a goroutine and a buffered channel
// per client, as a Go service would be written without sluice.
func runReference(args []string) error {
	port := os.Getenv("PORT")
	keyed, broadcast := os.Getenv("KEYED"), os.Getenv("BROADCAST")
	ref := &reference{byKey: map[string]map[chan []byte]struct{}{}, all: map[chan []byte]struct{}{}}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA"), ",")...),
		kgo.ConsumeTopics(keyed, broadcast), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()), kgo.FetchMaxWait(time.Second))
	if err != nil {
		return err
	}
	go ref.consume(cl, broadcast)
	mux := http.NewServeMux()
	mux.HandleFunc("/keyed/{key}", func(w http.ResponseWriter, r *http.Request) { ref.serve(w, r, r.PathValue("key")) })
	mux.HandleFunc("/broadcast", func(w http.ResponseWriter, r *http.Request) { ref.serve(w, r, "") })
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		return err
	}
	go http.Serve(ln, mux)
	serveCommands(func() serverStats { return processStats(false) }, ref.clients)
	return nil
}

type reference struct {
	mu    sync.Mutex
	byKey map[string]map[chan []byte]struct{}
	all   map[chan []byte]struct{}
}

// clients counts the clients connected.
func (ref *reference) clients() int {
	ref.mu.Lock()
	defer ref.mu.Unlock()
	n := len(ref.all)
	for _, set := range ref.byKey {
		n += len(set)
	}
	return n
}

func (ref *reference) serve(w http.ResponseWriter, r *http.Request, key string) {
	ch := make(chan []byte, 16)
	ref.mu.Lock()
	set := ref.all
	if key != "" {
		set = ref.byKey[key]
		if set == nil {
			set = map[chan []byte]struct{}{}
			ref.byKey[key] = set
		}
	}
	set[ch] = struct{}{}
	ref.mu.Unlock()
	defer func() {
		ref.mu.Lock()
		delete(set, ch)
		ref.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	fl := w.(http.Flusher)
	fmt.Fprint(w, "retry:2000\n\n")
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-ch:
			w.Write(ev)
			fl.Flush()
		}
	}
}

func (ref *reference) consume(cl *kgo.Client, broadcast string) {
	for {
		fs := cl.PollFetches(context.Background())
		fs.EachRecord(func(r *kgo.Record) {
			ev := fmt.Appendf(nil, "id:%d-%d\ndata:%s\n\n", r.Partition, r.Offset, r.Value)
			ref.mu.Lock()
			set := ref.all
			if r.Topic != broadcast {
				set = ref.byKey[string(r.Key)]
			}
			for ch := range set {
				select {
				case ch <- ev:
				default: // a slow client misses events: the usual shortcut
				}
			}
			ref.mu.Unlock()
		})
	}
}
