// Package sse holds the Server-Sent Events scenarios on real Kafka: the
// sse.kafka.fanout pipeline (tcp -> http -> sse -> sse-kafka -> kafka
// cache_client -> cache_server -> client) against a plain Go service
// (net/http and a franz-go consumer fanning out to a goroutine per
// client), at 1,000 and 10,000 clients: the memory an idle client costs,
// the delay from producing a record to a client reading it when each
// client follows its own key at 1,000 records/s, and when every client
// follows one stream. sse.memory adds where an idle client's memory goes,
// by package, and the most clients one process holds.
//
// Every role runs in its own process, started from this program: the
// sluice pipeline (the engine as `sluice start` runs it, which lets it
// report its heap after a collection), the reference, and client workers
// (a process here may open at most 20,000 files). Clients connect from
// several 127.0.0.x source addresses so that the ephemeral port range
// does not bound them.
package sse

import (
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/hist"
	"github.com/sluicehq/sluice/bench/internal/report"
)

const (
	// Rate is the keyed measure's records per second, each to one
	// client's key (the earlier issue's target is set at 1,000/s).
	Rate = 1000
	// BroadcastRate is the records per second every client receives in
	// the broadcast measure.
	BroadcastRate = 2
)

// Scenarios at 1,000 and 10,000 clients.
var (
	Clients1k  = scenario(1000)
	Clients10k = scenario(10000)
)

func scenario(clients int) harness.Scenario {
	name := fmt.Sprintf("sse.%dk", clients/1000)
	return harness.Scenario{
		Name:    name,
		About:   fmt.Sprintf("Kafka to %d SSE clients: idle memory, keyed delivery at 1,000 records/s, broadcast, against net/http + franz-go", clients),
		Kafka:   true,
		Default: true,
		Run:     func(env *harness.Env) *report.Scenario { return run(env, name, clients) },
	}
}

func init() {
	harness.Role("sse.clients", runClients)
	harness.Role("sse.sluice", runSluice)
	harness.Role("sse.reference", runReference)
}

// topics are a run's topics: one keyed, and a broadcast topic per server
// so that the servers' broadcast measures take turns.
type topics struct{ keyed, broadcastSluice, broadcastRef string }

