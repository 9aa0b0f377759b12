package http

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

// route is an engine route with its conditions and overrides compiled.
type route struct {
	*engine.Route
	conds     []condition
	overrides []override
}

// condition holds the header patterns of one `when` item; all must match.
type condition struct {
	headers []headerMatch
}

type headerMatch struct {
	name string
	re   *regexp.Regexp
	// pathOnly: a :path pattern not ending in `*` and without a `?` is
	// matched against the path without its query string, which makes the
	// query optional as in Zilla and keeps it out of {params}.
	pathOnly bool
	params   bool
}

func compileRoutes(routes []*engine.Route) ([]route, error) {
	out := make([]route, 0, len(routes))
	for i, r := range routes {
		cr := route{Route: r}
		for j, w := range r.When() {
			c := w.(*Condition)
			var cc condition
			names := make([]string, 0, len(c.Headers))
			for name := range c.Headers {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				pattern := c.Headers[name]
				re, err := engine.CompilePattern(pattern)
				if err != nil {
					return nil, engine.FieldErrorf(fmt.Sprintf("routes.%d.when.%d.headers.%s", i, j, name), "%v", err)
				}
				lname := strings.ToLower(name)
				m := headerMatch{name: lname, re: re, params: len(re.SubexpNames()) > 1}
				if lname == httpspec.Path && !strings.HasSuffix(pattern, "*") && !strings.Contains(pattern, "?") {
					m.pathOnly = true
				}
				cc.headers = append(cc.headers, m)
			}
			cr.conds = append(cr.conds, cc)
		}
		if w, ok := r.With().(*With); ok && w != nil && w.Headers != nil {
			ov, err := compileOverrides(fmt.Sprintf("routes.%d.with.headers.overrides", i), w.Headers.Overrides)
			if err != nil {
				return nil, err
			}
			cr.overrides = ov
		}
		out = append(out, cr)
	}
	return out, nil
}

// match reports whether every pattern matches a value of its header, and
// collects the {params} of :path into params (allocated on demand).
func (c *condition) match(h httpspec.Headers, params *map[string]string) bool {
	for i := range c.headers {
		m := &c.headers[i]
		matched := false
		for j := range h {
			if h[j].Name != m.name {
				continue
			}
			v := h[j].Value
			if m.pathOnly {
				if q := strings.IndexByte(v, '?'); q >= 0 {
					v = v[:q]
				}
			}
			if !m.params {
				if m.re.MatchString(v) {
					matched = true
					break
				}
				continue
			}
			sub := m.re.FindStringSubmatch(v)
			if sub == nil {
				continue
			}
			matched = true
			if *params == nil {
				*params = map[string]string{}
			}
			for k, name := range m.re.SubexpNames() {
				if name != "" {
					(*params)[name] = sub[k]
				}
			}
			break
		}
		if !matched {
			return false
		}
	}
	return true
}

// resolveRoute returns the first route whose conditions match the request
// head and whose guards accept the authorization, with the :path params.
func resolveRoute(routes []route, h httpspec.Headers, authorization uint64) (*route, map[string]string) {
	for i := range routes {
		r := &routes[i]
		if !r.Authorized(authorization) {
			continue
		}
		if len(r.conds) == 0 {
			return r, nil
		}
		for k := range r.conds {
			var params map[string]string
			if r.conds[k].match(h, &params) {
				return r, params
			}
		}
	}
	return nil, nil
}
