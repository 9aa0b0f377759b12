package tcp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Ports is a set of ports written as one port, a "N-M" range (inclusive),
// or a list of those. Order is kept and duplicates dropped; the first port
// is the tcp client's default destination port.
type Ports []int

// UnmarshalJSON accepts 8080, "8080", "9000-9009" and lists of them.
func (p *Ports) UnmarshalJSON(data []byte) error {
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	items, ok := raw.([]any)
	if !ok {
		items = []any{raw}
	}
	var out Ports
	for i, it := range items {
		ports, err := parsePort(it)
		if err != nil {
			if len(items) > 1 {
				return fmt.Errorf("port[%d]: %w", i, err)
			}
			return err
		}
		for _, n := range ports {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	*p = out
	return nil
}

func parsePort(v any) ([]int, error) {
	switch x := v.(type) {
	case float64:
		return checkRange(int(x), int(x))
	case string:
		lo, hi, isRange := strings.Cut(x, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("invalid port %q", x)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return nil, fmt.Errorf("invalid port range %q", x)
			}
		}
		return checkRange(a, b)
	}
	return nil, fmt.Errorf("invalid port %v", v)
}

func checkRange(a, b int) ([]int, error) {
	if a < 0 || b > 65535 || a > b {
		return nil, fmt.Errorf("invalid port range %d-%d", a, b)
	}
	if b-a > 4096 {
		return nil, fmt.Errorf("port range %d-%d spans more than 4096 ports", a, b)
	}
	out := make([]int, 0, b-a+1)
	for n := a; n <= b; n++ {
		out = append(out, n)
	}
	return out, nil
}

// Contains reports whether port is in the set.
func (p Ports) Contains(port int) bool { return slices.Contains(p, port) }
