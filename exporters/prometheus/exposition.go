package prometheus

import (
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/engine"
)

// contentType is the Prometheus text exposition format, version 0.0.4,
// which every Prometheus server and agent accepts.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// appendExposition writes metrics, sorted by binding then name as
// engine.Metrics.Each returns them, in the text format: the series of one
// name grouped under its # HELP and # TYPE lines.
func appendExposition(b []byte, metrics []engine.Metric) []byte {
	type family struct {
		name    string
		counter bool
		help    string
		series  []engine.Metric
	}
	var order []string
	families := map[string]*family{}
	for _, m := range metrics {
		name := seriesName(m)
		f := families[name]
		if f == nil {
			f = &family{name: name, counter: m.Counter, help: m.Name}
			families[name] = f
			order = append(order, name)
		}
		f.series = append(f.series, m)
	}
	slices.Sort(order)
	for _, name := range order {
		f := families[name]
		kind := "gauge"
		if f.counter {
			kind = "counter"
		}
		b = append(b, "# HELP "...)
		b = append(b, name...)
		b = append(b, " sluice "...)
		b = append(b, kind...)
		b = append(b, ' ')
		b = append(b, f.help...)
		b = append(b, "\n# TYPE "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, kind...)
		b = append(b, '\n')
		for _, m := range f.series {
			b = append(b, name...)
			if m.Binding != "" {
				ns, binding, ok := strings.Cut(m.Binding, ":")
				if !ok {
					ns, binding = "", m.Binding
				}
				b = append(b, `{namespace="`...)
				b = appendLabelValue(b, ns)
				b = append(b, `",binding="`...)
				b = appendLabelValue(b, binding)
				b = append(b, `"}`...)
			}
			b = append(b, ' ')
			b = strconv.AppendInt(b, m.Value, 10)
			b = append(b, '\n')
		}
	}
	return b
}

// seriesName maps a sluice metric name to Zilla's Prometheus name: dots
// to underscores, _bytes for a byte count, _total for a counter.
func seriesName(m engine.Metric) string {
	name := strings.ReplaceAll(m.Name, ".", "_")
	if strings.HasPrefix(m.Name, "stream.data.") && !strings.HasSuffix(name, "_bytes") {
		name += "_bytes"
	}
	if m.Counter {
		name += "_total"
	}
	return name
}

// appendLabelValue escapes a label value as the format requires: a
// backslash, a double quote and a line feed are written \\, \" and \n.
func appendLabelValue(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
