package prometheus

import (
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sluicehq/sluice/engine"
)

func TestExposition(t *testing.T) {
	got := string(appendExposition(nil, []engine.Metric{
		{Name: "stream.active", Value: 3},
		{Name: "kafka.cache.bytes", Binding: `ns:odd"name\` + "\n", Value: 1 << 20},
		{Name: "stream.data.sent", Binding: "ns:b", Value: 5, Counter: true},
	}))
	want := `# HELP kafka_cache_bytes sluice gauge kafka.cache.bytes
# TYPE kafka_cache_bytes gauge
kafka_cache_bytes{namespace="ns",binding="odd\"name\\\n"} 1048576
# HELP stream_active sluice gauge stream.active
# TYPE stream_active gauge
stream_active 3
# HELP stream_data_sent_bytes_total sluice counter stream.data.sent
# TYPE stream_data_sent_bytes_total counter
stream_data_sent_bytes_total{namespace="ns",binding="b"} 5
`
	if got != want {
		t.Fatalf("exposition:\n%s\nwant:\n%s", got, want)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	binding := ""
	for _, l := range families["kafka_cache_bytes"].GetMetric()[0].GetLabel() {
		if l.GetName() == "binding" {
			binding = l.GetValue()
		}
	}
	if binding != "odd\"name\\\n" {
		t.Errorf("escaped label read back as %q", binding)
	}
}
