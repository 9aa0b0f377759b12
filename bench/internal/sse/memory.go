package sse

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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

// Memory is sse.memory: not in the default set.
var Memory = harness.Scenario{
	Name:  "sse.memory",
	About: "where an idle SSE client's memory goes, by package, and the most clients one sluice process holds",
	Kafka: true,
	Run:   runMemory,
}

func runMemory(env *harness.Env) *report.Scenario {
	t := newTopics(env)
	quiet := breakdown(env, t, 0)
	afterReplay := breakdown(env, t, replayed)
	held, rss := most(env, t)
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
		Name:  "sse.memory",
		Title: "Where an idle SSE client's memory goes",
		Setup: "The sse.10k scenario's sluice pipeline with every allocation recorded (runtime.MemProfileRate = 1), idle clients on keys " +
			"of their own; then clients opened in steps until one fails, to find the most one process holds.",
		Measures: []report.Measure{
			{Key: "heap per client", Label: "Heap and stacks per idle client, quiet key", Unit: "bytes", Lower: true, Sluice: []float64{total(quiet)}},
			{Key: "after a replay", Label: fmt.Sprintf("Heap and stacks per idle client after replaying %d records", replayed), Unit: "bytes", Lower: true, Sluice: []float64{total(afterReplay)}},
			{Key: "most clients", Label: "Most clients one process held", Unit: "clients", Sluice: []float64{float64(held)}},
			{Key: "memory at most", Label: "Resident memory at the most clients", Unit: "MiB", Lower: true, Sluice: []float64{float64(rss) / (1 << 20)}},
		},
		Notes: []string{table.String()},
	}
	if held < mostClients {
		s.Notes = append(s.Notes, "The most clients is the container's limit on open files (RLIMIT_NOFILE, 20,000 for every process here), not sluice's.")
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
// and returns how many one sluice process held at once and its resident
// memory then.
func most(env *harness.Env, t topics) (int, int64) {
	s := startServer(env, "sse.sluice", t, t.broadcastSluice)
	defer s.Stop()
	w := newWorkers(env, s, "/keyed/m%d")
	defer w.stop()
	held := 0
	for held < mostClients {
		r := w.tryOpen(min(2500, mostClients-held))
		held += r.Opened
		if r.Failed > 0 {
			env.Logf("%d clients held; %d more failed: %v", held, r.Failed, r.Errors)
			break
		}
		env.Logf("%d clients held", held)
	}
	return held, s.stats().RSS
}
