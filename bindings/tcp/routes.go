package tcp

import (
	"fmt"
	"net/netip"
	"regexp"

	"github.com/sluicehq/sluice/engine"
)

// route is an engine route with its conditions compiled.
type route struct {
	*engine.Route
	conds []condition
}

type condition struct {
	prefix    netip.Prefix // zero: any address
	authority *regexp.Regexp
	ports     Ports
}

// endpoint is what a condition is matched against.
type endpoint struct {
	addr netip.Addr // the address the condition's cidr and authority test
	port int        // the port the condition's port tests
}

func compileRoutes(routes []*engine.Route) ([]route, error) {
	out := make([]route, 0, len(routes))
	for i, r := range routes {
		cr := route{Route: r}
		for j, w := range r.When() {
			c := w.(*Condition)
			var cc condition
			if c.CIDR != "" {
				p, err := netip.ParsePrefix(c.CIDR)
				if err != nil {
					return nil, engine.FieldErrorf(fmt.Sprintf("routes.%d.when.%d.cidr", i, j), "invalid cidr %q: %v", c.CIDR, err)
				}
				cc.prefix = p.Masked()
			}
			if c.Authority != "" {
				re, err := engine.CompilePattern(c.Authority)
				if err != nil {
					return nil, engine.FieldErrorf(fmt.Sprintf("routes.%d.when.%d.authority", i, j), "%v", err)
				}
				cc.authority = re
			}
			cc.ports = c.Port
			cr.conds = append(cr.conds, cc)
		}
		out = append(out, cr)
	}
	return out, nil
}

func (c condition) match(e endpoint) bool {
	if c.prefix.IsValid() && !c.prefix.Contains(e.addr.Unmap()) {
		return false
	}
	if c.authority != nil && !c.authority.MatchString(e.addr.Unmap().String()) {
		return false
	}
	if len(c.ports) > 0 && !c.ports.Contains(e.port) {
		return false
	}
	return true
}

// resolve returns the first route that the authorization may take (see
// engine.Route.Authorized) and that matches e, or nil.
func resolve(routes []route, authorization uint64, e endpoint) *route {
	for i := range routes {
		r := &routes[i]
		if !r.Authorized(authorization) {
			continue
		}
		if len(r.conds) == 0 {
			return r
		}
		for _, c := range r.conds {
			if c.match(e) {
				return r
			}
		}
	}
	return nil
}
