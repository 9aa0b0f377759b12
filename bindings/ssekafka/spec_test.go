package ssekafka_test

import (
	"path/filepath"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/ssekafka"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/specs/spectest"
	ssespec "github.com/sluicehq/sluice/specs/sse"
	"github.com/sluicehq/sluice/specs/ssekafka"
)

const scenarios = "../../specs/ssekafka/streams/application"

// specConfig routes the paths the scenarios use; kafka0, the exit, is
// played by the kafka scripts.
const specConfig = `
name: test
bindings:
  ssekafka0:
    type: sse-kafka
    kind: proxy
    routes:
      - when:
          - path: /items/{id}
        exit: kafka0
        with:
          topic: items
          filters:
            - key: ${params.id}
              headers:
                kind: ${params.id}-kind
      - when:
          - path: /keyed
        exit: kafka0
        with:
          topic: events
          event:
            id: '["${base64(key)}","${etag}"]'
      - when:
          - path: /live
        exit: kafka0
        with:
          topic: events
          defaultOffset: live
      - when:
          - path: /events
        exit: kafka0
        with:
          topic: events
  kafka0:
    type: test
    kind: cache_client
`

// TestScenarios replays each scenario's sse client (the sse server's side)
// and kafka server (the cache's side) against the binding.
func TestScenarios(t *testing.T) {
	opts := spectest.Options{Extensions: spectest.Extensions{"sse": ssespec.Extensions, "kafka": ssekafka.KafkaExtensions}}
	for _, name := range spectest.Scenarios(t, scenarios) {
		dir, side := filepath.Split(name)
		if side != "sse" {
			continue
		}
		t.Run(filepath.Clean(dir), func(t *testing.T) {
			e := enginetest.Start(t, specConfig, enginetest.Options{Registry: spectest.Registry(engine.Global())})
			scripts := []string{filepath.Join(scenarios, dir, "sse", "client.rpt")}
			if kafka := filepath.Join(scenarios, dir, "kafka", "server.rpt"); fileExists(kafka) {
				scripts = append(scripts, kafka)
			}
			spectest.Replay(t, e, opts, scripts...)
		})
	}
}
