// Package httpkafka holds the http-kafka scenarios on real Kafka, sluice
// running bench/httpkafka/zilla.yaml (tcp server -> http server ->
// http-kafka -> kafka cache_client -> cache_server -> client) in its own
// process, loaded by h2load over HTTP/1.1:
//
//   - http.kafka.oneway: POST /events (204 once Kafka has the record)
//     against a franz-go producer waiting for each ack at the same
//     concurrency, and against a plain net/http service producing with
//     franz-go under the same h2load load;
//
//   - http.kafka.sync: POST /orders (produce, the responder's reply, the
//     response) against the same round trip done with franz-go (produce
//     with reply-to and a correlation id, consume the reply), both
//     answered by one responder process;
//
//   - http.kafka.cache: GET /items/1 served from sluice's cache against a
//     plain net/http server answering the same bytes.
package httpkafka

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/bench/internal/harness"
)

const (
	// Conns is the concurrency of the produce and GET measures.
	Conns = 64
	// RRConns is the concurrency of the request-reply measure.
	RRConns = 16

	replyToHeader       = "zilla:reply-to"
	correlationIDHeader = "zilla:correlation-id"
	// replyFetchWait is how long a reply consumer's fetch waits at the
	// broker when there is nothing new: replies arrive as soon as they are
	// written whatever it is.
	replyFetchWait = 100 * time.Millisecond
)

// The bytes every request sends and the cached item holds.
var (
	eventValue = []byte(`{"type":"page-view","user":"u-1234","page":"/pricing","at":"2026-11-22T10:00:00Z","agent":"bench"}`)
	orderValue = []byte(`{"item":"widget","quantity":2,"customer":"c-5678","note":"bench round trip, about 100 bytes"}`)
	itemValue  = []byte(`{"id":"1","name":"widget","description":"a cached item, read over and over by GET /items/1","price":{"amount":1250,"currency":"EUR"},"tags":["bench","cache","http-kafka"],"updated":"2026-11-22T10:00:00Z"}`)
)

// setup is what every http-kafka scenario starts with: its topics and
// sluice on them.
type setup struct {
	prefix     string
	sluiceAddr string
	sluice     *harness.Proc
}

// start creates the run's topics (one partition each, items compacted)
// and starts sluice on them, profiled if the run asks for it.
func start(env *harness.Env) *setup {
	s := &setup{prefix: "bench-" + uuid()[:8]}
	var topics []harness.Topic
	for _, t := range []string{"events", "events-ref", "events-plain", "requests", "requests-ref", "replies", "replies-ref", "items"} {
		topics = append(topics, harness.Topic{Name: s.prefix + "-" + t, Partitions: 1, Compact: t == "items"})
	}
	env.CreateTopics(topics...)
	s.sluiceAddr = harness.FreeAddr()
	_, port, _ := net.SplitHostPort(s.sluiceAddr)
	s.sluice = env.StartSluice(harness.SluiceSpec{Config: "bench/httpkafka/zilla.yaml", Profile: true,
		Env: []string{"HTTP_PORT=" + port, "BENCH_TOPICS=" + s.prefix, "KAFKA_BOOTSTRAP_SERVERS=" + env.Kafka}})
	s.sluice.WaitListening(s.sluiceAddr)
	return s
}

// url returns a URL of sluice.
func (s *setup) url(path string) string { return "http://" + s.sluiceAddr + path }

// topic returns one of the run's topics.
func (s *setup) topic(name string) string { return s.prefix + "-" + name }

// cpuPer10k returns the CPU seconds per 10k requests a process spent over
// a measurement of the scenario's duration plus warm-up.
func cpuPer10k(env *harness.Env, cpu, rps float64) float64 {
	return cpu / (rps * (env.Duration + harness.Warmup).Seconds()) * 10000
}

// waitItem GETs the cached item until sluice has it, and returns its etag.
func waitItem(url string) string {
	for range 400 {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return resp.Header.Get("Etag")
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	harness.Failf("GET %s never answered 200", url)
	return ""
}

func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
