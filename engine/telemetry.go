package engine

import "fmt"

// telemetryWarnings notes what of a document's telemetry passes the schema,
// for configurations written for Zilla, but does nothing here: metric
// names outside the stream group, which no binding records yet, and
// attributes, which label nothing. The user should hear so rather than
// look for series that never come.
func telemetryWarnings(d *document) []string {
	root, _ := d.root.(map[string]any)
	var out []string
	if listed, ok := lookup(root, "telemetry", "metrics"); ok {
		items, _ := listed.([]any)
		for i, v := range items {
			if name, ok := v.(string); ok && !isStreamMetric(name) {
				tokens := []string{"telemetry", "metrics", fmt.Sprint(i)}
				out = append(out, fmt.Sprintf("%s: %q is not recorded by this build: only the stream group (stream.*) is",
					d.position(tokens), name))
			}
		}
	}
	note := func(tokens ...string) {
		if v, ok := lookup(root, tokens...); ok && v != nil {
			out = append(out, fmt.Sprintf("%s: accepted but not applied: metrics carry only the namespace and binding labels", d.keyPosition(tokens)))
		}
	}
	note("telemetry", "attributes")
	for _, name := range d.orderedKeys(root, "bindings") {
		note("bindings", name, "telemetry", "attributes")
	}
	return out
}
