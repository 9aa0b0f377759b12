package tls

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/engine"
)

// route is an engine route with its conditions compiled.
type route struct {
	*engine.Route
	conds []condition
}

type condition struct {
	authority *regexp.Regexp // nil: any server name
	alpn      string         // "": any protocol
	ports     Ports          // empty: any port
}

// hello is what a route is matched against: the server name, the
// application protocol and the port of a connection.
type hello struct {
	authority string
	alpn      string
	port      int
}

func compileRoutes(routes []*engine.Route) ([]route, error) {
	out := make([]route, 0, len(routes))
	for i, r := range routes {
		cr := route{Route: r}
		for j, w := range r.When() {
			c := w.(*Condition)
			cc := condition{alpn: c.ALPN, ports: c.Port}
			if c.Authority != "" {
				re, err := engine.CompilePattern(strings.ToLower(c.Authority))
				if err != nil {
					return nil, engine.FieldErrorf(fmt.Sprintf("routes.%d.when.%d.authority", i, j), "%v", err)
				}
				cc.authority = re
			}
			cr.conds = append(cr.conds, cc)
		}
		out = append(out, cr)
	}
	return out, nil
}

// match reports whether the condition accepts h.
func (c condition) match(h hello) bool {
	if c.authority != nil && !c.authority.MatchString(strings.ToLower(h.authority)) {
		return false
	}
	if c.alpn != "" && c.alpn != h.alpn {
		return false
	}
	if len(c.ports) > 0 && !c.ports.Contains(h.port) {
		return false
	}
	return true
}

// matchAnyALPN is match with the protocol condition tested against each of
// protocols: it returns the first protocol the condition accepts ("" when it
// has no protocol condition), and whether it matched at all.
func (c condition) matchAnyALPN(h hello, protocols []string) (string, bool) {
	if c.alpn == "" {
		return "", c.match(h)
	}
	if !slices.Contains(protocols, c.alpn) {
		return "", false
	}
	h.alpn = c.alpn
	return c.alpn, c.match(h)
}

// resolve returns the first route, in order, that authorization may take
// and that matches h, or nil.
func resolve(routes []route, authorization uint64, h hello) *route {
	for i := range routes {
		r := &routes[i]
		if !r.Authorized(authorization) {
			continue
		}
		if len(r.conds) == 0 {
			return r
		}
		for _, c := range r.conds {
			if c.match(h) {
				return r
			}
		}
	}
	return nil
}

// Ports is a set of ports written as one port, a "N-M" range (inclusive),
// or a list of those.
type Ports []PortRange

// PortRange is an inclusive range of ports.
type PortRange struct{ Lo, Hi int }

// UnmarshalJSON accepts 8443, "8443", "9000-9009" and lists of them.
func (p *Ports) UnmarshalJSON(data []byte) error {
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	items, ok := raw.([]any)
	if !ok {
		items = []any{raw}
	}
	out := make(Ports, 0, len(items))
	for _, it := range items {
		r, err := portRange(it)
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	*p = out
	return nil
}

func portRange(v any) (PortRange, error) {
	switch x := v.(type) {
	case float64:
		return checkPorts(int(x), int(x))
	case string:
		lo, hi, isRange := strings.Cut(x, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return PortRange{}, fmt.Errorf("invalid port %q", x)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return PortRange{}, fmt.Errorf("invalid port range %q", x)
			}
		}
		return checkPorts(a, b)
	}
	return PortRange{}, fmt.Errorf("invalid port %v", v)
}

func checkPorts(a, b int) (PortRange, error) {
	if a < 0 || b > 65535 || a > b {
		return PortRange{}, fmt.Errorf("invalid port range %d-%d", a, b)
	}
	return PortRange{a, b}, nil
}

// Contains reports whether port is in the set.
func (p Ports) Contains(port int) bool {
	for _, r := range p {
		if port >= r.Lo && port <= r.Hi {
			return true
		}
	}
	return false
}
