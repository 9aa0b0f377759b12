package sse

import (
	"fmt"
	"regexp"
	"time"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	ssespec "github.com/sluicehq/sluice/specs/sse"
)

func init() { engine.RegisterBinding(Type) }

// Type registers the sse binding.
var Type = engine.BindingType{
	Name: "sse",
	Kinds: []engine.KindSpec{
		{Kind: engine.KindServer, Accepts: httpspec.Protocol, Opens: ssespec.Protocol},
	},
	Schema:       ssespec.Schema,
	NewOptions:   func() any { return new(Options) },
	NewCondition: func() any { return new(Condition) },
	New:          newServer,
}

// Defaults of the options.
const (
	// DefaultRetry is the reconnection time, in milliseconds, sent to
	// clients in a `retry:` field when the options do not set one (Zilla's
	// default value).
	DefaultRetry = 2000
	// DefaultKeepAlive is how long a stream may stay silent before the
	// server writes a comment line, so that proxies and load balancers
	// that close idle connections (often after 60 seconds) keep it open.
	DefaultKeepAlive = 30 * time.Second
)

// Options are the sse binding's options.
type Options struct {
	// Retry is the reconnection time in milliseconds written in a
	// `retry:` field at the start of every stream; DefaultRetry when
	// nil, none when 0.
	Retry *int `json:"retry"`
	// Requests would validate event data with models (Zilla); refused
	// until models exist.
	Requests []struct {
		Path    string `json:"path"`
		Content any    `json:"content"`
	} `json:"requests"`
	// KeepAlive is the idle time after which a comment line is written
	// (Sluice extension); DefaultKeepAlive when nil, none when 0.
	KeepAlive *engine.Duration `json:"keep-alive"`
}

// Condition is one `when` item of an sse route.
type Condition struct {
	// Path is a pattern (`*` wildcards) matched against the request path
	// without its query string.
	Path string `json:"path"`
}

// config is what every stream of a binding shares.
type config struct {
	retry     int
	keepAlive time.Duration
	routes    []route
}

// route is an engine route with its path patterns compiled; a route
// without conditions has none and matches every path.
type route struct {
	*engine.Route
	paths []*regexp.Regexp
}

func compileConfig(bc *engine.BindingContext) (*config, error) {
	opts, _ := bc.Options().(*Options)
	if opts == nil {
		opts = &Options{}
	}
	cfg := &config{retry: DefaultRetry, keepAlive: DefaultKeepAlive}
	if opts.Retry != nil {
		cfg.retry = *opts.Retry
	}
	if opts.KeepAlive != nil {
		cfg.keepAlive = time.Duration(*opts.KeepAlive)
		if cfg.keepAlive > 0 && cfg.keepAlive < 10*time.Millisecond {
			return nil, engine.FieldErrorf("options.keep-alive", "keep-alive %v is too short: at least 10ms, or 0 for none", cfg.keepAlive)
		}
	}
	if len(opts.Requests) > 0 {
		return nil, engine.FieldErrorf("options.requests", "event validation with models is not supported yet")
	}
	for i, r := range bc.Routes {
		cr := route{Route: r}
		for j, w := range r.When() {
			re, err := engine.CompilePattern(w.(*Condition).Path)
			if err != nil {
				return nil, engine.FieldErrorf(fmt.Sprintf("routes.%d.when.%d.path", i, j), "%v", err)
			}
			cr.paths = append(cr.paths, re)
		}
		cfg.routes = append(cfg.routes, cr)
	}
	return cfg, nil
}

// resolve returns the first route that takes path with this
// authorization, or nil.
func (c *config) resolve(path string, authorization uint64) *route {
	for i := range c.routes {
		r := &c.routes[i]
		if !r.Authorized(authorization) {
			continue
		}
		if len(r.paths) == 0 {
			return r
		}
		for _, re := range r.paths {
			if re.MatchString(path) {
				return r
			}
		}
	}
	return nil
}
