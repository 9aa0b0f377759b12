package http

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

// Defaults of the Sluice extensions, documented in doc.go.
const (
	defaultHeaderLimit   = 16 << 10
	defaultMaxStreams    = 100
	defaultHeaderTimeout = 10 * time.Second
	defaultBodyTimeout   = 30 * time.Second
	defaultKeepAlive     = 75 * time.Second
)

// config is the binding's options, checked and with defaults applied.
type config struct {
	h1, h2        bool
	cors          *cors // nil: same-origin
	overrides     []override
	headerLimit   int
	bodyLimit     int64 // 0: unbounded
	maxStreams    int
	headerTimeout time.Duration
	bodyTimeout   time.Duration
	keepAlive     time.Duration
}

func compileConfig(o *Options) (*config, error) {
	c := &config{
		headerLimit:   defaultHeaderLimit,
		maxStreams:    defaultMaxStreams,
		headerTimeout: defaultHeaderTimeout,
		bodyTimeout:   defaultBodyTimeout,
		keepAlive:     defaultKeepAlive,
	}
	// Both blocks pass the schema, so their shape is checked, but nothing
	// here enforces them yet: serving a route the configuration meant to
	// protect, or a request it meant to validate, would be worse than
	// refusing to start.
	if len(o.Authorization) > 0 {
		return nil, engine.FieldErrorf("options.authorization", "not enforced by this build: checking credentials needs "+
			"a guard such as jwt, which sluice does not have yet; remove the block, or guard the service another way")
	}
	if len(o.Requests) > 0 {
		return nil, engine.FieldErrorf("options.requests", "request validation with models is not supported yet; "+
			"remove the block rather than serve unvalidated requests")
	}
	if len(o.Versions) == 0 {
		c.h1, c.h2 = true, true
	}
	for _, v := range o.Versions {
		switch v {
		case "http/1.1":
			c.h1 = true
		case "h2":
			c.h2 = true
		}
	}
	if o.AccessControl != nil && o.AccessControl.Policy == "cross-origin" {
		c.cors = newCORS(o.AccessControl)
	}
	ov, err := compileOverrides("options.overrides", o.Overrides)
	if err != nil {
		return nil, err
	}
	c.overrides = ov
	if l := o.Limits; l != nil {
		if l.RequestHeaderBytes != nil {
			if *l.RequestHeaderBytes < 256 {
				return nil, engine.FieldErrorf("options.limits.request-header-bytes", "must be at least 256 bytes")
			}
			c.headerLimit = *l.RequestHeaderBytes
		}
		if l.RequestBodyBytes != nil {
			c.bodyLimit = *l.RequestBodyBytes
		}
		if l.ConcurrentStreams != nil {
			c.maxStreams = *l.ConcurrentStreams
		}
	}
	if t := o.Timeouts; t != nil {
		for _, d := range []struct {
			v    *engine.Duration
			to   *time.Duration
			path string
		}{
			{t.RequestHeader, &c.headerTimeout, "request-header"},
			{t.RequestBody, &c.bodyTimeout, "request-body"},
			{t.KeepAlive, &c.keepAlive, "keep-alive"},
		} {
			if d.v == nil {
				continue
			}
			if *d.v <= 0 {
				return nil, engine.FieldErrorf("options.timeouts."+d.path, "must be positive")
			}
			*d.to = time.Duration(*d.v)
		}
	}
	return c, nil
}

// override sets one header on forwarded requests; its value may use
// ${params.name} captured from the matched :path.
type override struct {
	name  string
	parts []templatePart
}

type templatePart struct {
	literal string
	param   string // set for ${params.name}
}

func compileOverrides(path string, m map[string]string) ([]override, error) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]override, 0, len(m))
	for _, name := range names {
		parts, err := compileTemplate(m[name])
		if err != nil {
			return nil, engine.FieldErrorf(path+"."+name, "%v", err)
		}
		out = append(out, override{name: strings.ToLower(name), parts: parts})
	}
	return out, nil
}

func compileTemplate(v string) ([]templatePart, error) {
	var parts []templatePart
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed ${ in %q", v)
		}
		expr := strings.TrimSpace(v[i+2 : i+j])
		name, ok := strings.CutPrefix(expr, "params.")
		if !ok || name == "" {
			return nil, fmt.Errorf("unknown expression ${%s}: only ${params.name} is allowed here", expr)
		}
		if i > 0 {
			parts = append(parts, templatePart{literal: v[:i]})
		}
		parts = append(parts, templatePart{param: name})
		v = v[i+j+1:]
	}
	if v != "" || len(parts) == 0 {
		parts = append(parts, templatePart{literal: v})
	}
	return parts, nil
}

// value renders the override with the route's path parameters.
func (o *override) value(params map[string]string) string {
	if len(o.parts) == 1 && o.parts[0].param == "" {
		return o.parts[0].literal
	}
	var b strings.Builder
	for _, p := range o.parts {
		if p.param != "" {
			b.WriteString(params[p.param])
		} else {
			b.WriteString(p.literal)
		}
	}
	return b.String()
}

// applyOverrides sets the binding's and the route's overrides on h, the
// route's winning. h must be a copy owned by the caller.
func applyOverrides(h *httpspec.Headers, binding, route []override, params map[string]string) {
	for i := range binding {
		o := &binding[i]
		if hasOverride(route, o.name) {
			continue
		}
		h.Set(o.name, o.value(params))
	}
	for i := range route {
		h.Set(route[i].name, route[i].value(params))
	}
}

func hasOverride(list []override, name string) bool {
	for i := range list {
		if list[i].name == name {
			return true
		}
	}
	return false
}
