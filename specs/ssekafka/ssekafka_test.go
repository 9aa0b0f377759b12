package ssekafka_test

import (
	"testing"

	"github.com/sluicehq/sluice/specs/spectest"
	"github.com/sluicehq/sluice/specs/sse"
	"github.com/sluicehq/sluice/specs/ssekafka"
)

// TestScenarios checks that each side's client and server scripts agree.
func TestScenarios(t *testing.T) {
	spectest.PairAll(t, "streams", spectest.Options{Extensions: spectest.Extensions{
		"sse":   sse.Extensions,
		"kafka": ssekafka.KafkaExtensions,
	}})
}
