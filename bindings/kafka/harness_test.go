package kafka

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bindings/kafka/embedded"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// testBroker is the cluster the integration tests run against: real Kafka
// when KAFKA_BOOTSTRAP_SERVERS names one (scripts/kafka.sh start), the
// embedded broker otherwise.
type testBroker struct {
	addr string
	real bool
}

var (
	sharedBroker     testBroker
	sharedBrokerOnce sync.Once
)

// broker returns the shared test broker, starting an embedded one (for
// the whole package run) when no real Kafka is configured.
func broker(t testing.TB) testBroker {
	t.Helper()
	sharedBrokerOnce.Do(func() {
		if addr := os.Getenv("KAFKA_BOOTSTRAP_SERVERS"); addr != "" {
			sharedBroker = testBroker{addr: addr, real: true}
			return
		}
		addr, _, err := embedded.Start("", embedded.NoAutoCreate())
		if err != nil {
			panic(err)
		}
		sharedBroker = testBroker{addr: addr}
	})
	return sharedBroker
}

// topicName returns a topic name unique to this test run.
func topicName(t testing.TB) string {
	var b [4]byte
	rand.Read(b[:])
	name := regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(t.Name(), "-")
	return strings.ToLower(strings.Trim(name, "-")) + "-" + hex.EncodeToString(b[:])
}

// createTopic creates a topic with partitions and configs.
func createTopic(t testing.TB, addr, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(addr, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	// Wait until every partition has a leader that answers.
	for {
		ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
		n := 0
		ends.Each(func(lo kadm.ListedOffset) {
			if lo.Err == nil && lo.Partition >= 0 {
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
		cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(addr, ",")...))
		if err != nil {
			return
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		kadm.NewClient(cl).DeleteTopics(ctx, topic)
	})
}

// startEngine starts a configuration with ${{env.KAFKA}} set to addr. It
// checks at the end that every stream ended but the caches' tails.
func startEngine(t testing.TB, addr, yaml string, opts ...enginetest.Options) *engine.Engine {
	t.Helper()
	var o enginetest.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Env == nil {
		o.Env = map[string]string{}
	}
	o.Env["KAFKA"] = addr
	o.AllowOpenStreams = true
	e := enginetest.Start(t, yaml, o)
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			tails := 0
			for _, ns := range e.Config().Namespaces {
				for _, b := range ns.Bindings {
					if rt, ok := e.Binding(b.QName()); ok {
						if cs, ok := rt.(*cacheServer); ok {
							tails += cs.tails()
						}
					}
				}
			}
			if e.LiveStreams() <= tails {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d streams still open after the test, %d of them cache tails", e.LiveStreams(), tails)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	return e
}

// merged is a test opener of merged streams: it records every frame the
// binding sends back and grants reply window as it reads, unless told to
// hold it.
type merged struct {
	t    testing.TB
	exec *engine.Executor
	s    *engine.Stream

	mu       sync.Mutex
	frames   []engine.Frame
	changed  chan struct{}
	hold     bool // do not give back window
	credited int  // initial-direction credit granted to us
}

// open opens a merged stream to a binding with a reply window.
func open(t testing.TB, e *engine.Engine, binding string, begin *kafkaspec.BeginEx, window int) *merged {
	t.Helper()
	m := &merged{t: t, exec: engine.NewExecutor(), changed: make(chan struct{}, 1)}
	var err error
	m.exec.Execute(func() {
		m.s, err = e.Open(binding, m.exec, m, engine.Frame{Ext: begin})
		if err == nil && window > 0 {
			m.s.Window(window)
		}
	})
	if err != nil {
		t.Fatalf("open %s: %v", binding, err)
	}
	t.Cleanup(func() { m.do(func(s *engine.Stream) { s.Terminate(nil) }) })
	return m
}

// Receive records a frame.
func (m *merged) Receive(s *engine.Stream, f *engine.Frame) {
	m.mu.Lock()
	m.frames = append(m.frames, *f)
	if f.Type == engine.WindowFrame {
		m.credited += f.Credit
	}
	hold := m.hold
	m.mu.Unlock()
	if f.Type == engine.DataFrame && !hold {
		s.Window(len(f.Payload))
	}
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// do runs fn on the stream's Executor.
func (m *merged) do(fn func(s *engine.Stream)) {
	done := make(chan struct{})
	m.exec.Execute(func() {
		defer close(done)
		fn(m.s)
	})
	<-done
}

// wait waits until cond holds over the frames received, failing the test
// after timeout. Only the test's goroutine may call it; others use
// waitErr.
func (m *merged) wait(what string, timeout time.Duration, cond func(frames []engine.Frame) bool) {
	m.t.Helper()
	if err := m.waitErr(what, timeout, cond); err != nil {
		m.t.Fatal(err)
	}
}

// waitErr waits until cond holds over the frames received.
func (m *merged) waitErr(what string, timeout time.Duration, cond func(frames []engine.Frame) bool) error {
	deadline := time.After(timeout)
	for {
		m.mu.Lock()
		ok := cond(m.frames)
		m.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-m.changed:
		case <-deadline:
			m.mu.Lock()
			n := len(m.frames)
			var last string
			if n > 0 {
				last = m.frames[n-1].String()
			}
			m.mu.Unlock()
			return fmt.Errorf("timed out after %v waiting for %s (%d frames, last %s)", timeout, what, n, last)
		}
	}
}

// snapshot returns the frames so far.
func (m *merged) snapshot() []engine.Frame {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]engine.Frame(nil), m.frames...)
}

// produce sends one complete record and waits for nothing.
func (m *merged) produce(key, value string, headers ...string) {
	ex := &kafkaspec.DataEx{Headers: pairs(headers)}
	if key != "" {
		ex.Key = []byte(key)
	}
	m.do(func(s *engine.Stream) { s.Data(engine.FlagsComplete, []byte(value), ex) })
}

// waitCredit waits until the binding granted at least n bytes.
func (m *merged) waitCredit(n int) {
	m.t.Helper()
	m.wait(fmt.Sprintf("window of %d", n), 10*time.Second, func([]engine.Frame) bool { return m.credited >= n })
}

func pairs(kv []string) []kafkaspec.Header {
	var hs []kafkaspec.Header
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, kafkaspec.Header{Name: kv[i], Value: []byte(kv[i+1])})
	}
	return hs
}

