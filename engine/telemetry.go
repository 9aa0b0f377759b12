package engine

import "fmt"

// telemetryWarnings notes the telemetry metrics and attributes a document
// names: they pass the schema, for configurations written for Zilla, but
// sluice neither selects metrics by them nor labels them with them; its
// exporters serve the fixed set it keeps, and the user should hear so
// rather than look for series that never come.
func telemetryWarnings(d *document) []string {
	root, _ := d.root.(map[string]any)
	var out []string
	note := func(tokens ...string) {
		if v, ok := lookup(root, tokens...); ok && v != nil {
			out = append(out, fmt.Sprintf("%s: accepted but not applied: sluice keeps a fixed set of metrics, and its exporters serve all of them", d.keyPosition(tokens)))
		}
	}
	note("telemetry", "metrics")
	note("telemetry", "attributes")
	for _, name := range d.orderedKeys(root, "bindings") {
		note("bindings", name, "telemetry", "metrics")
		note("bindings", name, "telemetry", "attributes")
	}
	return out
}
