package main

import (
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/sluicehq/sluice/bench/internal/report"
)

// writeReport writes the http.kafka section of docs/benchmarks.md.
func writeReport(out string, res map[string]*figures, conns, rrconns int, duration time.Duration, runs int) {
	med := report.Median
	spread := func(xs []float64) string { return fmt.Sprintf("%.0f%%", 100*report.Spread(xs)) }
	ps, pr := res["produce sluice"], res["produce franz-go"]
	rs, rr := res["rr sluice"], res["rr franz-go"]
	gs, gp := res["get sluice"], res["get plain"]
	produceRatio := med(ps.rps) / med(pr.rps)
	added := med(rs.p50) - med(rr.p50)
	getRatio := med(gs.rps) / med(gp.rps)

	var rows strings.Builder
	row := func(label string, s, r []float64, ratio string) {
		fmt.Fprintf(&rows, "| %s | %.0f (%s) | %.0f (%s) | %s |\n", label, med(s), spread(s), med(r), spread(r), ratio)
	}
	ratio := func(s, r []float64) string { return fmt.Sprintf("%.2f", med(s)/med(r)) }
	row(fmt.Sprintf("oneway produce, requests/s (%d concurrent)", conns), ps.rps, pr.rps, fmt.Sprintf("**%.2f**", produceRatio))
	row("oneway produce p50, µs", ps.p50, pr.p50, ratio(ps.p50, pr.p50))
	row("oneway produce p99, µs", ps.p99, pr.p99, ratio(ps.p99, pr.p99))
	row(fmt.Sprintf("request-reply round trip p50, µs (%d concurrent)", rrconns), rs.p50, rr.p50, fmt.Sprintf("**%+.0f µs**", added))
	row("request-reply round trip p99, µs", rs.p99, rr.p99, fmt.Sprintf("%+.0f µs", med(rs.p99)-med(rr.p99)))
	row("request-reply, round trips/s", rs.rps, rr.rps, ratio(rs.rps, rr.rps))
	row(fmt.Sprintf("cached GET, requests/s (%d concurrent)", conns), gs.rps, gp.rps, fmt.Sprintf("**%.2f**", getRatio))
	row("cached GET p50, µs", gs.p50, gp.p50, ratio(gs.p50, gp.p50))
	row("cached GET p99, µs", gs.p99, gp.p99, ratio(gs.p99, gp.p99))
	cpuRow := func(label string, s, r []float64) {
		fmt.Fprintf(&rows, "| %s | %.3f | %.3f | %.2f |\n", label, med(s), med(r), med(s)/med(r))
	}
	cpuRow("oneway produce, CPU seconds per 10k requests (sluice; the franz-go producer)", ps.cpu, pr.cpu)
	cpuRow("request-reply, CPU seconds per 10k round trips (sluice; the franz-go client)", rs.cpu, rr.cpu)
	cpuRow("cached GET, CPU seconds per 10k requests (sluice; the plain server)", gs.cpu, gp.cpu)

	verdict := func(ok bool) string {
		if ok {
			return "meets"
		}
		return "below"
	}
	body := fmt.Sprintf(`## http-kafka

On real Apache Kafka (scripts/kafka.sh: one KRaft broker on the same machine), sluice running bench/httpkafka/zilla.yaml (tcp server -> http server -> http-kafka -> kafka cache_client -> cache_server -> client) in its own process, against references measured in the same run, alternating:

- **oneway produce**: POST /events (a ~100-byte JSON body, key from a generated idempotency key, 204 once Kafka acknowledged it) with h2load, HTTP/1.1, one request at a time per connection; reference: a franz-go producer configured as the kafka binding's (acks=all, idempotent, no linger) with as many goroutines each waiting for its ack (ProduceSync).
- **request-reply**: POST /orders (synchronous, reply-to), the round trip from request to response; reference: the same round trip with franz-go (produce a request with reply-to and a correlation id, wait for the reply on a consumer of the reply topic). Both are answered by one responder process (franz-go, replies produced without waiting).
- **cached GET**: GET /items/1, a ~200-byte item answered from sluice's cache (200, content-type, etag); reference: a plain Go net/http server in its own process answering the same bytes.

%d alternating runs of %v each after a %v warm-up; median (spread = (max-min)/median).

| measure | sluice | reference | ratio or difference |
| --- | --- | --- | --- |
%s
Targets: oneway produce at least 0.7 of the franz-go producer's requests/s: %s (%.2f). Request-reply under 1 ms added at p50: %s (%+.0f µs). Cached GET: %.2f of the plain server's requests/s.

Everything (Kafka's JVM, sluice, the responder, h2load and the franz-go references) shares the machine's cores, so absolute figures move with its load; the ratios and the CPU per request are the figures to compare.

The oneway reference is a producer inside the load generator: it pays no HTTP and no socket between client and proxy, and franz-go gathers the records of its goroutines into a few produce requests, so its CPU per record is a fraction of an HTTP exchange's. Sluice pays, per request, the read and write system calls of the HTTP connection, the HTTP parsing (the http.echo section above measures that part alone) and its stream frames, while h2load's own CPU comes out of the same cores; the CPU rows say how much work per request each side does.

Machine: %s. Date: %s. Command: `+"`go run ./bench/httpkafka -kafka $KAFKA_BOOTSTRAP_SERVERS -conns %d -rrconns %d -duration %v -runs %d`"+`.
`, runs, duration, warmup, rows.String(), verdict(produceRatio >= 0.7), produceRatio, verdict(added < 1000), added, getRatio,
		report.Machine(), report.Date(), conns, rrconns, duration, runs)
	if err := report.WriteSection(out, "http.kafka", body); err != nil {
		log.Fatal(err)
	}
	fmt.Print(body)
}
