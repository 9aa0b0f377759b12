package http

import (
	"strconv"
	"strings"

	httpspec "github.com/sluicehq/sluice/specs/http"
)

// cors is a cross-origin access-control policy.
type cors struct {
	origins     map[string]bool // nil: any origin
	methods     map[string]bool // nil: any method
	headers     map[string]bool // nil: any header (lower-case)
	credentials bool
	maxAge      string // "" when not configured
	expose      string // explicit access-control-expose-headers, or ""
	exposeSet   bool
}

func newCORS(ac *AccessControl) *cors {
	c := &cors{}
	if a := ac.Allow; a != nil {
		if a.Origins != nil {
			c.origins = map[string]bool{}
			for _, o := range a.Origins {
				c.origins[normalizeOrigin(o)] = true
			}
		}
		if a.Methods != nil {
			c.methods = map[string]bool{}
			for _, m := range a.Methods {
				c.methods[strings.ToUpper(m)] = true
			}
		}
		if a.Headers != nil {
			c.headers = map[string]bool{}
			for _, h := range a.Headers {
				c.headers[strings.ToLower(h)] = true
			}
		}
		c.credentials = a.Credentials
	}
	if ac.MaxAge != nil {
		c.maxAge = strconv.Itoa(*ac.MaxAge)
	}
	if ac.Expose != nil && ac.Expose.Headers != nil {
		c.exposeSet = true
		c.expose = strings.Join(ac.Expose.Headers, ",")
	}
	return c
}

// corsVerdict is what access control decided about a request.
type corsVerdict int

const (
	corsNone      corsVerdict = iota // no origin, or same origin: nothing to do
	corsAllowed                      // cross-origin actual request, allowed: decorate the response
	corsPreflight                    // preflight, allowed: answer 204 here
	corsForbidden                    // answer 403
)

// check decides a request's fate under the policy c (nil: same-origin).
func (c *cors) check(h httpspec.Headers) (corsVerdict, string) {
	origin, ok := h.Get("origin")
	if !ok {
		return corsNone, ""
	}
	if sameOrigin(origin, h.Value(httpspec.Scheme), h.Value(httpspec.Authority)) {
		return corsNone, origin
	}
	if c == nil {
		return corsForbidden, origin
	}
	if c.origins != nil && !c.origins[normalizeOrigin(origin)] {
		return corsForbidden, origin
	}
	method := h.Value(httpspec.Method)
	if reqMethod, pre := h.Get("access-control-request-method"); pre && method == "OPTIONS" {
		if c.methods != nil && !c.methods[reqMethod] {
			return corsForbidden, origin
		}
		if c.headers != nil {
			for _, v := range h.Values("access-control-request-headers") {
				for _, name := range strings.Split(v, ",") {
					name = strings.ToLower(strings.TrimSpace(name))
					if name != "" && !c.headers[name] {
						return corsForbidden, origin
					}
				}
			}
		}
		return corsPreflight, origin
	}
	if c.methods != nil && !c.methods[method] {
		return corsForbidden, origin
	}
	return corsAllowed, origin
}

// allowOrigin is the access-control-allow-origin value for origin.
func (c *cors) allowOrigin(origin string) string {
	if c.origins == nil && !c.credentials {
		return "*"
	}
	return origin
}

// preflight builds the 204 answer to an allowed preflight request.
func (c *cors) preflight(h httpspec.Headers, origin string) httpspec.Headers {
	out := httpspec.Headers{{Name: httpspec.Status, Value: "204"}}
	allow := c.allowOrigin(origin)
	out = append(out, httpspec.Header{Name: "access-control-allow-origin", Value: allow})
	if allow != "*" {
		out = append(out, httpspec.Header{Name: "vary", Value: "origin"})
	}
	if m, ok := h.Get("access-control-request-method"); ok {
		out = append(out, httpspec.Header{Name: "access-control-allow-methods", Value: m})
	}
	if hs := h.Values("access-control-request-headers"); len(hs) > 0 {
		out = append(out, httpspec.Header{Name: "access-control-allow-headers", Value: strings.Join(hs, ",")})
	}
	if c.credentials {
		out = append(out, httpspec.Header{Name: "access-control-allow-credentials", Value: "true"})
	}
	if c.maxAge != "" {
		out = append(out, httpspec.Header{Name: "access-control-max-age", Value: c.maxAge})
	}
	return out
}

// decorate adds the CORS headers of an allowed cross-origin response to a
// copy of the response head.
func (c *cors) decorate(resp httpspec.Headers, origin string) httpspec.Headers {
	out := resp.Clone()
	allow := c.allowOrigin(origin)
	out.Set("access-control-allow-origin", allow)
	if allow != "*" {
		out.Add("vary", "origin")
	}
	if c.credentials {
		out.Set("access-control-allow-credentials", "true")
	}
	expose := c.expose
	if !c.exposeSet {
		var names []string
		for _, f := range resp {
			if !strings.HasPrefix(f.Name, ":") && !corsSimpleHeader(f.Name) && !strings.HasPrefix(f.Name, "access-control-") {
				names = append(names, f.Name)
			}
		}
		expose = strings.Join(names, ",")
	}
	if expose != "" {
		out.Set("access-control-expose-headers", expose)
	}
	return out
}

// corsSimpleHeader reports the response headers a browser exposes anyway.
func corsSimpleHeader(name string) bool {
	switch name {
	case "cache-control", "content-language", "content-length", "content-type",
		"expires", "last-modified", "pragma", "server", "date":
		return true
	}
	return false
}

// sameOrigin reports whether origin is scheme://authority, default ports
// normalized.
func sameOrigin(origin, scheme, authority string) bool {
	if scheme == "" || authority == "" {
		return false
	}
	return normalizeOrigin(origin) == normalizeOrigin(scheme+"://"+authority)
}

// normalizeOrigin lower-cases an origin and drops a default port.
func normalizeOrigin(o string) string {
	o = strings.ToLower(strings.TrimSuffix(o, "/"))
	switch {
	case strings.HasPrefix(o, "http://"):
		o = strings.TrimSuffix(o, ":80")
	case strings.HasPrefix(o, "https://"):
		o = strings.TrimSuffix(o, ":443")
	}
	return o
}
