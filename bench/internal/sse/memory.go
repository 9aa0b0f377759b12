package sse

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/report"
)

const (
	// profiledClients is how many idle clients the breakdown by package
	// measures, with every allocation recorded.
	profiledClients = 2000
	// replayed is how many records each client of the second breakdown
	// reads before it is idle: more than a cache reader's batch (64).
	replayed = 100
	// mostClients is where the search for the most clients one process
	// holds stops.
	mostClients = 22000
)

// Memory is sse.memory: where an idle client's memory goes, and the most
// clients one process holds, sluice's against the reference's.
var Memory = harness.Scenario{
	Name:    "sse.memory",
	About:   "the most SSE clients one process holds, against net/http + franz-go, and where an idle client's memory goes, by package",
	Kafka:   true,
	Default: true,
	Run:     runMemory,
}

func runMemory(env *harness.Env) *report.Scenario {
	t := newTopics(env)
	quiet := breakdown(env, t, 0)
	afterReplay := breakdown(env, t, replayed)
	held, rss := most(env, t, "sse.sluice")
	refHeld, refRSS := most(env, t, "sse.reference")
	total := func(m map[string]float64) float64 {
		sum := 0.0
		for k, v := range m {
			if k != goroutineCount {
				sum += v
			}
		}
		return sum
	}
	keys := make([]string, 0, len(quiet))
	for k := range quiet {
		keys = append(keys, k)
	}
	for k := range afterReplay {
		if _, ok := quiet[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(quiet[b], quiet[a]) })
	var table strings.Builder
	fmt.Fprintf(&table, "Memory an idle sluice client holds, by package (%d idle clients, every allocation recorded; the heap a package "+
		"allocated, or runtime/net allocated on its behalf), when it connected to a quiet key, and after it replayed %d records of its key:\n\n"+
		"| package | bytes per client | after a replay |\n| --- | --- | --- |\n", profiledClients, replayed)
	for _, k := range keys {
		if k == goroutineCount {
			fmt.Fprintf(&table, "| %s | %.2f | %.2f |\n", k, quiet[k], afterReplay[k])
			continue
		}
		fmt.Fprintf(&table, "| %s | %.0f | %.0f |\n", k, quiet[k], afterReplay[k])
	}
	fmt.Fprintf(&table, "| total | %.0f | %.0f |", total(quiet), total(afterReplay))
	s := &report.Scenario{
		Name:      "sse.memory",
		Title:     "The most SSE clients one process holds, and where an idle client's memory goes",
		Reference: "net/http + franz-go",
		Setup: "Clients opened in steps of 2,500 (HTTP/1.1 from 127.0.0.x source addresses, each on a key of its own, idle) until one " +
			"fails or " + strconv.Itoa(mostClients) + " are held, to find the most one process holds: the sse.10k scenario's sluice " +
			"pipeline, then its reference (net/http, a goroutine and a channel per client, one franz-go consumer). Then the sluice " +
			"pipeline with every allocation recorded (runtime.MemProfileRate = 1) and idle clients on keys of their own, for what an " +
			"idle client holds by package.",
		Measures: []report.Measure{
			{Key: "most clients", Label: "Most clients one process held", Unit: "clients", Sluice: []float64{float64(held)}, Reference: []float64{float64(refHeld)}},
			{Key: "memory at most", Label: "Resident memory at the most clients", Unit: "MiB", Lower: true,
				Sluice: []float64{float64(rss) / (1 << 20)}, Reference: []float64{float64(refRSS) / (1 << 20)}},
			{Key: "heap per client", Label: "Heap and stacks per idle client, quiet key (sluice only)", Unit: "bytes", Lower: true, Sluice: []float64{total(quiet)}},
			{Key: "after a replay", Label: fmt.Sprintf("Heap and stacks per idle client after replaying %d records (sluice only)", replayed), Unit: "bytes", Lower: true, Sluice: []float64{total(afterReplay)}},
		},
		Notes: []string{table.String()},
	}
	if held < mostClients || refHeld < mostClients {
		s.Notes = append(s.Notes, fmt.Sprintf("Below %d, the most clients is the limit on open files a process has here (RLIMIT_NOFILE "+
			"%d), not the server's: a client is one socket, and a few more files are the server's own.", mostClients, nofile()))
	}
	return s
}

const goroutineCount = "goroutines (count)"

// breakdown measures, with every allocation recorded, what idle clients
// hold by package, after each replayed history records of its key.
func breakdown(env *harness.Env, t topics, history int) map[string]float64 {
	s := startServer(env, "sse.sluice", t, t.broadcastSluice, "-by-package")
	defer s.Stop()
	prefix := "p" + strconv.Itoa(history) + "-"
	if history > 0 {
		cl := env.KafkaClient(kgo.ProducerLinger(5 * time.Millisecond))
		var recs []*kgo.Record
		for i := range profiledClients {
			for range history {
				recs = append(recs, &kgo.Record{Topic: t.keyed, Key: []byte(prefix + strconv.Itoa(i)), Value: []byte("0")})
			}
		}
		harness.Check(cl.ProduceSync(context.Background(), recs...).FirstErr())
		cl.Close()
		time.Sleep(5 * time.Second) // the cache takes them, and its buffers drain
	}
	s.stats()
	before := s.stats() // the second collection finalizes what the first left
	w := newWorkers(env, s, "/keyed/"+prefix+"%d")
	defer w.stop()
	w.open(profiledClients)
	time.Sleep(time.Second)
	after := s.stats()
	out := map[string]float64{}
	for pkg, v := range after.ByPackage {
		if d := float64(v-before.ByPackage[pkg]) / profiledClients; math.Abs(d) >= 1 {
			out[pkg] = d
		}
	}
	out["goroutine stacks"] = float64(after.StackInuse-before.StackInuse) / profiledClients
	out[goroutineCount] = float64(after.Goroutines-before.Goroutines) / profiledClients
	return out
}

// most opens clients in steps until some fail or mostClients is reached,
// and returns how many the server role held at once and its resident
// memory then.
func most(env *harness.Env, t topics, role string) (int, int64) {
	s := startServer(env, role, t, t.broadcastSluice)
	defer s.Stop()
	w := newWorkers(env, s, "/keyed/m%d")
	defer w.stop()
	held := 0
	for held < mostClients {
		r := w.tryOpen(min(2500, mostClients-held))
		held += r.Opened
		if r.Failed > 0 {
			env.Logf("%s: %d clients held; %d more failed: %v", role, held, r.Failed, r.Errors)
			break
		}
		env.Logf("%s: %d clients held", role, held)
	}
	return held, s.stats().RSS
}

// nofile returns this process's limit on open files, which the roles it
// starts inherit.
func nofile() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return l.Cur
}
