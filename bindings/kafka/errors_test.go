package kafka

import (
	"bytes"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicehq/sluice/bindings/kafka/embedded"
	"github.com/sluicehq/sluice/engine"
	_ "github.com/sluicehq/sluice/guards/inline" // the guard of the authorization tests
	"github.com/sluicehq/sluice/internal/testtool"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// abortOf waits for the reply's Abort and returns its ErrorEx.
func abortOf(t *testing.T, m *merged, timeout time.Duration) *kafkaspec.ErrorEx {
	t.Helper()
	m.wait("abort", timeout, hasFrame(engine.AbortFrame))
	ex, ok := frameOf(m.snapshot(), engine.AbortFrame).Ext.(*kafkaspec.ErrorEx)
	if !ok {
		t.Fatalf("abort without an ErrorEx")
	}
	return ex
}

// ackOf produces one record and returns its ack.
func ackOf(t *testing.T, e *engine.Engine, binding, topic string, timeout time.Duration) *kafkaspec.AckEx {
	t.Helper()
	m := open(t, e, binding, &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: topic}, 0)
	m.waitCredit(1)
	m.produce("k", "v")
	m.wait("ack", timeout, func(fs []engine.Frame) bool { return len(acks(fs)) == 1 })
	return acks(m.snapshot())[0]
}

func TestMissingTopic(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	e, logs := startLogged(t, nil, map[string]string{"KAFKA": b.addr}, cacheYAML)

	for _, binding := range []string{"kafka0", "cache0"} {
		m := open(t, e, binding, &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic}, 1<<16)
		ex := abortOf(t, m, 15*time.Second)
		if ex.Code != kafkaspec.CodeUnknownTopic || !ex.Retriable || !strings.Contains(ex.Message, topic) {
			t.Errorf("%s: fetch of a missing topic aborted with %+v", binding, ex)
		}
	}
	if logs.find("kafka fetch failed", topic, "does not exist") == "" || logs.find("kafka cache fetch failed", topic) == "" {
		t.Errorf("no log event for the missing topic")
	}
	if b.real {
		return // the test broker creates topics on produce, as Kafka does by default
	}
	a := ackOf(t, e, "kafka0", topic, 30*time.Second)
	if a.Error == nil || a.Error.Code != kafkaspec.CodeUnknownTopic || !a.Error.Retriable {
		t.Errorf("produce to a missing topic acked with %+v", a)
	}
	if logs.find("kafka produce failed", topic) == "" {
		t.Errorf("no log event for the failed produce")
	}
}

// cpuTime returns the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestUnreachableCluster(t *testing.T) {
	defer func(d, r time.Duration) { deliveryTimeout, requestTimeout = d, r }(deliveryTimeout, requestTimeout)
	deliveryTimeout, requestTimeout = 3*time.Second, 2*time.Second
	addr := fmt.Sprintf("127.0.0.1:%d", testtool.FreePort(t)) // nothing listens there
	e, logs := startLogged(t, nil, map[string]string{"KAFKA": addr}, cacheYAML)

	before := cpuTime()
	start := time.Now()
	a := ackOf(t, e, "kafka0", "orders", 20*time.Second)
	if a.Error == nil || !a.Error.Retriable {
		t.Errorf("produce to an unreachable cluster acked with %+v", a)
	}
	for _, binding := range []string{"kafka0", "cache0"} {
		m := open(t, e, binding, &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: "orders"}, 1<<16)
		if ex := abortOf(t, m, 20*time.Second); !ex.Retriable {
			t.Errorf("%s: fetch from an unreachable cluster aborted with %+v", binding, ex)
		}
	}
	if logs.find("kafka connection failed", addr) == "" {
		t.Errorf("no log event for the unreachable broker")
	}
	// Reconnecting backs off rather than spinning: well under half a core
	// while every attempt fails.
	if used, elapsed := cpuTime()-before, time.Since(start); used > elapsed/2 {
		t.Errorf("used %v of CPU in %v against an unreachable cluster", used, elapsed)
	}
	if n := logs.count("kafka connection failed"); n > 3 {
		t.Errorf("%d 'connection failed' events for one broker in a few seconds", n)
	}
}

