// Package httpkafkatest runs the http.kafka.* examples for their tests: a
// broker (real Kafka when KAFKA_BOOTSTRAP_SERVERS names one, the embedded
// broker otherwise), the example's zilla.yaml in an in-process engine with
// topics renamed for the run, and the real clients of the READMEs, curl
// and kcat.
package httpkafkatest

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/httpkafka"
	_ "github.com/sluicehq/sluice/bindings/kafka"
	"github.com/sluicehq/sluice/bindings/kafka/embedded"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/internal/testtool"
)

// Broker is the Kafka the examples run against.
type Broker struct {
	Addr string
	// Real is set for real Kafka (KAFKA_BOOTSTRAP_SERVERS), unset for the
	// embedded broker.
	Real bool
}

var (
	brokerOnce sync.Once
	broker     Broker
	brokerErr  error
)

// SharedBroker returns the broker of the test binary: real Kafka when
// KAFKA_BOOTSTRAP_SERVERS is set, else an embedded broker started once.
func SharedBroker(t testing.TB) Broker {
	t.Helper()
	brokerOnce.Do(func() {
		if addr, ok := testtool.KafkaBootstrap(); ok {
			broker = Broker{Addr: addr, Real: true}
			return
		}
		addr, _, err := embedded.Start("")
		broker, brokerErr = Broker{Addr: addr}, err
	})
	if brokerErr != nil {
		t.Fatal(brokerErr)
	}
	return broker
}

// Topic is a topic an example uses, made for the test.
type Topic struct {
	Name       string
	Partitions int32
	Compacted  bool
	// Cached is set for a topic the pipeline reads, through its cache:
	// the cache keeps one fetch stream (its tail) open on it.
	Cached bool
}

// Example is an example's pipeline, running.
type Example struct {
	Broker Broker
	Engine *engine.Engine
	// Addr is the http server's address, Port its port.
	Addr, Port string
	// Topics maps each topic of the zilla.yaml to the name used in this
	// run (the same with a random suffix, so that runs against a real
	// broker do not see each other's records).
	Topics map[string]string

	dir, text string
	tails     int // streams that stay open: a cache tail per cached topic
}

// Start makes the topics under fresh names, then starts dir/zilla.yaml on
// 127.0.0.1 and a free port, with those names.
func Start(t *testing.T, dir string, topics ...Topic) *Example {
	t.Helper()
	return StartReplacing(t, dir, nil, topics...)
}

