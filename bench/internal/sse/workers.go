package sse

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/hist"
)

// server is a server role (sluice or the reference) and the streams it
// holds with no client (its cache's tails), to settle back to.
type server struct {
	*harness.Proc
	port int
	idle int
}

// startServer starts a server role on a fresh port with its own broadcast
// topic, and waits until it is ready and its caches are warm.
func startServer(env *harness.Env, role string, t topics, broadcast string, args ...string) *server {
	s := &server{port: harness.FreePort()}
	s.Proc = env.StartRole(role, []string{"KAFKA=" + env.Kafka, "KEYED=" + t.keyed, "BROADCAST=" + broadcast,
		"PORT=" + strconv.Itoa(s.port)}, true, args...)
	s.Call("", nil) // {"ready": true}
	time.Sleep(2 * time.Second)
	s.Call("streams", &struct{ Streams *int }{Streams: &s.idle})
	return s
}

// stats returns the server's memory after a collection.
func (s *server) stats() serverStats {
	var st serverStats
	s.Call("stats", &st)
	return st
}

// cpu returns the CPU seconds the server used so far.
func (s *server) cpu() float64 {
	var c struct{ CPU float64 }
	s.Call("cpu", &c)
	return c.CPU
}

// settle waits until the server is back to the streams it had with no
// client, so that one measure's clients do not weigh on the next.
func (s *server) settle(env *harness.Env) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var n struct{ Streams int }
		s.Call("streams", &n)
		if n.Streams <= s.idle {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	env.Logf("%s: streams of closed clients still open after a minute", s.Name)
}

// perWorker is the most clients one client process holds: a process here
// may open at most 20,000 files (RLIMIT_NOFILE).
const perWorker = 15000

// workers spreads the clients of one server over client processes.
type workers struct {
	env   *harness.Env
	port  int
	path  string // with %d for the client number
	procs []*harness.Proc
	n     int // clients opened so far
}

func newWorkers(env *harness.Env, s *server, path string) *workers {
	return &workers{env: env, port: s.port, path: path}
}

// sourceBase numbers the 127.0.0.x source addresses of client processes,
// so that the ephemeral port range does not bound the clients.
var sourceBase atomic.Int32

// open opens n more clients and fails the scenario if any does not get
// its response head.
func (w *workers) open(n int) {
	r := w.tryOpen(n)
	if r.Failed > 0 {
		harness.Failf("%d of %d clients failed: %v", r.Failed, n, r.Errors)
	}
}

// tryOpen opens n more clients and says how many got their response head.
func (w *workers) tryOpen(n int) openResult {
	var total openResult
	for n > 0 {
		if len(w.procs) == 0 || w.n >= perWorker*len(w.procs) {
			base := int(sourceBase.Add(8)) % 240
			sources := make([]string, 8)
			for i := range sources {
				sources[i] = fmt.Sprintf("127.0.0.%d", 2+base+i)
			}
			w.procs = append(w.procs, w.env.StartRole("sse.clients", nil, true, "-addr", "127.0.0.1:"+strconv.Itoa(w.port),
				"-path", w.path, "-sources", strings.Join(sources, ",")))
		}
		p := w.procs[len(w.procs)-1]
		k := min(n, perWorker*len(w.procs)-w.n)
		var r openResult
		p.Call(fmt.Sprintf("open %d %d", w.n, k), &r)
		total.Opened += r.Opened
		total.Failed += r.Failed
		total.Errors = append(total.Errors, r.Errors...)
		w.n += k
		n -= k
	}
	return total
}

// report merges the latency counts of every worker since the last report.
func (w *workers) report() hist.Summary {
	counts := make([]int64, hist.Buckets)
	for _, p := range w.procs {
		var r struct {
			Counts []int64 `json:"counts"`
		}
		p.Call("report", &r)
		hist.Merge(counts, r.Counts)
	}
	return hist.Summarize(counts)
}

// stop closes every client.
func (w *workers) stop() {
	for _, p := range w.procs {
		p.Stop()
	}
	w.procs, w.n = nil, 0
}
