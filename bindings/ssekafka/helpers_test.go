package ssekafka_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/kafka"
	"github.com/sluicehq/sluice/bindings/kafka/embedded"
	_ "github.com/sluicehq/sluice/bindings/sse"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
)

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

var (
	brokerOnce sync.Once
	brokerAddr string
)

// broker returns the Kafka the integration tests use: real Kafka when
// KAFKA_BOOTSTRAP_SERVERS names one (make test starts it), else an embedded
// broker shared by the package's tests.
func broker(t testing.TB) string {
	t.Helper()
	brokerOnce.Do(func() {
		if addr := os.Getenv("KAFKA_BOOTSTRAP_SERVERS"); addr != "" {
			brokerAddr = addr
			return
		}
		addr, _, err := embedded.Start("", embedded.NoAutoCreate())
		if err != nil {
			panic(err)
		}
		brokerAddr = addr
	})
	return brokerAddr
}

// newTopic creates a topic unique to the test.
func newTopic(t testing.TB, addr string, partitions int32) string {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	name := strings.ToLower(strings.Trim(regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(t.Name(), "-"), "-"))
	topic := name + "-" + hex.EncodeToString(b[:])
	cl := kafkaClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopic(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	for {
		ends, err := adm.ListEndOffsets(ctx, topic)
		n := 0
		ends.Each(func(lo kadm.ListedOffset) {
			if lo.Err == nil {
				n++
			}
		})
		if err == nil && n == int(partitions) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("topic %s not ready: %v", topic, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		adm.DeleteTopics(ctx, topic)
	})
	return topic
}

func kafkaClient(t testing.TB, addr string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(addr, ",")...), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// record is a record to produce: a nil value is a tombstone.
type record struct {
	key, value []byte
	headers    []kgo.RecordHeader
}

func rec(key, value string) record {
	r := record{value: []byte(value)}
	if key != "" {
		r.key = []byte(key)
	}
	return r
}

// produce writes records and waits for every acknowledgement.
func produce(t testing.TB, cl *kgo.Client, topic string, recs ...record) {
	t.Helper()
	batch := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		batch[i] = &kgo.Record{Topic: topic, Key: r.key, Value: r.value, Headers: r.headers}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, batch...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// logs keeps the engine's log events, for tests that check them, and
// passes them to the test log.
type logs struct {
	t      testing.TB
	mu     sync.Mutex
	lines  []string
	closed bool
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(p))
	if !l.closed {
		l.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// has reports whether a logged event contains s.
func (l *logs) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// instance is one running pipeline: tcp -> http -> sse -> sse-kafka ->
// cache_client -> cache_server -> kafka client.
type instance struct {
	e    *engine.Engine
	addr string
	logs *logs
}

// pipelineYAML routes /topic/{topic} (historical), /live/{topic} and
// /items/{topic}/{key} (filtered on the key); extra options are spliced in.
func pipelineYAML(sseKafkaOptions, cacheServerOptions string) string {
	return `
name: test
bindings:
  tcp0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: http0
  http0:
    type: http
    kind: server
    exit: sse0
  sse0:
    type: sse
    kind: server
    options: { retry: 100, keep-alive: 0.1 }
    exit: ssekafka0
  ssekafka0:
    type: sse-kafka
    kind: proxy
    options: {` + sseKafkaOptions + `}
    routes:
      - when:
          - path: /topic/{topic}
        exit: cache0
        with:
          topic: ${params.topic}
      - when:
          - path: /live/{topic}
        exit: cache0
        with:
          topic: ${params.topic}
          defaultOffset: live
      - when:
          - path: /items/{topic}/{key}
        exit: cache0
        with:
          topic: ${params.topic}
          filters:
            - key: ${params.key}
  cache0:
    type: kafka
    kind: cache_client
    exit: server0
  server0:
    type: kafka
    kind: cache_server
    options: {` + cacheServerOptions + `}
    exit: kafka0
  kafka0:
    type: kafka
    kind: client
    options:
      servers: ["${{env.KAFKA}}"]
    exit: tcp1
  tcp1:
    type: tcp
    kind: client
`
}

// start runs a pipeline against Kafka at addr. At the end of the test it
// checks that every stream but the caches' tails (one per topic) ended.
func start(t *testing.T, addr, yaml string, topics int) *instance {
	t.Helper()
	l := &logs{t: t}
	cfg, err := engine.Global().Parse("zilla.yaml", []byte(yaml), engine.WithEnv(func(k string) (string, bool) {
		if k == "KAFKA" {
			return addr, true
		}
		return "", false
	}))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e, err := engine.New(cfg, engine.WithLogger(slog.New(slog.NewTextHandler(l, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			deadline := time.Now().Add(3 * time.Second)
			for e.LiveStreams() > topics {
				if time.Now().After(deadline) {
					t.Errorf("%d streams still open after the test (%d cache tails expected)", e.LiveStreams(), topics)
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		e.Close()
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
	})
	return &instance{e: e, addr: enginetest.Addr(t, e, "test:tcp0"), logs: l}
}

// event is one event as a browser dispatches it.
type event struct {
	id, typ, data string
}

// sseReader parses an event stream as a browser does (WHATWG HTML
// 9.2.6), keeping the last event id across events.
type sseReader struct {
	r      *bufio.Reader
	lastID string
}

// next returns the next dispatched event.
func (sr *sseReader) next() (event, error) {
	var ev event
	var data []string
	hasData := false
	for {
		line, err := sr.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if !hasData {
				ev = event{}
				continue
			}
			ev.id, ev.data = sr.lastID, strings.Join(data, "\n")
			return ev, nil
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "id":
			sr.lastID = value
		case "event":
			ev.typ = value
		case "data":
			data, hasData = append(data, value), true
		}
	}
}

// stream is an open event stream.
type stream struct {
	conn net.Conn
	*sseReader
}

// open opens an event stream on its own connection, with a last event id
// when lastID is not empty, and returns once the response head arrived
// (the fetch has begun).
func open(t testing.TB, addr, path, lastID string) *stream {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
	if lastID != "" {
		req += "Last-Event-ID: " + lastID + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := nethttp.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	return &stream{conn: conn, sseReader: &sseReader{r: bufio.NewReader(resp.Body)}}
}

// read reads n events.
func (s *stream) read(t testing.TB, n int) []event {
	t.Helper()
	out := make([]event, 0, n)
	for len(out) < n {
		ev, err := s.next()
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(out), n, err)
		}
		out = append(out, ev)
	}
	return out
}

func values(evs []event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.data
	}
	return out
}

func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func numbered(prefix string, from, to int) []record {
	var out []record
	for i := from; i < to; i++ {
		out = append(out, rec(fmt.Sprintf("k%d", i%7), fmt.Sprintf("%s%d", prefix, i)))
	}
	return out
}
