package httpkafka

import (
	"fmt"
	"os"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/report"
)

// Oneway is http.kafka.oneway.
var Oneway = harness.Scenario{
	Name:    "http.kafka.oneway",
	About:   "POST /events produced to Kafka (204 on ack) against a direct franz-go producer, 64 concurrent",
	Kafka:   true,
	Default: true,
	Tools:   []string{"h2load"},
	Run:     runOneway,
}

// Sync is http.kafka.sync.
var Sync = harness.Scenario{
	Name:    "http.kafka.sync",
	About:   "POST /orders request-reply over Kafka against the same round trip with franz-go, 16 concurrent",
	Kafka:   true,
	Default: true,
	Tools:   []string{"h2load"},
	Run:     runSync,
}

// Cache is http.kafka.cache.
var Cache = harness.Scenario{
	Name:    "http.kafka.cache",
	About:   "GET /items/1 from sluice's Kafka cache against plain net/http serving the same bytes, 64 connections",
	Kafka:   true,
	Default: true,
	Tools:   []string{"h2load"},
	Run:     runCache,
}

const (
	// SyncRate is the fixed rate of the request-reply latency measure.
	SyncRate = 500
	// fixedWorkers is how many round trips a fixed-rate load has in
	// flight at most.
	fixedWorkers = 64
)

const kafkaNote = "Everything (Kafka's JVM, sluice, the references and h2load) shares the machine's two cores, so absolute figures move with its load; the ratios and the CPU per request are the figures to compare."

// loadMeasures are the rate, latencies and CPU of one h2load-style
// measurement, for both sides.
type loadMeasures struct{ rps, p50, p99, cpu report.Measure }

func (l *loadMeasures) add(sluice bool, r harness.LoadResult, cpu float64) {
	side := func(m *report.Measure, x float64) {
		if sluice {
			m.Sluice = append(m.Sluice, x)
		} else {
			m.Reference = append(m.Reference, x)
		}
	}
	side(&l.rps, r.RPS)
	side(&l.p50, r.P50)
	side(&l.p99, r.P99)
	side(&l.cpu, cpu)
}