// saslBroker starts a kfake cluster that requires SASL, with one user per
// mechanism.
func saslBroker(t *testing.T) string {
	t.Helper()
	addr, stop, err := embedded.Start("", embedded.With(kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plain-user", "plain-secret"),
		kfake.Superuser("SCRAM-SHA-256", "scram256-user", "scram256-secret"),
		kfake.Superuser("SCRAM-SHA-512", "scram512-user", "scram512-secret")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

func TestSASL(t *testing.T) {
	addr := saslBroker(t)
	reg := engine.Global() // with guards/inline, imported for its guard
	for _, tc := range []struct {
		name, mechanism, user, password string
		guard                           bool
		ok                              bool
	}{
		{"plain", "plain", "plain-user", "plain-secret", false, true},
		{"scram-sha-256", "scram-sha-256", "scram256-user", "scram256-secret", false, true},
		{"scram-sha-512", "scram-sha-512", "scram512-user", "scram512-secret", false, true},
		{"plain via guard", "plain", "plain-user", "plain-secret", true, true},
		{"scram-sha-256 via guard", "scram-sha-256", "scram256-user", "scram256-secret", true, true},
		{"scram-sha-512 via guard", "scram-sha-512", "scram512-user", "scram512-secret", true, true},
		{"wrong password", "plain", "plain-user", "nope", false, false},
		{"wrong scram password via guard", "scram-sha-256", "scram256-user", "nope", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(d, r time.Duration) { deliveryTimeout, requestTimeout = d, r }(deliveryTimeout, requestTimeout)
			deliveryTimeout, requestTimeout = 3*time.Second, 2*time.Second
			auth := fmt.Sprintf("      sasl: {mechanism: %s, username: %s, password: %s}\n", tc.mechanism, tc.user, tc.password)
			guards := ""
			if tc.guard {
				auth = fmt.Sprintf("      authorization:\n        creds:\n          credentials: {mechanism: %s, username: \"{identity}\", password: \"{credentials}\"}\n", tc.mechanism)
				guards = fmt.Sprintf("guards:\n  creds:\n    type: inline\n    options: {identity: %s, credentials: %s}\n", tc.user, tc.password)
			}
			yaml := "name: test\n" + guards + strings.Replace(clientYAML, "name: test\n", "", 1) + auth
			e, logs := startLogged(t, reg, map[string]string{"KAFKA": addr}, yaml)
			topic := topicName(t)
			a := ackOf(t, e, "kafka0", topic, 20*time.Second)
			if tc.ok {
				if a.Error != nil {
					t.Fatalf("produce failed: %v", a.Error)
				}
				got, _ := fetchAll(t, e, "kafka0", &kafkaspec.BeginEx{Topic: topic})
				if len(got) != 1 {
					t.Fatalf("fetched %d records", len(got))
				}
				return
			}
			if a.Error == nil || !a.Error.Retriable {
				t.Errorf("produce with a wrong password acked with %+v", a)
			}
			m := open(t, e, "kafka0", &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: topic}, 1<<16)
			if ex := abortOf(t, m, 20*time.Second); !ex.Retriable {
				t.Errorf("fetch with a wrong password aborted with %+v", ex)
			}
			// kfake hangs up on bad credentials (Kafka answers with an
			// error, see TestOAuthBearer): the event names the mechanism.
			if logs.find("kafka connection failed", "sasl=") == "" {
				t.Errorf("no log event for the failed authentication")
			}
		})
	}
}

func TestOAuthBearer(t *testing.T) {
	// kfake has no OAUTHBEARER: the test answers the SASL exchange itself
	// and checks the token the client sends.
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	tokens := make(chan []byte, 16)
	cluster.ControlKey(int16(kmsg.SASLHandshake), func(req kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		resp := req.(*kmsg.SASLHandshakeRequest).ResponseKind().(*kmsg.SASLHandshakeResponse)
		resp.SupportedMechanisms = []string{"OAUTHBEARER"}
		return resp, nil, true
	})
	cluster.ControlKey(int16(kmsg.SASLAuthenticate), func(req kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		r := req.(*kmsg.SASLAuthenticateRequest)
		select {
		case tokens <- r.SASLAuthBytes:
		default:
		}
		resp := r.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		if !bytes.Contains(r.SASLAuthBytes, []byte("auth=Bearer the-token\x01")) {
			resp.ErrorCode = kafkaspec.CodeSaslAuthFailed
		}
		return resp, nil, true
	})
	yaml := clientYAML + "      sasl: {mechanism: oauthbearer, token: the-token}\n"
	e := startEngine(t, cluster.ListenAddrs()[0], yaml)
	if a := ackOf(t, e, "kafka0", topicName(t), 20*time.Second); a.Error != nil {
		t.Fatalf("produce with a bearer token failed: %v", a.Error)
	}
	if tok := <-tokens; !bytes.Contains(tok, []byte("auth=Bearer the-token")) {
		t.Errorf("client sent %q", tok)
	}

	// A token the broker refuses: Kafka's SASL_AUTHENTICATION_FAILED,
	// logged and reported as retriable.
	defer func(d, r time.Duration) { deliveryTimeout, requestTimeout = d, r }(deliveryTimeout, requestTimeout)
	deliveryTimeout, requestTimeout = 3*time.Second, 2*time.Second
	yaml = clientYAML + "      sasl: {mechanism: oauthbearer, token: stale-token}\n"
	e, logs := startLogged(t, nil, map[string]string{"KAFKA": cluster.ListenAddrs()[0]}, yaml)
	a := ackOf(t, e, "kafka0", topicName(t), 20*time.Second)
	if a.Error == nil || !a.Error.Retriable || a.Error.Code != kafkaspec.CodeSaslAuthFailed {
		t.Errorf("produce with a refused token acked with %+v", a)
	}
	m := open(t, e, "kafka0", &kafkaspec.BeginEx{Capabilities: kafkaspec.FetchOnly, Topic: "t"}, 1<<16)
	if ex := abortOf(t, m, 20*time.Second); !ex.Retriable || ex.Code != kafkaspec.CodeSaslAuthFailed {
		t.Errorf("fetch with a refused token aborted with %+v", ex)
	}
	if logs.find("kafka connection failed", "SASL_AUTHENTICATION_FAILED") == "" {
		t.Errorf("no log event for the refused token")
	}
}

// TestProduceDeadline: a record the cluster takes but never answers is
// acknowledged with a retriable timeout at its deadline (franz-go would
// keep it in flight), and the stream stops being watched once it has no
// record left in flight.
func TestProduceDeadline(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	release := make(chan struct{})
	defer close(release)
	cluster.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		cluster.SleepControl(func() { <-release })
		return nil, nil, false
	})
	defer func(d time.Duration) { deliveryTimeout = d }(deliveryTimeout)
	deliveryTimeout = 2 * time.Second
	e := startEngine(t, cluster.ListenAddrs()[0], clientYAML)
	began := time.Now()
	a := ackOf(t, e, "kafka0", topicName(t), 10*time.Second)
	if a.Error == nil || a.Error.Code != kafkaspec.CodeRequestTimedOut || !a.Error.Retriable ||
		!strings.Contains(a.Error.Message, "may still be written") {
		t.Fatalf("unanswered record acked with %+v, want the stream's own timeout", a)
	}
	if d := time.Since(began); d < deliveryTimeout {
		t.Errorf("timed out after %v, before the %v delivery timeout", d, deliveryTimeout)
	}
	b, _ := e.Binding("test:kafka0")
	c := b.(*client).cluster
	c.deadlines.mu.Lock()
	watched := c.deadlines.head
	c.deadlines.mu.Unlock()
	if watched != nil {
		t.Errorf("a stream with no record in flight is still watched")
	}
}
