package httpkafka_test

import (
	"testing"

	httpspec "github.com/sluicehq/sluice/specs/http"
	"github.com/sluicehq/sluice/specs/httpkafka"
	"github.com/sluicehq/sluice/specs/spectest"
)

// TestScenarios checks that both sides of every scenario agree: the http
// client against the http server script, and the kafka client against the
// kafka server script.
func TestScenarios(t *testing.T) {
	spectest.PairAll(t, "streams", spectest.Options{Extensions: spectest.Extensions{
		"http":  httpspec.Extensions,
		"kafka": httpkafka.KafkaExtensions,
	}})
}
