package prometheus

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice/engine"
)

//go:embed schema.json
var schema []byte

func init() { engine.RegisterExporter(Type) }

// Type registers the prometheus exporter.
var Type = engine.ExporterType{
	Name:       "prometheus",
	Schema:     schema,
	NewOptions: func() any { return new(Options) },
	New: func(cc *engine.ComponentContext) (engine.Exporter, error) {
		o, _ := cc.Options().(*Options)
		if o == nil || len(o.Endpoints) == 0 {
			return nil, engine.FieldErrorf("options.endpoints", "at least one endpoint is needed")
		}
		return &exporter{name: cc.Config.Namespace + ":" + cc.Config.Name, cc: cc, endpoints: o.Endpoints}, nil
	},
}

// Options are the prometheus exporter's options.
type Options struct {
	Endpoints []Endpoint `json:"endpoints"`
}

// Endpoint is where one scrape handler listens.
type Endpoint struct {
	// Scheme is "http", the only one.
	Scheme string `json:"scheme"`
	// Port is the TCP port, on every interface.
	Port int `json:"port"`
	// Path is the URL path served; /metrics when empty.
	Path string `json:"path"`
}

type exporter struct {
	name      string
	cc        *engine.ComponentContext
	endpoints []Endpoint
	servers   []*http.Server
	addrs     []net.Addr
}

// Start binds every endpoint, then serves scrapes until Close.
func (x *exporter) Start(_ context.Context, metrics *engine.Metrics) error {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collector{metrics}); err != nil {
		return err
	}
	handler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
	for _, ep := range x.endpoints {
		path := ep.Path
		if path == "" {
			path = "/metrics"
		}
		l, err := net.Listen("tcp", ":"+strconv.Itoa(ep.Port))
		if err != nil {
			x.Close()
			return fmt.Errorf("prometheus exporter %s: %w", x.name, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET "+path, handler)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		x.servers, x.addrs = append(x.servers, srv), append(x.addrs, l.Addr())
		go func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				x.cc.Log.Error("prometheus exporter stopped serving", "exporter", x.name, "error", err)
			}
		}()
		x.cc.Log.Info("serving metrics", "exporter", x.name, "address", l.Addr().String(), "path", path)
	}
	return nil
}

// Addrs returns the addresses the endpoints listen on, in order, once
// started: with port 0 in the configuration, the one the system chose.
func (x *exporter) Addrs() []net.Addr { return x.addrs }

// Close stops every endpoint.
func (x *exporter) Close() error {
	var err error
	for _, s := range x.servers {
		err = errors.Join(err, s.Close())
	}
	return err
}

// collector reads the engine's metrics at each scrape. It describes no
// metrics up front (an unchecked collector): bindings register theirs as
// they start.
type collector struct{ metrics *engine.Metrics }

func (collector) Describe(chan<- *prometheus.Desc) {}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.metrics.Each() {
		name, kind := seriesName(m)
		var labels []string
		var values []string
		if m.Binding != "" {
			ns, binding, ok := strings.Cut(m.Binding, ":")
			if !ok {
				ns, binding = "", m.Binding
			}
			labels, values = []string{"namespace", "binding"}, []string{ns, binding}
		}
		desc := prometheus.NewDesc(name, help(m), labels, nil)
		metric, err := prometheus.NewConstMetric(desc, kind, float64(m.Value), values...)
		if err != nil {
			metric = prometheus.NewInvalidMetric(desc, err)
		}
		ch <- metric
	}
}

// seriesName maps a sluice metric name to Zilla's Prometheus name: dots
// to underscores, _bytes for a byte count, _total for a counter.
func seriesName(m engine.Metric) (string, prometheus.ValueType) {
	name := strings.ReplaceAll(m.Name, ".", "_")
	if strings.HasPrefix(m.Name, "stream.data.") && !strings.HasSuffix(name, "_bytes") {
		name += "_bytes"
	}
	if m.Counter {
		return name + "_total", prometheus.CounterValue
	}
	return name, prometheus.GaugeValue
}

func help(m engine.Metric) string {
	if m.Counter {
		return "sluice counter " + m.Name
	}
	return "sluice gauge " + m.Name
}
