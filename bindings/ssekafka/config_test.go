package ssekafka_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/spectest"
)

// TestConfigErrors: mistakes in a route are refused at load, positioned in
// the YAML, rather than sent to Kafka as text.
func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, route, want string
	}{
		{"unknown expression", "with: { topic: \"${idempotencyKey}\" }", "unknown expression ${idempotencyKey}"},
		{"guarded", "with: { topic: \"${guarded['jwt'].identity}\" }", "not supported yet"},
		{"param not captured", "with: { topic: t, filters: [{ key: \"${params.other}\" }] }", "does not capture {other}"},
		{"unclosed", "with: { topic: \"${params.id\" }", "unclosed expression"},
		{"no with", "", "with"},
		{"bad event id", "with: { topic: t, event: { id: key } }", "event.id"},
		{"bad default offset", "with: { topic: t, defaultOffset: earliest }", "defaultOffset"},
	} {
		t.Run(c.name, func(t *testing.T) {
			yaml := `
name: test
bindings:
  ssekafka0:
    type: sse-kafka
    kind: proxy
    routes:
      - when:
          - path: /items/{id}
        exit: kafka0
        ` + c.route + `
  kafka0:
    type: test
    kind: cache_client
`
			reg := spectest.Registry(engine.Global())
			cfg, err := reg.Parse("zilla.yaml", []byte(yaml))
			if err == nil {
				_, err = engine.New(cfg)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "zilla.yaml") {
				t.Errorf("error %v does not name the file", err)
			}
		})
	}
}