func runOneway(env *harness.Env) *report.Scenario {
	s := start(env)
	plainAddr := harness.FreeAddr()
	plain := env.StartRole("httpkafka.producer", nil, false, plainAddr, env.Kafka, s.topic("events-plain"))
	plain.WaitListening(plainAddr)
	post := func(url string) harness.Load {
		return harness.Load{Conns: Conns, URL: url, Body: string(eventValue), ContentType: "application/json"}
	}
	env.H2load(harness.Load{Conns: 1, Requests: 10, URL: s.url("/events"), Body: string(eventValue), ContentType: "application/json"})
	m := loadMeasures{
		rps: report.Measure{Key: "req/s", Label: fmt.Sprintf("Records produced per second, %d concurrent", Conns), Unit: "req/s"},
		p50: report.Measure{Key: "p50", Label: "Latency p50", Unit: "µs", Lower: true},
		p99: report.Measure{Key: "p99", Label: "Latency p99", Unit: "µs", Lower: true},
		cpu: report.Measure{Key: "CPU per 10k", Label: "CPU per 10k records (sluice; the franz-go producer)", Unit: "s", Lower: true, Digits: 3},
	}
	service := report.Measure{Key: "vs net/http service", Label: "Requests per second against a net/http service producing with franz-go, same h2load load", Unit: "req/s"}
	serviceCPU := report.Measure{Key: "CPU vs service", Label: "CPU per 10k requests (sluice; the net/http service)", Unit: "s", Lower: true, Digits: 3}
	machine := report.Measure{Key: "machine CPU per 10k", Label: "CPU per 10k records, every process on the machine (load generator, Kafka, server)", Unit: "s", Lower: true, Digits: 3}
	busy := report.Measure{Key: "machine busy", Label: "Machine busy during the measurement (both cores = 100)", Unit: "%", Lower: true}
	var h2loadCPU []float64
	// measure runs one side and records its rate, its own CPU, and the
	// whole machine's CPU per record.
	measure := func(sluice bool, own func() float64, load func() harness.LoadResult) harness.LoadResult {
		ownBefore := own()
		busyBefore, totalBefore := harness.MachineCPU()
		r := load()
		busyAfter, totalAfter := harness.MachineCPU()
		m.add(sluice, r, cpuPer10k(env, own()-ownBefore, r.RPS))
		side := func(x *report.Measure, v float64) {
			if sluice {
				x.Sluice = append(x.Sluice, v)
			} else {
				x.Reference = append(x.Reference, v)
			}
		}
		side(&machine, cpuPer10k(env, busyAfter-busyBefore, r.RPS))
		side(&busy, 100*(busyAfter-busyBefore)/max(totalAfter-totalBefore, 1e-9))
		return r
	}
	me := os.Getpid()
	for i := range env.Runs {
		harness.Alternate(i, func() {
			measure(false, func() float64 { return harness.CPUSeconds(me) }, func() harness.LoadResult {
				return producerReference(env, s.topic("events-ref"))
			})
		}, func() {
			r := measure(true, s.sluice.CPUSeconds, func() harness.LoadResult { return env.H2load(post(s.url("/events"))) })
			h2loadCPU = append(h2loadCPU, cpuPer10k(env, r.CPU, r.RPS))
		})
		before := plain.CPUSeconds()
		r := env.H2load(post("http://" + plainAddr + "/events"))
		service.Reference = append(service.Reference, r.RPS)
		serviceCPU.Reference = append(serviceCPU.Reference, cpuPer10k(env, plain.CPUSeconds()-before, r.RPS))
		env.Logf("run %d: sluice %.0f req/s, franz-go %.0f records/s, net/http service %.0f req/s", i+1, m.rps.Sluice[i], m.rps.Reference[i], r.RPS)
	}
	service.Sluice, serviceCPU.Sluice = m.rps.Sluice, m.cpu.Sluice
	return &report.Scenario{
		Name:      "http.kafka.oneway",
		Title:     "HTTP to Kafka, one way",
		Reference: "franz-go producer",
		Setup: fmt.Sprintf("POST /events through sluice (a ~100-byte JSON body, key from a generated idempotency key, 204 once Kafka "+
			"acknowledged the record) with h2load, HTTP/1.1, %d connections, one request at a time each. Reference: a franz-go "+
			"producer configured as the kafka binding's (acks=all, idempotent, no linger) with %d goroutines each waiting for its "+
			"ack, in the bench process. Also measured under the same h2load load: the same endpoint written as a plain Go "+
			"service (net/http and that franz-go producer, 204 on ack), in its own process.", Conns, Conns),
		Measures: []report.Measure{m.rps, m.p50, m.p99, m.cpu, machine, busy, service, serviceCPU},
		Targets:  []report.Target{{Measure: "req/s", Kind: report.RatioAtLeast, Value: 0.7, Text: "at least 0.7 of the direct franz-go producer's rate"}},
		Notes: []string{budget(machine, busy, m.cpu, m.rps, h2loadCPU), "The franz-go reference pays no HTTP: no socket between client and server, no parsing, and franz-go gathers " +
			"the records of its goroutines into a few produce requests; sluice pays, per request, the HTTP/1.1 exchange (read and " +
			"write system calls, parsing, its stream frames) on top of producing, while h2load's own CPU comes out of the same two " +
			"cores. The net/http service row is the same job as sluice's under the same load: it says how much of the gap is the " +
			"HTTP hop itself.", kafkaNote},
	}
}

// budget explains the oneway ratio from where the machine's CPU went, per
// 10k records, on each side.
func budget(machine, busy, own, rate report.Measure, h2load []float64) string {
	med := report.Median
	rest := med(machine.Sluice) - med(own.Sluice) - med(h2load)
	return fmt.Sprintf("Where the time goes, measured: per 10k records the whole machine spent %.2f s of CPU with sluice "+
		"(sluice %.2f s, h2load %.2f s, Kafka and everything else %.2f s) and %.2f s with the franz-go producer (the producer "+
		"%.2f s, Kafka and everything else %.2f s); the machine was %.0f%% busy during sluice's runs and %.0f%% during the "+
		"reference's. With both cores near busy, the rates stand close to the inverse of these totals: %.2f, against the "+
		"measured ratio of %.2f. The gap is the work of an HTTP request around each record (h2load's side of it included, "+
		"since the load generator shares the cores), not the produce path alone; the profile below says where sluice's "+
		"share goes. Even a sluice that cost no CPU at all would leave h2load's and Kafka's %.2f s per 10k records on the "+
		"machine, so on these two cores this reference caps the ratio near %.2f whatever sluice does.",
		med(machine.Sluice), med(own.Sluice), med(h2load), rest, med(machine.Reference), med(own.Reference),
		med(machine.Reference)-med(own.Reference), med(busy.Sluice), med(busy.Reference),
		med(machine.Reference)/med(machine.Sluice), rate.Ratio(),
		med(machine.Sluice)-med(own.Sluice), med(machine.Reference)/max(med(machine.Sluice)-med(own.Sluice), 1e-9))
}

