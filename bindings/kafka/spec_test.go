package kafka

import (
	"path/filepath"
	"testing"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
	"github.com/sluicehq/sluice/specs/spectest"
)

// TestSpecScenarios replays the client side of every merged-stream
// scenario of specs/kafka against the real bindings and broker: once with
// fetches through the client, once through the cache.
func TestSpecScenarios(t *testing.T) {
	b := broker(t)
	e := startEngine(t, b.addr, cacheYAML)
	root := "../../specs/kafka/streams"
	for _, name := range spectest.Scenarios(t, root) {
		for _, fetcher := range []string{"kafka0", "cache0"} {
			t.Run(name+"/"+fetcher, func(t *testing.T) {
				topic := topicName(t)
				createTopic(t, b.addr, topic, 1, nil)
				spectest.Replay(t, e, spectest.Options{
					Extensions: spectest.Extensions{"kafka": kafkaspec.Extensions},
					Properties: map[string]string{"PRODUCER": "kafka0", "FETCHER": fetcher, "TOPIC": topic},
				}, filepath.Join(root, name, "client.rpt"))
			})
		}
	}
}
