package http

import (
	"encoding/json"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

func init() { engine.RegisterBinding(Type) }

// Type registers the http binding.
var Type = engine.BindingType{
	Name: "http",
	Kinds: []engine.KindSpec{
		{Kind: engine.KindServer, Accepts: "tcp", Opens: httpspec.Protocol},
		{Kind: engine.KindClient, Accepts: httpspec.Protocol, Opens: "tcp"},
	},
	Schema:       httpspec.Schema,
	NewOptions:   func() any { return new(Options) },
	NewCondition: func() any { return new(Condition) },
	NewWith:      func() any { return new(With) },
	New:          newBinding,
}

// Options are the http binding's options.
type Options struct {
	// Versions lists the protocol versions served or used: "http/1.1" and
	// "h2"; both when empty.
	Versions []string `json:"versions"`
	// AccessControl is the server's CORS policy; same-origin when nil.
	AccessControl *AccessControl `json:"access-control"`
	// Authorization maps one guard name to how credentials are found. The
	// shape is validated, and a configuration that sets it is refused at
	// start-up until a guard that checks credentials (jwt) exists.
	Authorization map[string]Authorization `json:"authorization"`
	// Overrides sets headers on every request forwarded to an exit.
	Overrides map[string]string `json:"overrides"`
	// Requests describes typed request validation. The shape is
	// validated, and a configuration that sets it is refused at start-up
	// until models exist.
	Requests []json.RawMessage `json:"requests"`
	// Limits and Timeouts are Sluice extensions, absent from Zilla.
	Limits   *Limits   `json:"limits"`
	Timeouts *Timeouts `json:"timeouts"`
}

// AccessControl is the `access-control` block.
type AccessControl struct {
	Policy string `json:"policy"`
	Allow  *Allow `json:"allow"`
	MaxAge *int   `json:"max-age"`
	Expose *struct {
		Headers []string `json:"headers"`
	} `json:"expose"`
}

// Allow lists what a cross-origin policy allows; a nil list allows any.
type Allow struct {
	Origins     []string `json:"origins"`
	Methods     []string `json:"methods"`
	Headers     []string `json:"headers"`
	Credentials bool     `json:"credentials"`
}

// Authorization says where a guard's credentials are found.
type Authorization struct {
	Credentials struct {
		Headers map[string]string `json:"headers"`
		Query   map[string]string `json:"query"`
		Cookies map[string]string `json:"cookies"`
	} `json:"credentials"`
}

// Limits bound what a server accepts (Sluice extension).
type Limits struct {
	// RequestHeaderBytes bounds a request head (431 beyond); default 16 KiB.
	RequestHeaderBytes *int `json:"request-header-bytes"`
	// RequestBodyBytes bounds a request body (413 beyond); 0, the default,
	// means unbounded.
	RequestBodyBytes *int64 `json:"request-body-bytes"`
	// ConcurrentStreams bounds open HTTP/2 streams per connection; default 100.
	ConcurrentStreams *int `json:"concurrent-streams"`
}

// Timeouts bound how long a connection may stay silent (Sluice extension).
type Timeouts struct {
	// RequestHeader bounds the time from a request's first byte (or the
	// connection's start) to the end of its head; default 10s.
	RequestHeader *engine.Duration `json:"request-header"`
	// RequestBody bounds how long a request body may make no progress
	// while its exit waits for it; default 30s.
	RequestBody *engine.Duration `json:"request-body"`
	// KeepAlive bounds how long a connection may stay idle between
	// requests; default 75s.
	KeepAlive *engine.Duration `json:"keep-alive"`
}

// Condition is one `when` item of an http route.
type Condition struct {
	// Headers maps header names (pseudo-headers included) to patterns; all
	// must match.
	Headers map[string]string `json:"headers"`
}

// With is the `with` block of a server route.
type With struct {
	Headers *struct {
		Overrides map[string]string `json:"overrides"`
	} `json:"headers"`
}

func newBinding(bc *engine.BindingContext) (engine.Binding, error) {
	opts, _ := bc.Options().(*Options)
	if opts == nil {
		opts = &Options{}
	}
	cfg, err := compileConfig(opts)
	if err != nil {
		return nil, err
	}
	routes, err := compileRoutes(bc.Routes)
	if err != nil {
		return nil, err
	}
	switch bc.Config.Kind {
	case engine.KindServer:
		return newServer(bc, cfg, routes)
	default:
		return newClient(bc, cfg, routes)
	}
}