func newTopics(env *harness.Env) topics {
	id := strconv.FormatInt(time.Now().UnixNano(), 36)
	t := topics{keyed: "bench-sse-keyed-" + id, broadcastSluice: "bench-sse-broadcast-s-" + id, broadcastRef: "bench-sse-broadcast-r-" + id}
	env.CreateTopics(harness.Topic{Name: t.keyed, Partitions: 6}, harness.Topic{Name: t.broadcastSluice, Partitions: 1},
		harness.Topic{Name: t.broadcastRef, Partitions: 1})
	return t
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func run(env *harness.Env, name string, clients int) *report.Scenario {
	t := newTopics(env)
	producer := env.KafkaClient(kgo.ProducerLinger(0))
	defer producer.Close()
	var args []string
	if cpu, mem := env.ProfilePaths(); cpu != "" {
		harness.Check(os.MkdirAll(env.ProfileDir, 0o755))
		args = []string{"-cpuprofile", cpu, "-memprofile", mem}
		env.Profiled = &harness.Profiles{CPU: cpu, Mem: mem}
	}
	sl := startServer(env, "sse.sluice", t, t.broadcastSluice, args...)
	ref := startServer(env, "sse.reference", t, t.broadcastRef)
	servers := []*server{sl, ref}

	// Memory: the slope of resident memory from half to all the clients,
	// idle, on each server.
	perClient := report.Measure{Key: "memory per idle client", Label: fmt.Sprintf("Resident memory per idle client (slope from %d to %d clients)", clients/2, clients),
		Unit: "KiB", Lower: true, Digits: 1}
	total := report.Measure{Key: "memory, all idle", Label: fmt.Sprintf("Resident memory with %d idle clients", clients), Unit: "MiB", Lower: true}
	heap := report.Measure{Key: "heap per client", Label: "Of which Go heap per client", Unit: "KiB", Lower: true, Digits: 1}
	keyedWorkers := make([]*workers, 2)
	for i, s := range servers {
		w := newWorkers(env, s, "/keyed/k%d")
		w.open(clients / 2)
		time.Sleep(time.Second)
		half := s.stats()
		w.open(clients - clients/2)
		time.Sleep(time.Second)
		full := s.stats()
		keyedWorkers[i] = w
		n := float64(clients - clients/2)
		side := func(m *report.Measure, x float64) {
			if i == 0 {
				m.Sluice = append(m.Sluice, x)
			} else {
				m.Reference = append(m.Reference, x)
			}
		}
		side(&perClient, float64(full.RSS-half.RSS)/n/1024)
		side(&total, float64(full.RSS)/(1<<20))
		side(&heap, float64(full.HeapInuse-half.HeapInuse)/n/1024)
		env.Logf("%s: %.1f KiB resident per idle client", s.Name, float64(full.RSS-half.RSS)/n/1024)
	}

	// Keyed delivery, both servers at once: the same records, the same
	// hiccups of Kafka and of the machine; a franz-go consumer of the
	// topic measures Kafka's own delay meanwhile.
	keyedP50 := report.Measure{Key: "keyed p50", Label: fmt.Sprintf("Produce to client p50, each client on its own key, %d records/s", Rate), Unit: "ms", Lower: true, Digits: 1}
	keyedP99 := report.Measure{Key: "keyed p99", Label: "Produce to client p99, keyed", Unit: "ms", Lower: true, Digits: 1}
	keyedCPU := report.Measure{Key: "keyed CPU", Label: "Server CPU during the keyed measure", Unit: "cores", Lower: true, Digits: 3}
	var kafkaAlone []hist.Summary
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := range env.Runs {
		direct := consume(env, t.keyed)
		d := deliver(env, servers, keyedWorkers, producer, Rate, func(int) string { return "k" + strconv.Itoa(rng.IntN(clients)) }, t.keyed)
		kafkaAlone = append(kafkaAlone, direct())
		keyedP50.Sluice, keyedP50.Reference = append(keyedP50.Sluice, ms(d.lat[0].P50)), append(keyedP50.Reference, ms(d.lat[1].P50))
		keyedP99.Sluice, keyedP99.Reference = append(keyedP99.Sluice, ms(d.lat[0].P99)), append(keyedP99.Reference, ms(d.lat[1].P99))
		keyedCPU.Sluice = append(keyedCPU.Sluice, d.cpu[0]/env.Duration.Seconds())
		keyedCPU.Reference = append(keyedCPU.Reference, d.cpu[1]/env.Duration.Seconds())
		env.Logf("keyed run %d: p99 sluice %.1f ms, reference %.1f ms, Kafka alone %.1f ms", i+1,
			keyedP99.Sluice[i], keyedP99.Reference[i], ms(kafkaAlone[i].P99))
	}
	for i, s := range servers {
		keyedWorkers[i].stop()
		s.settle(env)
	}

	// Broadcast: every client of a server on one stream; the servers take
	// turns, each on its own topic.
	bcastP99 := report.Measure{Key: "broadcast p99", Label: fmt.Sprintf("Produce to client p99, every client on one stream, %d records/s (%d deliveries/s)",
		BroadcastRate, BroadcastRate*clients), Unit: "ms", Lower: true, Digits: 1}
	bcastCPU := report.Measure{Key: "CPU per delivery", Label: "Server CPU per event delivered, broadcast", Unit: "µs", Lower: true, Digits: 1}
	bw := []*workers{newWorkers(env, sl, "/broadcast?c=%d"), newWorkers(env, ref, "/broadcast?c=%d")}
	for _, w := range bw {
		w.open(clients)
	}
	time.Sleep(time.Second)
	all := func(int) string { return "all" }
	for i := range env.Runs {
		broadcast := func(k int, topic string, m *[]float64, c *[]float64) {
			d := deliver(env, servers[k:k+1], bw[k:k+1], producer, BroadcastRate, all, topic)
			*m = append(*m, ms(d.lat[0].P99))
			*c = append(*c, d.cpu[0]/float64(max(d.lat[0].N, 1))*1e6)
		}
		harness.Alternate(i, func() { broadcast(1, t.broadcastRef, &bcastP99.Reference, &bcastCPU.Reference) },
			func() { broadcast(0, t.broadcastSluice, &bcastP99.Sluice, &bcastCPU.Sluice) })
		env.Logf("broadcast run %d: p99 sluice %.1f ms, reference %.1f ms", i+1, bcastP99.Sluice[i], bcastP99.Reference[i])
	}
	for _, w := range bw {
		w.stop()
	}

	kafkaP50, kafkaP99 := make([]float64, len(kafkaAlone)), make([]float64, len(kafkaAlone))
	for i, k := range kafkaAlone {
		kafkaP50[i], kafkaP99[i] = ms(k.P50), ms(k.P99)
	}
	s := &report.Scenario{
		Name:      name,
		Title:     fmt.Sprintf("Kafka to %d SSE clients", clients),
		Reference: "net/http + franz-go",
		Setup: fmt.Sprintf("The sse.kafka.fanout pipeline (tcp -> http -> sse -> sse-kafka -> kafka cache_client -> cache_server -> "+
			"client) in its own process, against a plain Go service doing the same job: net/http with a goroutine and a buffered "+
			"channel per client, fed by one franz-go consumer. %d clients per server, HTTP/1.1 connections from 127.0.0.x "+
			"addresses in client processes of their own. Memory: resident memory after a collection, with half and then all the "+
			"clients connected and idle. Keyed delivery: each client follows its own key, records produced at a fixed %d/s to "+
			"random keys, both servers at once (the same records and the same hiccups), each record timed from when it was due "+
			"to its arrival at the client. Broadcast: every client follows one stream, the servers taking turns.", clients, Rate),
		Measures: []report.Measure{keyedP99, keyedP50, keyedCPU, perClient, heap, total, bcastP99, bcastCPU},
		Targets: []report.Target{
			{Measure: "keyed p99", Kind: report.ValueBelow, Value: 100, Text: "p99 under 100 ms at 1,000 records/s"},
			{Measure: "memory per idle client", Kind: report.ValueBelow, Value: 20000.0 / 1024, Text: "under 20 KB per idle client"},
		},
		Notes: []string{fmt.Sprintf("Kafka's own delay for the same records, measured meanwhile by a franz-go consumer of the keyed "+
			"topic: p50 %.1f ms, p99 %.1f ms (medians over the runs). The delivery p99 is mostly Kafka's and the machine's; what "+
			"sluice adds is the difference between its p50 and Kafka's. The reference drops events for a client whose channel is "+
			"full, the usual shortcut; sluice never drops one.", report.Median(kafkaP50), report.Median(kafkaP99))},
	}
	return s
}
