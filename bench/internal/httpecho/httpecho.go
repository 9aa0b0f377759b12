// Package httpecho is the http.echo scenario: tcp server -> http server ->
// echo through sluice (bench/http/zilla.yaml) against a plain Go net/http
// server answering the same bytes, loaded by h2load over HTTP/1.1 and h2c,
// alternating.
package httpecho

import (
	"fmt"
	"net"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/report"
)

const (
	// Conns is h2load's connections (the earlier issue's target is set at
	// 64).
	Conns = 64
	// Streams is the concurrent streams per HTTP/2 connection.
	Streams = 10
)

// Scenario is http.echo.
var Scenario = harness.Scenario{
	Name:    "http.echo",
	About:   "tcp -> http -> echo against plain net/http, h2load, HTTP/1.1 and h2c, 64 connections",
	Default: true,
	Tools:   []string{"h2load"},
	Run:     run,
}

func run(env *harness.Env) *report.Scenario {
	refAddr, sluiceAddr := harness.FreeAddr(), harness.FreeAddr()
	ref := env.StartPlain(nil, "http-echo", refAddr)
	_, port, _ := net.SplitHostPort(sluiceAddr)
	sl := env.StartSluice(harness.SluiceSpec{Config: "bench/http/zilla.yaml", Env: []string{"HTTP_PORT=" + port}, Profile: true})
	ref.WaitListening(refAddr)
	sl.WaitListening(sluiceAddr)

	type version struct {
		key, label         string
		streams            int
		rps, p50, p99, cpu report.Measure
	}
	versions := []*version{{key: "HTTP/1.1", label: "HTTP/1.1", streams: 0}, {key: "h2c", label: "HTTP/2 (h2c)", streams: Streams}}
	for _, v := range versions {
		v.rps = report.Measure{Key: v.key + " req/s", Label: v.label + " requests per second", Unit: "req/s"}
		v.p50 = report.Measure{Key: v.key + " p50", Label: v.label + " latency p50", Unit: "µs", Lower: true}
		v.p99 = report.Measure{Key: v.key + " p99", Label: v.label + " latency p99", Unit: "µs", Lower: true}
		v.cpu = report.Measure{Key: v.key + " CPU", Label: v.label + " server CPU per 10k requests", Unit: "s", Lower: true, Digits: 3}
	}
	for i := range env.Runs {
		for _, v := range versions {
			measure := func(addr string, proc *harness.Proc, side func(m *report.Measure, x float64)) {
				before := proc.CPUSeconds()
				r := env.H2load(harness.Load{Conns: Conns, Streams: v.streams, URL: "http://" + addr + "/echo"})
				cpu := proc.CPUSeconds() - before
				side(&v.rps, r.RPS)
				side(&v.p50, r.P50)
				side(&v.p99, r.P99)
				// CPU per 10k requests, over the warm-up and the measurement.
				side(&v.cpu, cpu/(r.RPS*(env.Duration+harness.Warmup).Seconds())*10000)
			}
			harness.Alternate(i, func() {
				measure(refAddr, ref, func(m *report.Measure, x float64) { m.Reference = append(m.Reference, x) })
			}, func() {
				measure(sluiceAddr, sl, func(m *report.Measure, x float64) { m.Sluice = append(m.Sluice, x) })
			})
			env.Logf("run %d %s: sluice %.0f req/s, plain %.0f req/s", i+1, v.label, v.rps.Sluice[i], v.rps.Reference[i])
		}
	}
	s := &report.Scenario{
		Name:      "http.echo",
		Title:     "HTTP echo",
		Reference: "plain net/http",
		Setup: fmt.Sprintf("tcp server -> http server -> echo through sluice (bench/http/zilla.yaml), against a plain Go net/http "+
			"server in its own process answering the same bytes (200, the request's headers mirrored, empty body; net/http's own "+
			"unencrypted HTTP/2 for h2c). Load: h2load, one thread, %d connections, GET /echo; HTTP/1.1 one request at a time per "+
			"connection, HTTP/2 %d concurrent streams per connection; each measurement after a 1 s warm-up.", Conns, Streams),
	}
	for _, v := range versions {
		s.Measures = append(s.Measures, v.rps)
		s.Targets = append(s.Targets, report.Target{Measure: v.rps.Key, Kind: report.RatioAtLeast, Value: 0.7,
			Text: v.label + " requests per second at least 0.7 of plain net/http's"})
	}
	for _, v := range versions {
		s.Measures = append(s.Measures, v.p50, v.p99, v.cpu)
	}
	s.Notes = []string{"h2load runs on the same cores as the servers, so absolute figures move with the machine's load; the ratios and the CPU per request are the steadier figures."}
	return s
}