func runSync(env *harness.Env) *report.Scenario {
	s := start(env)
	env.StartRole("httpkafka.responder", nil, false, env.Kafka, s.topic("requests")+","+s.topic("requests-ref"))
	order := func(requests int) harness.Load {
		return harness.Load{Conns: RRConns, Requests: requests, URL: s.url("/orders"), Body: string(orderValue), ContentType: "application/json"}
	}
	env.H2load(order(RRConns * 4)) // the reply consumer and the connections are up
	roundTrip, stop := roundTripReference(env, s.topic("requests-ref"), s.topic("replies-ref"))
	defer stop()
	post := orderClient(s.url("/orders"), fixedWorkers)
	echoAddr := harness.FreeAddr()
	env.StartPlain(nil, "http-echo", echoAddr).WaitListening(echoAddr)
	exchange := orderClient("http://"+echoAddr+"/orders", fixedWorkers)
	p50 := report.Measure{Key: "p50 added", Label: fmt.Sprintf("Round trip p50 at a fixed %d/s", SyncRate), Unit: "µs", Lower: true, Diff: true}
	beyond := report.Measure{Key: "p50 beyond HTTP", Label: fmt.Sprintf("Round trip p50 at a fixed %d/s, against the franz-go round trip plus one plain HTTP exchange", SyncRate),
		Unit: "µs", Lower: true, Diff: true}
	var httpP50 []float64
	p99 := report.Measure{Key: "p99 added", Label: fmt.Sprintf("Round trip p99 at a fixed %d/s", SyncRate), Unit: "µs", Lower: true, Diff: true}
	m := loadMeasures{
		rps: report.Measure{Key: "round trips/s", Label: fmt.Sprintf("Round trips per second, %d at a time, as fast as they go", RRConns), Unit: "req/s"},
		p50: report.Measure{Key: "p50 closed loop", Label: fmt.Sprintf("Round trip p50, %d at a time, as fast as they go", RRConns), Unit: "µs", Lower: true, Diff: true},
		p99: report.Measure{Key: "p99 closed loop", Label: fmt.Sprintf("Round trip p99, %d at a time, as fast as they go", RRConns), Unit: "µs", Lower: true, Diff: true},
		cpu: report.Measure{Key: "CPU per 10k", Label: "CPU per 10k round trips, as fast as they go (sluice; the franz-go client)", Unit: "s", Lower: true, Digits: 3},
	}
	me := os.Getpid()
	for i := range env.Runs {
		harness.Alternate(i, func() {
			r := fixedRate(SyncRate, fixedWorkers, env.Duration, roundTrip)
			p50.Reference, p99.Reference = append(p50.Reference, r.P50), append(p99.Reference, r.P99)
		}, func() {
			r := fixedRate(SyncRate, fixedWorkers, env.Duration, post)
			p50.Sluice, p99.Sluice = append(p50.Sluice, r.P50), append(p99.Sluice, r.P99)
		})
		// The same POST to a plain net/http server that answers at once:
		// what one HTTP exchange costs on this machine at this rate.
		httpP50 = append(httpP50, fixedRate(SyncRate, fixedWorkers, env.Duration, exchange).P50)
		beyond.Sluice, beyond.Reference = append(beyond.Sluice, p50.Sluice[i]), append(beyond.Reference, p50.Reference[i]+httpP50[i])
		harness.Alternate(i, func() {
			before := harness.CPUSeconds(me)
			r := closedLoop(RRConns, env.Duration, roundTrip)
			m.add(false, r, cpuPer10k(env, harness.CPUSeconds(me)-before, r.RPS))
		}, func() {
			before := s.sluice.CPUSeconds()
			r := env.H2load(order(0))
			m.add(true, r, cpuPer10k(env, s.sluice.CPUSeconds()-before, r.RPS))
		})
		env.Logf("run %d: p50 at %d/s sluice %.0fµs, franz-go %.0fµs; as fast as they go sluice %.0f/s, franz-go %.0f/s",
			i+1, SyncRate, p50.Sluice[i], p50.Reference[i], m.rps.Sluice[i], m.rps.Reference[i])
	}
	return &report.Scenario{
		Name:      "http.kafka.sync",
		Title:     "HTTP request-reply over Kafka",
		Reference: "franz-go round trip",
		Setup: fmt.Sprintf("POST /orders through sluice (synchronous, reply-to): the request produced to Kafka, a responder's "+
			"reply consumed, the response. Reference: the same round trip with franz-go in the bench process (produce a request "+
			"with reply-to and a correlation id, wait for the reply on a consumer of the reply topic). Both are answered by one "+
			"responder process (franz-go, replies produced without waiting). Latency is measured at a fixed %d round trips/s, "+
			"well below what either side sustains, by the bench's Go load generator (for sluice, a net/http client on up to %d "+
			"keep-alive connections), each round trip timed from when it was due; throughput with %d at a time as fast as they "+
			"go (h2load, HTTP/1.1, for sluice).", SyncRate, fixedWorkers, RRConns),
		Measures: []report.Measure{p50, p99, beyond, m.rps, m.p50, m.p99, m.cpu},
		Targets:  []report.Target{{Measure: "p50 added", Kind: report.DifferenceBelow, Value: 1000, Text: "under 1 ms added at p50"}},
		Notes: []string{fmt.Sprintf("Where the added time goes, measured: the reference makes no HTTP request at all, while a "+
			"client of sluice makes one per round trip. The same POST, at the same rate and from the same client, to a plain Go "+
			"net/http server answering at once took %.0f µs at p50 (median of the runs): that much of the added time is the HTTP "+
			"exchange any HTTP front end costs on this machine; the third row takes it out, leaving what sluice's pipeline "+
			"(HTTP parsing, http-kafka, the kafka cache and client, and the reply's way back) adds beyond it.", report.Median(httpP50)),
			"As fast as they go, on two cores shared with Kafka, the responder and the load generator, a round trip's " +
				"latency is mostly waiting for a core (16 at a time over the rate achieved); the fixed-rate figures are the ones that " +
				"say what sluice adds to a round trip.", kafkaNote},
	}
}