// StartReplacing is Start with old, new string pairs replaced in the
// zilla.yaml first (a shorter timeout, for example).
func StartReplacing(t *testing.T, dir string, replace []string, topics ...Topic) *Example {
	t.Helper()
	b := SharedBroker(t)
	yaml, err := os.ReadFile(filepath.Join(dir, "zilla.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var suffix [4]byte
	rand.Read(suffix[:])
	x := &Example{Broker: b, Topics: map[string]string{}}
	var pairs []string
	for _, tp := range topics {
		name := tp.Name + "-" + hex.EncodeToString(suffix[:])
		x.Topics[tp.Name] = name
		if tp.Cached {
			x.tails++
		}
		pairs = append(pairs, " "+tp.Name+"\n", " "+name+"\n", ": "+tp.Name+"\n", ": "+name+"\n")
		createTopic(t, b.Addr, name, tp)
	}
	text := strings.NewReplacer(replace...).Replace(string(yaml))
	text = strings.NewReplacer(pairs...).Replace(text)
	text = strings.ReplaceAll(text, "host: 0.0.0.0", "host: 127.0.0.1")
	x.dir, x.text = dir, text
	x.start(t)
	return x
}

// Instance starts another instance of the same pipeline, on the same
// topics and its own port: what a second Sluice behind a load balancer is.
func (x *Example) Instance(t *testing.T) *Example {
	t.Helper()
	y := &Example{Broker: x.Broker, Topics: x.Topics, dir: x.dir, text: x.text, tails: x.tails}
	y.start(t)
	return y
}

func (x *Example) start(t *testing.T) {
	t.Helper()
	x.Engine = enginetest.Start(t, x.text, enginetest.Options{
		File: filepath.Join(x.dir, "zilla.yaml"),
		Env:  map[string]string{"HTTP_PORT": "0", "KAFKA_BOOTSTRAP_SERVERS": x.Broker.Addr},
		// The cache keeps its tails open: checked below instead.
		AllowOpenStreams: true,
	})
	e := x.Engine
	tails := x.tails
	t.Cleanup(func() {
		// Registered after enginetest's cleanup, so run before it closes
		// the engine: every stream but the cache tails has ended.
		if t.Failed() {
			return
		}
		deadline := time.Now().Add(2 * time.Second)
		for e.LiveStreams() > tails {
			if time.Now().After(deadline) {
				t.Errorf("%d streams still open after the test, beyond the %d cache tails", e.LiveStreams()-tails, tails)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	x.Addr = enginetest.Addr(t, x.Engine, "example:north_tcp_server")
	_, x.Port, _ = net.SplitHostPort(x.Addr)
}

func createTopic(t *testing.T, addr, name string, tp Topic) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(addr, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	configs := map[string]*string{}
	if tp.Compacted {
		compact := "compact"
		configs["cleanup.policy"] = &compact
	}
	partitions := tp.Partitions
	if partitions == 0 {
		partitions = 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, configs, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
}

// Topic returns the name a topic of the zilla.yaml has in this run.
func (x *Example) Topic(name string) string {
	if n, ok := x.Topics[name]; ok {
		return n
	}
	return name
}

// Response is what curl printed: the status, the header fields (names
// lower-case, in order) and the body.
type Response struct {
	Status  int
	Headers [][2]string
	Body    string
}

// Header returns the first value of a header field, and whether it is there.
func (r *Response) Header(name string) (string, bool) {
	for _, h := range r.Headers {
		if h[0] == name {
			return h[1], true
		}
	}
	return "", false
}

// Curl runs curl -sS -i with args against the example (a path argument
// starting with / is made a URL), and parses what it printed.
func (x *Example) Curl(t *testing.T, args ...string) *Response {
	t.Helper()
	testtool.Require(t, "curl")
	r, err := x.TryCurl(args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TryCurl is Curl for a goroutine other than the test's: it returns the
// error rather than failing the test.
func (x *Example) TryCurl(args ...string) (*Response, error) {
	full := []string{"-sS", "-i", "--max-time", "30"}
	for _, a := range args {
		if strings.HasPrefix(a, "/") {
			a = "http://localhost:" + x.Port + a
		}
		full = append(full, a)
	}
	out, err := exec.Command("curl", full...).Output()
	if err != nil {
		return nil, fmt.Errorf("curl %s: %v\n%s", strings.Join(full, " "), err, out)
	}
	r, err := parseResponse(string(out))
	if err != nil {
		return nil, fmt.Errorf("curl %s: %v\n%s", strings.Join(full, " "), err, out)
	}
	return r, nil
}

// parseResponse reads curl -i output, skipping interim (1xx) responses.
func parseResponse(out string) (*Response, error) {
	for {
		head, body, ok := strings.Cut(out, "\r\n\r\n")
		if !ok {
			return nil, fmt.Errorf("no response head")
		}
		sc := bufio.NewScanner(strings.NewReader(head))
		sc.Scan()
		var proto string
		r := &Response{}
		if _, err := fmt.Sscanf(sc.Text(), "%s %d", &proto, &r.Status); err != nil {
			return nil, fmt.Errorf("status line %q: %v", sc.Text(), err)
		}
		if r.Status >= 100 && r.Status < 200 {
			out = body
			continue
		}
		for sc.Scan() {
			name, value, _ := strings.Cut(sc.Text(), ":")
			r.Headers = append(r.Headers, [2]string{strings.ToLower(name), strings.TrimSpace(value)})
		}
		r.Body = body
		return r, nil
	}
}

// Expect fails the test unless the response has the status, each of the
// header values given (name, value pairs; a value of "*" only requires the
// field), and the body.
func (r *Response) Expect(t *testing.T, status int, body string, headers ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d (body %q)", r.Status, status, r.Body)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		got, ok := r.Header(headers[i])
		switch {
		case !ok:
			t.Errorf("no %s header in %v", headers[i], r.Headers)
		case headers[i+1] != "*" && got != headers[i+1]:
			t.Errorf("%s: %q, want %q", headers[i], got, headers[i+1])
		}
	}
	if r.Body != body {
		t.Errorf("body %q, want %q", r.Body, body)
	}
}

// Kcat runs kcat against the broker with args, where -t names a topic of
// the zilla.yaml (renamed for the run), and returns its output.
func (x *Example) Kcat(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	kcat := testtool.Require(t, "kcat")
	full := []string{"-b", x.Broker.Addr}
	for i := 0; i < len(args); i++ {
		full = append(full, args[i])
		if args[i] == "-t" && i+1 < len(args) {
			i++
			full = append(full, x.Topic(args[i]))
		}
	}
	cmd := exec.Command(kcat, full...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kcat %s: %v\n%s", strings.Join(full, " "), err, out)
	}
	return string(out)
}

// Records reads every record of a topic with kcat, one line each as
// "key=K headers=H value=V".
func (x *Example) Records(t *testing.T, topic string) []string {
	t.Helper()
	out := x.Kcat(t, "", "-C", "-t", topic, "-e", "-q", "-f", `key=%k headers=%h value=%s\n`)
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

var (
	responderOnce sync.Once
	responderBin  string
	responderErr  error
)

// Responder builds examples/http.kafka.sync/responder once, and runs it
// against the example's broker on the request topic (its zilla.yaml name)
// until the test ends.
func (x *Example) Responder(t *testing.T, topic string, args ...string) {
	t.Helper()
	goTool := testtool.Require(t, "go")
	responderOnce.Do(func() {
		dir, err := os.MkdirTemp("", "http-kafka-responder")
		if err != nil {
			responderErr = err
			return
		}
		responderBin = filepath.Join(dir, "responder")
		src := filepath.Join(moduleRoot(), "examples", "http.kafka.sync", "responder")
		out, err := exec.Command(goTool, "build", "-o", responderBin, src).CombinedOutput()
		if err != nil {
			responderErr = fmt.Errorf("go build responder: %v\n%s", err, out)
		}
	})
	if responderErr != nil {
		t.Fatal(responderErr)
	}
	var suffix [4]byte
	rand.Read(suffix[:])
	full := append([]string{"-brokers", x.Broker.Addr, "-topic", x.Topic(topic),
		"-group", "responder-" + hex.EncodeToString(suffix[:])}, args...)
	cmd := exec.Command(responderBin, full...)
	log := &logWriter{t: t}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Log("responder did not stop within 5s: killed")
			cmd.Process.Kill()
			<-done
		}
		log.close()
	})
}

// moduleRoot is the repository's root, two folders above this package.
func moduleRoot() string {
	wd, _ := os.Getwd()
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}

// logWriter passes a process's output to the test log while the test runs.
type logWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *logWriter) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// CorrelationID computes, independently of the binding, the correlation id
// http-kafka gives a request record: the idempotency key, "-", and the MD5
// of the record's key, header names and values (each length-prefixed with
// a uvarint) and value.
func CorrelationID(idempotencyKey string, key string, headers [][2]string, value string) string {
	h := md5.New()
	field := func(s string) {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	field(key)
	for _, kv := range headers {
		field(kv[0])
		field(kv[1])
	}
	h.Write([]byte(value))
	return idempotencyKey + "-" + hex.EncodeToString(h.Sum(nil))
}

// HeaderList renders headers as kcat's %h does: name=value, comma separated.
func HeaderList(headers [][2]string) string {
	parts := make([]string, len(headers))
	for i, kv := range headers {
		parts[i] = kv[0] + "=" + kv[1]
	}
	return strings.Join(parts, ",")
}

// CurlUserAgent is the user-agent header curl sends: curl/VERSION.
func CurlUserAgent(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(testtool.Require(t, "curl"), "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		t.Fatalf("curl --version: %q", out)
	}
	return "curl/" + f[1]
}

// Eventually repeats fn until it reports true, for up to 10 seconds.
func Eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
