package httpkafka_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	httpspec "github.com/sluicehq/sluice/specs/http"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// configRegistry is the scenario registry plus a `session` guard whose
// sessions (any non-zero id) have an identity and a tenant attribute, a
// `bare` guard without identities, and a `capture` binding that keeps
// the merged streams it accepts.
var configRegistry = sync.OnceValue(func() *engine.Registry {
	reg := registry().Clone()
	reg.RegisterGuard(engine.GuardType{Name: "session", Schema: []byte(`{"type": "object"}`),
		New: func(*engine.ComponentContext) (engine.Guard, error) { return sessionGuard{}, nil }})
	reg.RegisterGuard(engine.GuardType{Name: "bare", Schema: []byte(`{"type": "object"}`),
		New: func(*engine.ComponentContext) (engine.Guard, error) { return bareGuard{}, nil }})
	reg.RegisterBinding(captureType)
	return reg
})

type sessionGuard struct{}

func (sessionGuard) Verify(session uint64, _ []string) bool { return session != 0 }
func (sessionGuard) Identity(session uint64) string         { return "user-" + itoa(session) }
func (sessionGuard) Attribute(session uint64, name string) string {
	if name == "tenant" {
		return "t" + itoa(session)
	}
	return ""
}

type bareGuard struct{}

func (bareGuard) Verify(uint64, []string) bool { return true }

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestConfigErrors(t *testing.T) {
	const head = `
name: test
guards:
  session:
    type: session
  bare:
    type: bare
bindings:
  kafka0:
    type: test
    kind: server
  app0:
    type: http-kafka
    kind: proxy
`
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"binding exit", `
    exit: kafka0
    routes:
      - exit: kafka0
        with: {capability: fetch, topic: items}`, "exit"},
		{"no routes", `
    options: {}`, "routes"},
		{"route without with", `
    routes:
      - exit: kafka0`, "with"},
		{"unknown capability", `
    routes:
      - exit: kafka0
        with: {capability: stream, topic: items}`, "capability"},
		{"unknown expression", `
    routes:
      - when: [{path: "/items/{id}"}]
        exit: kafka0
        with: {capability: produce, topic: items, key: "${param.id}"}`, "unknown expression ${param.id}"},
		{"parameter not captured", `
    routes:
      - when: [{path: "/items/{id}"}]
        exit: kafka0
        with: {capability: produce, topic: items, key: "${params.name}"}`, "routes[0].with.key: http-kafka proxy binding: ${params.name}: no `when.path` of this route captures {name}"},
		{"correlation id outside async", `
    routes:
      - when: [{path: /items}]
        exit: kafka0
        with: {capability: produce, topic: items, key: "${correlationId}"}`, "${correlationId} is not allowed here"},
		{"idempotency key in a fetch", `
    routes:
      - when: [{path: /items}]
        exit: kafka0
        with: {capability: fetch, topic: items, filters: [{key: "${idempotencyKey}"}]}`, "${idempotencyKey} is not allowed here"},
		{"unknown guard", `
    routes:
      - when: [{path: /items}]
        exit: kafka0
        with: {capability: produce, topic: items, key: "${guarded['jwt0'].identity}"}`, "no guard named jwt0"},
		{"guard without identities", `
    routes:
      - when: [{path: /items}]
        exit: kafka0
        with: {capability: produce, topic: items, key: "${guarded['bare'].identity}"}`, "guard bare does not supply identities"},
		{"unclosed expression", `
    routes:
      - when: [{path: /items}]
        exit: kafka0
        with: {capability: produce, topic: "items-${headers.x"}`, "unclosed expression"},
		{"async without reply-to", `
    routes:
      - when: [{path: "/items/{id}"}]
        exit: kafka0
        with: {capability: produce, topic: items, async: {location: "/items/${params.id}"}}`, "reply-to"},
		{"async without location", `
    routes:
      - when: [{path: "/items/{id}"}]
        exit: kafka0
        with: {capability: produce, topic: items, reply-to: replies, async: {x-location: "/x/${correlationId}"}}`, "async needs a location"},
		{"async location without correlation id", `
    routes:
      - when: [{path: "/items/{id}"}]
        exit: kafka0
        with: {capability: produce, topic: items, reply-to: replies, async: {location: "/items/${params.id}"}}`, "holds no ${correlationId}"},
		{"acks", `
    routes:
      - exit: kafka0
        with: {capability: produce, topic: items, acks: all}`, "acks"},
		{"merge patch", `
    routes:
      - exit: kafka0
        with: {capability: fetch, topic: items, merge: {content-type: application/json, patch: {initial: "{}", path: "/-"}}}`, "merge"},
		{"timeout", `
    options: {timeouts: {reply: -1}}
    routes:
      - exit: kafka0
        with: {capability: fetch, topic: items}`, "reply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := configRegistry().Parse("zilla.yaml", []byte(head+tc.yaml))
			if err == nil {
				var e *engine.Engine
				cfg, _ := configRegistry().Parse("zilla.yaml", []byte(head+tc.yaml))
				e, err = engine.New(cfg)
				if err == nil {
					e.Close()
					t.Fatalf("accepted; want an error with %q", tc.want)
				}
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestGuardedAndHeaderExpressions: topic, key and overrides expanded from
// the session's identity and attributes and from request headers, and a
// guarded route skipped by a request without a session.
func TestGuardedAndHeaderExpressions(t *testing.T) {
	e := enginetest.Start(t, `
name: test
guards:
  session:
    type: session
bindings:
  kafka0:
    type: capture
    kind: cache_client
  app0:
    type: http-kafka
    kind: proxy
    routes:
      - when: [{method: POST, path: "/{tenant}/events"}]
        guarded: {session: [writer]}
        exit: kafka0
        with:
          capability: produce
          topic: events-${params.tenant}
          key: ${guarded['session'].identity}
          overrides:
            x-tenant: ${guarded['session'].attributes.tenant}
            x-trace: trace ${headers.X-Trace-Id}/${idempotencyKey}
`, enginetest.Options{Registry: configRegistry()})
	post := httpspec.Headers{{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"}, {Name: ":authority", Value: "localhost"},
		{Name: ":path", Value: "/acme/events?x=1"}, {Name: "x-trace-id", Value: "abc"}, {Name: "idempotency-key", Value: "k1"}}

	if status := exchange(t, e, post, 42); status != "204" {
		t.Fatalf("status %s, want 204", status)
	}
	c := captured.take(t)
	if c.begin.Topic != "events-acme" || string(c.data.Key) != "user-42" {
		t.Errorf("topic %q key %q, want events-acme and user-42", c.begin.Topic, c.data.Key)
	}
	want := map[string]string{"x-tenant": "t42", "x-trace": "trace abc/k1"}
	for _, h := range c.data.Headers {
		if v, ok := want[h.Name]; ok {
			if string(h.Value) != v {
				t.Errorf("%s: %q, want %q", h.Name, h.Value, v)
			}
			delete(want, h.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("headers %v lack %v", c.data.Headers, want)
	}

	// Without a session the guarded route is not taken: 404.
	if status := exchange(t, e, post, 0); status != "404" {
		t.Errorf("status %s without a session, want 404", status)
	}
}

// exchange opens an http request stream into app0 with an authorization,
// ends it, and returns the response status.
func exchange(t *testing.T, e *engine.Engine, head httpspec.Headers, authorization uint64) string {
	t.Helper()
	status := make(chan string, 1)
	exec := engine.NewExecutor()
	exec.Execute(func() {
		s, err := e.Open("test:app0", exec, engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
			switch f.Type {
			case engine.BeginFrame:
				status <- f.Ext.(*httpspec.BeginEx).Headers.Value(":status")
				s.Window(1 << 16)
			case engine.ResetFrame:
				if re, ok := f.Ext.(*httpspec.ResetEx); ok {
					status <- re.Headers.Value(":status")
				}
				s.Reset(nil)
			}
		}), engine.Frame{Ext: &httpspec.BeginEx{Headers: head}, Authorization: authorization})
		if err != nil {
			t.Error(err)
			return
		}
		s.End(nil)
	})
	select {
	case st := <-status:
		return st
	case <-time.After(5 * time.Second):
		t.Fatal("no response")
	}
	return ""
}

// capture is a kafka-side binding that keeps the first record of each
// produce stream and acknowledges it.
type capture struct {
	begin *kafkaspec.BeginEx
	data  *kafkaspec.DataEx
}

type captures struct{ ch chan capture }

var captured = captures{ch: make(chan capture, 16)}

func (c captures) take(t *testing.T) capture {
	t.Helper()
	select {
	case v := <-c.ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("no record captured")
	}
	return capture{}
}

var captureType = engine.BindingType{
	Name:   "capture",
	Kinds:  []engine.KindSpec{{Kind: engine.KindCacheClient, Accepts: "kafka"}},
	Schema: []byte(`{"properties": {"routes": false, "exit": false}}`),
	New: func(*engine.BindingContext) (engine.Binding, error) {
		return engine.Binding(captureBinding{}), nil
	},
}

type captureBinding struct{}

func (captureBinding) Accept(_ *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	c := &capture{begin: begin.Ext.(*kafkaspec.BeginEx)}
	return engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
		switch f.Type {
		case engine.BeginFrame:
			s.Begin(nil)
			s.Window(1 << 20)
		case engine.DataFrame:
			if f.Flags&engine.FlagInit != 0 {
				c.data = f.Ext.(*kafkaspec.DataEx)
			}
			if f.Flags&engine.FlagFin != 0 {
				captured.ch <- *c
				s.Flush(&kafkaspec.AckEx{Partition: 0, Offset: 1})
			}
		case engine.EndFrame:
			s.End(nil)
		case engine.AbortFrame, engine.ResetFrame:
			s.Terminate(nil)
		}
	}), nil
}