func runCache(env *harness.Env) *report.Scenario {
	s := start(env)
	produceItem(env, s.topic("items"))
	etag := waitItem(s.url("/items/1"))
	plainAddr := harness.FreeAddr()
	plain := env.StartRole("httpkafka.item", nil, false, plainAddr, etag)
	plain.WaitListening(plainAddr)
	m := loadMeasures{
		rps: report.Measure{Key: "req/s", Label: fmt.Sprintf("Requests per second, %d connections", Conns), Unit: "req/s"},
		p50: report.Measure{Key: "p50", Label: "Latency p50", Unit: "µs", Lower: true},
		p99: report.Measure{Key: "p99", Label: "Latency p99", Unit: "µs", Lower: true},
		cpu: report.Measure{Key: "CPU per 10k", Label: "Server CPU per 10k requests", Unit: "s", Lower: true, Digits: 3},
	}
	for i := range env.Runs {
		measure := func(sluice bool, url string, proc *harness.Proc) {
			before := proc.CPUSeconds()
			r := env.H2load(harness.Load{Conns: Conns, URL: url})
			m.add(sluice, r, cpuPer10k(env, proc.CPUSeconds()-before, r.RPS))
		}
		harness.Alternate(i, func() { measure(false, "http://"+plainAddr+"/items/1", plain) },
			func() { measure(true, s.url("/items/1"), s.sluice) })
		env.Logf("run %d: sluice %.0f req/s, plain %.0f req/s", i+1, m.rps.Sluice[i], m.rps.Reference[i])
	}
	return &report.Scenario{
		Name:      "http.kafka.cache",
		Title:     "Cached GET from Kafka",
		Reference: "plain net/http",
		Setup: fmt.Sprintf("GET /items/1 through sluice, a ~200-byte item answered from its Kafka cache (200, content-type, etag), "+
			"against a plain Go net/http server in its own process answering the same bytes; h2load, HTTP/1.1, %d connections, "+
			"one request at a time each.", Conns),
		Measures: []report.Measure{m.rps, m.p50, m.p99, m.cpu},
		Notes:    []string{"No target was set for the cached GET; http.echo's (0.7 of plain net/http) is the nearest.", kafkaNote},
	}
}
