package prometheus_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	_ "github.com/sluicehq/sluice/bindings/echo"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	_ "github.com/sluicehq/sluice/exporters/prometheus"
	"github.com/sluicehq/sluice/internal/testtool"

	// Prometheus's parser checks the scrape in tests only: the exporter
	// itself writes the text format without pulling these into the binary.
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func config(port int, path string) string {
	return fmt.Sprintf(`
name: example
telemetry:
  exporters:
    prom0:
      type: prometheus
      options:
        endpoints:
          - { scheme: http, port: %d%s }
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: echo0
  echo0:
    type: echo
    kind: server
`, port, path)
}

// One connection's bytes through tcp -> echo show up in a scrape by curl,
// named and labelled as Zilla's exporter names them.
func TestScrapeWithCurl(t *testing.T) {
	curl := testtool.Require(t, "curl")
	port := testtool.FreePort(t)
	e := enginetest.Start(t, config(port, ""))
	c, err := net.Dial("tcp", enginetest.Addr(t, e, "example:net0"))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hello"))
	c.(*net.TCPConn).CloseWrite()
	io.ReadAll(c)
	c.Close()
	enginetest.WaitNoStreams(t, e, 5*time.Second)

	out, err := exec.Command(curl, "-sS", "--fail", fmt.Sprintf("http://127.0.0.1:%d/metrics", port)).CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	body := string(out)
	// Counted by direction, as Zilla counts them: echo0 receives the
	// connection's Begin, data and End, and sends its reply's; net0 the
	// other way round.
	for _, want := range []string{
		"# TYPE stream_opens_sent_total counter",
		`stream_opens_sent_total{namespace="example",binding="net0"} 1`,
		`stream_opens_received_total{namespace="example",binding="echo0"} 1`,
		`stream_opens_sent_total{namespace="example",binding="echo0"} 1`,
		`stream_opens_received_total{namespace="example",binding="net0"} 1`,
		`stream_closes_sent_total{namespace="example",binding="echo0"} 1`,
		`stream_closes_received_total{namespace="example",binding="echo0"} 1`,
		`stream_data_sent_bytes_total{namespace="example",binding="net0"} 5`,
		`stream_data_received_bytes_total{namespace="example",binding="echo0"} 5`,
		`stream_data_sent_bytes_total{namespace="example",binding="echo0"} 5`,
		`stream_errors_sent_total{namespace="example",binding="echo0"} 0`,
		`stream_errors_received_total{namespace="example",binding="net0"} 0`,
		"# TYPE stream_active_received gauge",
		`stream_active_received{namespace="example",binding="echo0"} 0`,
		`stream_active_sent{namespace="example",binding="net0"} 0`,
		"# TYPE stream_active gauge",
		"stream_active 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q:\n%s", want, body)
		}
	}
	// Prometheus's own parser takes it, with every family typed.
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("Prometheus's parser refused the scrape: %v\n%s", err, body)
	}
	if f := families["stream_opens_sent_total"]; f == nil || f.GetType() != dto.MetricType_COUNTER || len(f.GetMetric()) != 2 {
		t.Errorf("stream_opens_sent_total parsed as %v", f)
	}
	if f := families["stream_active"]; f == nil || f.GetType() != dto.MetricType_GAUGE {
		t.Errorf("stream_active parsed as %v", f)
	}
}

// While a connection is open its directions count as active; a reset
// connection counts as errors, not closes.
func TestActiveAndErrors(t *testing.T) {
	e := enginetest.Start(t, config(testtool.FreePort(t), ""))
	c, err := net.Dial("tcp", enginetest.Addr(t, e, "example:net0"))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("ping"))
	io.ReadFull(c, make([]byte, 4))
	value := func(name, binding string) int64 {
		v, _ := e.Metrics().Value(name, "example:"+binding)
		return v
	}
	for _, m := range []struct{ name, binding string }{
		{"stream.active.sent", "net0"}, {"stream.active.received", "net0"},
		{"stream.active.sent", "echo0"}, {"stream.active.received", "echo0"},
	} {
		if v := value(m.name, m.binding); v != 1 {
			t.Errorf("%s of %s: %d while open, want 1", m.name, m.binding, v)
		}
	}
	c.(*net.TCPConn).SetLinger(0)
	c.Close() // a reset: tcp aborts its stream
	enginetest.WaitNoStreams(t, e, 5*time.Second)
	if v := value("stream.errors.sent", "net0"); v == 0 {
		t.Error("a reset connection counted no error sent by net0")
	}
	if v := value("stream.errors.received", "echo0"); v == 0 {
		t.Error("a reset connection counted no error received by echo0")
	}
	if v := value("stream.closes.received", "echo0"); v != 0 {
		t.Errorf("a reset connection counted %d clean closes", v)
	}
	for _, m := range []struct{ name, binding string }{
		{"stream.active.sent", "net0"}, {"stream.active.received", "net0"},
		{"stream.active.sent", "echo0"}, {"stream.active.received", "echo0"},
	} {
		if v := value(m.name, m.binding); v != 0 {
			t.Errorf("%s of %s: %d once gone, want 0", m.name, m.binding, v)
		}
	}
}

// The configured path is served and nothing else.
func TestPath(t *testing.T) {
	port := testtool.FreePort(t)
	enginetest.Start(t, config(port, ", path: /custom"))
	get := func(path string) int {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get("/custom"); s != 200 {
		t.Errorf("GET /custom: %d", s)
	}
	if s := get("/metrics"); s != 404 {
		t.Errorf("GET /metrics: %d, want 404", s)
	}
}

// A port already taken fails the start, naming the exporter.
func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := enginetest.New(t, config(l.Addr().(*net.TCPAddr).Port, ""), enginetest.Options{})
	defer e.Close()
	err = e.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "prometheus exporter example:prom0") {
		t.Fatalf("start error %v", err)
	}
}

// A misspelt option or a scheme Zilla does not serve is a configuration
// error.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ endpoint, want string }{
		{"{ scheme: https, port: 7190 }", "scheme"},
		{"{ scheme: http, prot: 7190 }", "prot"},
		{"{ scheme: http, port: 7190, path: metrics }", "path"},
	} {
		yaml := strings.Replace(config(7190, ""), "{ scheme: http, port: 7190 }", tc.endpoint, 1)
		_, err := engine.Global().Parse("zilla.yaml", []byte(yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.endpoint, err, tc.want)
		}
	}
}
