package prometheus

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

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
}

// Start binds every endpoint, then serves scrapes until Close.
func (x *exporter) Start(_ context.Context, metrics *engine.Metrics) error {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(appendExposition(nil, metrics.Each()))
	})
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
		x.servers = append(x.servers, srv)
		go func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				x.cc.Log.Error("prometheus exporter stopped serving", "exporter", x.name, "error", err)
			}
		}()
		x.cc.Log.Info("serving metrics", "exporter", x.name, "address", l.Addr().String(), "path", path)
	}
	return nil
}

// Close stops every endpoint.
func (x *exporter) Close() error {
	var err error
	for _, s := range x.servers {
		err = errors.Join(err, s.Close())
	}
	return err
}
