package quickstart_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/testtool"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestQuickstart runs what `make run` runs: the built sluice on the
// quickstart configuration with the embedded broker, driven by curl as the
// printed instructions say.
func TestQuickstart(t *testing.T) {
	curl := testtool.Require(t, "curl")
	dir := t.TempDir()
	bin := filepath.Join(dir, "sluice")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/sluice")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(testtool.FreePort(t))
	metricsPort := strconv.Itoa(testtool.FreePort(t))
	cmd := exec.Command(bin, "start", "-c", "zilla.yaml",
		"--embedded-kafka", filepath.Join(dir, "kafka"), "--embedded-kafka-address", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "HTTP_PORT="+port, "METRICS_PORT="+metricsPort)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := "http://127.0.0.1:" + port

	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, curl, append([]string{"-s", "-i"}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s\nsluice:\n%s", args, err, out, logs)
		}
		return strings.ReplaceAll(string(out), "\r\n", "\n")
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "engine started") {
		if time.Now().After(deadline) {
			t.Fatalf("sluice did not start:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// the event stream, started before the writes
	events := &syncBuffer{}
	sse := exec.Command(curl, "-s", "-N", base+"/events/items")
	sse.Stdout = events
	if err := sse.Start(); err != nil {
		t.Fatal(err)
	}
	defer sse.Process.Kill()

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-X", "PUT", base + "/items/1", "-H", "content-type: application/json", "-d", `{"name":"widget"}`}, "HTTP/1.1 204"},
		{[]string{"-X", "PUT", base + "/items/2", "-H", "content-type: application/json", "-d", `{"name":"gadget"}`}, "HTTP/1.1 204"},
		{[]string{"-X", "DELETE", base + "/items/2"}, "HTTP/1.1 204"},
		{[]string{base + "/items"}, `[{"name":"widget"}]`},
		{[]string{base + "/items/1"}, `{"name":"widget"}`},
		{[]string{base + "/items/2"}, "HTTP/1.1 404"},
	} {
		// A write answers once Kafka has the record; the cache that GETs
		// read sees it a moment later, so reads are retried for a while.
		read := len(c.args) == 1
		for deadline := time.Now().Add(10 * time.Second); ; {
			out := run(c.args...)
			if strings.Contains(out, c.want) {
				break
			}
			if !read || time.Now().After(deadline) {
				t.Errorf("curl %v:\n%s\nwant %q", c.args, out, c.want)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	etag := ""
	for _, line := range strings.Split(run(base+"/items/1"), "\n") {
		if strings.HasPrefix(strings.ToLower(line), "etag: ") {
			etag = strings.TrimSpace(line[len("etag: "):])
		}
	}
	if etag == "" {
		t.Fatal("no etag on GET /items/1")
	}
	if out := run(base+"/items/1", "-H", "if-none-match: "+etag); !strings.Contains(out, "HTTP/1.1 304") {
		t.Errorf("if-none-match:\n%s", out)
	}

	want := []string{`data:{"name":"widget"}`, `data:{"name":"gadget"}`, "event:delete"}
	for deadline := time.Now().Add(10 * time.Second); ; {
		got := events.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(got, w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("event stream lacks %q:\n%s", missing, got)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// the metrics the printed instructions point at: the requests above
	// went through the http server, and the cache holds item 1's record
	metrics := run("http://127.0.0.1:" + metricsPort + "/metrics")
	for _, w := range []string{
		`stream_opens_received_total{namespace="quickstart",binding="north_http_server"}`,
		`kafka_cache_bytes{namespace="quickstart",binding="south_kafka_cache_server"}`,
	} {
		if !strings.Contains(metrics, w) {
			t.Errorf("metrics lack %s:\n%s", w, metrics)
		}
	}

	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("sluice did not stop:\n%s", logs)
	}
}