// acks returns the AckEx flushes received.
func acks(frames []engine.Frame) []*kafkaspec.AckEx {
	var out []*kafkaspec.AckEx
	for _, f := range frames {
		if a, ok := f.Ext.(*kafkaspec.AckEx); ok && f.Type == engine.FlushFrame {
			out = append(out, a)
		}
	}
	return out
}

// fetched is one record reassembled from Data frames.
type fetched struct {
	ex    *kafkaspec.DataEx
	value []byte
}

func (f fetched) key() string { return string(f.ex.Key) }

func (f fetched) header(name string) string {
	for _, h := range f.ex.Headers {
		if h.Name == name {
			return string(h.Value)
		}
	}
	return ""
}

// records reassembles the records received.
func records(frames []engine.Frame) []fetched {
	var out []fetched
	for _, f := range frames {
		if f.Type != engine.DataFrame {
			continue
		}
		if f.Flags&engine.FlagInit != 0 {
			out = append(out, fetched{ex: f.Ext.(*kafkaspec.DataEx), value: append([]byte{}, f.Payload...)})
			continue
		}
		last := &out[len(out)-1]
		last.value = append(last.value, f.Payload...)
	}
	return out
}

// caughtUp returns the caught-up flush, or nil.
func caughtUp(frames []engine.Frame) *kafkaspec.FlushEx {
	for _, f := range frames {
		if fx, ok := f.Ext.(*kafkaspec.FlushEx); ok && f.Type == engine.FlushFrame && fx.CaughtUp {
			return fx
		}
	}
	return nil
}

// frameOf returns the first frame of a type, or nil.
func frameOf(frames []engine.Frame, typ engine.FrameType) *engine.Frame {
	for i := range frames {
		if frames[i].Type == typ {
			return &frames[i]
		}
	}
	return nil
}

func hasFrame(typ engine.FrameType) func([]engine.Frame) bool {
	return func(frames []engine.Frame) bool { return frameOf(frames, typ) != nil }
}

// produceAll produces records through a produce-only stream and waits for
// every ack, failing on any error.
func produceAll(t testing.TB, e *engine.Engine, binding, topic string, recs ...[]string) []*kafkaspec.AckEx {
	t.Helper()
	m := open(t, e, binding, &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: topic}, 0)
	m.waitCredit(1)
	for _, r := range recs {
		m.produce(r[0], r[1], r[2:]...)
	}
	m.wait(fmt.Sprintf("%d acks", len(recs)), 30*time.Second, func(fs []engine.Frame) bool { return len(acks(fs)) == len(recs) })
	out := acks(m.snapshot())
	for _, a := range out {
		if a.Error != nil {
			t.Fatalf("record %d failed: %v", a.Sequence, a.Error)
		}
	}
	m.do(func(s *engine.Stream) { s.End(nil) })
	m.wait("end", 10*time.Second, hasFrame(engine.EndFrame))
	return out
}

// fetchAll reads a topic from the start through a binding until caught up.
func fetchAll(t testing.TB, e *engine.Engine, binding string, begin *kafkaspec.BeginEx) ([]fetched, *kafkaspec.FlushEx) {
	t.Helper()
	begin.Capabilities = kafkaspec.FetchOnly
	begin.EndWhenCaughtUp = true
	m := open(t, e, binding, begin, 1<<20)
	m.wait("end", 30*time.Second, func(fs []engine.Frame) bool {
		return frameOf(fs, engine.EndFrame) != nil || frameOf(fs, engine.AbortFrame) != nil
	})
	fs := m.snapshot()
	if a := frameOf(fs, engine.AbortFrame); a != nil {
		t.Fatalf("fetch aborted: %v", a.Ext)
	}
	m.do(func(s *engine.Stream) { s.End(nil) })
	return records(fs), caughtUp(fs)
}

// clientYAML is a configuration with a kafka client alone.
const clientYAML = `
name: test
bindings:
  kafka0:
    type: kafka
    kind: client
    options:
      servers: ["${{env.KAFKA}}"]
`

// cacheYAML is Zilla's pipeline: cache_client -> cache_server -> client ->
// tcp client.
const cacheYAML = `
name: test
bindings:
  cache0:
    type: kafka
    kind: cache_client
    exit: server0
  server0:
    type: kafka
    kind: cache_server
    exit: kafka0
  kafka0:
    type: kafka
    kind: client
    options:
      servers: ["${{env.KAFKA}}"]
    exit: tcp0
  tcp0:
    type: tcp
    kind: client
`

// logCapture keeps log events for tests that check them.
type logCapture struct {
	mu     sync.Mutex
	events []string
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.events = append(c.events, string(p))
	c.mu.Unlock()
	return len(p), nil
}

// find returns the first event containing every one of parts.
func (c *logCapture) find(parts ...string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
next:
	for _, e := range c.events {
		for _, p := range parts {
			if !strings.Contains(e, p) {
				continue next
			}
		}
		return e
	}
	return ""
}

func (c *logCapture) count(parts ...string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
next:
	for _, e := range c.events {
		for _, p := range parts {
			if !strings.Contains(e, p) {
				continue next
			}
		}
		n++
	}
	return n
}

// startLogged starts a configuration in an engine whose logs are kept, on
// a registry of the caller's choice (nil: the global one).
func startLogged(t testing.TB, reg *engine.Registry, env map[string]string, yaml string) (*engine.Engine, *logCapture) {
	t.Helper()
	if reg == nil {
		reg = engine.Global()
	}
	cfg, err := reg.Parse("zilla.yaml", []byte(yaml), engine.WithEnv(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &logCapture{}
	e, err := engine.New(cfg, engine.WithLogger(slog.New(slog.NewTextHandler(io.MultiWriter(logs, testLogWriter{t}), nil))))
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e, logs
}

// testLogWriter echoes logs to the test log while the test runs.
type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	defer func() { recover() }() // the test may have ended
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
